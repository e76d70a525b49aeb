// RED metrics the gateway records itself, per track: requests (by method and status class), errors (5xx,
// including the gateway's own 502/503 when no upstream answered) and request duration (until the response
// is finished). Served in the Prometheus text format at /_gateway/metrics from the gateway's own registry,
// so a gateway in the same process as other Souk code never mixes its series with theirs. The same
// observation feeds the raw samples the rollout judge reads (samples.ts), and the rollout decisions this
// node makes are counted here too.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SampleRecorder } from './samples.ts';

export interface TrackCounts {
  requests: number;
  errors: number;
}

export interface GatewayMetrics {
  registry: Registry;
  /** Plain counts per track since start, for the status view. */
  counts: Map<string, TrackCounts>;
  /**
   * Counts one answered request on the track that answered it, when its status is known; returns the
   * analysis window (samples.ts) its duration belongs to, to be given to `finished`.
   */
  answered(track: string, method: string, status: number): number | undefined;
  /** Records the request's duration once its response has finished (or closed). */
  finished(track: string, windowId: number | undefined, status: number, startedAt: bigint): void;
  /** Records a WebSocket upgrade passed to a track. */
  upgraded(track: string): void;
  /** Counts a rollout decision and sets the rollout gauges (rollouts.ts, controller.ts). */
  rolloutDecision(decision: string, step: number, weight: number, open: boolean): void;
}

export interface MetricsOptions {
  /** Raw samples per analysis window for the rollout judge (samples.ts). */
  samples?: SampleRecorder;
  /** The analysis window a request answered now belongs to: the active policy's activation id. */
  window?: () => number | undefined;
}

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export function createGatewayMetrics(options: MetricsOptions = {}): GatewayMetrics {
  const registry = new Registry();
  const requests = new Counter({
    name: 'souk_gateway_requests_total',
    help: 'Requests the gateway answered, by the track that answered, method and status class.',
    labelNames: ['track', 'method', 'status_class'] as const,
    registers: [registry],
  });
  const errors = new Counter({
    name: 'souk_gateway_request_errors_total',
    help: 'Requests answered with a 5xx status (from the upstream or the gateway itself), by track.',
    labelNames: ['track'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'souk_gateway_request_duration_seconds',
    help: 'Time from the request reaching the gateway until its response was finished, by track.',
    labelNames: ['track'] as const,
    buckets: BUCKETS,
    registers: [registry],
  });
  const upgrades = new Counter({
    name: 'souk_gateway_websocket_upgrades_total',
    help: 'WebSocket upgrades passed through to an upstream, by track.',
    labelNames: ['track'] as const,
    registers: [registry],
  });
  const decisions = new Counter({
    name: 'souk_gateway_rollout_decisions_total',
    help: 'Rollout decisions (start, promote, hold, rollback, pause, resume, abort, complete) made or recorded by this node.',
    labelNames: ['decision'] as const,
    registers: [registry],
  });
  const rolloutWeight = new Gauge({
    name: 'souk_gateway_rollout_canary_weight_percent',
    help: 'The canary weight of the open rollout after the last decision this node made (0 when none is open).',
    registers: [registry],
  });
  const rolloutStep = new Gauge({
    name: 'souk_gateway_rollout_step',
    help: 'The step (from 1) of the open rollout after the last decision this node made (0 when none is open).',
    registers: [registry],
  });
  const counts = new Map<string, TrackCounts>();
  const countsOf = (track: string) => {
    const c = counts.get(track) ?? { requests: 0, errors: 0 };
    counts.set(track, c);
    return c;
  };

  return {
    registry,
    counts,
    answered(track, method, status) {
      const c = countsOf(track);
      c.requests += 1;
      const error = status >= 500;
      if (error) c.errors += 1;
      // Method is bounded to the standard verbs so a client cannot mint label values.
      requests.inc({ track, method: METHODS.has(method) ? method : 'OTHER', status_class: `${Math.floor(status / 100)}xx` });
      if (error) errors.inc({ track });
      return options.window?.();
    },
    finished(track, windowId, status, startedAt) {
      const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
      duration.observe({ track }, seconds);
      if (windowId !== undefined) options.samples?.record(windowId, track, status >= 500, seconds);
    },
    upgraded(track) {
      countsOf(track).requests += 1;
      upgrades.inc({ track });
    },
    rolloutDecision(decision, step, weight, open) {
      decisions.inc({ decision });
      rolloutWeight.set(open ? weight : 0);
      rolloutStep.set(open ? step + 1 : 0);
    },
  };
}
