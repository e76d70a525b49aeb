// The gateway as a real process in front of two real upstream processes (stable v1, canary v2; small
// servers that report their version in x-version, test/fixtures/gateway-upstream.ts): routing by each rule
// kind through the real proxy, X-Forwarded-* and traceparent, sticky cookies, platform pinning and merging,
// the policy API (validation, dry-run, versions, roll back, auth), WebSocket pass-through, a policy change
// seen by a second gateway within a second (PostgreSQL), and SIGKILL of the canary with no idempotent
// request failing. test/gateway-souk.test.ts puts real Souk API processes behind it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import WebSocket from 'ws';
import { documentArb } from './gateway-policies.ts';
import { httpRequest, startProcess, type Started } from './gateway-processes.ts';
import { createTempPostgres } from './harness.ts';
import { waitFor } from './wait.ts';

const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
const ANDROID = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36';
const TOKEN = 'gateway-test-token';
const postgres = process.env.DATABASE_URL;

describe('gateway in front of two upstream processes', () => {
  let stable: Started;
  let canary: Started;
  let gateway: Started;
  let second: Started | undefined;
  let dataDir: string;
  let schemaDb: string | undefined;
  let temp: { url: string; drop(): Promise<void> } | undefined;

  const upstream = (version: string, port = 0) => startProcess(['--import', 'tsx', 'test/fixtures/gateway-upstream.ts'], { VERSION: version, PORT: String(port) }, /listening (\d+)/);
  const gatewayEnv = () => ({
    SOUK_GATEWAY_TRACKS: `stable=http://127.0.0.1:${stable.port};canary=http://127.0.0.1:${canary.port}`,
    SOUK_GATEWAY_PORT: '0',
    SOUK_GATEWAY_HOST: '127.0.0.1',
    SOUK_GATEWAY_TOKEN: TOKEN,
    SOUK_GATEWAY_TRUSTED_PROXIES: '127.0.0.1',
    SOUK_GATEWAY_CUSTOMER_HEADER: 'x-customer-id',
    SOUK_GATEWAY_HEALTH_INTERVAL_MS: '200',
    SOUK_GATEWAY_EJECT_MS: '500',
    SOUK_GATEWAY_POLL_MS: '100',
    SOUK_GATEWAY_DATA_DIR: dataDir,
    ...(schemaDb ? { DATABASE_URL: schemaDb } : { DATABASE_URL: '' }),
  });
  // Generous: on a loaded machine tsx and PGlite's start take long (a minute was seen at load 24).
  const startGatewayProcess = () => startProcess(['bin/souk.js', 'gateway'], gatewayEnv(), /listening on http:\/\/127\.0\.0\.1:(\d+)/, 180_000);

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'souk-gateway-'));
    if (postgres) {
      // A database of its own, so versions from other runs do not interfere.
      temp = await createTempPostgres();
      schemaDb = temp.url;
    }
    [stable, canary] = await Promise.all([upstream('v1'), upstream('v2')]);
    gateway = await startGatewayProcess();
  });

  after(async () => {
    await Promise.all([gateway, second, stable, canary].map((p) => p?.stop()));
    rmSync(dataDir, { recursive: true, force: true });
    await temp?.drop();
  });

  const base = () => `http://127.0.0.1:${gateway.port}`;
  const get = (path: string, headers: Record<string, string> = {}, at = base()) => fetch(`${at}${path}`, { headers });
  const admin = async (method: string, path: string, body?: unknown, token = TOKEN) => {
    const res = await fetch(`${base()}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const setPolicy = async (document: unknown) => {
    const res = await admin('POST', '/_gateway/policies', { document, activate: true, note: 'test' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.version as number;
  };
  const versionOf = async (path: string, headers: Record<string, string> = {}) => {
    const res = await httpRequest(gateway.port, 'GET', path, headers);
    const cookie = res.headers['set-cookie'];
    return { version: res.headers['x-version'] as string, track: res.headers['x-souk-track'] as string, cookie: cookie ? cookie[0]! : null };
  };

  it('before any policy everything goes to stable, with X-Forwarded-* and traceparent passed on', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const res = await httpRequest(gateway.port, 'GET', '/store/products?q=1', { 'user-agent': IPHONE, traceparent, host: 'shop.test' });
    const echo = JSON.parse(res.body) as { version: string; url: string; headers: Record<string, string> };
    assert.equal(res.headers['x-souk-track'], 'stable');
    assert.equal(echo.version, 'v1');
    assert.equal(echo.url, '/store/products?q=1');
    assert.equal(echo.headers.traceparent, traceparent);
    assert.equal(echo.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(echo.headers['x-forwarded-proto'], 'http');
    assert.equal(echo.headers['x-forwarded-host'], 'shop.test');
    assert.equal(echo.headers.host, 'shop.test');
  });

  it('refuses a bad policy with a 400 naming the path and changes nothing; needs a credential', async () => {
    const before = await admin('GET', '/_gateway/policies');
    const bad = await admin('POST', '/_gateway/policies', { document: { rules: [{ id: 'x', when: { ip: ['office'] }, track: 'canary' }], default: { stable: 100 } }, activate: true });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.path, 'document.rules.0.when.ip.0');
    const unknownTrack = await admin('POST', '/_gateway/policies/validate', { document: { rules: [], default: { blue: 100 } } });
    assert.equal(unknownTrack.status, 400);
    assert.equal(unknownTrack.body.path, 'document.default.blue');
    assert.deepEqual((await admin('GET', '/_gateway/policies')).body, before.body);
    assert.equal((await fetch(`${base()}/_gateway/policies`)).status, 401);
    // The token is not the gateway's, and the Souk API (here the stable upstream) does not call it an owner.
    assert.equal((await admin('GET', '/_gateway/policies', undefined, 'someone-else')).status, 403);
  });

  it('random policy documents (fast-check): each is stored, or refused with a 400 naming a path and nothing changes', async () => {
    await fc.assert(
      fc.asyncProperty(documentArb, async (document) => {
        const before = await admin('GET', '/_gateway/policies');
        const res = await admin('POST', '/_gateway/policies', { document, activate: false });
        const after = await admin('GET', '/_gateway/policies');
        assert.equal(after.body.activeVersion, before.body.activeVersion);
        if (res.status === 400) {
          assert.match(String(res.body.path), /^document(\.|$)/);
          assert.deepEqual(after.body.versions, before.body.versions);
        } else {
          assert.equal(res.status, 201, JSON.stringify(res.body));
          assert.equal((after.body.versions as unknown[]).length, (before.body.versions as unknown[]).length + 1);
        }
      }),
      { numRuns: 25, seed: 1919 },
    );
  });

  it('routes iOS from the office CIDR to canary, Android and iOS elsewhere to stable, and header/cookie overrides', async () => {
    await setPolicy({
      rules: [
        { id: 'force-header', when: { header: { name: 'x-souk-canary', values: ['1'] } }, track: 'canary', override: true },
        { id: 'force-cookie', when: { cookie: { name: 'souk_canary', values: ['1'] } }, track: 'canary', override: true },
        { id: 'office-ios', when: { all: [{ os: ['ios'] }, { ip: ['10.0.0.0/8', '127.0.0.1'] }] }, track: 'canary' },
        { id: 'android', when: { os: ['android'] }, track: 'stable' },
      ],
      default: { stable: 100 },
    });
    const office = await versionOf('/', { 'user-agent': IPHONE, 'x-forwarded-for': '10.1.2.3' });
    assert.deepEqual([office.version, office.track], ['v2', 'canary']);
    assert.equal((await versionOf('/', { 'user-agent': IPHONE })).version, 'v2');
    assert.equal((await versionOf('/', { 'user-agent': IPHONE, 'x-forwarded-for': '203.0.113.7' })).version, 'v1');
    assert.equal((await versionOf('/', { 'user-agent': ANDROID, 'x-forwarded-for': '10.1.2.3' })).version, 'v1');
    assert.equal((await versionOf('/', { 'user-agent': ANDROID, 'x-forwarded-for': '203.0.113.7', 'x-souk-canary': '1' })).version, 'v2');
    assert.equal((await versionOf('/', { 'user-agent': ANDROID, cookie: 'souk_canary=1' })).version, 'v2');
    const dry = await admin('POST', '/_gateway/dry-run', { method: 'GET', path: '/store', ip: '10.9.9.9', headers: { 'User-Agent': IPHONE } });
    assert.deepEqual([dry.status, dry.body.track, dry.body.reason], [200, 'canary', 'office-ios']);
  });

  it('sends the same customers to canary every time, as the dry-run says', async () => {
    await setPolicy({ rules: [{ id: 'ten-percent', when: { customerPercent: { percent: 10 } }, track: 'canary' }], default: { stable: 100 }, sticky: false });
    let canaryCount = 0;
    for (let i = 0; i < 60; i++) {
      const headers = { 'x-customer-id': `cus_${i}` };
      const first = await versionOf('/store/cart', headers);
      const againRes = await versionOf('/store/cart', headers);
      assert.equal(againRes.version, first.version);
      const dry = await admin('POST', '/_gateway/dry-run', { headers });
      assert.equal(dry.body.track, first.track);
      if (first.version === 'v2') canaryCount += 1;
    }
    assert.ok(canaryCount > 0 && canaryCount < 20, `${canaryCount} of 60`);
  });

  it('keeps a client on its track by cookie until a policy version changes its rule', async () => {
    await setPolicy({ rules: [], default: { stable: 50, canary: 50 } });
    let landed: { version: string | null; cookie: string | null } | undefined;
    for (let i = 0; i < 40 && landed?.version !== 'v2'; i++) landed = await versionOf('/');
    assert.equal(landed?.version, 'v2');
    const cookie = landed!.cookie!.split(';')[0]!;
    for (let i = 0; i < 20; i++) assert.equal((await versionOf('/', { cookie })).version, 'v2');
    // An unrelated rule added: still canary. The split changed: moved, with a new cookie.
    await setPolicy({ rules: [{ id: 'beta', when: { header: { name: 'x-beta' } }, track: 'canary' }], default: { stable: 50, canary: 50 } });
    for (let i = 0; i < 10; i++) assert.equal((await versionOf('/', { cookie })).version, 'v2');
    await setPolicy({ rules: [], default: { stable: 100 } });
    const moved = await versionOf('/', { cookie });
    assert.equal(moved.version, 'v1');
    assert.match(moved.cookie ?? '', /^souk_track=stable~default~/);
  });

  it('pins a platform (by host) to its own pool, and merges all onto one pool by a policy change', async () => {
    const pinned = await setPolicy({ rules: [{ id: 'shop-a', when: { host: ['shop-a.test'] }, track: 'canary' }], default: { stable: 100 }, sticky: false });
    assert.equal((await versionOf('/', { host: 'shop-a.test' })).version, 'v2');
    assert.equal((await versionOf('/', { host: 'shop-b.test' })).version, 'v1');
    await setPolicy({ rules: [], default: { stable: 100 }, sticky: false });
    assert.equal((await versionOf('/', { host: 'shop-a.test' })).version, 'v1');
    // Roll back: the pinned version is active again, and the log says who did it.
    const back = await admin('POST', '/_gateway/policies/rollback', {});
    assert.equal(back.status, 200);
    assert.equal(back.body.version, pinned);
    assert.equal(back.body.activatedBy, 'gateway-token');
    await waitFor('the rollback to apply', async () => (await versionOf('/', { host: 'shop-a.test' })).version === 'v2', 2000);
    const log = await admin('GET', '/_gateway/policies');
    assert.equal(log.body.activeVersion, pinned);
    assert.equal((log.body.activations as { action: string }[])[0]!.action, 'rollback');
  });

  it('passes WebSocket upgrades to the chosen track', async () => {
    await setPolicy({ rules: [{ id: 'office-ios', when: { all: [{ os: ['ios'] }, { ip: ['127.0.0.1'] }] }, track: 'canary' }], default: { stable: 100 } });
    for (const [ua, version] of [[IPHONE, 'v2'], [ANDROID, 'v1']] as const) {
      const socket = new WebSocket(`ws://127.0.0.1:${gateway.port}/store/live/rooms/room-1/ws`, { headers: { 'user-agent': ua } });
      const messages: string[] = [];
      socket.on('message', (data) => messages.push(String(data)));
      await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      socket.send('hi');
      await waitFor('the echo', () => messages.length >= 2, 3000);
      const hello = JSON.parse(messages[0]!) as { hello: string; url: string; forwardedFor: string };
      assert.deepEqual([hello.hello, hello.url, hello.forwardedFor], [version, '/store/live/rooms/room-1/ws', '127.0.0.1']);
      assert.equal(messages[1], `${version}:hi`);
      socket.close();
    }
  });

  it('records RED metrics per track, served in the Prometheus format at /_gateway/metrics', async () => {
    await setPolicy({ rules: [{ id: 'office-ios', when: { all: [{ os: ['ios'] }, { ip: ['127.0.0.1'] }] }, track: 'canary' }], default: { stable: 100 } });
    const scrape = async () => {
      const res = await fetch(`${base()}/_gateway/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
      return res.text();
    };
    const value = (text: string, series: string) => Number(text.split('\n').find((line) => line.startsWith(`${series} `))?.split(' ')[1] ?? 0);
    const before = await scrape();
    for (let i = 0; i < 7; i++) await httpRequest(gateway.port, 'GET', '/metrics-probe', { 'user-agent': IPHONE });
    for (let i = 0; i < 3; i++) await httpRequest(gateway.port, 'GET', '/metrics-probe', { 'user-agent': ANDROID });
    const after = await scrape();
    const requests = (track: string) => `souk_gateway_requests_total{track="${track}",method="GET",status_class="2xx"}`;
    assert.equal(value(after, requests('canary')) - value(before, requests('canary')), 7);
    assert.equal(value(after, requests('stable')) - value(before, requests('stable')), 3);
    const count = (track: string) => `souk_gateway_request_duration_seconds_count{track="${track}"}`;
    assert.equal(value(after, count('canary')) - value(before, count('canary')), 7);
    assert.match(after, /souk_gateway_request_duration_seconds_bucket\{le="0\.005",track="stable"\} \d+/);
    assert.match(after, /# TYPE souk_gateway_request_errors_total counter/);
  });

  it('souk canary mirrors the API: a rollback and a dry-run from the command line', async () => {
    const { execFile } = await import('node:child_process');
    const run = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, ['bin/souk.js', 'canary', ...args, '--gateway', base()], { env: { ...process.env, SOUK_GATEWAY_TOKEN: TOKEN } }, (error, stdout, stderr) =>
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      });
    const active = (await admin('GET', '/_gateway/policies')).body.activeVersion as number;
    const rolled = await run(['rollback']);
    assert.equal(rolled.code, 0, rolled.stderr);
    const back = JSON.parse(rolled.stdout) as { version: number; action: string };
    assert.equal(back.action, 'rollback');
    assert.notEqual(back.version, active);
    const dry = await run(['dry-run', '--ua', IPHONE, '--ip', '127.0.0.1', '--version', String(active)]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(JSON.parse(dry.stdout), { version: active, track: 'canary', reason: 'office-ios', sticky: JSON.parse(dry.stdout).sticky });
    // NGINX ingress export: the office-iPhone rule cannot be said in annotations (refused, named); a
    // header-and-weight policy file can.
    const refused = await run(['export', '--format', 'nginx-ingress', '--version', String(active)]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /policy version \d+ cannot be expressed[\s\S]*rule "office-ios": all: combinations/);
    const file = join(dataDir, 'nginx-policy.yaml');
    writeFileSync(file, 'rules:\n  - { id: beta, when: { header: { name: x-beta, values: ["1"] } }, track: canary }\ndefault: { stable: 90, canary: 10 }\n');
    const exported = await run(['export', '--format', 'nginx-ingress', '--file', file]);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /nginx\.ingress\.kubernetes\.io\/canary-by-header: "x-beta"\n.*canary-by-header-value: "1"\n.*canary-weight: "10"/);
  });

  it('a policy change is seen by a second gateway within a second', { skip: postgres ? false : 'two gateways share policies through PostgreSQL: DATABASE_URL is not set' }, async (t) => {
    second = await startGatewayProcess();
    const at = `http://127.0.0.1:${second.port}`;
    await setPolicy({ rules: [], default: { stable: 100 }, sticky: false });
    await waitFor('the second gateway on stable', async () => (await get('/', {}, at)).headers.get('x-version') === 'v1', 3000);
    const started = Date.now();
    await setPolicy({ rules: [], default: { canary: 100 }, sticky: false });
    await waitFor('the second gateway on canary', async () => (await get('/', {}, at)).headers.get('x-version') === 'v2', 1000, 10);
    const took = Date.now() - started;
    t.diagnostic(`the second gateway routed by the new version ${took} ms after the first stored it`);
    assert.ok(took < 1000, `${took} ms`);
  });

  it('ejects a SIGKILLed canary with no idempotent request failing, and re-admits it when it is back', async () => {
    await setPolicy({ rules: [], default: { canary: 100 }, sticky: false });
    assert.equal((await versionOf('/')).version, 'v2');
    const canaryPort = canary.port;
    let stop = false;
    const failures: string[] = [];
    const served: string[] = [];
    const load = async () => {
      while (!stop) {
        for (const method of ['GET', 'HEAD', 'PUT', 'DELETE']) {
          try {
            const res = await fetch(`${base()}/store/products`, { method });
            await res.arrayBuffer();
            if (res.status !== 200) failures.push(`${method} ${res.status}`);
            else served.push(res.headers.get('x-version') ?? '?');
          } catch (error) {
            failures.push(`${method} ${(error as Error).message}`);
          }
        }
      }
    };
    const clients = [load(), load(), load(), load()];
    await new Promise((resolve) => setTimeout(resolve, 200));
    canary.kill('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 800));
    stop = true;
    await Promise.all(clients);
    assert.deepEqual(failures, []);
    assert.ok(served.includes('v1'), 'stable took over');
    const status = await admin('GET', '/_gateway/status');
    const tracks = status.body.tracks as { track: string; upstreams: { available: boolean }[] }[];
    assert.equal(tracks.find((t) => t.track === 'canary')!.upstreams[0]!.available, false);
    const fallback = await get('/');
    assert.deepEqual([fallback.headers.get('x-souk-track'), fallback.headers.get('x-souk-track-fallback')], ['stable', 'canary']);
    // Back on the same port: re-admitted after the ejection time and a passing health check.
    canary = await upstream('v2', canaryPort);
    await waitFor('the canary re-admitted', async () => (await versionOf('/')).version === 'v2', 5000, 50);
  });
});
