// Writing sales: schedule (stock carved out of normal stock in the same transaction, end timer set, gate
// loaded), cancel (purchases stop, carve-out returned) and end (the timer: pending tickets drained,
// carve-out remainder returned, gate reconciled and dropped).
//
// Lock order, the same everywhere in the module: sale row → ticket rows → carve-out reservation → stock
// levels. The ticket insert takes the sale row FOR SHARE; cancel, end and gate rebuilds take it FOR UPDATE,
// so none of them can interleave with an insert that has not committed yet.
import type { Platform } from '../../kernel/context.ts';
import type { PlatformDb, TxScope } from '../../kernel/db/scoped.ts';
import { newId } from '../../kernel/ids.ts';
import { catalogService } from '../catalog/service.ts';
import { MAX_HOLD_SECONDS } from '../inventory/settings.ts';
import { drainSaleNow } from './drain.ts';
import { EVENT_CANCELLED, EVENT_END, EVENT_ENDED, EVENT_SCHEDULED } from './events.ts';
import { inventoryService, type ReleaseReason } from '../inventory/service.ts';
import { gateView } from './reconcile.ts';
import type { FlashRuntime } from './runtime.ts';
import { readSaleRow, saleView } from './sales.ts';
import type { Sale, ScheduleInput } from './schemas.ts';
import { CARVE_OUT_MARGIN_SECONDS, DEFAULT_PAYMENT_TIMEOUT_SECONDS } from './settings.ts';
import { duplicateVariant, endsInPast, endsTooLate, invalidWindow, notADateTime, platformSaleNotFound, saleClosed, variantNotPublished } from './problems.ts';
import { unknownVariants } from '../inventory/problems.ts';

function parseTime(value: string, field: string): number {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw notADateTime(field, value);
  return ms;
}

