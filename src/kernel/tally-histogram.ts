// A Prometheus histogram for hot paths, with one label: an observation adds to plain numbers (the bucket
// it falls in, the sum and the count) found through one Map read on the label value. prom-client's
// Histogram.observe validates and hashes the label object and makes a closure on every call; on the
// risk engine's path that was as much as the velocity counters. The metric registers itself in the
// registries as prom-client's own do and reads out in the same shape (cumulative buckets with le, +Inf,
// _sum and _count), so /metrics shows exactly what a prom-client Histogram fed the same values would.
import type { Registry } from 'prom-client';

interface Cell {
  /** Per bucket, the observations that fell in it (not cumulative); the last one is past every bound. */
  counts: number[];
  sum: number;
  count: number;
  labels: Record<string, string>;
}

interface ValuePair {
  labels: Record<string, string | number>;
  sharedLabels: Record<string, string>;
  value: number;
  metricName: string;
}

export interface TallyHistogramConfiguration<L extends string> {
  name: string;
  help: string;
  labelNames: readonly [L];
  /** Upper bounds in ascending order (seconds, for a latency). */
  buckets: readonly number[];
  registers: Registry[];
}

export class TallyHistogram<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly label: L;
  private readonly bounds: readonly number[];
  private readonly cells = new Map<string, Cell>();

  constructor(config: TallyHistogramConfiguration<L>) {
    const bounds = [...config.buckets];
    if (bounds.length === 0 || bounds.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= bounds[i - 1]!))) throw new Error(`${config.name}: buckets must be finite and ascending`);
    this.name = config.name;
    this.help = config.help;
    this.label = config.labelNames[0];
    this.bounds = bounds;
    // prom-client's registries take any object that reads out like its metrics (get, reset, name).
    for (const registry of config.registers) registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** Counts one observation of value for the label's value. */
  observe(labelValue: string, value: number): void {
    if (!Number.isFinite(value)) return;
    let cell = this.cells.get(labelValue);
    if (cell === undefined) {
      cell = { counts: new Array<number>(this.bounds.length + 1).fill(0), sum: 0, count: 0, labels: { [this.label]: labelValue } };
      this.cells.set(labelValue, cell);
    }
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    cell.counts[i]! += 1;
    cell.sum += value;
    cell.count += 1;
  }

  /** As prom-client's getForPromString: what the registry's text format reads. */
  getForPromString(): Promise<{ name: string; help: string; type: 'histogram'; values: ValuePair[]; aggregator: 'sum' }> {
    const values: ValuePair[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const cell of this.cells.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += cell.counts[i]!;
        values.push({ labels: { le: this.bounds[i]! }, sharedLabels: cell.labels, value: cumulative, metricName: bucketName });
      }
      values.push({ labels: { le: '+Inf' }, sharedLabels: cell.labels, value: cell.count, metricName: bucketName });
      values.push({ labels: {}, sharedLabels: cell.labels, value: cell.sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: cell.labels, value: cell.count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  /** As prom-client's get (getMetricsAsJSON): each value's labels with the label of its cell among them. */
  async get(): Promise<{ name: string; help: string; type: 'histogram'; values: { value: number; metricName: string; exemplar: null | undefined; labels: Record<string, string | number> }[]; aggregator: 'sum' }> {
    const read = await this.getForPromString();
    // Buckets carry an empty exemplar (null) and the sum and count none, as prom-client's do.
    const values = read.values.map(({ labels, sharedLabels, value, metricName }) => ({ value, metricName, exemplar: 'le' in labels ? null : undefined, labels: { ...labels, ...sharedLabels } }));
    return { ...read, values };
  }

  reset(): void {
    this.cells.clear();
  }
}
