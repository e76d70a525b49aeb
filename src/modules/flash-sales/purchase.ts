// The purchase hot path. Everything before the gate is memory: the in-flight cap, rate limits (in-process,
// or one Redis call each), the customer from the session cache, the sale from the sale cache, the account
// age, the sold-out flag and the risk hook. Then ONE atomic gate step decides (limit and stock together),
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
import type { HttpProblem } from '../../kernel/http/problem.ts';
import { newId } from '../../kernel/ids.ts';
import type { Customer } from '../accounts/customer-service.ts';
import { deviceIdOf, enforcePurchaseLimits, holdOf, liveSale, screenRisk, wantedItem, type Wanted } from './admission.ts';
import type { TakeOutcome } from './gate/index.ts';
import { rebuildOnce } from './reconcile.ts';
import type { FlashRuntime } from './runtime.ts';
import type { InsertResult } from './tickets.ts';
import type { SaleRecord } from './sales.ts';
import { flashSalesSettings } from './settings.ts';
import { atCapacity, flashLoginNeeded, limitHeld, purchaseUnconfirmed, saleClosedMeanwhile, soldOut, soldOutForNow } from './problems.ts';
import { tryAgain } from '../../kernel/http/problems.ts';
import { bearerToken } from '../../kernel/http/bearer.ts';

