// Souk for the flash-sale benchmark: exactly what `souk start` runs (createSouk, then listen), plus a
// loopback-only side port that seeds customers. A rush needs thousands of logged-in customers, and
// registering them over HTTP would hash thousands of passwords (argon2, tens of ms each) before the
// measurement even starts; on the embedded engine only this process may open the database. So the side
// port registers one customer through the accounts service (a real password hash) and writes the others
// straight into the tables with that hash and a session each, returning their bearer tokens.
// Environment: as `souk start`, plus SEED_PORT: the side port. Without it there is none: the further nodes
// of a multi-node rush (--nodes) share the first node's database, so the customers it seeds are theirs too.
import { createSouk } from '../src/server.ts';
import { seedCustomers } from './lib/seed-customers.ts';
import { startCpuProfile } from './lib/profile.ts';
import { jsonSidePort } from './lib/side-port.ts';

const seedPort = process.env.SEED_PORT ? Number(process.env.SEED_PORT) : undefined;
if (seedPort !== undefined && (!Number.isInteger(seedPort) || seedPort <= 0)) {
  console.error(`flash-sale-server: SEED_PORT must be a port number, got "${process.env.SEED_PORT}"`);
  process.exit(2);
}

// BENCH_CPU_PROFILE=<dir>: write a .cpuprofile of this server there when it stops (NODE_OPTIONS refuses --cpu-prof).
const writeProfile = await startCpuProfile(process.env.BENCH_CPU_PROFILE);
const souk = await createSouk();
await souk.app.listen({ port: souk.config.port, host: souk.config.host });

const seeder = jsonSidePort(async (raw) => {
  const input = raw as { platformId: string; count: number };
  if (!Number.isInteger(input.count) || input.count < 1 || input.count > 1_000_000) throw new Error('count must be 1 to 1,000,000');
  return { customers: await seedCustomers(souk, input.platformId, input.count) };
});
if (seedPort !== undefined) seeder.listen(seedPort, '127.0.0.1');
console.log(`souk listening on ${souk.config.port}, ${seedPort === undefined ? 'no customer seeder' : `customer seeder on ${seedPort}`}`);

const stop = () => {
  if (seeder.listening) seeder.close();
  Promise.all([writeProfile(), souk.close()]).then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
