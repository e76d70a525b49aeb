// Sends pending refunds to their providers, outside any transaction: at once when a request or event
// handler reserved them (kicked after its commit), and by a periodic sweep for refunds whose sender died
// (their claim ran out). One instance per Souk; in-flight work is awaited when the app closes.
import type { ModuleContext } from '../../kernel/context.ts';
import type { PaymentsDeps } from './deps.ts';
import { sendPendingRefunds } from './refunds.ts';
import { MODULE_NAME } from './settings.ts';

/** A kick from an event handler runs before its transaction commits; these retries catch the commit. */
const KICK_DELAYS_MS = [0, 50, 300, 1_500];

export class RefundWorker {
  private stopped = false;
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly ctx: ModuleContext) {}

  /** Runs background work, kept so close() can wait for it; never throws. */
  track(work: Promise<void>): Promise<void> {
    const guarded = work.catch((error: unknown) => this.ctx.log.warn({ err: error }, 'payments background work failed'));
    this.inFlight.add(guarded);
    void guarded.finally(() => this.inFlight.delete(guarded));
    return guarded;
  }

  kick(deps: PaymentsDeps, platformId: string, refundIds: readonly string[]): void {
    for (const delay of KICK_DELAYS_MS) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (!this.stopped) void this.track(sendPendingRefunds(deps, platformId, refundIds));
      }, delay);
      timer.unref();
      this.timers.add(timer);
    }
  }

  startSweeping(deps: PaymentsDeps, everyMs: number): void {
    if (this.sweepTimer || this.stopped) return;
    const sweep = () => {
      if (this.stopped) return;
      const platforms = this.ctx.platforms.all().filter((p) => p.modules.includes(MODULE_NAME));
      const round = this.track(
        (async () => {
          for (const platform of platforms) await sendPendingRefunds(deps, platform.id);
        })(),
      );
      void round.then(() => {
        if (!this.stopped) this.sweepTimer = setTimeout(sweep, everyMs).unref();
      });
    };
    this.sweepTimer = setTimeout(sweep, everyMs).unref();
  }

  get closed(): boolean {
    return this.stopped;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.all([...this.inFlight]);
  }
}
