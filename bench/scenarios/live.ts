// Live rooms (issue 13): viewers as real WebSocket connections from separate load processes, posters
// sending chat, likes and high-priority (host) messages, against Souk and, in the same run, a bare
// broadcast server written directly on `ws` (bench/live/bare-ws-server.ts, the ceiling). Parts (--parts):
//   single  one room with --viewers viewers on one Souk node (embedded database), --chat chat msg/s,
//           --likes taps/s, --high host messages/s; then the same against the bare ws server;
//   rooms   --rooms rooms × --room-viewers viewers, --room-chat chat msg/s per room (same likes and host
//           rates in total), on the same Souk node and bare server;
//   nodes   two Souk nodes on one PostgreSQL scratch database and NATS (--nats-url, a subject prefix of
//           its own), one room, viewers and posters split across the nodes, host messages through the first.
// Per target: deliveries/s (every frame a viewer received in the window), chat and high-priority latency
// from the send time stamped in the text to receipt (p50/p99 over the probe viewers), memory per idle
// connection (server RSS delta / connections), server CPU per 1,000 deliveries, chat not received (the
// server's `missed` reports, and a count against what it accepted) and high-priority messages lost.
// The parts are in bench/live/: the bare server, the viewers and posters processes, setup, one
// target's measurement and the tables.
import { randomBytes } from 'node:crypto';
import { execSync } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BENCH_ADMIN } from '../lib/engine-run.ts';
import { positive } from '../lib/flags.ts';
import { createScratchDatabase } from '../lib/postgres.ts';
import { spawnServer, freePort, waitUntilReady } from '../lib/processes.ts';
import type { Scenario, ScenarioContext, ScenarioReport } from '../lib/scenario.ts';
import { REPO_ROOT, startSoukServer, type SoukServer, type StartedServer } from '../lib/servers.ts';
import { measureTarget, type LoadShape, type Target } from '../live/measure.ts';
import { createLivePlatform, hostSocketUrl, liveCustomers, liveRooms, roomSocketUrl, type LivePlatform } from '../live/souk-setup.ts';
import { partTable, verdicts, verdictTable, type PartRuns } from '../live/tables.ts';

const PARTS = ['single', 'rooms', 'nodes'] as const;
type Part = (typeof PARTS)[number];
const BARE = 'bare ws (ceiling)';

/** The soft limit on open files of this process (and its children), or undefined when unknown. */
function fileLimit(): number | undefined {
  try {
    const raw = execSync('ulimit -n', { shell: '/bin/sh', encoding: 'utf8' }).trim();
    return raw === 'unlimited' ? undefined : Number(raw);
  } catch {
    return undefined;
  }
}

async function startBareWs(context: ScenarioContext): Promise<StartedServer> {
  const port = await freePort();
  const server = spawnServer({ name: 'bare ws', args: ['--import', 'tsx', path.join(REPO_ROOT, 'bench', 'live', 'bare-ws-server.ts')], port, env: { PORT: String(port), HOST: '127.0.0.1' }, cwd: REPO_ROOT, cleanup: context.cleanup });
  return { ...server, readyAfterMs: await waitUntilReady(server, '/', 30_000) };
}

function soukEnv(context: ScenarioContext, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SOUK_SEED_DEMO: '0',
    SOUK_ADMIN_EMAIL: BENCH_ADMIN.email,
    SOUK_ADMIN_PASSWORD: BENCH_ADMIN.password,
    // Every poster and viewer comes from 127.0.0.1; the per-IP sign-up budget is not what is measured.
    SOUK_LOGIN_LIMIT_PER_IP: '100000',
    ...(process.env.BENCH_CPU_PROFILE ? { BENCH_CPU_PROFILE: process.env.BENCH_CPU_PROFILE } : {}),
    ...extra,
    ...context.options.soukEnv,
  };
}

