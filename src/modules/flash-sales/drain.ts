// The drain: won tickets become orders behind the rush, at a rate the database is comfortable with.
// Every worker node runs one loop; nodes share the work by claiming pending tickets FOR UPDATE SKIP LOCKED,
// one sale at a time with the sale row held FOR SHARE (the module's lock order: sale → tickets →
// carve-out), so a gate rebuild or the end of the sale waits for a batch instead of reading it half done.
// A batch's orders are written together (a fixed number of statements for the lot); if any is refused
// (4xx), the batch falls back to one savepoint per ticket, so a refused order marks that ticket failed
// without undoing its neighbours. A token bucket holds each node to SOUK_FLASH_DRAIN_PER_SECOND orders per second.
//
// The loop also hands units back to the gate for tickets that stopped being active (a cancelled unpaid
// order, a failed ticket): the ticket carries give_back_epoch, written in the transaction that cancelled
// it; the pump clears the mark in a committed claim first and calls the gate after, so a crash in between
// loses a unit for the gate (a reconciliation finds it) but never hands one out twice.
import type { PlatformDb, TxScope } from '../../kernel/db/scoped.ts';
import { retryTransientConflicts } from '../../kernel/db/retry.ts';
import { trySavepoint } from '../../kernel/db/savepoint.ts';
import { isHttpProblem } from '../../kernel/http/problem.ts';
import { ordersService, type SaleOrderInput } from '../orders/service.ts';
import type { FlashRuntime } from './runtime.ts';
import { readSaleRow, type SaleRecord } from './sales.ts';
import { MODULE_NAME } from './settings.ts';

/** Tickets per transaction. PGlite is one connection: a smaller batch lets HTTP in between. */
const BATCH = { postgres: 50, pglite: 10 } as const;
const POLL_MS = 50;
const IDLE_MAX_MS = 1000;

export interface TicketRow {
  id: string;
  sale_id: string;
  variant_id: string;
  customer_id: string;
  email: string;
  quantity: number;
  hold: NonNullable<SaleOrderInput['hold']> | string | null;
}

const TICKET_FIELDS = 'id, sale_id, variant_id, customer_id, email, quantity, hold';

async function markTicket(tx: PlatformDb, ticketId: string, status: 'failed' | 'cancelled', reason: string, giveBackEpoch: number | null): Promise<void> {
  await tx.execute(
    `update flash_sale_tickets set status = $3, failure_reason = $4, give_back_epoch = $5, updated_at = now() where platform_id = $1 and id = $2`,
    [ticketId, status, reason.slice(0, 500), giveBackEpoch],
  );
}

/** The order a ticket becomes, or undefined when the sale can no longer make one (see processTicket). */
function saleOrderInput(sale: SaleRecord, ticket: TicketRow): SaleOrderInput | undefined {
  const item = sale.itemsByVariant.get(ticket.variant_id);
  if (!item || !sale.reservationId || sale.status !== 'scheduled') return undefined;
  return {
    customerId: ticket.customer_id,
    email: ticket.email,
    currency: item.currency,
    lines: [{ variantId: item.variantId, productId: item.productId, sku: item.sku, title: item.title, productTitle: item.productTitle, quantity: ticket.quantity, unitPrice: item.salePrice }],
    unpaidTimeoutSeconds: sale.paymentTimeoutSeconds,
    source: { kind: 'flash_sale', saleId: sale.id, ticketId: ticket.id },
    stockFrom: { reservationId: sale.reservationId },
    ...(ticket.hold ? { hold: typeof ticket.hold === 'string' ? (JSON.parse(ticket.hold) as SaleOrderInput['hold']) : ticket.hold } : {}),
  };
}

async function markOrdered(tx: PlatformDb, tickets: readonly TicketRow[], orderIds: readonly string[]): Promise<void> {
  await tx.execute(
    `update flash_sale_tickets t set status = 'ordered', order_id = u.order_id, ordered_at = now(), updated_at = now()
     from unnest($2::uuid[], $3::uuid[]) as u(id, order_id) where t.platform_id = $1 and t.id = u.id`,
    [tickets.map((t) => t.id), orderIds],
  );
}

/**
 * The whole batch at once: every ticket's order in a fixed number of statements (createSaleOrders), under
 * one savepoint. Returns false, with nothing changed, when any of them is refused; the caller then takes
 * the tickets one by one, so one bad ticket fails alone.
 */
