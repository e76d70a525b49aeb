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
import { createAdminUser } from '../src/modules/accounts/index.ts';
import { generateSecretKey } from '../src/kernel/secret-key.ts';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { riskModule, riskService } from '../src/modules/risk/index.ts';

const run = promisify(execFile);
const souk = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, ['bin/souk.js', ...args], {
    // Its own credentials file: the tests never read or write the user's ~/.config/souk.
    env: { ...process.env, DATABASE_URL: '', SOUK_API_KEY: '', SOUK_ADMIN_EMAIL: '', SOUK_ADMIN_PASSWORD: '', SOUK_CONFIG_DIR: join(dir, 'config'), ...env },
    timeout: 120_000,
  });

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
  const first = await souk(['migrate', '--yes'], env);
  assert.match(first.stdout, /Applied \d+ migration/);
  assert.equal(first.stderr.split('\n')[0], `souk: database embedded PGlite in ${env.SOUK_DATA_DIR} (does not exist yet)`);
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
  assert.match((await souk(['platform', 'apply', file, '--yes'], env)).stdout, /created: platform direct/);
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

it('a command that would create a new empty embedded database says which one and stops without --yes', async () => {
  const dataDir = join(dir, 'never-created');
  for (const args of [['migrate', '--status'], ['platform', 'list'], ['migrate']]) {
    const failure = (await souk(args, { SOUK_DATA_DIR: dataDir }).then(
      () => assert.fail(`souk ${args.join(' ')} should refuse`),
      (error: { code: number; stderr: string }) => error,
    ));
    assert.equal(failure.code, 2);
    assert.equal(failure.stderr.split('\n')[0], `souk: database embedded PGlite in ${dataDir} (does not exist yet)`);
    assert.match(failure.stderr, /would create a new, empty one[\s\S]*--url[\s\S]*--yes/);
  }
  assert.equal(existsSync(dataDir), false);
});

it('--url commands name the server first; migrate --status --url asks the server', async () => {
  const list = await souk(['platform', 'list', '--url', url], { SOUK_API_KEY: apiKey });
  assert.equal(list.stderr.split('\n')[0], `souk: server ${url} (API key from SOUK_API_KEY)`);
  const status = await souk(['migrate', '--status', '--url', url]);
  assert.equal(status.stderr.split('\n')[0], `souk: server ${url}`);
  assert.match(status.stdout, /^ready/);
  assert.equal(existsSync(join(process.cwd(), 'data', 'never')), false);
});

