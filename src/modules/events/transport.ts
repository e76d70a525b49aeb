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