async function orderTogether(rt: FlashRuntime, scope: TxScope, sale: SaleRecord, tickets: readonly TicketRow[]): Promise<boolean> {
  const inputs = tickets.map((t) => saleOrderInput(sale, t));
  if (tickets.length < 2 || inputs.some((i) => i === undefined)) return false;
  const tx = scope.platform(sale.platformId);
  const created = await trySavepoint(scope.db, 'flash_sale_batch', () => ordersService(rt.ctx).createSaleOrders(tx, inputs as SaleOrderInput[]), isHttpProblem);
  if (!created.ok) return false;
  await markOrdered(tx, tickets, created.value.map((o) => o.orderId));
  rt.metrics.orders.inc({ result: 'ordered' }, tickets.length);
  return true;
}

/**
 * One ticket → one order, under a savepoint (set on the scope's plain connection: a PlatformDb statement
 * always binds the platform id, which SAVEPOINT cannot take). The caller holds the sale row (FOR SHARE or
 * FOR UPDATE) and the ticket row.
 */
async function processTicket(rt: FlashRuntime, scope: TxScope, sale: SaleRecord, ticket: TicketRow): Promise<'ordered' | 'failed' | 'cancelled'> {
  const tx = scope.platform(sale.platformId);
  if (sale.status === 'cancelled') {
    await markTicket(tx, ticket.id, 'cancelled', 'sale_cancelled', null);
    return 'cancelled';
  }
  const input = saleOrderInput(sale, ticket);
  if (!input) {
    await markTicket(tx, ticket.id, 'failed', sale.status !== 'scheduled' ? `sale_${sale.status}` : 'item_missing', null);
    return 'failed';
  }
  const created = await trySavepoint(scope.db, 'flash_sale_ticket', () => ordersService(rt.ctx).createSaleOrder(tx, input), isHttpProblem);
  if (created.ok) {
    await markOrdered(tx, [ticket], [created.value.orderId]);
    rt.metrics.orders.inc({ result: 'ordered' });
    return 'ordered';
  }
  const { error } = created;
  // The units are still in the carve-out, so the gate may hand them out again — unless the carve-out
  // itself was short (409), where a second buyer would only fail the same way.
  await markTicket(tx, ticket.id, 'failed', `${error.code}: ${error.detail}`, error.status === 409 ? null : sale.gateEpoch);
  rt.metrics.orders.inc({ result: 'failed' });
  rt.ctx.log.warn({ saleId: sale.id, ticketId: ticket.id, code: error.code, detail: error.detail }, 'flash-sale ticket could not become an order');
  return 'failed';
}

/** Up to `limit` pending tickets of one sale, in one transaction. Returns how many were handled. */
async function drainBatch(rt: FlashRuntime, pdb: PlatformDb, saleId: string, limit: number): Promise<number> {
  return retryTransientConflicts(() =>
    rt.ctx.transaction(async (scope) => {
      const tx = scope.platform(pdb.platformId);
      const sale = await readSaleRow(tx, saleId, ' for share');
      if (!sale) return 0;
      const tickets = await tx.query<TicketRow>(
        `select ${TICKET_FIELDS} from flash_sale_tickets where platform_id = $1 and sale_id = $2 and status = 'pending'
         order by id limit $3 for update skip locked`,
        [saleId, limit],
      );
      await orderSlice(rt, scope, sale, tickets);
      return tickets.length;
    }),
  );
}

/** Every pending ticket of a sale, now, waiting for tickets other drains hold (the end of the sale). */
export async function drainSaleNow(rt: FlashRuntime, scope: TxScope, sale: SaleRecord): Promise<number> {
  const tx = scope.platform(sale.platformId);
  const tickets = await tx.query<TicketRow>(
    `select ${TICKET_FIELDS} from flash_sale_tickets where platform_id = $1 and sale_id = $2 and status = 'pending' order by id for update`,
    [sale.id],
  );
  // In slices of a normal batch: one statement for every waiting ticket of a big sale would pass
  // PostgreSQL's 65,535 bind parameters (35 per order).
  for (let from = 0; from < tickets.length; from += BATCH.postgres) await orderSlice(rt, scope, sale, tickets.slice(from, from + BATCH.postgres));
  return tickets.length;
}

/** Tickets the caller has claimed → orders: all together, or one by one when the batch is refused. */
async function orderSlice(rt: FlashRuntime, scope: TxScope, sale: SaleRecord, tickets: readonly TicketRow[]): Promise<void> {
  if (await orderTogether(rt, scope, sale, tickets)) return;
  for (const ticket of tickets) await processTicket(rt, scope, sale, ticket);
}

