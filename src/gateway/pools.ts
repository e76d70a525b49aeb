// Release tracks as pools of upstream Souk API processes. Each upstream keeps an undici connection pool,
// an active health state (GET /healthz every interval) and a passive one: a connection failure ejects it
// at once, three 5xx gateway answers in a row eject it too, and it comes back only after the ejection time
// has passed AND a health check succeeds.
import { Pool } from 'undici';

export class Upstream {
  readonly url: string;
  readonly pool: Pool;
  readonly host: string;
  readonly port: number;
  /** The last health check's verdict (optimistic until the first one). */
  healthy = true;
  ejectedUntil = 0;
  failures = 0;
  inFlight = 0;

  constructor(url: string, connections: number) {
    this.url = url.replace(/\/+$/, '');
    const parsed = new URL(this.url);
    this.host = parsed.hostname;
    this.port = Number(parsed.port || 80);
    // No pipelining: a slow request would hold up the ones queued behind it on its connection.
    this.pool = new Pool(parsed.origin, { connections, keepAliveTimeout: 10_000, connect: { timeout: 2_000 } });
  }

  available(now: number): boolean {
    return this.healthy && now >= this.ejectedUntil;
  }

  /** A request could not reach it, or it answered 502/503/504. */
  failed(connection: boolean, ejectMs: number): void {
    this.failures += 1;
    if (connection || this.failures >= 3) {
      this.healthy = false;
      this.ejectedUntil = Date.now() + ejectMs;
    }
  }

  succeeded(): void {
    this.failures = 0;
  }
}

export interface TrackView {
  track: string;
  upstreams: { url: string; available: boolean; healthy: boolean; ejectedForMs: number }[];
}

export class Tracks {
  readonly byName = new Map<string, Upstream[]>();
  private readonly cursor = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(tracks: Record<string, string[]>, private readonly ejectMs: number, connections: number) {
    for (const [name, urls] of Object.entries(tracks)) this.byName.set(name, urls.map((u) => new Upstream(u, connections)));
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  /** The next available upstream of a track by round robin, skipping the ones already tried. */
  pick(track: string, tried: ReadonlySet<Upstream>): Upstream | undefined {
    const list = this.byName.get(track);
    if (!list || list.length === 0) return undefined;
    const now = Date.now();
    const start = this.cursor.get(track) ?? 0;
    for (let i = 0; i < list.length; i++) {
      const candidate = list[(start + i) % list.length]!;
      if (!tried.has(candidate) && candidate.available(now)) {
        this.cursor.set(track, (start + i + 1) % list.length);
        return candidate;
      }
    }
    return undefined;
  }

  failed(upstream: Upstream, connection: boolean): void {
    upstream.failed(connection, this.ejectMs);
  }

  /** Checks every upstream now and then every intervalMs. */
  startHealthChecks(intervalMs: number): Promise<void> {
    const round = () => Promise.all([...this.byName.values()].flat().map((u) => this.check(u))).then(() => undefined);
    this.timer = setInterval(() => void round(), intervalMs);
    this.timer.unref();
    return round();
  }

  private async check(upstream: Upstream): Promise<void> {
    let ok = false;
    try {
      const res = await upstream.pool.request({ method: 'GET', path: '/healthz', headersTimeout: 1000, bodyTimeout: 1000 });
      await res.body.dump();
      ok = res.statusCode === 200;
    } catch {
      ok = false;
    }
    if (!ok) {
      upstream.healthy = false;
    } else if (Date.now() >= upstream.ejectedUntil) {
      upstream.healthy = true;
      upstream.failures = 0;
    }
  }

  view(): TrackView[] {
    const now = Date.now();
    return [...this.byName].map(([track, list]) => ({
      track,
      upstreams: list.map((u) => ({ url: u.url, available: u.available(now), healthy: u.healthy, ejectedForMs: Math.max(0, u.ejectedUntil - now) })),
    }));
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await Promise.all([...this.byName.values()].flat().map((u) => u.pool.destroy()));
  }
}