export interface PurchaseResult {
  ticketId: string;
  status: 'pending';
  duplicate: boolean;
  /** The risk engine held the purchase for review: its order will be on_hold until the shop approves it. */
  held?: true;
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

/**
 * One purchase, top to bottom: the checks that answer from memory (admission.ts), the node's sold-out
 * flag, then the gate's one atomic take and, for a winner, the ticket.
 */
async function purchaseInner(rt: FlashRuntime, pdb: PlatformDb, platform: Platform, request: FastifyRequest, saleId: string, input: { variantId: string; quantity?: number }): Promise<PurchaseResult> {
  const settings = flashSalesSettings(platform);
  const deviceId = deviceIdOf(request);
  await enforcePurchaseLimits(rt, platform, settings, request.ip, deviceId);
  const customer = await cachedCustomer(rt, pdb, request);
  const sale = await liveSale(rt, pdb, saleId);
  const wanted = wantedItem(rt, sale, customer, input);
  // The sold-out flag before the risk hook: once nothing is left, a decision would protect no stock and
  // only cost CPU in the busiest second of the sale (most of a rush arrives after the last unit went).
  // While units are left, every attempt is judged before the gate; when units come back the flag lapses.
  if (rt.soldOut.isSoldOut(saleId, wanted.variantId)) return answerFromSoldOutFlag(rt, pdb, sale, wanted);
  const screened = screenRisk(rt, platform, request, deviceId, wanted, sale);
  const review = screened instanceof Promise ? await screened : screened;
  return takeAndRecord(rt, pdb, sale, review ? { ...wanted, hold: holdOf(review) } : wanted, settings.doubleClickMs);
}

/** The node has seen this item sold out: one read of the gate tells a holder (a retry) from a newcomer. */
async function answerFromSoldOutFlag(rt: FlashRuntime, pdb: PlatformDb, sale: SaleRecord, wanted: Wanted): Promise<PurchaseResult> {
  // Only a holder costs a query. A holder's answer is counted as sold out, as the gate counts it when it
  // answers the same.
  rt.early.count(wanted.saleId, 'earlySoldOut');
  const held = await rt.gate.held(wanted.saleId, sale.gateEpoch, wanted.customer.id).catch(() => 0);
  if (held > 0) {
    rt.metrics.purchases.inc({ outcome: 'duplicate' });
    return existingTicket(rt, pdb, wanted.saleId, wanted.customer.id);
  }
  rt.metrics.purchases.inc({ outcome: 'sold_out' });
  throw await soldOutProblem(rt, pdb, sale);
}

/**
 * The gate's one atomic take (double click, per-customer limit, stock), tried again once after the gate
 * is rebuilt. A winner's ticket write starts in the same tick as the gate's answer — no await between
 * them — so it joins the batch of the other winners of that moment (tickets.ts); waiting longer here
 * shows up as 503s in a rush.
 */
async function takeAndRecord(rt: FlashRuntime, pdb: PlatformDb, sale: SaleRecord, wanted: Wanted, burstMs: number): Promise<PurchaseResult> {
  const ticketId = newId();
  const { saleId, variantId, quantity, customer } = wanted;
  for (let attempt = 1; ; attempt += 1) {
    let outcome: TakeOutcome;
    try {
      outcome = await rt.gate.take(saleId, { epoch: sale.gateEpoch, variantId, customerId: customer.id, quantity, ticketId, burstMs, nodeId: rt.nodeId });
    } catch (error) {
      rt.ctx.log.warn({ err: error, saleId }, 'flash-sale stock gate unavailable');
      rt.metrics.purchases.inc({ outcome: 'gate_error' });
      throw tryAgain('The sale is busy; try again in a second.');
    }
    if (outcome.ok) return recordWin(rt, pdb, sale, wanted, ticketId);
    rt.metrics.purchases.inc({ outcome: outcome.reason });
    const recount = outcome.reason === 'stale_epoch' || outcome.reason === 'not_loaded';
    if (!recount || attempt > 1) return answerRefusal(rt, pdb, sale, wanted, outcome);
    sale = await recountedSale(rt, pdb, sale, outcome.reason === 'not_loaded');
  }
}

/** The gate said no: a double click gets its earlier ticket, a holder of sold-out units theirs. */
async function answerRefusal(rt: FlashRuntime, pdb: PlatformDb, sale: SaleRecord, wanted: Wanted, outcome: Exclude<TakeOutcome, { ok: true }>): Promise<PurchaseResult> {
  switch (outcome.reason) {
    case 'duplicate':
      return confirmedDuplicate(rt, pdb, wanted.customer.id, outcome.ticketId);
    case 'sold_out':
      rt.soldOut.mark(wanted.saleId, wanted.variantId);
      if (outcome.held > 0) return existingTicket(rt, pdb, wanted.saleId, wanted.customer.id);
      throw await soldOutProblem(rt, pdb, sale);
    case 'limit_reached':
      throw limitHeld(sale.perCustomerLimit);
    case 'stale_epoch':
    case 'not_loaded':
      // Still so after one recount.
      throw tryAgain('The sale is being re-counted; try again in a second.');
  }
}

/**
 * The gate is not loaded (rebuild it), or holds another epoch than the cached sale (its stale_epoch): the
 * sale is read again from the database.
 */
async function recountedSale(rt: FlashRuntime, pdb: PlatformDb, sale: SaleRecord, notLoaded: boolean): Promise<SaleRecord> {
  const saleId = sale.id;
  if (notLoaded) await rebuildOnce(rt, pdb, saleId);
  const fresh = await liveSale(rt, pdb, saleId, true);
  if (!notLoaded && fresh.gateEpoch === sale.gateEpoch) {
    // The gate is ahead of the database: a rebuild loaded it, then its commit never happened (a crash
    // between the two). Nothing would ever catch the database up, so rebuild again here.
    await rebuildOnce(rt, pdb, saleId);
    return liveSale(rt, pdb, saleId, true);
  }
  return fresh;
}

/**
 * Writes the winner's ticket (grouped with the other winners of the moment) and answers by its fate.
 * Called straight from the gate's answer: everything before the first await here runs in that tick.
 */
async function recordWin(rt: FlashRuntime, pdb: PlatformDb, sale: SaleRecord, wanted: Wanted, ticketId: string): Promise<PurchaseResult> {
  const { saleId, variantId, quantity, customer } = wanted;
  const epoch = sale.gateEpoch;
  const writing: Promise<InsertResult> = rt
    .writeTicket(pdb, { id: ticketId, saleId, variantId, customerId: customer.id, email: customer.email, quantity, epoch, ...(wanted.hold ? { hold: wanted.hold } : {}) })
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
  if (inserted === 'ok') return wanted.hold ? { ...won(rt, pdb, saleId, ticketId), held: true } : won(rt, pdb, saleId, ticketId);
  throw await notRecorded(rt, pdb, sale, wanted, ticketId, inserted);
}

function won(rt: FlashRuntime, pdb: PlatformDb, saleId: string, ticketId: string): PurchaseResult {
  rt.metrics.purchases.inc({ outcome: 'won' });
  rt.storeRemaining.delete(`${pdb.platformId}:${saleId}`);
  rt.kickDrain();
  return { ticketId, status: 'pending', duplicate: false };
}

/** The unit was taken but its ticket was not written (or may not have been): what to tell the buyer. */
async function notRecorded(rt: FlashRuntime, pdb: PlatformDb, sale: SaleRecord, wanted: Wanted, ticketId: string, inserted: Exclude<InsertResult, 'ok'>): Promise<HttpProblem> {
  const { saleId, variantId, quantity, customer } = wanted;
  switch (inserted) {
    case 'failed':
      // No ticket exists: hand the unit back (a failure here leaves it in flight under this node, for a
      // reconciliation to return).
      await rt.gate.giveBack(saleId, { epoch: sale.gateEpoch, variantId, customerId: customer.id, quantity, ticketId }).catch(() => false);
      rt.metrics.purchases.inc({ outcome: 'insert_failed' });
      return tryAgain('Your purchase could not be recorded; try again.');
    case 'unknown':
      // Whether the ticket was written is not known: keep the unit (a reconciliation returns it if not)
      // and give the buyer the ticket id to look at before buying again.
      rt.metrics.purchases.inc({ outcome: 'insert_unknown' });
      return purchaseUnconfirmed(ticketId);
    case 'stale':
      // A reconciliation rebuilt the gate after this unit was taken; the rebuild did not count it, so
      // giving it back would count it twice. The buyer simply tries again.
      rt.sales.invalidate(pdb.platformId, saleId);
      rt.metrics.purchases.inc({ outcome: 'stale_insert' });
      return tryAgain('The sale was re-counted while you bought; try again.');
    case 'closed':
      rt.sales.invalidate(pdb.platformId, saleId);
      return saleClosedMeanwhile(sale.name);
  }
}
