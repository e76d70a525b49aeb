// Links between accounts: how many distinct accounts were seen on a device, an IP, a shipping address or
// a payment instrument (any decision point of the platform; the instrument, as the payment provider
// fingerprints the card, reaches only the payment point). A farm shows up as one device, address or card
// behind dozens of accounts; a household as two or three. The hot path only touches memory: each node keeps the accounts
// it saw; with REDIS_URL, links-redis.ts adds this node's new links to one Redis set per key in batches
// and reads each touched key's cluster-wide count back, which the signals then take when it is larger,
// so every node reports the same cluster size (within one sync interval).
// Memory is bounded: each set stops growing at MAX_ACCOUNTS, and each kind's map at maxKeys keys (then
// its oldest tenth goes).

export const LINK_KINDS = ['device', 'ip', 'address', 'instrument'] as const;
export type LinkKind = (typeof LINK_KINDS)[number];
/** Past this a cluster size reads as this: no rule needs to tell 100 accounts from 1,000. */
export const MAX_ACCOUNTS = 100;

/** One key's accounts on this node, and the count across nodes as of the last sync (0 without one). */
export interface LinkEntry {
  accounts: Set<string>;
  cluster: number;
  /** 1 while the entry waits in the sync's queue of keys to read back. */
  queued: number;
}

/** What the sync sends and reads: new (key, account) links, and keys touched since the last sync. */
export interface LinkChanges {
  added: { platformId: string; kind: number; key: string; account: string }[];
  touched: { platformId: string; kind: number; key: string; entry: LinkEntry }[];
}

export class AccountLinks {
  private readonly platforms = new Map<string, Map<string, LinkEntry>[]>();
  private sharing = false;
  private changes: LinkChanges = { added: [], touched: [] };

  constructor(private readonly maxKeys = 200_000) {}

  /** Records the account on the keys given (undefined: unknown) and returns the account counts, in LINK_KINDS order. */
  link(platformId: string, accountId: string, keys: readonly (string | undefined)[], out: number[]): void {
    let maps = this.platforms.get(platformId);
    if (!maps) {
      maps = LINK_KINDS.map(() => new Map<string, LinkEntry>());
      this.platforms.set(platformId, maps);
    }
    for (let k = 0; k < LINK_KINDS.length; k++) {
      const key = keys[k];
      if (key === undefined) {
        out[k] = 0;
        continue;
      }
      const map = maps[k]!;
      let entry = map.get(key);
      if (!entry) {
        if (map.size >= this.maxKeys) {
          let drop = Math.ceil(map.size / 10);
          for (const old of map.keys()) {
            if (drop-- <= 0) break;
            map.delete(old);
          }
        }
        entry = { accounts: new Set(), cluster: 0, queued: 0 };
        map.set(key, entry);
      }
      const { accounts } = entry;
      if (accounts.size < MAX_ACCOUNTS && !accounts.has(accountId)) {
        accounts.add(accountId);
        if (this.sharing) this.changes.added.push({ platformId, kind: k, key, account: accountId });
      }
      if (this.sharing && entry.queued === 0) {
        entry.queued = 1;
        this.changes.touched.push({ platformId, kind: k, key, entry });
      }
      out[k] = Math.max(accounts.size, entry.cluster);
    }
  }

  /** Queues links and touched keys for a sync from now on (links-redis.ts). */
  share(): void {
    this.sharing = true;
  }

  /** What changed since the last call; the touched keys may be queued again. */
  takeChanges(): LinkChanges {
    const taken = this.changes;
    this.changes = { added: [], touched: [] };
    for (const t of taken.touched) t.entry.queued = 0;
    return taken;
  }

  /** Puts links back (their send failed). */
  requeue(added: LinkChanges['added']): void {
    this.changes.added.push(...added);
  }

  clear(): void {
    this.platforms.clear();
    this.changes = { added: [], touched: [] };
  }
}
