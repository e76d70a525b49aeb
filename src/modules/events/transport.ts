// What a transport does. The outbox, inbox, retries and dead letters are the same for every transport;
// a transport decides how committed events travel from the outbox to the consumers.
import type { Subscription } from './types.ts';
import { offsetBeyondHead } from './problems.ts';
import type { RelayResult } from './relay.ts';

export interface ConsumerRunner {
  stop(): Promise<void>;
}

export interface Transport {
  readonly kind: 'embedded' | 'jetstream';
  /** Moves up to `limit` committed outbox rows into the event log (and the broker). */
  relay(limit: number): Promise<RelayResult>;
  /** Starts delivering events to the subscription until stop(); `wake` fires when events of its kinds were relayed. */
  startConsumer(sub: Subscription, wake: WakeSignal): ConsumerRunner;
  /**
   * Re-delivers retained events from a log position (offset) or time to the consumer. An offset past
   * head + 1 is refused (422 offset_beyond_head): the consumer would wait there and skip every event
   * logged before it. head + 1 itself means "from the next event".
   */
  replay(sub: Subscription, from: { offset?: number; since?: Date }): Promise<{ fromOffset: number }>;
  /**
   * The log's head minus the consumer's position: events it has not reached yet. Negative when the
   * consumer stands beyond the head (it would skip that many new events); never clamped to 0, so such a
   * consumer shows up instead of looking caught up.
   */
  lag(consumer: string): Promise<number>;
  /** lag() of several consumers (the janitor's metrics), in as few round trips as the transport can. */
  lags(consumers: readonly string[]): Promise<Map<string, number>>;
  close(): Promise<void>;
}

/** Refuses a replay offset the log has not reached: only 1 .. head + 1 are places a consumer can stand. */
export function assertOffsetWithinHead(offset: number, head: number): void {
  if (offset > head + 1) {
    throw offsetBeyondHead(offset, head);
  }
}

/**
 * How long an idle polling loop sleeps: pollMs after work, doubling with each idle round up to maxMs.
 * An idle node then costs a few queries a second instead of twenty per loop, while work emitted on this
 * node still starts at once (emit and relay wake the loops); work from other nodes waits at most maxMs.
 */
export class IdleBackoff {
  private idleRounds = 0;

  constructor(private readonly pollMs: number, private readonly maxMs: number) {}

  /** Back to pollMs: a wake-up (a local emit, say) means work is coming, even if the next round misses it. */
  reset(): void {
    this.idleRounds = 0;
  }

  /** The sleep before the next round, given whether this one found work (0: go on at once). */
  after(worked: boolean): number {
    if (worked) {
      this.idleRounds = 0;
      return 0;
    }
    const ms = Math.min(Math.max(this.maxMs, this.pollMs), this.pollMs * 2 ** Math.min(this.idleRounds, 20));
    this.idleRounds += 1;
    return ms;
  }
}

/**
 * Wakes a sleeping loop. A wake-up while the loop is busy is kept for its next wait, so work announced
 * during a round (events relayed while the consumer was handling the previous batch) is not slept past.
 */
export class WakeSignal {
  private waiters = new Set<() => void>();
  private pending = false;

  /** Resolves after `ms`, or earlier on wake(); true when woken (at once if woken since the last wait). */
  wait(ms: number): Promise<boolean> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const done = (woken: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(onWake);
        resolve(woken);
      };
      const onWake = () => done(true);
      const timer = setTimeout(() => done(false), ms);
      this.waiters.add(onWake);
    });
  }

  wake(): void {
    if (this.waiters.size === 0) {
      this.pending = true;
      return;
    }
    for (const waiter of [...this.waiters]) waiter();
  }
}

/**
 * Sleeps as the back-off says, or, when there is more work, still yields to the event loop: on PGlite a
 * query needs no I/O, so a loop that never yields would starve HTTP requests and timers while it drains
 * a backlog.
 */
export async function pause(idle: IdleBackoff, wake: WakeSignal, worked: boolean, running: () => boolean): Promise<void> {
  const ms = idle.after(worked);
  if (ms === 0) {
    await new Promise((resolve) => setImmediate(resolve));
    return;
  }
  if (running() && (await wake.wait(ms))) idle.reset();
}
