// How far behind this node's event loop runs, measured by timer drift: a timer asks to run every
// TICK_MS, and how late it runs is the lag. A loop busy with a backlog of socket reads does not run the
// timer at all, so the time since the timer was due counts too: the gauge rises while the loop is still
// stuck, not only after. A late tick's lag decays by half each punctual tick, so one slow moment does
// not shed chat for long. Reading it costs a clock read and a comparison (it runs on every chat frame).
const TICK_MS = 20;

export interface LoadGauge {
  /**
   * True while the loop lags more than the threshold, or the caller's own queue (a room's fan-out
   * backlog, in ms) is older than it (never with a threshold of 0).
   */
  overloaded(backlogMs?: number): boolean;
  /** The lag now, in milliseconds. */
  lagMs(): number;
}

export class LagMonitor implements LoadGauge {
  private timer: NodeJS.Timeout | undefined;
  private due = performance.now() + TICK_MS;
  private lastLag = 0;

  constructor(private readonly thresholdMs: number) {}

  start(): void {
    if (this.timer || this.thresholdMs === 0) return;
    this.due = performance.now() + TICK_MS;
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.lastLag = 0;
  }

  lagMs(): number {
    if (!this.timer) return 0;
    return Math.max(this.lastLag, performance.now() - this.due);
  }

  overloaded(backlogMs = 0): boolean {
    return this.thresholdMs > 0 && Math.max(this.lagMs(), backlogMs) > this.thresholdMs;
  }

  private tick(): void {
    const now = performance.now();
    this.lastLag = Math.max(0, now - this.due, this.lastLag / 2);
    this.due = now + TICK_MS;
  }
}
