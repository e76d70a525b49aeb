// One viewer's way out: a bounded send queue in priority lanes in front of its socket.
//
// A frame goes straight to the socket while the socket keeps up (its unsent bytes, ws bufferedAmount,
// stay under the high-water mark). Once it falls behind, frames wait here and are sent as the socket
// drains, critical first, then high, then low. When more than `limit` high and low frames wait, the
// oldest chat is dropped, then the oldest high frame; critical frames are never dropped. Drops are
// counted, and the viewer gets a `missed` frame before its next frames so it knows chat went missing.
// Separately, a per-viewer delivery cap samples chat: at most `capPerSecond` low frames a second reach
// the viewer, whatever the room's rate (a token bucket, so a quiet room's bursts still come through).
import { Fifo } from './fifo.ts';
import { encodeFrame, type Frame, type Lane } from './lanes.ts';

/** The part of a ws WebSocket this needs (tests may pass a fake). */
export interface FrameSocket {
  readonly bufferedAmount: number;
  readonly readyState: number;
  send(data: Frame, options: { binary: false }): void;
  terminate(): void;
}

const OPEN = 1;
/** How often a queue that is behind looks at its socket again. */
const RETRY_MS = 15;
/**
 * Critical frames are never dropped, so a viewer that takes none of them for this long a queue is gone
 * in all but name: its connection is cut and it resumes from history when it comes back.
 */
const CRITICAL_LIMIT = 10_000;

export interface QueueOptions {
  /** High and low frames that may wait (SOUK_LIVE_SEND_QUEUE). */
  limit: number;
  /** Unsent socket bytes above which the viewer counts as behind (SOUK_LIVE_HIGH_WATER_BYTES). */
  highWaterBytes: number;
  /** Chat frames a second this viewer receives at most. */
  capPerSecond: number;
}

export interface QueueCounters {
  delivered: number;
  /** Frames dropped because the viewer fell behind (it is told). */
  dropped: number;
  /** Chat frames skipped by the delivery cap (sampling, by design: not reported to the viewer). */
  sampled: number;
}

export class ViewerQueue {
  private readonly lanes: Record<Lane, Fifo<Frame>> = { critical: new Fifo(), high: new Fifo(), low: new Fifo() };
  private missedUnreported = 0;
  private tokens: number;
  private refilledAt = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  readonly counters: QueueCounters = { delivered: 0, dropped: 0, sampled: 0 };

  constructor(
    private readonly socket: FrameSocket,
    private readonly options: QueueOptions,
    /** Told of every drop and delivery, for the metrics. */
    private readonly onCount: (kind: keyof QueueCounters, n: number) => void = () => {},
  ) {
    this.tokens = options.capPerSecond;
  }

  /** Frames waiting in every lane. */
  get depth(): number {
    return this.lanes.critical.length + this.lanes.high.length + this.lanes.low.length;
  }

  send(frame: Frame, lane: Lane): void {
    if (this.closed) return;
    if (lane === 'low' && !this.takeToken()) {
      this.count('sampled', 1);
      return;
    }
    if (this.depth === 0 && this.missedUnreported === 0 && this.writable()) {
      this.write(frame);
      return;
    }
    this.lanes[lane].push(frame);
    if (lane === 'critical') {
      if (this.lanes.critical.length > CRITICAL_LIMIT) this.cut();
    } else if (this.lanes.high.length + this.lanes.low.length > this.options.limit) {
      // The oldest chat goes first; only a queue full of high frames loses one of those.
      (this.lanes.low.length > 0 ? this.lanes.low : this.lanes.high).shift();
      this.missedUnreported += 1;
      this.count('dropped', 1);
    }
    this.schedule();
  }

  /** Sends what the socket takes now, most important first; comes back later for the rest. */
  flush(): void {
    this.timer = undefined;
    if (this.closed) return;
    if (this.socket.readyState !== OPEN) {
      this.close();
      return;
    }
    while (this.writable()) {
      if (this.missedUnreported > 0) {
        this.write(encodeFrame({ type: 'missed', count: this.missedUnreported }));
        this.missedUnreported = 0;
        continue;
      }
      const frame = this.lanes.critical.shift() ?? this.lanes.high.shift() ?? this.lanes.low.shift();
      if (frame === undefined) return;
      this.write(frame);
    }
    this.schedule();
  }

  /** Stops sending and forgets what waits (the socket closed). */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const lane of Object.values(this.lanes)) lane.clear();
  }

  private writable(): boolean {
    return this.socket.readyState === OPEN && this.socket.bufferedAmount < this.options.highWaterBytes;
  }

  private write(frame: Frame): void {
    this.socket.send(frame, { binary: false });
    this.count('delivered', 1);
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => this.flush(), RETRY_MS);
  }

  private takeToken(): boolean {
    const now = Date.now();
    const cap = this.options.capPerSecond;
    this.tokens = Math.min(cap, this.tokens + ((now - this.refilledAt) / 1000) * cap);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private cut(): void {
    this.close();
    this.socket.terminate();
  }

  private count(kind: keyof QueueCounters, n: number): void {
    this.counters[kind] += n;
    this.onCount(kind, n);
  }
}
