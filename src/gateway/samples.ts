// Raw latency samples for the rollout judge. Each gateway node keeps, per analysis window and track, the
// request and error counts and a bounded reservoir of latencies (Vitter's algorithm R: every request has
// the same chance of being in it, whatever the traffic), and writes them to the database every flushMs so
// the node leading rollouts (rollouts.ts) judges canary against stable on the samples of all nodes. A
// window is one policy activation: each rollout step activates its own policy version, so the samples a
// step is judged on are exactly the requests routed under that step's policy.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Database, Queryable } from '../kernel/db/types.ts';

export const SAMPLES_SCHEMA = `
create table if not exists souk_gateway_samples (
  node text not null,
  activation_id bigint not null,
  track text not null,
  requests integer not null,
  errors integer not null,
  latencies jsonb not null,
  updated_at timestamptz not null default now(),
  primary key (activation_id, track, node)
);`;

/** What one window holds for one track (on one node, or summed over all nodes). */
export interface TrackSample {
  requests: number;
  errors: number;
  /** Seconds; at most the reservoir size per node. */
  latencies: number[];
}

interface Window extends TrackSample {
  dirty: boolean;
}

export interface SampleRecorder {
  /** This node's name in the samples table. */
  readonly node: string;
  /** Records one finished request of a window (activation id). */
  record(windowId: number, track: string, error: boolean, seconds: number): void;
  /** This node's own view of a window, per track. */
  local(windowId: number): Map<string, TrackSample>;
  /** Writes the windows changed since the last flush; forgets old windows other than `keep` once written. */
  flush(db: Database, keep: number | undefined): Promise<void>;
}

export const newNodeName = () => `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;

/**
 * How long a window that is no longer current is kept after its last request: a request decided under it
 * may still be answering (its sample comes when it finishes), and a window forgotten too early would be
 * started again from zero and overwrite the stored counts with that.
 */
const RETAIN_MS = 120_000;

export function createSampleRecorder(reservoirSize = 1000, node = newNodeName(), random: () => number = Math.random): SampleRecorder {
  const windows = new Map<number, { tracks: Map<string, Window>; touchedAt: number }>();
  const windowOf = (id: number, track: string): Window => {
    let entry = windows.get(id);
    if (!entry) windows.set(id, (entry = { tracks: new Map(), touchedAt: 0 }));
    entry.touchedAt = Date.now();
    const tracks = entry.tracks;
    let w = tracks.get(track);
    if (!w) tracks.set(track, (w = { requests: 0, errors: 0, latencies: [], dirty: false }));
    return w;
  };
  return {
    node,
    record(windowId, track, error, seconds) {
      const w = windowOf(windowId, track);
      w.requests += 1;
      if (error) w.errors += 1;
      if (w.latencies.length < reservoirSize) w.latencies.push(seconds);
      else {
        const slot = Math.floor(random() * w.requests);
        if (slot < reservoirSize) w.latencies[slot] = seconds;
      }
      w.dirty = true;
    },
    local(windowId) {
      const out = new Map<string, TrackSample>();
      for (const [track, w] of windows.get(windowId)?.tracks ?? []) out.set(track, { requests: w.requests, errors: w.errors, latencies: [...w.latencies] });
      return out;
    },
    async flush(db, keep) {
      const now = Date.now();
      for (const [id, { tracks, touchedAt }] of [...windows]) {
        for (const [track, w] of tracks) {
          if (!w.dirty) continue;
          w.dirty = false;
          try {
            await db.query(
              `insert into souk_gateway_samples (node, activation_id, track, requests, errors, latencies) values ($1, $2, $3, $4, $5, $6::jsonb)
               on conflict (activation_id, track, node) do update set requests = excluded.requests, errors = excluded.errors, latencies = excluded.latencies, updated_at = now()`,
              [node, id, track, w.requests, w.errors, JSON.stringify(w.latencies)],
            );
          } catch (error) {
            w.dirty = true;
            throw error;
          }
        }
        if (id !== keep && now - touchedAt > RETAIN_MS) windows.delete(id);
      }
    },
  };
}

/** A window's samples summed over every node that wrote them, per track. */
export async function loadWindow(db: Queryable, windowId: number): Promise<Map<string, TrackSample>> {
  const rows = await db.query<{ track: string; requests: number; errors: number; latencies: unknown }>(
    'select track, requests, errors, latencies from souk_gateway_samples where activation_id = $1',
    [windowId],
  );
  const out = new Map<string, TrackSample>();
  for (const row of rows) {
    const sum = out.get(row.track) ?? { requests: 0, errors: 0, latencies: [] };
    sum.requests += Number(row.requests);
    sum.errors += Number(row.errors);
    const values = (typeof row.latencies === 'string' ? JSON.parse(row.latencies) : row.latencies) as number[];
    for (const v of values) sum.latencies.push(v);
    out.set(row.track, sum);
  }
  return out;
}

/** Drops the samples of windows that ended long ago (the leader calls it now and then). */
export async function pruneSamples(db: Database, olderThanSeconds: number): Promise<void> {
  await db.query(`delete from souk_gateway_samples where updated_at < now() - make_interval(secs => $1)`, [olderThanSeconds]);
}
