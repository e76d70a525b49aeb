// The `souk` command as a user runs it: migrate on a fresh embedded database, platform apply from a
// YAML file (twice: the second run changes nothing) and events commands through a running server's API.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loginAsNewOwner, startTestSouk, type StartedSouk } from './harness.ts';
import { asBearer } from './harness.ts';
import { createSouk } from '../src/server.ts';

const run = promisify(execFile);
const souk = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, ['bin/souk.js', ...args], { env: { ...process.env, DATABASE_URL: '', ...env }, timeout: 120_000 });

let dir: string;
let server: StartedSouk;
let url: string;
let apiKey: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'souk-cli-'));
  server = await startTestSouk('pglite');
  const address = await server.souk.app.listen({ port: 0, host: '127.0.0.1' });
  url = address;
  const owner = await loginAsNewOwner(server.souk);
  const res = await asBearer(server.souk.app, owner, { method: 'POST', url: '/admin/api-keys', payload: { label: 'cli', role: 'owner' } });
  apiKey = res.json().key;
});

after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

it('migrate applies every migration once on a new embedded database', async () => {
  const env = { SOUK_DATA_DIR: join(dir, 'db') };
  const first = await souk(['migrate'], env);
  assert.match(first.stdout, /Applied \d+ migration/);
  const second = await souk(['migrate'], env);
  assert.match(second.stdout, /up to date/);
  const status = await souk(['migrate', '--status'], env);
  assert.doesNotMatch(status.stdout, /pending/);
});

it('platform apply creates from YAML, then reports unchanged; the storefront answers on its host', async () => {
  const file = join(dir, 'shop.yaml');
  writeFileSync(file, 'slug: cli-shop\nname: CLI Shop\nhosts: [cli-shop.test]\ndefaultCurrency: GBP\ndefaultLocale: en\nmodules: [catalog]\n');
  const first = await souk(['platform', 'apply', file, '--url', url], { SOUK_API_KEY: apiKey });
  assert.match(first.stdout, /created: platform cli-shop/);
  assert.match(first.stdout, /publishable key \(shown once\): pk_/);
  const second = await souk(['platform', 'apply', file, '--url', url], { SOUK_API_KEY: apiKey });
  assert.match(second.stdout, /unchanged: platform cli-shop/);
  const store = await server.souk.app.inject({ url: '/store/platform', headers: { host: 'cli-shop.test' } });
  assert.equal(store.json().defaultCurrency, 'GBP');
  const list = await souk(['platform', 'list', '--url', url], { SOUK_API_KEY: apiKey });
  assert.match(list.stdout, /cli-shop/);
  await assert.rejects(souk(['platform', 'apply', file, '--url', url], { SOUK_API_KEY: 'sk_wrong' }), /401/);
});

it('platform apply directly on a stopped embedded database, and a clear refusal while a server holds it', async () => {
  const env = { SOUK_DATA_DIR: join(dir, 'direct') };
  const file = join(dir, 'direct.json');
  writeFileSync(file, JSON.stringify({ slug: 'direct', name: 'Direct', hosts: [], defaultCurrency: 'JPY', defaultLocale: 'ja', modules: [] }));
  assert.match((await souk(['platform', 'apply', file], env)).stdout, /created: platform direct/);
  assert.match((await souk(['platform', 'list'], env)).stdout, /direct\s+active\s+JPY/);
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'slug: Not A Slug\nname: x\ndefaultCurrency: usd\ndefaultLocale: en\n');
  await assert.rejects(souk(['platform', 'apply', bad], env), /Cannot apply .*slug/);

  const holder = await createSouk({ logger: false, config: { dataDir: env.SOUK_DATA_DIR, databaseUrl: undefined, seedDemo: false, eventsTransport: 'embedded' } });
  try {
    await assert.rejects(souk(['platform', 'list'], env), /Another Souk process \(pid \d+\) has the embedded database/);
  } finally {
    await holder.close();
  }
});

it('events commands talk to the running server', async () => {
  const consumers = await souk(['events', 'consumers', '--url', url], { SOUK_API_KEY: apiKey });
  assert.match(consumers.stdout, /"transport": "embedded"/);
  const dlq = await souk(['events', 'dlq', 'list', '--url', url], { SOUK_API_KEY: apiKey });
  assert.match(dlq.stdout, /No dead letters/);
  await assert.rejects(souk(['events', 'replay', '--consumer', 'nobody', '--since', '2020-01-01T00:00:00Z', '--url', url], { SOUK_API_KEY: apiKey }), /404/);
});
