// Whether the NATS connection is up right now. While the client reconnects, a JetStream request only fails
// after its timeout; the relay and the consumer loops ask here first and wait for the reconnect instead.
import type { NatsConnection } from '@nats-io/transport-node';

export class NatsLink {
  private up = true;
  private waiters = new Set<() => void>();

  constructor(nc: NatsConnection) {
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === 'disconnect') this.up = false;
        else if (status.type === 'reconnect') this.set(true);
      }
      // The status iterator ends when the connection closes: release anyone still waiting.
      this.set(false);
      for (const wake of [...this.waiters]) wake();
    })();
  }

  get connected(): boolean {
    return this.up;
  }

  private set(up: boolean): void {
    this.up = up;
    if (up) for (const wake of [...this.waiters]) wake();
  }

  /** Resolves when the connection is up, at the latest after `maxMs`. */
  waitUntilConnected(maxMs: number): Promise<void> {
    if (this.up) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, maxMs);
      this.waiters.add(done);
    });
  }
}

export class NatsUnavailable extends Error {
  constructor() {
    super('NATS is not connected (reconnecting)');
  }
}