export async function scheduleSale(rt: FlashRuntime, pdb: PlatformDb, platform: Platform, input: ScheduleInput, actor: string): Promise<Sale> {
  const startsAt = parseTime(input.startsAt, 'startsAt');
  const endsAt = parseTime(input.endsAt, 'endsAt');
  const now = Date.now();
  if (startsAt >= endsAt) throw invalidWindow();
  if (endsAt <= now) throw endsInPast();
  const holdSeconds = Math.ceil((endsAt - now) / 1000) + CARVE_OUT_MARGIN_SECONDS;
  if (holdSeconds > MAX_HOLD_SECONDS) {
    throw endsTooLate(Math.floor((MAX_HOLD_SECONDS - CARVE_OUT_MARGIN_SECONDS) / 3600));
  }
  const variantIds = input.items.map((i) => i.variantId.toLowerCase());
  const dupes = variantIds.filter((v, i) => variantIds.indexOf(v) !== i);
  if (dupes.length > 0) throw duplicateVariant(dupes[0]);
  const refs = new Map((await catalogService(rt.ctx).getVariantRefs(pdb, variantIds)).map((r) => [r.variantId, r]));
  const unknown = variantIds.filter((v) => !refs.has(v));
  if (unknown.length > 0) throw unknownVariants(unknown);
  const unpublished = variantIds.filter((v) => refs.get(v)!.productStatus !== 'published');
  if (unpublished.length > 0) {
    throw variantNotPublished(unpublished);
  }
  const currency = platform.defaultCurrency;
  const paymentTimeoutSeconds = input.paymentTimeoutSeconds ?? DEFAULT_PAYMENT_TIMEOUT_SECONDS;
  const perCustomerLimit = input.perCustomerLimit ?? null;
  const id = newId();

  const sale = await pdb.transaction(async (tx) => {
    await tx.execute(
      `insert into flash_sales (platform_id, id, name, starts_at, ends_at, per_customer_limit, min_account_age_hours, payment_timeout_seconds)
       values ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [id, input.name, new Date(startsAt), new Date(endsAt), perCustomerLimit, input.minAccountAgeHours ?? 0, paymentTimeoutSeconds],
    );
    await tx.execute(
      `insert into flash_sale_items (platform_id, sale_id, variant_id, product_id, sku, title, product_title, sale_price, currency, quantity, position)
       select $1, $2, t.v, t.p, t.sku, t.title, t.pt, t.price, $3, t.q, t.pos
       from unnest($4::uuid[], $5::uuid[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::int[], $11::int[]) as t(v, p, sku, title, pt, price, q, pos)`,
      [
        id,
        currency,
        variantIds,
        variantIds.map((v) => refs.get(v)!.productId),
        variantIds.map((v) => refs.get(v)!.sku),
        variantIds.map((v) => refs.get(v)!.title),
        variantIds.map((v) => refs.get(v)!.productTitle),
        input.items.map((i) => i.salePrice),
        input.items.map((i) => i.quantity),
        input.items.map((_, i) => i),
      ],
    );
    // Throws 409 out_of_stock (and rolls all of it back) when normal stock cannot cover the sale.
    const carveOut = await inventoryService(rt.ctx).reserveStock(tx, { reference: `flash-sale:${id}`, lines: input.items.map((i) => ({ variantId: i.variantId.toLowerCase(), quantity: i.quantity })), holdSeconds });
    const timerId = await rt.ctx.events.schedule(tx, new Date(endsAt), EVENT_END, { saleId: id }, { key: id });
    await tx.execute('update flash_sales set reservation_id = $3, end_timer_id = $4 where platform_id = $1 and id = $2', [id, carveOut.id, timerId]);
    await rt.ctx.events.emit(tx, EVENT_SCHEDULED, { saleId: id, name: input.name, startsAt: input.startsAt, endsAt: input.endsAt, actor, items: input.items }, { key: id });
    return (await readSaleRow(tx, id))!;
  });

  try {
    await rt.gate.load(id, {
      epoch: sale.gateEpoch,
      perCustomerLimit,
      remaining: Object.fromEntries(sale.items.map((i) => [i.variantId, i.quantity])),
      bought: {},
    });
  } catch (error) {
    // The sale is committed; the first purchase finds the gate not loaded and rebuilds it from the tickets.
    rt.ctx.log.warn({ err: error, saleId: id }, 'flash sale scheduled but the stock gate could not be loaded yet');
  }
  rt.sales.invalidate(pdb.platformId, id);
  return saleView(sale);
}

export async function getSale(pdb: PlatformDb, saleId: string): Promise<Sale> {
  const sale = await readSaleRow(pdb, saleId);
  if (!sale) throw platformSaleNotFound(saleId);
  return saleView(sale);
}

/** The carve-out's units go back to normal stock, unless it is no longer holding them (already released or expired). */
async function releaseCarveOut(rt: FlashRuntime, tx: PlatformDb, reservationId: string, reason: ReleaseReason): Promise<void> {
  const inventory = inventoryService(rt.ctx);
  const reservation = await inventory.getReservation(tx, reservationId);
  if (reservation?.status === 'active') await inventory.releaseReservation(tx, reservationId, reason);
}

/** Stops purchases and returns the carve-out. Orders already created stay payable. */
export async function cancelSale(rt: FlashRuntime, pdb: PlatformDb, saleId: string, actor: string): Promise<Sale> {
  const sale = await pdb.transaction(async (tx) => {
    const current = await readSaleRow(tx, saleId, ' for update');
    if (!current) throw platformSaleNotFound(saleId);
    if (current.status !== 'scheduled') throw saleClosed(saleId, current.status);
    // Winners whose order was not created yet lose the sale with it.
    await tx.execute(
      `update flash_sale_tickets set status = 'cancelled', failure_reason = 'sale_cancelled', updated_at = now()
       where platform_id = $1 and sale_id = $2 and status = 'pending'`,
      [current.id],
    );
    if (current.reservationId) await releaseCarveOut(rt, tx, current.reservationId, 'flash_sale_cancelled');
    if (current.endTimerId) await rt.ctx.events.cancelTimer(tx, current.endTimerId);
    await tx.execute(`update flash_sales set status = 'cancelled', updated_at = now() where platform_id = $1 and id = $2`, [current.id]);
    await rt.ctx.events.emit(tx, EVENT_CANCELLED, { saleId: current.id, actor }, { key: current.id });
    return (await readSaleRow(tx, current.id))!;
  });
  await rt.gate.drop(sale.id).catch((error: unknown) => rt.ctx.log.warn({ err: error, saleId }, 'could not drop the stock gate of a cancelled sale'));
  rt.sales.invalidate(pdb.platformId, sale.id);
  rt.soldOut.clear(sale.id);
  return saleView(sale);
}

/**
 * The end timer: in the handler's transaction, the sale row is locked (no ticket insert can slip in after
 * this), pending tickets become orders while the carve-out still holds their units, the rest of the
 * carve-out returns to normal stock, and the gate is dropped. Units the gate had handed out without a
 * ticket simply stay in normal stock: every unit ends as exactly one order or back in stock.
 */
export async function endSale(rt: FlashRuntime, scope: TxScope, platformId: string, saleId: string): Promise<void> {
  const tx = scope.platform(platformId);
  const sale = await readSaleRow(tx, saleId, ' for update');
  if (!sale || sale.status !== 'scheduled') return;
  if (sale.endsAtMs > Date.now() + 1000) return; // a stale timer of an earlier end time; the current one is scheduled
  const drained = await drainSaleNow(rt, scope, sale);
  const before = await rt.gate.snapshot(sale.id).catch(() => undefined);
  if (sale.reservationId) await releaseCarveOut(rt, tx, sale.reservationId, 'flash_sale_ended');
  await tx.execute(`update flash_sales set status = 'ended', reconciled_at = now(), updated_at = now() where platform_id = $1 and id = $2`, [sale.id]);
  await rt.ctx.events.emit(
    tx,
    EVENT_ENDED,
    { saleId: sale.id, drainedAtEnd: drained, gateAtEnd: before ? gateView(before) : null },
    { key: sale.id },
  );
  await rt.gate.drop(sale.id);
  rt.sales.invalidate(platformId, sale.id);
  rt.soldOut.clear(sale.id);
}
