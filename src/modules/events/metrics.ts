// Event backbone metrics: outbox backlog, relay rate, consumer lag, handler latency, retries, dead letters.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface EventMetrics {
  published: Counter<'transport'>;
  outboxBacklog: Gauge;
  consumerLag: Gauge<'consumer'>;
  handlerSeconds: Histogram<'consumer'>;
  deliveryLagSeconds: Histogram<'consumer'>;
  retries: Counter<'consumer'>;
  duplicates: Counter<'consumer'>;
  deadLetters: Counter<'consumer'>;
}

export function createEventMetrics(registry: Registry): EventMetrics {
  const registers = [registry];
  return {
    published: new Counter({ name: 'souk_events_published_total', help: 'Events moved from the outbox to the transport', labelNames: ['transport'], registers }),
    outboxBacklog: new Gauge({ name: 'souk_events_outbox_backlog', help: 'Committed events not yet relayed to the transport', registers }),
    consumerLag: new Gauge({ name: 'souk_events_consumer_lag', help: 'Events in the transport a consumer has not reached yet (negative: the consumer stands that many events beyond the head)', labelNames: ['consumer'], registers }),
    handlerSeconds: new Histogram({
      name: 'souk_events_handler_duration_seconds',
      help: 'Time a handler took per event',
      labelNames: ['consumer'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
      registers,
    }),
    deliveryLagSeconds: new Histogram({
      name: 'souk_events_delivery_lag_seconds',
      help: 'Time from emit to handler commit',
      labelNames: ['consumer'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
      registers,
    }),
    duplicates: new Counter({ name: 'souk_events_duplicates_total', help: 'Deliveries skipped because the consumer had already handled the event (inbox)', labelNames: ['consumer'], registers }),
    retries: new Counter({ name: 'souk_events_retries_total', help: 'Handler failures that will be retried', labelNames: ['consumer'], registers }),
    deadLetters: new Counter({ name: 'souk_events_dead_letters_total', help: 'Events moved to the dead-letter store', labelNames: ['consumer'], registers }),
  };
}
