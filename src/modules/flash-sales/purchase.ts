// The purchase hot path. Everything before the gate is memory: the in-flight cap, rate limits (in-process,
// or one Redis call each), the customer from the session cache, the sale from the sale cache, the account
// age, the risk hook and the sold-out flag. Then ONE atomic gate step decides (limit and stock together),
// and only winners touch the database: a ticket row, written together with the other winners of the
// moment in one transaction that holds the sale row FOR SHARE and checks the epoch each unit was taken
// under (tickets.ts). The order is written later by the drain.
//
// A 202 names a ticket that exists or that this node is writing and has seen written: a double click
// answered with an earlier ticket id, or a sold-out answer to a customer who holds units, looks that
// ticket up first, and answers 503 try_again while its fate is open (its writer may be another node, or a
// node that died — then nodes.ts returns its units and the next try starts afresh).
import type { FastifyRequest } from 'fastify';
import type { Platform } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { HttpProblem } from '../../kernel/http/problem.ts';
import { newId } from '../../kernel/ids.ts';
import { enforceLimits } from '../../kernel/rate-limit.ts';
import type { Customer } from '../accounts/customer-service.ts';
import type { TakeOutcome } from './gate/index.ts';
import { rebuildOnce } from './reconcile.ts';
import { riskHook } from './risk.ts';
import type { FlashRuntime } from './runtime.ts';
import type { InsertResult } from './tickets.ts';
import { phaseOf, type SaleRecord } from './sales.ts';
import { flashSalesSettings } from './settings.ts';
import { accountTooNew, atCapacity, challengeRequired, flashLoginNeeded, limitHeld, limitReached, purchaseUnconfirmed, riskDenied, saleCancelled, saleClosedMeanwhile, saleEnded, saleNotStarted, shopSaleNotFound, soldOut, soldOutForNow, variantNotInSale } from './problems.ts';
import { tryAgain } from '../../kernel/http/problems.ts';
import { bearerToken } from '../../kernel/http/bearer.ts';

export const DEVICE_HEADER = 'x-device-id';

export interface PurchaseResult {
  ticketId: string;
  status: 'pending';
  duplicate: boolean;
}


const duplicateOf = (ticketId: string): PurchaseResult => ({ ticketId, status: 'pending', duplicate: true });

/** The gate named an earlier ticket of this customer (double click): answer with it only once it exists. */
async function confirmedDuplicate(rt: FlashRuntime, pdb: PlatformDb, customerId: string, ticketId: string): Promise<PurchaseResult> {
  const local = rt.writing.get(ticketId);
  if (local) {
    if ((await local) === 'ok') return duplicateOf(ticketId);
    throw tryAgain('Your earlier purchase was not recorded; try again.');
  }
  const row = await pdb.maybeOne<{ id: string }>('select id::text from flash_sale_tickets where platform_id = $1 and id = $2 and customer_id = $3', [ticketId, customerId]);
  if (row) return duplicateOf(ticketId);
  throw tryAgain('Your earlier purchase is still being recorded; try again in a second.');
}

/**
 * The sale is sold out for this item but the customer holds units in it: most likely a retry whose first
 * answer was lost. Their existing ticket, never sold_out; 503 while the units they hold have no ticket yet.
 */
async function existingTicket(rt: FlashRuntime, pdb: PlatformDb, saleId: string, customerId: string): Promise<PurchaseResult> {
  // Their first purchase may still be on its way to the database from this very node: wait for it.
  const local = rt.writingFor.get(`${saleId}:${customerId}`);
  if (local && (await rt.writing.get(local)) === 'ok') return duplicateOf(local);
  const row = await pdb.maybeOne<{ id: string }>(
    `select id::text from flash_sale_tickets where platform_id = $1 and sale_id = $2 and customer_id = $3 and status in ('pending', 'ordered')
     order by id desc limit 1`,
    [saleId, customerId],
  );
  if (row) return duplicateOf(row.id);
  throw tryAgain('Your purchase is still being recorded; try again in a second.');
}

/** The customer behind the bearer token, from the per-node session cache. */
export async function cachedCustomer(rt: FlashRuntime, pdb: PlatformDb, request: FastifyRequest): Promise<Customer> {
  const token = bearerToken(request);
  const customer = token ? await rt.sessions.get(pdb, token) : null;
  if (!customer) throw flashLoginNeeded();
  return customer;
}

function assertLive(sale: SaleRecord | null, saleId: string): asserts sale is SaleRecord {
  if (!sale) throw shopSaleNotFound(saleId);
  const phase = phaseOf(sale);
  if (phase === 'upcoming') throw saleNotStarted(sale.name, sale.startsAt);
  if (phase === 'ended') throw saleEnded(sale.name);
  if (phase === 'cancelled') throw saleCancelled(sale.name);
}

