// Real Souk API processes (`souk start`, each on its own embedded database with the demo seeded) as the
// stable and canary tracks behind a real gateway process: the storefront answers through it from the
// track the policy names, the policy API takes a Souk owner's session and refuses a platform admin's, and
// a live room's WebSocket works through the gateway.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { freePort, httpRequest, startProcess, type Started } from './gateway-processes.ts';
import { waitFor } from './wait.ts';

const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
const ANDROID = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36';

describe('gateway in front of two real Souk API processes', () => {
  const dirs: string[] = [];
  let stable: Started;
  let canary: Started;
  let gateway: Started;

  const souk = async () => {
    const dir = mkdtempSync(join(tmpdir(), 'souk-gw-api-'));
    dirs.push(dir);
    const port = await freePort();
    const started = await startProcess(['bin/souk.js', 'start'], { PORT: String(port), HOST: '127.0.0.1', SOUK_DATA_DIR: dir, DATABASE_URL: '', NATS_URL: '', REDIS_URL: '', LOG_LEVEL: 'error', SOUK_SEED_DEMO: '1' }, /Souk is running on/, 180_000);
    started.port = port;
    return started;
  };

  before(async () => {
    [stable, canary] = await Promise.all([souk(), souk()]);
    const dir = mkdtempSync(join(tmpdir(), 'souk-gw-'));
    dirs.push(dir);
    gateway = await startProcess(['bin/souk.js', 'start', '--role', 'gateway'], {
      SOUK_GATEWAY_TRACKS: `stable=http://127.0.0.1:${stable.port};canary=http://127.0.0.1:${canary.port}`,
      SOUK_GATEWAY_PORT: '0',
      SOUK_GATEWAY_HOST: '127.0.0.1',
      SOUK_GATEWAY_DATA_DIR: dir,
      DATABASE_URL: '',
    }, /listening on http:\/\/127\.0\.0\.1:(\d+)/, 180_000);
  });

  after(async () => {
    await Promise.all([gateway, stable, canary].map((p) => p?.stop()));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const login = async (port: number, email: string) => {
    const res = await fetch(`http://127.0.0.1:${port}/admin/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'souk-demo-admin' }) });
    assert.equal(res.status, 200);
    return ((await res.json()) as { token: string }).token;
  };
  const policyApi = (token: string, document: unknown) =>
    fetch(`http://127.0.0.1:${gateway.port}/_gateway/policies`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ document, activate: true }) });

  it('takes a Souk owner, refuses a platform admin, and routes the storefront by the policy', async () => {
    const document = { rules: [{ id: 'office-ios', when: { all: [{ os: ['ios'] }, { ip: ['127.0.0.0/8'] }] }, track: 'canary' }], default: { stable: 100 } };
    const platformAdmin = await policyApi(await login(stable.port, 'cn-admin@souk.local'), document);
    assert.equal(platformAdmin.status, 403);
    const owner = await policyApi(await login(stable.port, 'admin@souk.local'), document);
    assert.equal(owner.status, 201);
    assert.ok(((await owner.json()) as { createdBy: string }).createdBy.length > 0);
    for (const [ua, track] of [[IPHONE, 'canary'], [ANDROID, 'stable']] as const) {
      const res = await httpRequest(gateway.port, 'GET', '/store/products?limit=2', { 'user-agent': ua, host: 'localhost' });
      assert.equal(res.status, 200, res.body);
      assert.equal(res.headers['x-souk-track'], track);
      assert.ok((JSON.parse(res.body) as { items: unknown[] }).items.length > 0);
    }
  });

  it('carries a live room WebSocket through the gateway to the canary', async () => {
    const token = await login(canary.port, 'admin@souk.local');
    const admin = (path: string, body: unknown) =>
      fetch(`http://127.0.0.1:${canary.port}/admin/platforms/souk-global/live/rooms${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const room = (await (await admin('', { title: 'Through the gateway', hosts: ['Mei'] })).json()) as { id: string };
    assert.ok(room.id);
    assert.equal((await admin(`/${room.id}/start`, {})).status < 300, true);
    const socket = new WebSocket(`ws://127.0.0.1:${gateway.port}/store/live/rooms/${room.id}/ws`, { headers: { 'user-agent': IPHONE, host: 'localhost' } });
    const frames: { type: string }[] = [];
    socket.on('message', (data) => frames.push(JSON.parse(String(data)) as { type: string }));
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    await waitFor('the welcome frame', () => frames.some((f) => f.type === 'welcome'), 5000);
    await admin(`/${room.id}/messages`, { text: 'Hello through the gateway' });
    await waitFor('the host message', () => frames.some((f) => f.type === 'message'), 5000);
    socket.close();
  });
});
