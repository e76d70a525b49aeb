// Souk for the live benchmark: exactly what `souk start` runs (createSouk, then listen), with an optional
// CPU profile (BENCH_CPU_PROFILE=<dir>, written when the server stops; NODE_OPTIONS refuses --cpu-prof).
import { createSouk } from '../../src/server.ts';
import { startCpuProfile } from '../lib/profile.ts';

const writeProfile = await startCpuProfile(process.env.BENCH_CPU_PROFILE);
const souk = await createSouk();
await souk.app.listen({ port: souk.config.port, host: souk.config.host });
console.log(`souk listening on ${souk.config.port}`);

const stop = () => {
  Promise.all([writeProfile(), souk.close()]).then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
