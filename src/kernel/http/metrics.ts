// Prometheus metrics at /metrics: per route template (never per id) and status class, plus Node's
// process metrics. Each app gets its own registry so tests can run several servers in one process.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { metricsTokenNeeded } from './problems.ts';
import { Registry, collectDefaultMetrics, type Metric, type MetricValue } from 'prom-client';
import { bearerToken } from './bearer.ts';

export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'souk_' });
  return registry;
}

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

type Labels = { method: string; route: string; status_class: string };

/** One (method, route, status class) series of the three HTTP metrics. */
interface Series {
  labels: Labels;
  requests: number;
  errors: number;
  /** Observations per bucket, not cumulative; the last slot is above the largest bound (+Inf only). */
  buckets: number[];
  sum: number;
}

/**
 * The per-response bookkeeping is three additions into plain numbers; the Prometheus text is built when
 * /metrics is read. (prom-client's inc/observe hash and validate the label object on every call, which
 * was the largest cost of the response hook.) The output is what prom-client's Counter and Histogram
 * print for the same data: same names, help, types, labels, buckets and order.
 */
class HttpMetrics {
  /** route template → method → series by status class (index = status / 100). */
  private readonly byRoute = new Map<string, Map<string, (Series | undefined)[]>>();
  private readonly series: Series[] = [];

  record(method: string, route: string, statusCode: number, seconds: number): void {
    let byMethod = this.byRoute.get(route);
    if (byMethod === undefined) {
      byMethod = new Map();
      this.byRoute.set(route, byMethod);
    }
    let byClass = byMethod.get(method);
    if (byClass === undefined) {
      byClass = [];
      byMethod.set(method, byClass);
    }
    const statusClass = Math.floor(statusCode / 100);
    let entry = byClass[statusClass];
    if (entry === undefined) {
      entry = { labels: { method, route, status_class: `${statusClass}xx` }, requests: 0, errors: 0, buckets: new Array<number>(BUCKETS.length + 1).fill(0), sum: 0 };
      byClass[statusClass] = entry;
      this.series.push(entry);
    }
    entry.requests += 1;
    if (statusCode >= 400) entry.errors += 1;
    let bucket = 0;
    while (bucket < BUCKETS.length && seconds > BUCKETS[bucket]!) bucket += 1;
    entry.buckets[bucket]! += 1;
    entry.sum += seconds;
  }

  reset(): void {
    this.byRoute.clear();
    this.series.length = 0;
  }

  counter(name: string, help: string, pick: (series: Series) => number): Metric {
    return this.metric(name, help, 'counter', () =>
      this.series.filter((s) => pick(s) > 0).map((s) => ({ value: pick(s), labels: { ...s.labels } })),
    );
  }

  histogram(name: string, help: string): Metric {
    return this.metric(name, help, 'histogram', () => {
      const values: MetricValue<string>[] = [];
      for (const s of this.series) {
        let cumulative = 0;
        BUCKETS.forEach((le, i) => {
          cumulative += s.buckets[i]!;
          values.push({ labels: { le, ...s.labels }, value: cumulative, metricName: `${name}_bucket` } as MetricValue<string>);
        });
        values.push(
          { labels: { le: '+Inf', ...s.labels }, value: s.requests, metricName: `${name}_bucket` } as MetricValue<string>,
          { labels: { ...s.labels }, value: s.sum, metricName: `${name}_sum` } as MetricValue<string>,
          { labels: { ...s.labels }, value: s.requests, metricName: `${name}_count` } as MetricValue<string>,
        );
      }
      return values;
    });
  }

  /** The shape a prom-client Registry reads from a metric: name, help, type, get(), reset(). */
  private metric(name: string, help: string, type: 'counter' | 'histogram', values: () => MetricValue<string>[]): Metric {
    const metric = {
      name,
      help,
      type,
      aggregator: 'sum' as const,
      get: async () => ({ name, help, type, aggregator: 'sum', values: values() }),
      reset: () => this.reset(),
    };
    return metric as unknown as Metric;
  }
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Metrics name routes, modules and load: not for strangers. With a token set, /metrics wants
 * "Authorization: Bearer <token>"; without one it is not served at all (404), so nothing is public by default.
 */
export function installHttpMetrics(app: FastifyInstance, registry: Registry, token: string | undefined): void {
  const http = new HttpMetrics();
  registry.registerMetric(http.counter('souk_http_requests_total', 'HTTP requests answered', (s) => s.requests));
  registry.registerMetric(http.counter('souk_http_errors_total', 'HTTP requests answered with 4xx or 5xx', (s) => s.errors));
  registry.registerMetric(http.histogram('souk_http_request_duration_seconds', 'Time from request received to response sent'));

  // A callback hook, not an async one: no promise per response.
  app.addHook('onResponse', (request, reply, done) => {
    // The route template (/store/products/:id), so ids never become label values.
    http.record(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  if (token === undefined) return;
  const expected = digest(token);
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    const given = bearerToken(request);
    // Compared as digests: constant time, whatever the lengths.
    if (given === undefined || !timingSafeEqual(digest(given), expected)) throw metricsTokenNeeded();
    void reply.header('cache-control', 'no-store');
    const body = await registry.metrics();
    return reply.type(registry.contentType).send(body);
  });
}
