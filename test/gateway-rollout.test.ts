// Automated canary rollouts with real processes: two real Souk API processes (`souk start`, each on its
// own embedded database with the demo seeded) as the tracks `stable` and `canary`, behind real gateway
// processes (two sharing PostgreSQL when DATABASE_URL is set: one leads the rollouts, both record
// samples). Manual overrides and bad input; a healthy canary promoted through every step to 100 %; then
// the canary restarted with the test-only fault switch (5 % of storefront requests answer 500), as the
// README's walkthrough does, and rolled back by the controller within its step's window, with the reason
// recorded in the decisions, the status, the metrics and the log.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, httpRequest, startProcess, type Started } from './gateway-processes.ts';
import { createTempPostgres } from './harness.ts';
import { waitFor } from './wait.ts';

const TOKEN = 'rollout-test-token';
const postgres = process.env.DATABASE_URL;

interface Rollout {
  id: number;
  state: string;
  step: number;
  weight: number;
  lastReason: string | null;
}
interface Decision {
  decision: string;
  reason: string;
  decidedBy: string;
  weight: number;
  policyVersion: number | null;
  canary: { requests: number; errors: number } | null;
  decidedAt: string;
}

describe('automated rollouts through real gateway processes', () => {
  const dirs: string[] = [];
  let stable: Started;
  let canary: Started;
  let canaryDir = '';
  const gateways: Started[] = [];
  let temp: { url: string; drop(): Promise<void> } | undefined;

  const souk = async (env: Record<string, string> = {}, port?: number, dir = mkdtempSync(join(tmpdir(), 'souk-rollout-api-'))) => {
    if (!dirs.includes(dir)) dirs.push(dir);
    port ??= await freePort();
    const started = await startProcess(
      ['bin/souk.js', 'start'],
      { PORT: String(port), HOST: '127.0.0.1', SOUK_DATA_DIR: dir, DATABASE_URL: '', NATS_URL: '', REDIS_URL: '', LOG_LEVEL: 'error', SOUK_SEED_DEMO: '1', NODE_ENV: '', ...env },
      /Souk is running on/,
      180_000,
    );
    started.port = port;
    return Object.assign(started, { dir });
  };
  const startGatewayProcess = async () => {
    const dir = mkdtempSync(join(tmpdir(), 'souk-rollout-gw-'));
    dirs.push(dir);
    return startProcess(['bin/souk.js', 'start', '--role', 'gateway'], {
      SOUK_GATEWAY_TRACKS: `stable=http://127.0.0.1:${stable.port};canary=http://127.0.0.1:${canary.port}`,
      SOUK_GATEWAY_PORT: '0',
      SOUK_GATEWAY_HOST: '127.0.0.1',
      SOUK_GATEWAY_TOKEN: TOKEN,
      SOUK_GATEWAY_DATA_DIR: dir,
      SOUK_GATEWAY_POLL_MS: '100',
      SOUK_GATEWAY_HEALTH_INTERVAL_MS: '500',
      SOUK_GATEWAY_ROLLOUT_TICK_MS: '200',
      SOUK_GATEWAY_SAMPLE_FLUSH_MS: '200',
      DATABASE_URL: temp?.url ?? '',
    }, /listening on http:\/\/127\.0\.0\.1:(\d+)/, 180_000);
  };

  before(async () => {
    if (postgres) temp = await createTempPostgres();
    const [first, second] = await Promise.all([souk(), souk()]);
    [stable, canary, canaryDir] = [first, second, second.dir];
    gateways.push(await startGatewayProcess());
    if (postgres) gateways.push(await startGatewayProcess());
  });

  after(async () => {
    await Promise.all([...gateways, stable, canary].map((p) => p?.stop()));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    await temp?.drop();
  });

  const base = () => `http://127.0.0.1:${gateways[0]!.port}`;
  const api = async (method: string, path: string, body?: unknown, token = TOKEN) => {
    const res = await fetch(`${base()}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const detail = async (id: number | string) => (await api('GET', `/_gateway/rollouts/${id}`)).body as { rollout: Rollout; decisions: Decision[]; samples: Record<string, { requests: number }> };
  const activeDocument = async () => {
    const listing = await api('GET', '/_gateway/policies');
    return ((await api('GET', `/_gateway/policies/${listing.body.activeVersion}`)).body as { document: { default: Record<string, number>; rules: unknown[] } }).document;
  };
  const storefront = (port = gateways[0]!.port) => httpRequest(port, 'GET', '/store/products?limit=2', { host: 'localhost' });

  /** Storefront reads through every gateway until stopped (a few at a time, no cookies: the split decides each). */
  const load = () => {
    let stop = false;
    const seen: Record<string, number> = {};
    const worker = async (port: number) => {
      while (!stop) {
        const res = await storefront(port);
        const key = `${res.headers['x-souk-track']}:${res.status}`;
        seen[key] = (seen[key] ?? 0) + 1;
      }
    };
    const running = gateways.flatMap((g) => [worker(g.port), worker(g.port)]);
    return {
      seen,
      async stop() {
        stop = true;
        await Promise.all(running);
      },
    };
  };

  it('validates rollout input (4xx, nothing changed) and is owner-only', async () => {
    const before = await api('GET', '/_gateway/rollouts');
    const policiesBefore = await api('GET', '/_gateway/policies');
    const bad: [unknown, number, string][] = [
      [{ plan: { steps: [{ weight: 50 }, { weight: 20 }, { weight: 100 }] } }, 400, 'plan.steps.1.weight'],
      [{ plan: { steps: [{ weight: 5 }] } }, 400, 'plan.steps.0.weight'],
      [{ plan: { steps: [{ weight: 100 }], canaryTrack: 'blue' } }, 400, 'plan.canaryTrack'],
      [{ plan: { steps: [{ weight: 100, minSamples: -1 }] } }, 400, 'plan.steps.0.minSamples'],
      [{ plan: { steps: [{ weight: 100 }] }, extra: true }, 400, 'extra'],
      [[1, 2], 400, 'body'],
    ];
    for (const [body, status, path] of bad) {
      const res = await api('POST', '/_gateway/rollouts', body);
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.equal(res.body.code, 'invalid_rollout_input');
      assert.equal(res.body.path, path);
    }
    assert.equal((await api('GET', '/_gateway/rollouts/abc')).status, 400);
    assert.equal((await api('GET', '/_gateway/rollouts/999999')).status, 404);
    assert.equal((await api('POST', '/_gateway/rollouts/current/promote', {})).status, 404);
    assert.equal((await fetch(`${base()}/_gateway/rollouts`)).status, 401);
    // A platform admin of the Souk behind the gateway is not an owner: routing spans every platform.
    const login = await fetch(`http://127.0.0.1:${stable.port}/admin/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'cn-admin@souk.local', password: 'souk-demo-admin' }) });
    const platformAdmin = ((await login.json()) as { token: string }).token;
    for (const [method, path, body] of [['POST', '/_gateway/rollouts', { plan: { steps: [{ weight: 100 }] } }], ['GET', '/_gateway/rollouts', undefined], ['POST', '/_gateway/rollouts/current/abort', {}]] as const) {
      assert.equal((await api(method, path, body, platformAdmin)).status, 403, `${method} ${path}`);
    }
    assert.deepEqual((await api('GET', '/_gateway/rollouts')).body, before.body);
    assert.deepEqual((await api('GET', '/_gateway/policies')).body, policiesBefore.body);
  });

  it('takes manual overrides: pause, resume, promote and abort, each recorded; a hand-made policy pauses it', async () => {
    const started = await api('POST', '/_gateway/rollouts', { plan: { steps: [{ weight: 10, minDurationSeconds: 600, minSamples: 1_000_000 }, { weight: 50, minDurationSeconds: 600, minSamples: 1_000_000 }, { weight: 100 }] } });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    const id = (started.body.rollout as Rollout).id;
    assert.deepEqual((await activeDocument()).default, { stable: 90, canary: 10 });
    assert.equal((await api('POST', '/_gateway/rollouts', { plan: { steps: [{ weight: 100 }] } })).status, 409);
    assert.equal((await api('POST', `/_gateway/rollouts/${id}/resume`, {})).status, 409);
    assert.equal((await api('POST', `/_gateway/rollouts/${id}/pause`, { reason: 7 })).status, 400);
    assert.equal((await detail(id)).rollout.state, 'running');
    assert.equal((await api('POST', `/_gateway/rollouts/${id}/pause`, { reason: 'lunch' })).status, 200);
    assert.equal((await api('POST', `/_gateway/rollouts/${id}/pause`, {})).status, 409);
    assert.equal((await api('POST', `/_gateway/rollouts/current/resume`, {})).status, 200);
    const promoted = await api('POST', `/_gateway/rollouts/${id}/promote`, { reason: 'looks fine' });
    assert.equal(promoted.status, 200);
    assert.equal((promoted.body.rollout as Rollout).weight, 50);
    assert.deepEqual((await activeDocument()).default, { stable: 50, canary: 50 });
    // Someone activates a policy by hand: the controller pauses the rollout rather than overwrite it.
    assert.equal((await api('POST', '/_gateway/policies', { document: { rules: [], default: { stable: 70, canary: 30 } }, activate: true })).status, 201);
    await waitFor('the rollout paused by the controller', async () => (await detail(id)).rollout.state === 'paused', 5000, 50);
    const aborted = await api('POST', `/_gateway/rollouts/${id}/abort`, { reason: 'not today' });
    assert.equal(aborted.status, 200);
    assert.equal((aborted.body.rollout as Rollout).state, 'aborted');
    assert.deepEqual((await activeDocument()).default, { stable: 100 });
    assert.equal((await api('POST', `/_gateway/rollouts/${id}/promote`, {})).status, 409);
    const { decisions } = await detail(id);
    assert.deepEqual(decisions.map((d) => [d.decision, d.decidedBy]).reverse(), [
      ['start', 'gateway-token'],
      ['pause', 'gateway-token'],
      ['resume', 'gateway-token'],
      ['promote', 'gateway-token'],
      ['pause', 'controller'],
      ['abort', 'gateway-token'],
    ]);
    assert.match(decisions[1]!.reason, /activated outside the rollout/);
    assert.equal(decisions[0]!.reason, 'not today');
  });

  it('has one leader among the gateways, which both record samples for', { skip: postgres ? false : 'two gateways share rollouts through PostgreSQL: DATABASE_URL is not set' }, async () => {
    const leaders = async () => {
      const views = await Promise.all(gateways.map(async (g) => (await fetch(`http://127.0.0.1:${g.port}/_gateway/status`, { headers: { authorization: `Bearer ${TOKEN}` } })).json() as Promise<{ rolloutLeader: boolean }>));
      return views.filter((v) => v.rolloutLeader).length;
    };
    await waitFor('the lease taken', async () => (await leaders()) === 1, 5000, 100);
    assert.equal(await leaders(), 1);
  });

  it('promotes a healthy canary through every step to 100 %', async () => {
    const traffic = load();
    try {
      const started = await api('POST', '/_gateway/rollouts', {
        plan: {
          steps: [{ weight: 20, minDurationSeconds: 1, minSamples: 30 }, { weight: 50, minDurationSeconds: 1, minSamples: 30 }, { weight: 100 }],
          // Both tracks are the same Souk on one busy machine: only a gross slowdown should count.
          thresholds: { maxMedianLatencyRatio: 3 },
        },
      });
      assert.equal(started.status, 201, JSON.stringify(started.body));
      const id = (started.body.rollout as Rollout).id;
      await waitFor('the rollout to finish', async () => (await detail(id)).rollout.state !== 'running', 40_000, 100);
      const { rollout, decisions } = await detail(id);
      assert.equal(rollout.state, 'succeeded', JSON.stringify(decisions));
      const steps = decisions.filter((d) => d.decision !== 'hold').reverse();
      assert.deepEqual(steps.map((d) => [d.decision, d.weight, d.decidedBy]), [
        ['start', 20, 'gateway-token'],
        ['promote', 50, 'controller'],
        ['complete', 100, 'controller'],
      ]);
      for (const d of steps.slice(1)) {
        assert.match(d.reason, /passed/);
        assert.ok(d.canary && d.canary.requests >= 30 && d.canary.errors === 0, JSON.stringify(d));
      }
      assert.deepEqual((await activeDocument()).default, { canary: 100 });
    } finally {
      await traffic.stop();
    }
    await waitFor('every gateway on canary', async () => (await Promise.all(gateways.map((g) => storefront(g.port)))).every((r) => r.headers['x-souk-track'] === 'canary'), 3000, 50);
    assert.ok(Object.keys(traffic.seen).every((key) => key.endsWith(':200')), JSON.stringify(traffic.seen));
  });

  it('rolls a canary with 5 % errors back automatically within the step, with the reason recorded and shown', async () => {
    // Start from all on stable again, and break the canary: the same Souk (same data, same port) restarted
    // with the fault switch on.
    assert.equal((await api('POST', '/_gateway/policies', { document: { rules: [], default: { stable: 100 } }, activate: true })).status, 201);
    const port = canary.port;
    await canary.stop();
    canary = await souk({ NODE_ENV: 'test', SOUK_TEST_FAULT_ERROR_RATE: '0.05' }, port, canaryDir);
    assert.match(canary.output(), /TEST FAULTS ON: 5\.00 %/);
    const canaryAvailable = async () => {
      const status = (await api('GET', '/_gateway/status')).body as { tracks: { track: string; upstreams: { available: boolean }[] }[] };
      return status.tracks.find((t) => t.track === 'canary')!.upstreams[0]!.available;
    };
    await waitFor('the restarted canary back in its track', canaryAvailable, 10_000, 100);
    const traffic = load();
    let id = 0;
    const minDurationSeconds = 30;
    try {
      const started = await api('POST', '/_gateway/rollouts', {
        plan: { steps: [{ weight: 50, minDurationSeconds, minSamples: 200 }, { weight: 100 }], thresholds: { maxErrorRateIncrease: 0.02 } },
      });
      assert.equal(started.status, 201, JSON.stringify(started.body));
      id = (started.body.rollout as Rollout).id;
      await waitFor('the roll back', async () => (await detail(id)).rollout.state !== 'running', minDurationSeconds * 1000, 100);
    } finally {
      await traffic.stop();
    }
    const { rollout, decisions } = await detail(id);
    assert.equal(rollout.state, 'rolled_back', JSON.stringify(decisions));
    const [last, first] = [decisions[0]!, decisions.at(-1)!];
    assert.deepEqual([last.decision, last.decidedBy], ['rollback', 'controller']);
    assert.match(last.reason, /^canary error rate \d+\.\d+ % against stable 0\.00 %/);
    assert.ok(last.canary!.errors > 0);
    assert.ok(Date.parse(last.decidedAt) - Date.parse(first.decidedAt) < minDurationSeconds * 1000, 'within the step');
    assert.ok(traffic.seen['canary:500']! > 0, JSON.stringify(traffic.seen));
    // The policy written by the roll back sends everything to stable, on every gateway.
    assert.deepEqual((await activeDocument()).default, { stable: 100 });
    await waitFor('every gateway on stable', async () => (await Promise.all(gateways.map((g) => storefront(g.port)))).every((r) => r.headers['x-souk-track'] === 'stable'), 3000, 50);
    // Shown by `souk canary status`, exported as a metric (by the leader) and logged as a JSON line.
    const status = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ['bin/souk.js', 'canary', 'status', '--gateway', base()], { env: { ...process.env, SOUK_GATEWAY_TOKEN: TOKEN } }, (error, stdout, stderr) =>
        resolve({ code: error ? 1 : 0, stdout, stderr }),
      );
    });
    assert.equal(status.code, 0, status.stderr);
    const shown = JSON.parse(status.stdout) as { rollout: Rollout; rolloutDecisions: Decision[] };
    assert.equal(shown.rollout.state, 'rolled_back');
    assert.equal(shown.rolloutDecisions[0]!.reason, last.reason);
    const metrics = await Promise.all(gateways.map(async (g) => (await fetch(`http://127.0.0.1:${g.port}/_gateway/metrics`)).text()));
    assert.ok(metrics.some((text) => /souk_gateway_rollout_decisions_total\{decision="rollback"\} 1/.test(text)), metrics.join('\n'));
    const logged = gateways.flatMap((g) => g.output().split('\n')).filter((line) => line.includes('"decision":"rollback"'));
    assert.equal(logged.length, 1);
    assert.equal((JSON.parse(logged[0]!) as { reason: string }).reason, last.reason);
  });
});