async function startLiveSouk(context: ScenarioContext, engine: 'embedded' | 'postgres', databaseUrl?: string, extra: Record<string, string> = {}): Promise<SoukServer> {
  // Start-up (PGlite migrations) took up to 140 s on the shared two cores; the run's --max-minutes bounds it anyway.
  const souk = await startSoukServer({ engine, databaseUrl, cleanup: context.cleanup, entryArgs: ['--import', 'tsx', path.join(REPO_ROOT, 'bench', 'live', 'souk-server.ts')], env: soukEnv(context, extra), readyTimeoutMs: 420_000 });
  context.log(`souk (${engine}) pid ${souk.pid} ready on ${souk.baseUrl} after ${Math.round(souk.readyAfterMs / 100) / 10} s`);
  return souk;
}

interface Shape {
  load: LoadShape;
  rooms: number;
  postersPerRoom: number;
  likersPerRoom: number;
}

/** Soukʼs side of one part: rooms on the platform, viewers and posters spread over the nodes. */
function soukTarget(label: string, nodes: SoukServer[], platform: LivePlatform, roomIds: string[], tokens: string[], shape: Shape): Target {
  const headers = { host: platform.host };
  // Viewer i joins room i mod rooms on node (i div rooms) mod nodes: every room is served by every node.
  const viewerRooms = nodes.flatMap((node) => roomIds.map((id) => ({ url: roomSocketUrl(node.baseUrl, id), headers })));
  return {
    label,
    serverPids: nodes.map((n) => n.pid),
    healthUrls: nodes.map((n) => `${n.baseUrl}/readyz`),
    viewerRooms,
    roomOfViewerRoom: viewerRooms.map((_, i) => i % roomIds.length),
    posterRooms: roomIds.map((id) => ({ wsUrls: nodes.map((n) => roomSocketUrl(n.baseUrl, id)), headers, hostUrl: hostSocketUrl(platform, nodes[0]!.baseUrl, id) })),
    tokens,
    adminToken: platform.session.token,
    postersPerRoom: shape.postersPerRoom,
    likersPerRoom: shape.likersPerRoom,
  };
}

function bareTarget(bare: StartedServer, rooms: number, shape: Shape): Target {
  const ids = Array.from({ length: rooms }, (_, i) => `bare-room-${i}`);
  const viewerRooms = ids.map((id) => ({ url: roomSocketUrl(bare.baseUrl, id), headers: {} }));
  return {
    label: BARE,
    serverPids: [bare.pid],
    healthUrls: [`${bare.baseUrl}/`],
    viewerRooms,
    roomOfViewerRoom: ids.map((_, i) => i),
    posterRooms: ids.map((id) => ({ wsUrls: [roomSocketUrl(bare.baseUrl, id)], headers: {} })),
    tokens: [],
    postersPerRoom: shape.postersPerRoom,
    likersPerRoom: shape.likersPerRoom,
  };
}

/** Likers per room so that none sends more than 50 like frames a second (Souk ignores a socket's frames beyond 100/s). */
const likersFor = (likesPerSecond: number, rooms: number) => Math.max(1, Math.ceil(likesPerSecond / rooms / 50));

