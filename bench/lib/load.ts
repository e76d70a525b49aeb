// The autocannon wrapper: one target, a fixed duration, keep-alive connections; returns throughput,
// latency percentiles and every non-2xx or failed request. Latency percentiles are computed here from
// each response's own timing (sub-millisecond resolution) because autocannon's histogram rounds to whole
// milliseconds, which is too coarse for a server that answers in one or two.
import autocannon from 'autocannon';
import { startCpuWatch, type CpuUsage } from './cpu.ts';
import { latencyPercentiles, round, SampleBuffer } from './stats.ts';

export interface LoadTarget {
  /** Short stable id, used in JSON and to pair rounds. */
  id: string;
  /** Human label for tables. */
  label: string;
  /** Base URL of the server; paths and headers come from `requests`. */
  url: string;
  /**
   * The requests each connection cycles through. Every connection starts at a different offset, so at
   * any moment the connections are spread over the whole list rather than marching in step.
   */
  requests: autocannon.RequestSpec[];
  /** The process answering, for CPU accounting. */
  serverPid: number;
}

export interface LoadSettings {
  durationSeconds: number;
  connections: number;
}

export interface Measurement {
  target: string;
  startedAt: string;
  durationSeconds: number;
  connections: number;
  /** Mean of autocannon's per-second request counts. */
  requestsPerSecond: number;
  totalResponses: number;
  /** Latency percentiles of 2xx responses, in milliseconds. */
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  cpu: CpuUsage;
  /** Machine CPU use (% of one core) just before the run, while the harness was idle; set by runRounds. */
  backgroundBeforePercent?: number;
  /** Server-side counters read around the run; set by runRounds. */
  counters?: Record<string, { total: number; perSecond: number; perRequest: number }>;
}

function rotate<T>(items: readonly T[], offset: number): T[] {
  if (items.length === 0) return [];
  const start = offset % items.length;
  return [...items.slice(start), ...items.slice(0, start)];
}

export async function measure(target: LoadTarget, settings: LoadSettings): Promise<Measurement> {
  if (target.requests.length === 0) throw new Error(`target ${target.id} has no requests`);
  const stride = Math.max(1, Math.floor(target.requests.length / settings.connections));
  let clientIndex = 0;
  const latencies = new SampleBuffer();

  const stopCpuWatch = startCpuWatch(target.serverPid);
  const instance = autocannon({
    url: target.url,
    connections: settings.connections,
    duration: settings.durationSeconds,
    timeout: 10,
    requests: target.requests,
    setupClient(client) {
      // autocannon stores the encoded request on each request object, so every client gets copies.
      const offset = clientIndex++ * stride;
      client.setRequests(rotate(target.requests, offset).map((request) => ({ ...request })));
    },
  });
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
  });
  const result = await instance;
  const cpu = stopCpuWatch();

  const statusCodes: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats)) statusCodes[code] = stats.count;
  return {
    target: target.id,
    startedAt: result.start.toISOString(),
    durationSeconds: result.duration,
    connections: settings.connections,
    requestsPerSecond: round(result.requests.average, 0),
    totalResponses: result.requests.total,
    ...latencyPercentiles(latencies, 2),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    cpu,
  };
}

