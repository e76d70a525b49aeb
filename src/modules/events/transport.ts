// What a transport does. The outbox, inbox, retries and dead letters are the same for every transport;
// a transport decides how committed events travel from the outbox to the consumers.
import type { Subscription } from './types.ts';

export interface ConsumerRunner {
  stop(): Promise<void>;
}

export interface Transport {
  readonly kind: 'embedded' | 'jetstream';
  /** Moves up to `limit` committed outbox rows into the event log (and the broker); returns how many. */
  relay(limit: number): Promise<number>;
  /** Starts delivering events to the subscription until stop(). */
  startConsumer(sub: Subscription, wake: WakeSignal): ConsumerRunner;
  /** Re-delivers retained events from a log position (offset) or time to the consumer. */
  replay(sub: Subscription, from: { offset?: number; since?: Date }): Promise<{ fromOffset: number }>;
  /** Events retained in the transport that the consumer has not reached yet. */
  lag(consumer: string): Promise<number>;
  close(): Promise<void>;
}

/** Lets the relay wake idle consumers on this node as soon as it moved events, instead of waiting a poll. */
/**
 * How long an idle polling loop sleeps: pollMs after work, doubling with each idle round up to maxMs.
 * An idle node then costs a few queries a second instead of twenty per loop, while work emitted on this
 * node still starts at once (emit and relay wake the loops); work from other nodes waits at most maxMs.
 */
export class IdleBackoff {
  private idleRounds = 0;

  constructor(private readonly pollMs: number, private readonly maxMs: number) {}

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

export class WakeSignal {
  private waiters = new Set<() => void>();

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
