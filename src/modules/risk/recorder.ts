// Stored decisions are written off the hot path: decide() queues them here and a timer writes each
// platform's queue in one statement. A decision is kept if it is not an allow, or if it falls in the
// policy's allow sample. A full queue (the database stalled) takes no more: new decisions are counted as
// dropped rather than holding memory without bound.
import type { ModuleContext } from '../../kernel/context.ts';
import { insertDecisions, type StoredDecision } from './store.ts';

const FLUSH_MS = 200;
const MAX_QUEUED = 20_000;

export class DecisionRecorder {
  private queue: { platformId: string; decision: StoredDecision }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  dropped = 0;

  /** complete: what to do to each decision before it is written (runtime.ts: fill in deferred signals). */
  constructor(
    private readonly ctx: Pick<ModuleContext, 'platformDb' | 'log'>,
    private readonly complete: (decision: StoredDecision) => void = () => undefined,
  ) {}

  record(platformId: string, decision: StoredDecision): void {
    if (this.queue.length >= MAX_QUEUED) {
      this.dropped += 1;
      return;
    }
    this.queue.push({ platformId, decision });
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), FLUSH_MS);
    this.timer.unref();
  }

  /** Writes everything queued so far (tests call it to read their decisions back at once). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.flushing = this.write(batch).finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private async write(batch: { platformId: string; decision: StoredDecision }[]): Promise<void> {
    const byPlatform = new Map<string, StoredDecision[]>();
    for (const { platformId, decision } of batch) {
      this.complete(decision);
      const list = byPlatform.get(platformId);
      if (list) list.push(decision);
      else byPlatform.set(platformId, [decision]);
    }
    for (const [platformId, decisions] of byPlatform) {
      try {
        await insertDecisions(this.ctx.platformDb(platformId), decisions);
      } catch (error) {
        this.dropped += decisions.length;
        this.ctx.log.warn({ err: error, platformId, decisions: decisions.length }, 'risk decisions could not be stored; they are dropped');
      }
    }
  }
}
