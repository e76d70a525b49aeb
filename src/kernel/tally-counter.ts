// A Prometheus counter for hot paths: an increment adds to a plain number found through one Map per
// label, and prom-client's counter is brought up to date only when it is read (its collect hook, at each
// scrape). prom-client's own inc hashes and validates the label object on every call, which on the risk
// engine's path cost more than a tenth of a decision. The label values a caller passes are the counter's
// own (point names, rule ids, actions), so their number stays bounded as prom-client's would.
import { Counter, type CounterConfiguration } from 'prom-client';

interface Cell {
  n: number;
  labels: Record<string, string>;
}
type Level = Map<string, Level | Cell>;

export class TallyCounter<L extends string> {
  readonly counter: Counter<L>;
  private readonly root: Level = new Map();
  private readonly cells: Cell[] = [];
  private readonly names: readonly L[];

  constructor(config: CounterConfiguration<L> & { labelNames: readonly L[] }) {
    if (config.labelNames.length < 1 || config.labelNames.length > 3) throw new Error('a TallyCounter has one to three labels');
    this.names = config.labelNames;
    const flush = () => this.flush();
    this.counter = new Counter<L>({
      ...config,
      collect() {
        flush();
      },
    });
  }

  /** Adds one to the count of the label values, given in the order of labelNames. */
  inc(a: string, b?: string, c?: string): void {
    const values = [a, b, c];
    let level = this.root;
    for (let i = 0; i < this.names.length - 1; i += 1) {
      const value = values[i] ?? '';
      let next = level.get(value) as Level | undefined;
      if (!next) level.set(value, (next = new Map()));
      level = next;
    }
    const last = values[this.names.length - 1] ?? '';
    const cell = level.get(last) as Cell | undefined;
    if (cell) cell.n += 1;
    else this.add(level, last, values);
  }

  private add(level: Level, last: string, values: (string | undefined)[]): void {
    const labels: Record<string, string> = {};
    this.names.forEach((name, i) => (labels[name] = values[i] ?? ''));
    const cell = { n: 1, labels };
    level.set(last, cell);
    this.cells.push(cell);
  }

  /** Moves the pending counts into the Prometheus counter (also done at every scrape). */
  flush(): void {
    for (const cell of this.cells) {
      if (cell.n === 0) continue;
      this.counter.inc(cell.labels as Record<L, string>, cell.n);
      cell.n = 0;
    }
  }
}