async function unpaidOutstanding(rt: FlashRuntime, pdb: PlatformDb, saleId: string): Promise<number> {
  return rt.outstanding.get(`${pdb.platformId}:${saleId}`, async () => {
    const row = await pdb.maybeOne<{ n: number }>(
      `select coalesce(sum(quantity), 0)::int as n from flash_sale_tickets
       where platform_id = $1 and sale_id = $2 and (status = 'pending' or (status = 'ordered' and paid_at is null))`,
      [saleId],
    );
    return row?.n ?? 0;
  });
}

async function soldOutProblem(rt: FlashRuntime, pdb: PlatformDb, sale: SaleRecord): Promise<HttpProblem> {
  // Unpaid sale orders may still time out and put their units back: say when to look again.
  const outstanding = await unpaidOutstanding(rt, pdb, sale.id).catch(() => 0);
  if (outstanding === 0) return soldOut(sale.name);
  const wait = Math.min(60, Math.max(1, sale.paymentTimeoutSeconds));
  return soldOutForNow(sale.name, wait);
}

export async function purchase(
  rt: FlashRuntime,
  pdb: PlatformDb,
  platform: Platform,
  request: FastifyRequest,
  saleId: string,
  input: { variantId: string; quantity?: number },
): Promise<PurchaseResult> {
  if (rt.inFlight >= rt.env.maxInFlight) {
    rt.metrics.purchases.inc({ outcome: 'busy' });
    throw atCapacity();
  }
  rt.inFlight += 1;
  try {
    return await purchaseInner(rt, pdb, platform, request, saleId.toLowerCase(), input);
  } finally {
    rt.inFlight -= 1;
  }
}