/** Hands units of no-longer-active tickets back to the gate (see the top of this file). */
export async function pumpGiveBacks(rt: FlashRuntime, pdb: PlatformDb): Promise<number> {
  const claimed = await pdb.query<TicketRow & { give_back_epoch: number }>(
    `update flash_sale_tickets t set give_back_epoch = null, updated_at = now()
     from (select id, give_back_epoch from flash_sale_tickets where platform_id = $1 and give_back_epoch is not null order by id limit 200 for update skip locked) c
     where t.platform_id = $1 and t.id = c.id
     returning t.id, t.sale_id, t.variant_id, t.customer_id, t.email, t.quantity, c.give_back_epoch`,
  );
  for (const t of claimed) {
    const ok = await rt.gate
      .giveBack(t.sale_id, { epoch: t.give_back_epoch, variantId: t.variant_id, customerId: t.customer_id, quantity: t.quantity })
      .catch((error: unknown) => {
        rt.ctx.log.warn({ err: error, saleId: t.sale_id, ticketId: t.id }, 'give-back to the stock gate failed; a reconciliation will restore the unit');
        return false;
      });
    if (ok) {
      rt.soldOut.clear(t.sale_id);
      rt.storeRemaining.delete(`${pdb.platformId}:${t.sale_id}`);
    }
  }
  return claimed.length;
}

export class DrainWorker {
  private stopped = false;
  private running: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private endTokenWait: (() => void) | undefined;
  private idleMs = POLL_MS;
  private tokens: number;
  private refilledAt = Date.now();

  constructor(private readonly rt: FlashRuntime) {
    this.tokens = rt.env.drainPerSecond;
  }

  start(): void {
    if (this.running || this.stopped) return;
    this.running = this.loop();
  }

  /** New work on this node (a ticket inserted, a ticket cancelled): poll soon. */
  kick(): void {
    this.idleMs = POLL_MS;
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    this.endTokenWait?.();
    await this.running;
  }

  /** A wait for tokens: deaf to kicks (a rush kicks with every ticket), cut short by stop(). */
  private tokenWait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.endTokenWait = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.endTokenWait = done;
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    }).then(() => {
      this.wake = undefined;
    });
  }

  private refill(): void {
    const now = Date.now();
    const rate = this.rt.env.drainPerSecond;
    this.tokens = Math.min(rate, this.tokens + ((now - this.refilledAt) / 1000) * rate);
    this.refilledAt = now;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let worked = 0;
      try {
        worked = await this.round();
      } catch (error) {
        this.rt.ctx.log.warn({ err: error }, 'flash-sale drain round failed');
      }
      if (this.stopped) break;
      if (worked > 0) {
        this.idleMs = POLL_MS;
        // Yield between busy rounds: on PGlite a query needs no I/O, and HTTP must get its turn.
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      const wait = this.idleMs;
      this.idleMs = Math.min(this.idleMs * 2, IDLE_MAX_MS);
      await this.sleep(wait);
    }
  }

  private async round(): Promise<number> {
    const { ctx } = this.rt;
    let worked = 0;
    for (const platform of ctx.platforms.all()) {
      if (this.stopped) break;
      if (platform.status !== 'active' || !platform.modules.includes(MODULE_NAME)) continue;
      const pdb = ctx.platformDb(platform.id);
      worked += await pumpGiveBacks(this.rt, pdb);
      const sales = await pdb.query<{ sale_id: string }>(
        `select distinct sale_id from flash_sale_tickets where platform_id = $1 and status = 'pending' limit 100`,
      );
      for (const { sale_id: saleId } of sales) {
        if (this.stopped) break;
        // Wait for a batch's worth of tokens rather than draining whatever trickled in: a batch costs about
        // the same round trips whatever its size, so ten batches a second beat a hundred small ones. This
        // wait ignores kicks (a rush kicks with every ticket) and is at most a tenth of a second.
        const rate = this.rt.env.drainPerSecond;
        const wanted = Math.min(BATCH[pdb.engine], Math.max(1, Math.ceil(rate / 10)));
        this.refill();
        if (this.tokens < wanted) {
          await this.tokenWait(Math.ceil(((wanted - this.tokens) / rate) * 1000));
          if (this.stopped) break;
          this.refill();
        }
        const done = await drainBatch(this.rt, pdb, saleId, Math.max(1, Math.min(BATCH[pdb.engine], Math.floor(this.tokens))));
        this.tokens -= done;
        worked += done;
      }
    }
    return worked;
  }
}
