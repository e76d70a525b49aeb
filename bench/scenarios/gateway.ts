// Gateway (issue 19): what does the canary gateway cost a storefront read? In one run, alternating
// round by round: the bare Fastify hello (the machine's HTTP ceiling), the product list straight from a
// Souk API process, and the same request through a gateway process (`souk start --role gateway`) in front
// of that same Souk. The gateway runs a realistic policy (an office-iPhone rule, a header override and a
// 95/5 default split with sticky cookies; both tracks name the one Souk, so every request is answered by
// the same process either way). Reported: throughput through the gateway as a share of direct, the p50 and
// p99 it adds, and CPU per request of the gateway and of the API (both share this machine's cores with the
// load generator, so CPU per request says more than req/s). Souk runs on the embedded database: the
// gateway's cost does not touch a database (policies are polled, not read per request).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { bareTarget, preflight } from '../catalog/run-engine.ts';
import { DEMO } from '../catalog/seed.ts';
import { startCpuWatch, type CpuUsage } from '../lib/cpu.ts';
import { measure, type LoadTarget, type Measurement } from '../lib/load.ts';
import { freePort, spawnServer, waitUntilReady } from '../lib/processes.ts';
import { waitForQuietIfAsked } from '../lib/rounds.ts';
import type { Scenario, ScenarioReport } from '../lib/scenario.ts';
import { REPO_ROOT, startBareServer, startSoukServer } from '../lib/servers.ts';
import { median, round } from '../lib/stats.ts';

const TOKEN = 'bench-gateway-token';

/** The policy the gateway runs while measured: rules that are evaluated on every request and do not match. */
const POLICY = {
  rules: [
    { id: 'office-ios', when: { all: [{ os: ['ios'] }, { ip: ['10.0.0.0/8'] }] }, track: 'canary' },
    { id: 'force-header', when: { header: { name: 'x-souk-canary', values: ['1'] } }, track: 'canary', override: true },
  ],
  default: { stable: 95, canary: 5 },
};

interface Round {
  direct: Measurement;
  gateway: Measurement;
  bare: Measurement;
  /** The API process's CPU while the gateway target was measured (the gateway's own is gateway.cpu). */
  apiBehindGateway: CpuUsage;
}

/** Milliseconds of CPU per answered request, from a % of one core over the measured seconds. */
const cpuMsPerRequest = (percent: number, m: Measurement) => round(((percent / 100) * m.durationSeconds * 1000) / Math.max(1, m.totalResponses), 3);

