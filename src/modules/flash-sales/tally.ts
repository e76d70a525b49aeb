// Answers a node gives before the stock gate (its sold-out flag, a quantity over the limit, the risk hook,
// the account age) still belong in the sale's counters, or the live numbers would show a few thousand
// attempts for a rush of a hundred thousand. Counting each in Redis would cost a round trip per attempt,
// which is what the sold-out flag exists to avoid; so they are counted in memory and added to the gate's
// counters every FLUSH_MS, one call per sale.
import type { EarlyOutcome, StockGate } from './gate/index.ts';

const FLUSH_MS = 250;

export class EarlyTally {
  private counts = new Map<string, Partial<Record<EarlyOutcome, number>>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly gate: StockGate,
    private readonly onError: (error: unknown, saleId: string) => void,
  ) {}

  count(saleId: string, outcome: EarlyOutcome): void {
    let sale = this.counts.get(saleId);
    if (!sale) {
      sale = {};
      this.counts.set(saleId, sale);
    }
    sale[outcome] = (sale[outcome] ?? 0) + 1;
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), FLUSH_MS);
      this.timer.unref();
    }
  }

  /** Adds what was counted to the gate now (the timer does this; also at close, and in tests). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.counts;
    this.counts = new Map();
    // A failed add is lost from the statistics only; sales and stock never depend on these counts.
    await Promise.all([...batch].map(([saleId, counts]) => this.gate.tally(saleId, counts).catch((error: unknown) => this.onError(error, saleId))));
  }
}
