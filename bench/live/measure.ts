// One measured target (a Souk node, two Souk nodes, or the bare ws server) under the room load:
//   1. fresh load processes: viewer processes (bench/live/viewers.ts) and one poster process
//      (bench/live/posters.ts), none of them the server;
//   2. the servers' RSS, then every viewer connected, 2 s idle, the RSS again: memory per idle connection;
//   3. the posters' sockets, a warm-up at the full rates (its messages carry warm-up marks), a pause;
//   4. the measured window: counting on, the posters send for --duration s, then a snapshot of what the
//      viewers received (deliveries per second) and of the CPU of the servers and of the load;
//   5. a drain of --drain s for late frames, then every viewer's count checked against what the servers
//      accepted: chat frames not received (dropped or sampled), high-priority frames not received (must
//      be 0), latency percentiles from the probe viewers;
//   6. sockets closed and the load processes stopped.
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCpuWatch, type CpuUsage } from '../lib/cpu.ts';
import { httpRequest } from '../lib/http.ts';
import { readMemory } from '../lib/processes.ts';
import type { ScenarioContext } from '../lib/scenario.ts';
import { percentileOfSorted, round } from '../lib/stats.ts';
import { forkLoadChild, type LoadChild } from './ipc.ts';
import type { PosterRoom, PostersResult } from './posters.ts';
import type { ConnectResult, FrameCounts, StopResult, ViewerTarget } from './viewers.ts';

const HERE = path.dirname(new URL(import.meta.url).pathname);

export interface LoadShape {
  viewers: number;
  chatPerSecond: number;
  likesPerSecond: number;
  highPerSecond: number;
  seconds: number;
  warmupSeconds: number;
  drainSeconds: number;
  viewerProcesses: number;
  probeEvery: number;
  connectConcurrency: number;
}

export interface Target {
  label: string;
  serverPids: number[];
  /** URLs that answer 200 when the servers have time to (readiness), one per server. */
  healthUrls: string[];
  /** Viewer i joins viewerRooms[i % length] (a room on a node). */
  viewerRooms: ViewerTarget[];
  /** Which poster room (index into posterRooms) each viewer room is. */
  roomOfViewerRoom: number[];
  posterRooms: PosterRoom[];
  tokens: string[];
  adminToken?: string;
  postersPerRoom: number;
  likersPerRoom: number;
}

export interface TargetResult {
  label: string;
  viewers: number;
  connect: { connected: number; failed: number; seconds: number; firstErrors: string[] };
  memory: { beforeMiB: number; idleMiB: number; kibPerConnection: number };
  window: FrameCounts;
  deliveriesPerSecond: number;
  messagesPerSecond: number;
  cpu: { server: CpuUsage; load: CpuUsage; serverMsPer1000Deliveries: number };
  posters: PostersResult;
  received: Omit<StopResult, 'chatLatencyMs' | 'highLatencyMs'>;
  /** Share of the accepted chat that reached the viewers it was for. */
  chatDeliveredShare: number;
  latency: { chat: Quantiles; high: Quantiles };
}

export interface Quantiles {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

function quantiles(values: number[]): Quantiles {
  const sorted = Float64Array.from(values).sort();
  return { samples: sorted.length, p50Ms: round(percentileOfSorted(sorted, 50), 1), p99Ms: round(percentileOfSorted(sorted, 99), 1), maxMs: round(percentileOfSorted(sorted, 100), 1) };
}

async function rssMiB(pids: number[]): Promise<number> {
  let total = 0;
  for (const pid of pids) total += (await readMemory(pid))?.rssMiB ?? Number.NaN;
  return round(total, 1);
}

function addCounts(parts: FrameCounts[]): FrameCounts {
  const sum = (key: keyof FrameCounts) => parts.reduce((total, p) => total + p[key], 0);
  return {
    frames: sum('frames'),
    bytes: sum('bytes'),
    messages: sum('messages'),
    counts: sum('counts'),
    missedFrames: sum('missedFrames'),
    missedReported: sum('missedReported'),
    chat: sum('chat'),
    high: sum('high'),
    seconds: Math.max(...parts.map((p) => p.seconds)),
  };
}

/**
 * Waits (at most a minute) until the servers have worked off what the load left queued: a saturated
 * server is still writing frames for closed sockets, and the next step's setup calls would time out.
 */
async function settle(target: Target, log: (line: string) => void): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < 60_000) {
    // CPU use says little on a shared machine (a saturated server may get a tenth of a core): ask.
    const answers = await Promise.all(target.healthUrls.map((url) => httpRequest(url, { timeoutMs: 1000 }).then((r) => r.status === 200, () => false)));
    if (answers.every(Boolean)) return;
    await sleep(500);
  }
  log(`  ${target.label}: the servers were still busy a minute after the load`);
}

/** Accepted messages per viewer room, from the poster rooms' counts. */
const perViewerRoom = (target: Target, perPosterRoom: number[]) => target.roomOfViewerRoom.map((r) => perPosterRoom[r] ?? 0);