export const gatewayScenario: Scenario = {
  name: 'gateway',
  description: 'A storefront read directly from Souk vs through the canary gateway, in the same run, vs bare Fastify.',
  async run(context): Promise<ScenarioReport> {
    const { options, cleanup, log } = context;
    const notes: string[] = [
      `The load generator (autocannon, in the harness process), the gateway and the API share the same ${context.machine.cores} cores.`,
      'Issue 19 targets: through the gateway >= 60 % of direct throughput; added p99 < 2 ms.',
    ];
    if (options.engines.includes('postgres')) notes.push('--engines is not used here: Souk runs on the embedded database (the gateway never reads a database per request).');

    const bare = await startBareServer(cleanup);
    log(`bare fastify pid ${bare.pid} on ${bare.baseUrl}`);
    const souk = await startSoukServer({ engine: 'embedded', cleanup, env: options.soukEnv });
    log(`souk pid ${souk.pid} ready on ${souk.baseUrl} after ${round(souk.readyAfterMs / 1000, 1)} s`);

    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'souk-bench-gateway-'));
    cleanup.add(`remove ${dataDir}`, () => rm(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    const profileDir = process.env.BENCH_GATEWAY_CPU_PROF;
    const gateway = spawnServer({
      name: 'souk gateway',
      // BENCH_GATEWAY_CPU_PROF=<dir>: the gateway writes a V8 CPU profile there when it stops.
      args: [...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), path.join(REPO_ROOT, 'bin', 'souk.js'), 'start', '--role', 'gateway'],
      port,
      env: {
        SOUK_GATEWAY_TRACKS: `stable=${souk.baseUrl};canary=${souk.baseUrl}`,
        SOUK_GATEWAY_PORT: String(port),
        SOUK_GATEWAY_HOST: '127.0.0.1',
        SOUK_GATEWAY_TOKEN: TOKEN,
        SOUK_GATEWAY_DATA_DIR: dataDir,
        DATABASE_URL: undefined,
      },
      cwd: REPO_ROOT,
      cleanup,
    });
    const gatewayReadyMs = await waitUntilReady(gateway, '/_gateway/healthz', 180_000);
    const stored = await fetch(`${gateway.baseUrl}/_gateway/policies`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ document: POLICY, activate: true, note: 'bench' }),
    });
    if (stored.status !== 201) throw new Error(`the gateway refused the bench policy: ${stored.status} ${await stored.text()}`);
    log(`gateway pid ${gateway.pid} ready on ${gateway.baseUrl} after ${round(gatewayReadyMs / 1000, 1)} s, policy active`);

    const read = { path: '/store/products?limit=20', headers: { host: DEMO.global.host, 'user-agent': 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36' } };
    const bareT = bareTarget(bare);
    const direct: LoadTarget = { id: 'direct', label: 'product list (20), direct', url: souk.baseUrl, requests: [read], serverPid: souk.pid };
    const through: LoadTarget = { id: 'gateway', label: 'product list (20), through the gateway', url: gateway.baseUrl, requests: [read], serverPid: gateway.pid };
    for (const target of [bareT, direct, through]) await preflight(target, 5);

    const load = { durationSeconds: options.durationSeconds, connections: options.connections };
    if (options.warmupSeconds > 0) {
      for (const target of [direct, through]) {
        log(`  warm-up ${target.label} (${options.warmupSeconds} s)`);
        await measure(target, { ...load, durationSeconds: options.warmupSeconds });
      }
    }
    const rounds: Round[] = [];
    for (let r = 1; r <= options.rounds; r++) {
      const run = async (target: LoadTarget) => {
        const backgroundBeforePercent = await waitForQuietIfAsked(options.quietWaitSeconds, log);
        const apiWatch = startCpuWatch(souk.pid);
        const m: Measurement = { ...(await measure(target, load)), backgroundBeforePercent };
        const api = apiWatch();
        log(`  round ${r}/${options.rounds} ${target.label}: ${m.requestsPerSecond} req/s, p50 ${m.p50Ms} ms, p99 ${m.p99Ms} ms, cpu server ${m.cpu.serverPercent}% / loadgen ${m.cpu.loadGeneratorPercent}%${m.non2xx + m.errors ? `  !! non-2xx ${m.non2xx}, errors ${m.errors}` : ''}`);
        return { m, api };
      };
      const b = await run(bareT);
      const d = await run(direct);
      const g = await run(through);
      rounds.push({ bare: b.m, direct: d.m, gateway: g.m, apiBehindGateway: g.api });
    }

    const med = (pick: (r: Round) => number, digits = 2) => round(median(rounds.map(pick)), digits);
    const summary = {
      bareRps: med((r) => r.bare.requestsPerSecond, 0),
      directRps: med((r) => r.direct.requestsPerSecond, 0),
      gatewayRps: med((r) => r.gateway.requestsPerSecond, 0),
      throughputRatio: med((r) => r.gateway.requestsPerSecond / Math.max(1, r.direct.requestsPerSecond), 3),
      addedP50Ms: med((r) => r.gateway.p50Ms - r.direct.p50Ms),
      addedP99Ms: med((r) => r.gateway.p99Ms - r.direct.p99Ms),
      directApiCpuMsPerRequest: med((r) => cpuMsPerRequest(r.direct.cpu.serverPercent, r.direct), 3),
      gatewayCpuMsPerRequest: med((r) => cpuMsPerRequest(r.gateway.cpu.serverPercent, r.gateway), 3),
      apiBehindGatewayCpuMsPerRequest: med((r) => cpuMsPerRequest(r.apiBehindGateway.serverPercent, r.gateway), 3),
    };
    const failures = rounds.reduce((n, r) => n + r.direct.non2xx + r.direct.errors + r.gateway.non2xx + r.gateway.errors, 0);
    if (failures > 0) notes.push(`${failures} requests failed or answered non-2xx: the figures are suspect.`);
    notes.push(`Medians over ${rounds.length} round(s) of ${options.durationSeconds} s at ${options.connections} connections.`);

    await gateway.stop();
    await souk.stop();
    await bare.stop();
    return {
      tables: [
        {
          title: 'Storefront product list (20): direct vs through the gateway',
          columns: ['target', 'req/s', 'p50 ms', 'p99 ms', 'CPU ms/req gateway', 'CPU ms/req API'],
          rows: [
            ['bare fastify hello', summary.bareRps, med((r) => r.bare.p50Ms), med((r) => r.bare.p99Ms), null, null],
            ['direct', summary.directRps, med((r) => r.direct.p50Ms), med((r) => r.direct.p99Ms), null, summary.directApiCpuMsPerRequest],
            ['through the gateway', summary.gatewayRps, med((r) => r.gateway.p50Ms), med((r) => r.gateway.p99Ms), summary.gatewayCpuMsPerRequest, summary.apiBehindGatewayCpuMsPerRequest],
          ],
        },
        {
          title: 'What the gateway adds',
          columns: ['throughput through the gateway / direct', 'added p50 ms', 'added p99 ms'],
          rows: [[`${round(summary.throughputRatio * 100, 1)} %`, summary.addedP50Ms, summary.addedP99Ms]],
        },
      ],
      notes,
      data: { summary, rounds, policy: POLICY },
    };
  },
};
