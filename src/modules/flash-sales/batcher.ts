// Group commit for the hot path. On this kind of machine a database round trip costs about 0.3 ms of
// client CPU whatever it carries, so a rush that made one round trip per request would be bounded by the
// round trips, not by the work. The batcher queues items per key (a platform, a sale) and runs them
// together: the first item waits one turn of the event loop for company, and while a key has its
// maximum of batches in flight, new items gather for the next one. So at low load an item costs one
// round trip of latency, and under a rush batches grow by themselves instead of queueing round trips.

interface Waiting<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

interface KeyState<I, O> {
  queue: Waiting<I, O>[];
  inFlight: number;
  scheduled: boolean;
}

export interface BatcherOptions<I, O> {
  /** Runs one batch of one key; answers each item in the same order (or throws for the whole batch). */
  run: (key: string, items: I[]) => Promise<O[]>;
  maxBatch: number;
  /** Batches of one key running at once; more items wait for one to finish. */
  maxInFlight: number;
}

export class Batcher<I, O> {
  private readonly keys = new Map<string, KeyState<I, O>>();

  constructor(private readonly options: BatcherOptions<I, O>) {}

  submit(key: string, item: I): Promise<O> {
    let state = this.keys.get(key);
    if (!state) {
      state = { queue: [], inFlight: 0, scheduled: false };
      this.keys.set(key, state);
    }
    const queued = new Promise<O>((resolve, reject) => state.queue.push({ item, resolve, reject }));
    if (!state.scheduled && state.inFlight < this.options.maxInFlight) {
      // Wait one turn so the requests parsed in this turn of the event loop join the same batch.
      state.scheduled = true;
      setImmediate(() => {
        state.scheduled = false;
        this.pump(key, state);
      });
    }
    return queued;
  }

  private pump(key: string, state: KeyState<I, O>): void {
    while (state.queue.length > 0 && state.inFlight < this.options.maxInFlight) {
      const batch = state.queue.splice(0, this.options.maxBatch);
      state.inFlight += 1;
      // runBatch settles every waiter itself and never rejects.
      void this.runBatch(key, batch).finally(() => {
        state.inFlight -= 1;
        this.pump(key, state);
      });
    }
    if (state.queue.length === 0 && state.inFlight === 0 && !state.scheduled) this.keys.delete(key);
  }

  private async runBatch(key: string, batch: Waiting<I, O>[]): Promise<void> {
    try {
      const results = await this.options.run(key, batch.map((w) => w.item));
      if (results.length !== batch.length) throw new Error(`a batch of ${batch.length} answered ${results.length} results`);
      batch.forEach((w, i) => w.resolve(results[i]!));
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }
}