async function purchaseInner(rt: FlashRuntime, pdb: PlatformDb, platform: Platform, request: FastifyRequest, saleId: string, input: { variantId: string; quantity?: number }): Promise<PurchaseResult> {
  const settings = flashSalesSettings(platform);
  const rawDevice = request.headers[DEVICE_HEADER];
  const deviceId = typeof rawDevice === 'string' && rawDevice.length > 0 ? rawDevice.slice(0, 200) : null;
  await enforceLimits(rt.limiter, [
    { key: `fs:ip:${platform.id}:${request.ip}`, limit: settings.purchasesPerIpPerMinute, windowSeconds: 60 },
    ...(deviceId ? [{ key: `fs:dev:${platform.id}:${deviceId}`, limit: settings.purchasesPerDevicePerMinute, windowSeconds: 60 }] : []),
  ]).catch((error: unknown) => {
    rt.metrics.purchases.inc({ outcome: 'rate_limited' });
    throw error;
  });
  const customer = await cachedCustomer(rt, pdb, request);
  let sale = await rt.sales.get(pdb, saleId);
  assertLive(sale, saleId);
  const variantId = input.variantId.toLowerCase();
  const quantity = input.quantity ?? 1;
  if (!sale.itemsByVariant.has(variantId)) throw variantNotInSale(variantId, sale.name);
  if (sale.perCustomerLimit !== null && quantity > sale.perCustomerLimit) {
    rt.early.count(saleId, 'earlyLimitReached');
    throw limitReached(sale.perCustomerLimit);
  }
  if (sale.minAccountAgeHours > 0 && Date.now() - Date.parse(customer.createdAt) < sale.minAccountAgeHours * 3_600_000) {
    rt.metrics.purchases.inc({ outcome: 'account_too_new' });
    rt.early.count(saleId, 'refused');
    throw accountTooNew(sale.name, sale.minAccountAgeHours);
  }
  const risk = await riskHook()({
    platformId: platform.id,
    saleId,
    variantId,
    quantity,
    customerId: customer.id,
    accountCreatedAt: customer.createdAt,
    ip: request.ip,
    deviceId,
    userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : null,
  });
  if (risk.decision === 'deny') {
    rt.metrics.purchases.inc({ outcome: 'risk_denied' });
    rt.early.count(saleId, 'refused');
    throw riskDenied(risk.reason);
  }
  if (risk.decision === 'challenge') {
    rt.metrics.purchases.inc({ outcome: 'challenge' });
    rt.early.count(saleId, 'refused');
    throw challengeRequired(risk.reason, risk.challenge);
  }
  if (rt.soldOut.isSoldOut(saleId, variantId)) {
    // One read of the gate tells a holder (a retry) from a newcomer; only a holder costs a query.
    // A holder's answer is counted as sold out, as the gate counts it when it answers the same.
    rt.early.count(saleId, 'earlySoldOut');
    const held = await rt.gate.held(saleId, sale.gateEpoch, customer.id).catch(() => 0);
    if (held > 0) {
      rt.metrics.purchases.inc({ outcome: 'duplicate' });
      return existingTicket(rt, pdb, saleId, customer.id);
    }
    rt.metrics.purchases.inc({ outcome: 'sold_out' });
    throw await soldOutProblem(rt, pdb, sale);
  }

  const ticketId = newId();
  for (let attempt = 1; ; attempt += 1) {
    let outcome: TakeOutcome;
    try {
      outcome = await rt.gate.take(saleId, { epoch: sale.gateEpoch, variantId, customerId: customer.id, quantity, ticketId, burstMs: settings.doubleClickMs, nodeId: rt.nodeId });
    } catch (error) {
      rt.ctx.log.warn({ err: error, saleId }, 'flash-sale stock gate unavailable');
      rt.metrics.purchases.inc({ outcome: 'gate_error' });
      throw tryAgain('The sale is busy; try again in a second.');
    }
    if (outcome.ok) break;
    rt.metrics.purchases.inc({ outcome: outcome.reason });
    switch (outcome.reason) {
      case 'duplicate':
        return confirmedDuplicate(rt, pdb, customer.id, outcome.ticketId);
      case 'sold_out':
        rt.soldOut.mark(saleId, variantId);
        if (outcome.held > 0) return existingTicket(rt, pdb, saleId, customer.id);
        throw await soldOutProblem(rt, pdb, sale);
      case 'limit_reached':
        throw limitHeld(sale.perCustomerLimit);
      case 'stale_epoch':
      case 'not_loaded': {
        if (attempt > 1) throw tryAgain('The sale is being re-counted; try again in a second.');
        const refused = sale.gateEpoch;
        if (outcome.reason === 'not_loaded') await rebuildOnce(rt, pdb, saleId);
        sale = await rt.sales.get(pdb, saleId, true);
        assertLive(sale, saleId);
        if (outcome.reason === 'stale_epoch' && sale.gateEpoch === refused) {
          // The gate is ahead of the database: a rebuild loaded it, then its commit never happened (a
          // crash between the two). Nothing would ever catch the database up, so rebuild again here.
          await rebuildOnce(rt, pdb, saleId);
          sale = await rt.sales.get(pdb, saleId, true);
          assertLive(sale, saleId);
        }
        continue;
      }
    }
  }

  const epoch = sale.gateEpoch;
  const writing: Promise<InsertResult> = rt
    .writeTicket(pdb, { id: ticketId, saleId, variantId, customerId: customer.id, email: customer.email, quantity, epoch })
    .catch((error: unknown) => {
      rt.ctx.log.warn({ err: error, saleId }, 'flash-sale ticket writer failed');
      return 'unknown' as const;
    });
  const writer = `${saleId}:${customer.id}`;
  rt.writing.set(ticketId, writing);
  rt.writingFor.set(writer, ticketId);
  const inserted = await writing.finally(() => {
    rt.writing.delete(ticketId);
    if (rt.writingFor.get(writer) === ticketId) rt.writingFor.delete(writer);
  });
  if (inserted === 'failed') {
    // The unit was taken but no ticket exists: hand it back (a failure here leaves it in flight under this
    // node, for a reconciliation to return).
    await rt.gate.giveBack(saleId, { epoch, variantId, customerId: customer.id, quantity, ticketId }).catch(() => false);
    rt.metrics.purchases.inc({ outcome: 'insert_failed' });
    throw tryAgain('Your purchase could not be recorded; try again.');
  }
  if (inserted === 'unknown') {
    // Whether the ticket was written is not known: keep the unit (a reconciliation returns it if not) and
    // give the buyer the ticket id to look at before buying again.
    rt.metrics.purchases.inc({ outcome: 'insert_unknown' });
    throw purchaseUnconfirmed(ticketId);
  }
  if (inserted === 'stale') {
    // A reconciliation rebuilt the gate after this unit was taken; the rebuild did not count it, so
    // giving it back would count it twice. The buyer simply tries again.
    rt.sales.invalidate(pdb.platformId, saleId);
    rt.metrics.purchases.inc({ outcome: 'stale_insert' });
    throw tryAgain('The sale was re-counted while you bought; try again.');
  }
  if (inserted === 'closed') {
    rt.sales.invalidate(pdb.platformId, saleId);
    throw saleClosedMeanwhile(sale.name);
  }
  rt.metrics.purchases.inc({ outcome: 'won' });
  rt.storeRemaining.delete(`${pdb.platformId}:${saleId}`);
  rt.kickDrain();
  return { ticketId, status: 'pending', duplicate: false };
}