it('risk commands: policy set, show, rollback; shadow; lists add and remove; decisions by device; a backtest', async () => {
  const key = { SOUK_API_KEY: apiKey };
  const created = await asBearer(server.souk.app, apiKey, {
    method: 'POST',
    url: '/admin/platforms',
    payload: { slug: 'cli-risk', name: 'CLI Risk', hosts: ['cli-risk.test'], defaultCurrency: 'USD', defaultLocale: 'en', modules: ['catalog', 'risk'] },
  });
  assert.equal(created.statusCode, 201, created.body);
  const platformId = created.json().platform.id as string;
  const at = ['--platform', 'cli-risk', '--url', url];
  const policy = join(dir, 'coupon-policy.yaml');
  writeFileSync(
    policy,
    ['rules:', '  - id: farm-device', '    when: { signal: device_id, op: eq, value: dev-farm }', '    action: deny', 'thresholds: [10, 20, 30, 40]', 'actions: [allow, allow, challenge, review, deny]', 'allowSampleRate: 1', ''].join('\n'),
  );
  assert.match((await souk(['risk', 'policy', 'set', policy, '--point', 'coupon', '--note', 'from the cli', ...at], key)).stdout, /coupon: version 1 stored/);
  assert.match((await souk(['risk', 'policy', 'show', ...at], key)).stdout, /coupon\s+v1\s+1 rules/);
  const bad = join(dir, 'bad-policy.json');
  writeFileSync(bad, JSON.stringify({ rules: [], thresholds: [1, 1, 2, 3], actions: ['allow', 'allow', 'allow', 'allow', 'deny'] }));
  await assert.rejects(souk(['risk', 'policy', 'set', bad, '--point', 'coupon', ...at], key), /400.*document\.thresholds\.1/);

  const risk = riskService({ runtime: server.souk.runtimeOf(riskModule), events: server.souk.ctx.events });
  const pdb = server.souk.ctx.platformDb(platformId);
  const since = new Date(Date.now() - 1000).toISOString();
  assert.equal((await risk.decide(pdb, 'coupon', { deviceId: 'dev-farm', ip: '192.0.2.7' })).action, 'deny');
  assert.equal((await risk.decide(pdb, 'coupon', { deviceId: 'dev-home', ip: '192.0.2.8' })).action, 'allow');
  await server.souk.runtimeOf(riskModule).recorder.flush();
  const byDevice = await souk(['risk', 'decisions', '--device', 'dev-farm', ...at], key);
  assert.match(byDevice.stdout, /coupon\s+deny\s+level 4 .*farm-device→deny/);
  assert.equal(byDevice.stdout.trim().split('\n').length, 1);

  const draft = join(dir, 'draft.json');
  writeFileSync(draft, JSON.stringify({ rules: [{ id: 'home-device', when: { signal: 'device_id', op: 'eq', value: 'dev-home' }, action: 'review' }], thresholds: [10, 20, 30, 40], actions: ['allow', 'allow', 'challenge', 'review', 'deny'] }));
  const tested = await souk(['risk', 'backtest', draft, '--point', 'coupon', '--since', since, ...at], key);
  assert.match(tested.stdout, /^2 of 2 stored decisions would change action/);
  assert.match(tested.stdout, /allow → review: 1/);
  assert.match(tested.stdout, /deny → allow: 1/);
  assert.match(tested.stdout, /home-device\s+0\s+1\s+1/);

  assert.match((await souk(['risk', 'shadow', 'set', draft, '--point', 'coupon', ...at], key)).stdout, /runs in shadow/);
  assert.match((await souk(['risk', 'shadow', 'show', ...at], key)).stdout, /coupon\s+1 rules/);
  assert.match((await souk(['risk', 'shadow', 'clear', '--point', 'coupon', ...at], key)).stdout, /cleared/);

  assert.match((await souk(['risk', 'lists', 'add', 'block', 'ip', '198.51.100.0/24', '--note', 'proxies', ...at], key)).stdout, /block: 1 entries/);
  assert.match((await souk(['risk', 'lists', 'add', 'disposable', 'email_domain', 'Throwaway.Example', ...at], key)).stdout, /disposable: 1 entries/);
  assert.match((await souk(['risk', 'lists', ...at], key)).stdout, /block \(1\)\n {2}ip\s+198\.51\.100\.0\/24 {2}# proxies[\s\S]*throwaway\.example/);
  assert.match((await souk(['risk', 'lists', 'remove', 'disposable', 'email_domain', 'throwaway.example', ...at], key)).stdout, /disposable: 0 entries/);

  assert.match((await souk(['risk', 'policy', 'rollback', '--point', 'coupon', ...at], key)).stdout, /version 2 stored, holding version 0/);
  assert.match((await souk(['risk', 'policy', 'versions', '--point', 'coupon', ...at], key)).stdout, /^v2 [\s\S]*rollback to version 0[\s\S]*v1 [\s\S]*from the cli/);
  await assert.rejects(souk(['risk', 'policy', 'set', policy, ...at], key), (error: { code: number; stderr: string }) => error.code === 2 && /--point is needed/.test(error.stderr));
});

it('help exits 0 everywhere and names the configured server, not a hard-coded port', async () => {
  for (const args of [['--help'], ['help'], ['events', 'help'], ['events'], ['platform', 'help'], ['flash-sale', 'help'], ['migrate', '--help'], ['start', '--help'], ['login', '--help'], ['secrets', 'help'], ['risk', 'help']]) {
    const out = await souk(args, { PORT: '4321', SOUK_URL: '' });
    assert.match(out.stdout, /Usage/, `souk ${args.join(' ')}`);
    assert.doesNotMatch(out.stdout, /3000/, `souk ${args.join(' ')}`);
  }
  assert.match((await souk(['events', 'help'], { SOUK_URL: 'https://shop.example' })).stdout, /default https:\/\/shop\.example/);
  await assert.rejects(souk(['events', 'nonsense']), (error: { code: number }) => error.code === 2);
});

it('logs in once and reuses the session: a dozen commands in a row never meet the login limit; logout revokes it', async () => {
  const email = `cli-${Date.now()}@test.souk`;
  await createAdminUser(server.souk.ctx.db, server.souk.ctx.platforms, { email, password: 'cli-password-1', role: 'owner' });
  const creds = { SOUK_ADMIN_EMAIL: email, SOUK_ADMIN_PASSWORD: 'cli-password-1' };
  const file = join(dir, 'config', 'credentials.json');

  const login = await souk(['login', '--url', url], creds);
  assert.match(login.stdout, new RegExp(`Logged in to .* as ${email}`));
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const token = (JSON.parse(readFileSync(file, 'utf8')) as Record<string, { token: string }>)[url]!.token;

  // The login limit per account is 10 per window: twelve commands that each logged in would meet a 429.
  const commands = [['events', 'consumers'], ['events', 'dlq', 'list'], ['platform', 'list']];
  for (let i = 0; i < 12; i += 1) {
    const out = await souk([...commands[i % commands.length]!, '--url', url], creds);
    assert.match(out.stderr.split('\n')[0]!, new RegExp(`^souk: server ${url} \\(session of ${email} from `));
  }
  const sessions = await server.souk.database.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM admin_sessions s JOIN admin_users u ON u.id = s.admin_user_id WHERE u.email = $1', [email]);
  assert.equal(sessions[0]!.n, 1);

  const logout = await souk(['logout', '--url', url]);
  assert.match(logout.stdout, /Logged out/);
  assert.equal(existsSync(file), false);
  const me = await asBearer(server.souk.app, token, { method: 'GET', url: '/admin/auth/me' });
  assert.equal(me.statusCode, 401);

  // With only the variables set, the first command logs in once and saves the session for the next.
  const first = await souk(['events', 'consumers', '--url', url], creds);
  assert.match(first.stderr.split('\n')[0]!, new RegExp(`logged in as ${email}; session saved`));
  const second = await souk(['events', 'consumers', '--url', url], creds);
  assert.match(second.stderr.split('\n')[0]!, /session of/);
  await souk(['logout', '--url', url]);
});

it('secrets: generate-key, status and rotate re-seal every sealed value with the new key', async () => {
  const generated = (await souk(['secrets', 'generate-key'])).stdout.trim();
  assert.match(generated, /^[A-Za-z0-9_-]{43}$/);
  const [oldKey, newKey, strayKey] = [generated, generateSecretKey(), generateSecretKey()];
  const dataDir = join(dir, 'rotate');
  const file = join(dir, 'rotate.json');
  writeFileSync(file, JSON.stringify({ slug: 'rotate', name: 'Rotate', hosts: [], defaultCurrency: 'EUR', defaultLocale: 'en', modules: ['webhooks'] }));
  await souk(['platform', 'apply', file, '--yes'], { SOUK_DATA_DIR: dataDir, SOUK_SECRET_KEY: oldKey });

  // Two endpoints under the old key: one sealed, one plaintext as an older version left it.
  const config = { dataDir, databaseUrl: undefined, seedDemo: false, eventsTransport: 'embedded' as const, eventsWorker: false };
  const before = await createSouk({ logger: false, config: { ...config, secretKey: oldKey, secretKeyPrevious: undefined } });
  const platformId = before.ctx.platforms.bySlug('rotate')!.id;
  const insert = `insert into webhook_endpoints (platform_id, id, url, event_types, secret) values ($1, gen_random_uuid(), 'https://example.test/', array['*'], $2)`;
  await before.database.execute(insert, [platformId, before.ctx.secrets.seal('whsec_sealed_one')]);
  await before.database.execute(insert, [platformId, 'whsec_plain_two']);
  await before.close();

  const rotating = { SOUK_DATA_DIR: dataDir, SOUK_SECRET_KEY: newKey, SOUK_SECRET_KEY_PREVIOUS: oldKey };
  const status = await souk(['secrets', 'status'], rotating);
  assert.match(status.stdout, /webhook_endpoints\.secret\s+current 0 {2}previous 1 {2}unknown key 0 {2}plaintext 1/);
  const rotated = await souk(['secrets', 'rotate'], rotating);
  assert.match(rotated.stdout, /webhook_endpoints\.secret\s+re-sealed 2/);
  assert.match(rotated.stdout, /SOUK_SECRET_KEY_PREVIOUS can be removed/);
  assert.match((await souk(['secrets', 'status'], rotating)).stdout, /webhook_endpoints\.secret\s+current 2 {2}previous 0 {2}unknown key 0 {2}plaintext 0/);
  assert.match((await souk(['secrets', 'rotate'], rotating)).stdout, /Re-sealed 0 value/);

  // The old key is gone now; the new one alone opens everything.
  const after = await createSouk({ logger: false, config: { ...config, secretKey: newKey, secretKeyPrevious: undefined } });
  try {
    const rows = await after.database.query<{ secret: string }>('select secret from webhook_endpoints where platform_id = $1', [platformId]);
    assert.deepEqual(rows.map((r) => after.ctx.secrets.open(r.secret)).sort(), ['whsec_plain_two', 'whsec_sealed_one']);
  } finally {
    await after.close();
  }
  // A key that sealed none of it: status says so and fails.
  await assert.rejects(souk(['secrets', 'status'], { SOUK_DATA_DIR: dataDir, SOUK_SECRET_KEY: strayKey }), (error: { code: number; stdout: string }) =>
    error.code === 1 && /unknown key 2/.test(error.stdout));
  await assert.rejects(souk(['secrets', 'status'], { SOUK_DATA_DIR: dataDir, SOUK_SECRET_KEY: 'too-short' }), /SOUK_SECRET_KEY must be 32 random bytes/);
});
