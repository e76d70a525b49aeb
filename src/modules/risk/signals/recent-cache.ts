// A bounded cache that keeps what was used recently: two generations of at most `size` entries each. A
// lookup reads the young generation, then the old one (promoting a hit); when the young one fills, it
// becomes the old one and the previous old one is dropped. That is LRU to within one generation, at the
// cost of one or two Map reads per hit (a strict LRU reorders on every hit). A flood of distinct keys
// (made-up user agents) can push out at most what was not used during the last `size` new keys.

export class RecentCache<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();

  constructor(private readonly size: number) {}

  /** The cached value of key, or make(key) cached. */
  get(key: string, make: (key: string) => V): V {
    const young = this.young.get(key);
    if (young !== undefined || this.young.has(key)) return young as V;
    let value: V;
    if (this.old.has(key)) value = this.old.get(key) as V;
    else value = make(key);
    if (this.young.size >= this.size) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
    return value;
  }

  get entries(): number {
    return this.young.size + this.old.size;
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
  }
}