export const liveScenario: Scenario = {
  name: 'live',
  description: 'Live rooms over WebSocket: one room with many viewers, many small rooms, two nodes through NATS, vs a bare ws broadcast server in the same run.',
  flags: {
    parts: { description: 'which parts to run: single, rooms, nodes', default: PARTS.join(',') },
    viewers: { description: 'viewers of the one room (single, nodes)', default: '10000' },
    chat: { description: 'chat messages per second into the one room', default: '40' },
    likes: { description: 'like taps per second (in total)', default: '1000' },
    high: { description: 'high-priority (host) messages per second (in total)', default: '5' },
    posters: { description: 'customers posting chat (single, nodes; one socket each)', default: '10' },
    rooms: { description: 'rooms of the many-rooms part', default: '200' },
    'room-viewers': { description: 'viewers per room in the many-rooms part', default: '20' },
    'room-chat': { description: 'chat messages per second per room in the many-rooms part', default: '1' },
    'delivery-cap': { description: 'the platform\'s chat messages per viewer per second (above --chat: every chat message is a delivery, as on the bare server)', default: '100' },
    'viewer-processes': { description: 'load processes holding the viewers', default: '1' },
    'probe-every': { description: 'every n-th viewer records latencies', default: '20' },
    drain: { description: 'seconds after the load for late frames before counting losses', default: '3' },
    concurrency: { description: 'socket upgrades in flight per viewer process while connecting', default: '100' },
    'nats-url': { description: 'NATS for the nodes part', default: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' },
  },
  async run(context): Promise<ScenarioReport> {
    const { flags, options, log } = context;
    const parts = flags.parts!.split(',').map((p) => p.trim()).filter(Boolean) as Part[];
    for (const part of parts) if (!PARTS.includes(part)) throw new Error(`--parts: unknown part "${part}" (${PARTS.join(', ')})`);
    const notes: string[] = [
      `Load processes (viewers, posters) and servers share the machine's ${context.machine.cores} cores; "CPU load" is the load processes, "CPU other" everything else on the machine (other sessions included) during the window.`,
      `Deliveries are every frame a viewer received in the ${options.durationSeconds} s window (chat, host, counts); latency is from the send time stamped in the message text to its receipt, over every ${flags['probe-every']}th viewer.`,
    ];
    let viewers = positive(flags, 'viewers');
    const viewerProcesses = positive(flags, 'viewer-processes');
    const limit = fileLimit();
    if (limit !== undefined) {
      // Each viewer is one descriptor in a load process and one in the server; keep headroom for the rest.
      const perProcess = Math.ceil(viewers / viewerProcesses);
      const room = limit - 1000;
      if (perProcess > room || viewers > room) {
        const clamped = Math.max(1, Math.min(viewers, room * viewerProcesses, room));
        notes.push(`Open files are limited to ${limit} per process (ulimit -n); --viewers ${viewers} clamped to ${clamped}.`);
        viewers = clamped;
      }
    }
    const base = {
      likesPerSecond: positive(flags, 'likes'),
      highPerSecond: positive(flags, 'high'),
      seconds: options.durationSeconds,
      warmupSeconds: options.warmupSeconds,
      drainSeconds: positive(flags, 'drain'),
      viewerProcesses,
      probeEvery: positive(flags, 'probe-every'),
      connectConcurrency: positive(flags, 'concurrency'),
    };
    const posters = positive(flags, 'posters');
    const oneRoom: Shape = { load: { ...base, viewers, chatPerSecond: positive(flags, 'chat') }, rooms: 1, postersPerRoom: posters, likersPerRoom: likersFor(base.likesPerSecond, 1) };
    const rooms = positive(flags, 'rooms');
    const manyRooms: Shape = {
      load: { ...base, viewers: rooms * positive(flags, 'room-viewers'), chatPerSecond: rooms * positive(flags, 'room-chat') },
      rooms,
      postersPerRoom: 1,
      likersPerRoom: likersFor(base.likesPerSecond, rooms),
    };
    const settings = { deliveryCapPerSecond: positive(flags, 'delivery-cap'), postsPerWindow: 10_000, postWindowSeconds: 10 };
    notes.push(`Souk platform settings.live: ${JSON.stringify(settings)} (the default cap of 20 chat messages per viewer per second would sample a ${oneRoom.load.chatPerSecond} msg/s room by design).`);

    const results: PartRuns[] = [];
    const failures: string[] = [];
    /** Runs one target; a failure is logged and noted, and the run goes on with the next one. */
    const record = async (part: PartRuns, target: Target, load: LoadShape) => {
      try {
        const result = await measureTarget(target, load, context);
        const list = part.runs.get(result.label) ?? [];
        list.push(result);
        part.runs.set(result.label, list);
      } catch (error) {
        const message = `${part.part} / ${target.label} failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
        log(message);
        failures.push(message);
      }
    };

    let bare: StartedServer | undefined;
    let souk: SoukServer | undefined;
    if (parts.includes('single') || parts.includes('rooms')) {
      bare = await startBareWs(context);
      log(`bare ws pid ${bare.pid} on ${bare.baseUrl}`);
      souk = await startLiveSouk(context, 'embedded');
      const platform = await createLivePlatform(souk.baseUrl, BENCH_ADMIN, settings);
      const tokens = await liveCustomers(platform, posters);
      for (const part of parts.filter((p) => p !== 'nodes')) {
        const shape = part === 'single' ? oneRoom : manyRooms;
        const title =
          part === 'single'
            ? `One room, ${shape.load.viewers.toLocaleString('en-US')} viewers, ${shape.load.chatPerSecond} chat/s + ${base.likesPerSecond} likes/s + ${base.highPerSecond} high/s, one node (embedded)`
            : `${rooms} rooms × ${flags['room-viewers']} viewers, ${flags['room-chat']} chat/s per room + ${base.likesPerSecond} likes/s + ${base.highPerSecond} high/s in total, one node (embedded)`;
        const runs: PartRuns = { part, title, runs: new Map(), ceiling: BARE };
        results.push(runs);
        const roomIds = await liveRooms(platform, shape.rooms);
        log(`${part}: ${shape.rooms} room(s), ${shape.load.viewers} viewers`);
        for (let round = 1; round <= options.rounds; round += 1) {
          log(`${part}: round ${round}/${options.rounds}`);
          await record(runs, bareTarget(bare, shape.rooms, shape), shape.load);
          await record(runs, soukTarget('souk (embedded)', [souk], platform, roomIds, tokens, shape), shape.load);
        }
      }
      await souk.stop();
    }

    if (parts.includes('nodes')) {
      const runs: PartRuns = { part: 'nodes', title: `One room, ${viewers.toLocaleString('en-US')} viewers split over two Souk nodes (PostgreSQL + NATS), same load`, runs: new Map(), ceiling: BARE };
      results.push(runs);
      const scratch = await createScratchDatabase(options.pgAdminUrl, context.cleanup);
      if (!scratch.ok) {
        notes.push(`nodes skipped: PostgreSQL unreachable (${scratch.reason})`);
      } else {
        const prefix = `bench_${randomBytes(4).toString('hex')}`;
        const env = { NATS_URL: flags['nats-url']!, SOUK_LIVE_FANOUT: 'nats', SOUK_LIVE_SUBJECT_PREFIX: prefix };
        const first = await startLiveSouk(context, 'postgres', scratch.database.url, env);
        const second = await startLiveSouk(context, 'postgres', scratch.database.url, env);
        notes.push(`nodes: NATS at ${flags['nats-url']}, subjects ${prefix}.live.>, scratch database ${scratch.database.name}.`);
        const platform = await createLivePlatform(first.baseUrl, BENCH_ADMIN, settings);
        // The second node learns of the new platform through its cache invalidation; give it a moment.
        await sleep(2000);
        const tokens = await liveCustomers(platform, posters);
        const [roomId] = await liveRooms(platform, 1);
        bare ??= await startBareWs(context);
        const nodes = [first, second];
        for (let round = 1; round <= options.rounds; round += 1) {
          log(`nodes: round ${round}/${options.rounds}`);
          if (!results.some((r) => r.part === 'single')) await record(runs, bareTarget(bare, 1, oneRoom), oneRoom.load);
          await record(runs, soukTarget('souk ×2 nodes (NATS)', nodes, platform, [roomId!], tokens, oneRoom), oneRoom.load);
        }
        await Promise.all(nodes.map((n) => n.stop()));
        await scratch.database.drop();
      }
    }
    await bare?.stop();

    const single = results.find((r) => r.part === 'single');
    const ceilingOf = (part: PartRuns) => part.runs.get(BARE) ?? single?.runs.get(BARE);
    const tables = results.map((part) => partTable(part, ceilingOf(part)));
    notes.push(...failures);
    if (results.some((r) => r.part === 'nodes') && single) notes.push('The nodes part is read against the one-room bare ws ceiling of this run (one process; the two nodes share the same two cores).');
    const soukRuns = results.flatMap((p) => [...p.runs.entries()].filter(([label]) => label !== BARE).flatMap(([, list]) => list));
    const high = {
      sent: soukRuns.reduce((t, r) => t + r.posters.highSent, 0),
      accepted: soukRuns.reduce((t, r) => t + r.posters.highAccepted, 0),
      lost: soukRuns.reduce((t, r) => t + r.received.highMissing, 0),
    };
    const verdictRows = verdicts(single?.runs.get('souk (embedded)'), single?.runs.get(BARE), high);
    if (verdictRows.length > 0) tables.push(verdictTable(verdictRows));
    return { tables, notes, data: { failures, parts: results.map((p) => ({ part: p.part, title: p.title, runs: Object.fromEntries(p.runs) })), verdicts: verdictRows } };
  },
};