export async function measureTarget(target: Target, load: LoadShape, context: ScenarioContext): Promise<TargetResult> {
  const { cleanup, log } = context;
  const children: LoadChild[] = [];
  try {
    const viewerProcs = Array.from({ length: load.viewerProcesses }, (_, i) => forkLoadChild(path.join(HERE, 'viewers.ts'), `viewers ${i + 1}`, cleanup));
    const posters = forkLoadChild(path.join(HERE, 'posters.ts'), 'posters', cleanup);
    children.push(...viewerProcs, posters);

    const beforeMiB = await rssMiB(target.serverPids);
    const share = Math.ceil(load.viewers / viewerProcs.length);
    const connects = await Promise.all(
      viewerProcs.map((proc, i) => {
        const count = Math.max(0, Math.min(share, load.viewers - i * share));
        return proc.request<ConnectResult>({ kind: 'connect', rooms: target.viewerRooms, count, offset: i * share, concurrency: load.connectConcurrency, probeEvery: load.probeEvery, timeoutMs: 60_000 }, 300_000);
      }),
    );
    const connect = {
      connected: connects.reduce((t, c) => t + c.connected, 0),
      failed: connects.reduce((t, c) => t + c.failed, 0),
      seconds: round(Math.max(...connects.map((c) => c.seconds)), 1),
      firstErrors: connects.flatMap((c) => c.firstErrors).slice(0, 5),
    };
    log(`  ${target.label}: ${connect.connected} viewers connected in ${connect.seconds} s${connect.failed ? `, ${connect.failed} failed (${connect.firstErrors.join('; ')})` : ''}`);
    if (connect.connected === 0) throw new Error(`${target.label}: no viewer could connect: ${connect.firstErrors.join('; ')}`);
    await sleep(2000);
    const idleMiB = await rssMiB(target.serverPids);
    const memory = { beforeMiB, idleMiB, kibPerConnection: round(((idleMiB - beforeMiB) * 1024) / connect.connected, 1) };
    log(`  ${target.label}: server RSS ${beforeMiB} → ${idleMiB} MiB idle, ${memory.kibPerConnection} KiB per connection`);

    await posters.request({ kind: 'setup', rooms: target.posterRooms, tokens: target.tokens, adminToken: target.adminToken, postersPerRoom: target.postersPerRoom, likersPerRoom: target.likersPerRoom });
    const rates = { chatPerSecond: load.chatPerSecond, likesPerSecond: load.likesPerSecond, highPerSecond: load.highPerSecond, highTimeoutMs: (load.seconds + load.drainSeconds) * 1000 };
    if (load.warmupSeconds > 0) {
      await posters.request({ kind: 'run', seconds: load.warmupSeconds, ...rates, warm: true });
      await sleep(1500);
    }

    await Promise.all(viewerProcs.map((p) => p.request({ kind: 'start' })));
    const serverCpu = startCpuWatch(target.serverPids);
    const loadCpu = startCpuWatch(children.map((c) => c.pid));
    const sent = await posters.request<PostersResult>({ kind: 'run', seconds: load.seconds, ...rates, warm: false }, (2 * load.seconds + load.drainSeconds + 60) * 1000);
    const window = addCounts(await Promise.all(viewerProcs.map((p) => p.request<FrameCounts>({ kind: 'mark' }))));
    const server = serverCpu();
    const loadUse = loadCpu();
    await sleep(load.drainSeconds * 1000);
    const stops = await Promise.all(
      viewerProcs.map((p) => p.request<StopResult>({ kind: 'stop', chatPerRoom: perViewerRoom(target, sent.chatAckedPerRoom), highPerRoom: perViewerRoom(target, sent.highAcceptedPerRoom) })),
    );
    const all = addCounts(stops);
    const received = {
      ...all,
      viewers: stops.reduce((t, s) => t + s.viewers, 0),
      chatMissing: stops.reduce((t, s) => t + s.chatMissing, 0),
      highMissing: stops.reduce((t, s) => t + s.highMissing, 0),
      viewersMissingHigh: stops.reduce((t, s) => t + s.viewersMissingHigh, 0),
      closedWhileCounting: stops.reduce((t, s) => t + s.closedWhileCounting, 0),
    };
    const deliveriesPerSecond = round(window.frames / window.seconds, 0);
    const chatExpected = received.chat + received.chatMissing;
    const result: TargetResult = {
      label: target.label,
      viewers: load.viewers,
      connect,
      memory,
      window,
      deliveriesPerSecond,
      messagesPerSecond: round(window.messages / window.seconds, 0),
      cpu: { server, load: loadUse, serverMsPer1000Deliveries: round((server.serverPercent / 100) * 1000 * (1000 / deliveriesPerSecond), 3) },
      posters: sent,
      received,
      chatDeliveredShare: chatExpected > 0 ? received.chat / chatExpected : Number.NaN,
      latency: { chat: quantiles(stops.flatMap((s) => s.chatLatencyMs)), high: quantiles(stops.flatMap((s) => s.highLatencyMs)) },
    };
    log(
      `  ${target.label}: ${deliveriesPerSecond} deliveries/s, chat p50 ${result.latency.chat.p50Ms} / p99 ${result.latency.chat.p99Ms} ms, high p99 ${result.latency.high.p99Ms} ms, ` +
        `server CPU ${server.serverPercent}% (${result.cpu.serverMsPer1000Deliveries} ms per 1,000), load CPU ${loadUse.serverPercent}%, ` +
        `chat ${sent.chatAcked}/${sent.chatSent} accepted, ${received.chatMissing} chat deliveries missing (${received.missedReported} reported missed), high ${sent.highAccepted}/${sent.highSent} accepted, ${received.highMissing} high missing`,
    );
    await Promise.all([...viewerProcs.map((p) => p.request({ kind: 'close' })), posters.request({ kind: 'close' })]);
    await settle(target, log);
    return result;
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}
