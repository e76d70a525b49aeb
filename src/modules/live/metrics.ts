// Prometheus metrics of the live rooms on this node.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { QueueCounters } from './hub/viewer-queue.ts';

export interface LiveMetrics {
  connections: Gauge;
  /** Frames written to sockets, and frames not: dropped behind a slow socket or sampled by the delivery cap. */
  frames: Counter<'outcome'>;
  /** Client frames answered with an error frame, by code. */
  refused: Counter<'code'>;
}

export function createLiveMetrics(registry: Registry): LiveMetrics {
  return {
    connections: new Gauge({ name: 'souk_live_connections', help: 'Live-room sockets open on this node', registers: [registry] }),
    frames: new Counter({
      name: 'souk_live_frames_total',
      help: 'Room frames per viewer: delivered to the socket, dropped (viewer behind) or sampled (delivery cap)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    refused: new Counter({ name: 'souk_live_refused_frames_total', help: 'Client frames answered with an error frame, by code', labelNames: ['code'], registers: [registry] }),
  };
}

export function countQueue(metrics: LiveMetrics): (kind: keyof QueueCounters, n: number) => void {
  return (kind, n) => metrics.frames.inc({ outcome: kind }, n);
}
