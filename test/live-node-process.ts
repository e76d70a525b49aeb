// One Souk node in its own process, for suites that kill a node (SIGKILL): database, NATS and the live
// subject prefix from the environment; prints {"port":…} on stdout once it listens.
import type { AddressInfo } from 'node:net';
import { createSouk } from '../src/server.ts';
import { loadModuleSettings } from '../src/kernel/module-settings.ts';
import { testConfig } from './harness.ts';

const live = { ...loadModuleSettings(process.env).live, fanout: 'nats' as const, subjectPrefix: process.env.SOUK_LIVE_SUBJECT_PREFIX! };
const souk = await createSouk({ logger: false, config: { ...testConfig, seedDemo: false, databaseUrl: process.env.DATABASE_URL!, natsUrl: process.env.NATS_URL!, live } });
await souk.app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ port: (souk.app.server.address() as AddressInfo).port })}\n`);
