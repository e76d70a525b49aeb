// Which nodes are alive, and what a survivor does about one that is not. Every node beats (a key per node
// with a TTL of SOUK_FLASH_NODE_TIMEOUT_MS, and its id in a registry hash); every node also looks, on each
// beat, for registered nodes whose heartbeat key has lapsed. Such a node may have died between a winning
// take and its ticket's commit: the gate recorded those takes as in flight under its id (gate/types.ts).
// One survivor claims the dead node (SET NX with a hold, so two survivors do not both work on it and a
// survivor that dies while recovering leaves it to another), and for every scheduled sale in which the
// dead node has takes in flight it reconciles the gate against the tickets (reason node_lost): the
// rebuild counts what was committed and returns the rest. The rebuild bumps the sale's epoch, which also
// fences a node that was only paused, not dead: its late ticket inserts are refused as stale.
//
// The heartbeat lives in Redis, whose clock decides expiry, so nodes' clocks need not agree. With the
// in-process gate there is one node and nothing to recover; the in-memory registry keeps the same code
// path (and lets the tests stand a dead node beside a live one).
import { MODULE_NAME } from './settings.ts';
import type { FlashRuntime } from './runtime.ts';
import { reconcileSale } from './reconcile.ts';

export interface NodeLostReport {
  nodeId: string;
  /** Sales whose gate the dead node had takes in flight in, and what their reconciliation did. */
  sales: Array<{ platformId: string; saleId: string; inFlight: number; repaired: boolean; lostUnitsReturned: number }>;
}

/** Recovers one lapsed node (the caller holds its claim): every sale it had takes in flight in is reconciled. */
async function recoverNode(rt: FlashRuntime, nodeId: string): Promise<NodeLostReport> {
  const report: NodeLostReport = { nodeId, sales: [] };
  for (const platform of rt.ctx.platforms.all()) {
    if (platform.status !== 'active' || !platform.modules.includes(MODULE_NAME)) continue;
    const pdb = rt.ctx.platformDb(platform.id);
    // Only scheduled sales have a loaded gate; this query runs once per dead node, not per beat.
    const sales = await pdb.query<{ id: string }>(`select id from flash_sales where platform_id = $1 and status = 'scheduled'`);
    for (const { id: saleId } of sales) {
      const inFlight = (await rt.gate.inFlight(saleId))[nodeId] ?? 0;
      if (inFlight === 0) continue;
      const result = await reconcileSale(rt, pdb, saleId, { reason: 'node_lost' });
      report.sales.push({ platformId: platform.id, saleId, inFlight, repaired: result.repaired, lostUnitsReturned: result.lostUnitsReturned });
    }
  }
  return report;
}

/** Recovery of every node found dead (one claimed by another survivor is left to it). */
export async function recoverLapsedNodes(rt: FlashRuntime): Promise<NodeLostReport[]> {
  const { nodes, nodeId, env } = rt;
  const reports: NodeLostReport[] = [];
  for (const dead of await nodes.lapsed()) {
    if (dead === nodeId) continue;
    // Held long enough for a reconciliation of every affected sale; released at once if recovery fails.
    if (!(await nodes.claim(dead, nodeId, Math.max(30_000, 6 * env.nodeTimeoutMs)))) continue;
    try {
      const report = await recoverNode(rt, dead);
      await nodes.forget(dead);
      rt.metrics.nodesLost.inc();
      rt.ctx.log.warn({ node: dead, by: nodeId, sales: report.sales }, 'flash-sale node lost; its in-flight takes were reconciled');
      reports.push(report);
    } catch (error) {
      await nodes.release(dead).catch(() => undefined);
      rt.ctx.log.warn({ err: error, node: dead }, 'recovering a lost flash-sale node failed; retrying on the next beat');
    }
  }
  return reports;
}

/** Beats every third of the timeout, so two missed beats in a row still leave the key alive. */
export function startHeartbeat(rt: FlashRuntime): { stop(): Promise<void> } {
  let recovering: Promise<unknown> | undefined;
  let stopped = false;
  const warn = (what: string) => (error: unknown) => rt.ctx.log.warn({ err: error }, what);
  const tick = () => {
    if (stopped) return;
    // The beat never waits for a recovery: one that waits on a busy sale row must not make this node
    // look dead. A recovery still running when the next beat comes is not started twice.
    void rt.nodes.beat(rt.nodeId, rt.env.nodeTimeoutMs).catch(warn('flash-sale heartbeat failed'));
    if (recovering) return;
    recovering = recoverLapsedNodes(rt)
      .catch(warn('looking for lost flash-sale nodes failed'))
      .finally(() => (recovering = undefined));
  };
  tick();
  const timer = setInterval(tick, Math.max(50, Math.floor(rt.env.nodeTimeoutMs / 3)));
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await recovering;
      await rt.nodes.leave(rt.nodeId).catch(() => undefined);
    },
  };
}
