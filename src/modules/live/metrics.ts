// Prometheus metrics of the live rooms on this node.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { QueueCounters } from './hub/viewer-queue.ts';

export interface LiveMetrics {
  connections: Gauge;
  /** Frames written to sockets (deliveries), and frames not: dropped behind a slow socket or sampled by the delivery cap. */
  frames: Counter<'outcome'>;
  /** Client frames answered with an error frame, by code. */
  refused: Counter<'code'>;
  /** Viewers' chat frames refused unread because the event loop lagged (load shedding), by frame type. */
  shed: Counter<'type'>;
  /**
   * Fan-out: local, from an effect to every viewer's queue here; remote, from the origin node's publish to
   * the same done on this node (includes NATS and the clocks' skew between nodes).
   */
  fanoutSeconds: Histogram<'path'>;
}

/** Frames waiting in viewers' send queues, read when scraped (the hub knows its viewers). */
export type QueueDepths = () => Promise<{ total: number; max: number }>;

export function createLiveMetrics(registry: Registry): LiveMetrics & { watchQueues(depths: QueueDepths): void } {
  let depths: QueueDepths = async () => ({ total: 0, max: 0 });
  let last = { total: 0, max: 0 };
  const read = async () => {
    last = await depths();
  };
  new Gauge({
    name: 'souk_live_queue_depth',
    help: 'Frames waiting in the send queues of this node\'s viewers, all together',
    registers: [registry],
    async collect() {
      await read();
      this.set(last.total);
    },
  });
  new Gauge({
    name: 'souk_live_queue_depth_max',
    help: 'Frames waiting in the longest send queue of one viewer on this node',
    registers: [registry],
    collect() {
      // Read by souk_live_queue_depth's collect, which runs first in registration order.
      this.set(last.max);
    },
  });
  return {
    connections: new Gauge({ name: 'souk_live_connections', help: 'Live-room sockets open on this node', registers: [registry] }),
    frames: new Counter({
      name: 'souk_live_frames_total',
      help: 'Room frames per viewer: delivered to the socket, dropped (viewer behind) or sampled (delivery cap)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    refused: new Counter({ name: 'souk_live_refused_frames_total', help: 'Client frames answered with an error frame, by code', labelNames: ['code'], registers: [registry] }),
    shed: new Counter({
      name: 'souk_live_shed_frames_total',
      help: 'Viewers\' chat frames refused unread while this node\'s event loop lagged (SOUK_LIVE_SHED_LAG_MS), by frame type',
      labelNames: ['type'],
      registers: [registry],
    }),
    fanoutSeconds: new Histogram({
      name: 'souk_live_fanout_seconds',
      help: 'Time to hand a room effect to every viewer queue on this node: local (made here) or remote (made on another node, from its publish)',
      labelNames: ['path'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
    watchQueues(fn) {
      depths = fn;
    },
  };
}

export function countQueue(metrics: LiveMetrics): (kind: keyof QueueCounters, n: number) => void {
  return (kind, n) => metrics.frames.inc({ outcome: kind }, n);
}
