// Prometheus metrics at /metrics: per route template (never per id) and status class, plus Node's
// process metrics. Each app gets its own registry so tests can run several servers in one process.
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'souk_' });
  return registry;
}

export function installHttpMetrics(app: FastifyInstance, registry: Registry): void {
  const labelNames = ['method', 'route', 'status_class'] as const;
  const requests = new Counter({ name: 'souk_http_requests_total', help: 'HTTP requests answered', labelNames, registers: [registry] });
  const errors = new Counter({ name: 'souk_http_errors_total', help: 'HTTP requests answered with 4xx or 5xx', labelNames, registers: [registry] });
  const duration = new Histogram({
    name: 'souk_http_request_duration_seconds',
    help: 'Time from request received to response sent',
    labelNames,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });

  app.addHook('onResponse', async (request, reply) => {
    const labels = {
      method: request.method,
      // The route template (/store/products/:id), so ids never become label values.
      route: request.routeOptions.url ?? 'unmatched',
      status_class: `${Math.floor(reply.statusCode / 100)}xx`,
    };
    requests.inc(labels);
    if (reply.statusCode >= 400) errors.inc(labels);
    duration.observe(labels, reply.elapsedTime / 1000);
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const body = await registry.metrics();
    return reply.type(registry.contentType).send(body);
  });
}
