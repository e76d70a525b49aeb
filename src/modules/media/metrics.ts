// Prometheus metrics of live ingest and transcoding on this node.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface MediaMetrics {
  /** Publish authorisations answered, by outcome (allowed, refused) and reason (ok, invalid_key, …). */
  publishes: Counter<'outcome' | 'reason'>;
  /** Streams this node authorised that have not ended yet. */
  liveStreams: Gauge;
  /** ffmpeg jobs (remux, poster), by kind and outcome. */
  jobs: Counter<'kind' | 'outcome'>;
  jobSeconds: Histogram<'kind'>;
}

export function createMediaMetrics(registry: Registry): MediaMetrics {
  return {
    publishes: new Counter({ name: 'souk_media_publishes_total', help: 'Publish callbacks answered, by outcome and reason', labelNames: ['outcome', 'reason'], registers: [registry] }),
    liveStreams: new Gauge({ name: 'souk_media_live_streams', help: 'Streams authorised by this node and not ended yet', registers: [registry] }),
    jobs: new Counter({ name: 'souk_media_transcode_jobs_total', help: 'ffmpeg jobs run, by kind and outcome', labelNames: ['kind', 'outcome'], registers: [registry] }),
    jobSeconds: new Histogram({
      name: 'souk_media_transcode_seconds',
      help: 'Wall time of ffmpeg jobs, by kind',
      labelNames: ['kind'],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 180],
      registers: [registry],
    }),
  };
}
