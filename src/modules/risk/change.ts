// How every write to a platform's risk state commits: in one transaction that also NOTIFYs the other
// nodes (delivered at commit), then this node drops its compiled state, so the next decision anywhere
// runs what was written. Policies, lists and shadow policies all go through here.
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { RISK_CHANNEL, type RiskRuntime } from './runtime.ts';

export async function commitRiskChange<T>(runtime: RiskRuntime, pdb: PlatformDb, write: (tx: PlatformDb) => Promise<T>): Promise<T> {
  try {
    return await pdb.transaction(async (tx) => {
      const result = await write(tx);
      if (tx.engine === 'postgres') await tx.execute(`select pg_notify('${RISK_CHANNEL}', $1::text)`);
      return result;
    });
  } finally {
    runtime.invalidate(pdb.platformId);
  }
}
