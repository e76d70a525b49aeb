// Links between accounts: how many distinct accounts this node has seen on a device, an IP or a shipping
// address (any decision point of the platform). A farm shows up as one device or address behind dozens
// of accounts; a household as two or three. In process, per node: each node sees the accounts that come
// through it (with several nodes behind a balancer that keeps clients on one node, that is all of them).
// Memory is bounded: each set stops growing at MAX_ACCOUNTS, and each kind's map at maxKeys keys (then
// its oldest tenth goes).

export const LINK_KINDS = ['device', 'ip', 'address'] as const;
export type LinkKind = (typeof LINK_KINDS)[number];
/** Past this a cluster size reads as this: no rule needs to tell 100 accounts from 1,000. */
const MAX_ACCOUNTS = 100;

export class AccountLinks {
  private readonly platforms = new Map<string, Map<string, Set<string>>[]>();

  constructor(private readonly maxKeys = 200_000) {}

  /** Records the account on the keys given (undefined: unknown) and returns the account counts, in LINK_KINDS order. */
  link(platformId: string, accountId: string, keys: readonly (string | undefined)[], out: number[]): void {
    let maps = this.platforms.get(platformId);
    if (!maps) {
      maps = LINK_KINDS.map(() => new Map<string, Set<string>>());
      this.platforms.set(platformId, maps);
    }
    for (let k = 0; k < LINK_KINDS.length; k++) {
      const key = keys[k];
      if (key === undefined) {
        out[k] = 0;
        continue;
      }
      const map = maps[k]!;
      let accounts = map.get(key);
      if (!accounts) {
        if (map.size >= this.maxKeys) {
          let drop = Math.ceil(map.size / 10);
          for (const old of map.keys()) {
            if (drop-- <= 0) break;
            map.delete(old);
          }
        }
        accounts = new Set();
        map.set(key, accounts);
      }
      if (accounts.size < MAX_ACCOUNTS) accounts.add(accountId);
      out[k] = accounts.size;
    }
  }

  clear(): void {
    this.platforms.clear();
  }
}
