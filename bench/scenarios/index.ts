// The scenario registry. A new scenario is one file in this folder exporting a `Scenario` and one line
// here; scenarios are imported only when chosen, so a scenario whose module is not built yet does not
// stop the others from running.
import type { Scenario } from '../lib/scenario.ts';

export const scenarios: Record<string, { summary: string; load: () => Promise<Scenario> }> = {
  catalog: {
    summary: 'storefront product detail and list vs bare Fastify, embedded and PostgreSQL, 2 and 1,000 platforms',
    load: async () => (await import('./catalog.ts')).catalogScenario,
  },
  'catalog-uncached': {
    summary: 'uncached storefront reads on PostgreSQL (cache and coalescing off) beside cached ones over 10,000 products: Souk and PostgreSQL CPU per request, vs bare Fastify',
    load: async () => (await import('./catalog-uncached.ts')).catalogUncachedScenario,
  },
  events: {
    summary: 'event backbone: events/s and lag, embedded on PGlite and PostgreSQL and on JetStream, vs substrate ceilings and bare Fastify',
    load: async () => (await import('./events.ts')).eventsScenario,
  },
  checkout: {
    summary: 'storefront flow cart → checkout → sandbox payment → webhook: paid orders/s and p50/p99 per step, distinct and hot variants, embedded and PostgreSQL, vs bare Fastify',
    load: async () => (await import('./checkout.ts')).checkoutScenario,
  },
  'flash-sale': {
    summary: 'flash-sale rush on one hot variant: purchase attempts/s and p50/p99 at HTTP, time to sell out, orders/s drained, zero oversell by SQL, embedded and PostgreSQL + Redis, vs bare Fastify (autocannon and the same client)',
    load: async () => (await import('./flash-sale.ts')).flashSaleScenario,
  },
  live: {
    summary: 'live rooms over WebSocket: one room with 10,000 viewers, 200 small rooms, two nodes through NATS; deliveries/s, latency p50/p99, memory per connection, CPU per delivery, drops, vs a bare ws broadcast server',
    load: async () => (await import('./live.ts')).liveScenario,
  },
  gateway: {
    summary: 'canary gateway: a storefront read direct vs through the gateway in the same run: throughput ratio, added p50/p99, CPU per request of gateway and API, vs bare Fastify',
    load: async () => (await import('./gateway.ts')).gatewayScenario,
  },
  media: {
    summary: 'media: publish authorisations/s (nginx-rtmp on_publish callbacks) vs bare Fastify with the same client; product video transcode, seconds of video per wall second',
    load: async () => (await import('./media.ts')).mediaScenario,
  },
  risk: {
    summary: 'risk engine: decisions/s on one core and p50/p99 per decision for a 20-rule policy with velocity counters, engine and service paths (in process); --attack: the scripted bonus-hunter attack over HTTP with its confusion table',
    load: async () => (await import('./risk.ts')).riskScenario,
  },
  migration: {
    summary: 'import rows/s of a generated 100,000-row Shopify product CSV: first import, idempotent re-run, dry run; embedded and PostgreSQL, peak memory',
    load: async () => (await import('./migration.ts')).migrationScenario,
  },
};
