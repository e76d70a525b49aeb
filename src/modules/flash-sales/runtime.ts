// Everything the flash-sale module keeps per running Souk: the stock gate (in-process, or Redis shared by
// every node), the rate limiter of the hot path, the node-local caches, the in-flight count, the drain
// worker, the heartbeat and the Prometheus counters. Made by the kernel (the module's createRuntime); the
// drain and the heartbeat run between the module's start and stop, which then closes the rest.
import { Counter, type Registry } from 'prom-client';
import type { ModuleContext } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { memoryRateLimiter, type RateLimiter } from '../../kernel/rate-limit.ts';
import { syncedRedisRateLimiter } from '../../kernel/rate-limit-redis.ts';
import { closeRedis, openRedis, type RedisClient } from '../../kernel/redis.ts';
import { SaleCache, SessionCache, ShortMemo, SoldOutFlags } from './caches.ts';
import { gateFor, type StockGate } from './gate/index.ts';
import { memoryNodeRegistry, newNodeId, redisNodeRegistry, type NodeRegistry } from './node-registry.ts';
import type { FlashEnvSettings } from './settings.ts';
import { EarlyTally } from './tally.ts';
import { gateRiskHook, type FlashSaleRiskHook } from './risk.ts';
import { ticketWriter, type InsertResult, type NewTicket } from './tickets.ts';

export interface FlashMetrics {
  purchases: Counter<'outcome'>;
  orders: Counter<'result'>;
  returned: Counter<'to'>;
  rebuilds: Counter<'reason'>;
  nodesLost: Counter<string>;
}

/** What the runtime needs of the drain (drain.ts), named here so the drain can import the runtime. */
export interface BackgroundWorker {
  start(): void;
  kick(): void;
  stop(): Promise<void>;
}

export interface FlashRuntime {
  ctx: ModuleContext;
  env: FlashEnvSettings;
  gate: StockGate;
  /** This process's id in the node registry and in the gate's in-flight records. */
  nodeId: string;
  nodes: NodeRegistry;
  limiter: RateLimiter;
  sales: SaleCache;
  sessions: SessionCache;
  /** Writes a winner's ticket, grouped with the other winners of its sale (tickets.ts). */
  writeTicket: (pdb: PlatformDb, ticket: NewTicket) => Promise<InsertResult>;
  /** Tickets this node is writing now, by id: a double click answered from one of them waits for its fate. */
  writing: Map<string, Promise<InsertResult>>;
  /** `${saleId}:${customerId}` → the ticket of theirs this node is writing now (a retry waits for it). */
  writingFor: Map<string, string>;
  soldOut: SoldOutFlags;
  /** Answers given before the gate, added to the sale's counters every 250 ms (tally.ts). */
  early: EarlyTally;
  /** Unpaid sale units outstanding per sale (for Retry-After on sold_out), remembered 1 s. */
  outstanding: ShortMemo<number>;
  /** Store-facing remaining per sale, remembered 1 s. */
  storeRemaining: ShortMemo<Map<string, number>>;
  /** Gate rebuilds in progress on this node, so a rush that finds the gate empty rebuilds it once. */
  rebuilding: Map<string, Promise<unknown>>;
  inFlight: number;
  /** Judges each purchase before a unit is taken: the kernel's risk gate unless replaced (risk.ts). */
  riskHook: FlashSaleRiskHook;
  metrics: FlashMetrics;
  /** The drain (only on worker nodes, where the event worker runs); started and stopped with the module. */
  drain: BackgroundWorker | undefined;
  /** This node's heartbeat while the module runs (nodes.ts). */
  heartbeat: { stop(): Promise<void> } | undefined;
  /** Set once the drain worker exists (only on worker nodes); wakes it after a local ticket insert. */
  kickDrain: () => void;
  close(): Promise<void>;
}

function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: L[]): Counter<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

export async function createFlashRuntime(ctx: ModuleContext): Promise<FlashRuntime> {
  const env = ctx.config.flashSales;
  let redis: RedisClient | undefined;
  if (ctx.config.redisUrl) {
    redis = await openRedis(ctx.config, { onError: (error) => ctx.log.warn({ err: error }, 'redis connection error') });
  }
  const gate = gateFor(ctx.config, redis);
  // The hot path's limits count in memory and sync to Redis every 100 ms: a Redis call per attempt cost
  // the rush about a third of its throughput (docs/benchmarks.md, "Flash-sale rush").
  const limiter = redis ? syncedRedisRateLimiter(redis, ctx.config.redisKeyPrefix) : memoryRateLimiter();
  const m = ctx.metrics;
  const runtime: FlashRuntime = {
    ctx,
    env,
    gate,
    nodeId: newNodeId(),
    nodes: redis ? redisNodeRegistry(redis, ctx.config.redisKeyPrefix) : memoryNodeRegistry(),
    limiter,
    sales: new SaleCache(),
    sessions: new SessionCache(),
    // Once a batch's fate is known, its takes are no longer in flight; 'failed' ones are cleared by their
    // give-back and 'unknown' ones stay, so a reconciliation looks at them if this node dies.
    writeTicket: ticketWriter(ctx, (saleId, epoch, ids) => {
      gate.settle(saleId, epoch, ids).catch((error: unknown) => ctx.log.debug({ err: error, saleId }, 'flash-sale in-flight takes not cleared'));
    }),
    writing: new Map(),
    writingFor: new Map(),
    soldOut: new SoldOutFlags(),
    early: new EarlyTally(gate, (error, saleId) => ctx.log.debug({ err: error, saleId }, 'flash-sale counters not updated')),
    outstanding: new ShortMemo(1000),
    storeRemaining: new ShortMemo(1000),
    rebuilding: new Map(),
    inFlight: 0,
    riskHook: gateRiskHook(ctx.riskGate),
    metrics: {
      purchases: counter(m, 'souk_flash_sale_purchases_total', 'Flash-sale purchase attempts by outcome', ['outcome']),
      orders: counter(m, 'souk_flash_sale_orders_total', 'Tickets drained into orders (or failed)', ['result']),
      returned: counter(m, 'souk_flash_sale_returned_units_total', 'Units of cancelled sale orders, back to the sale or to normal stock', ['to']),
      rebuilds: counter(m, 'souk_flash_sale_gate_rebuilds_total', 'Stock gate rebuilds from the tickets', ['reason']),
      nodesLost: counter(m, 'souk_flash_sale_nodes_lost_total', 'Nodes whose heartbeat lapsed and whose in-flight takes this node recovered', []),
    },
    drain: undefined,
    heartbeat: undefined,
    kickDrain: () => undefined,
    async close() {
      await runtime.early.flush();
      // Hits counted here but not yet synced belong to the cluster's windows.
      await limiter.flush?.();
      await gate.close();
      if (redis) await closeRedis(redis);
    },
  };
  return runtime;
}
