// Moving held stock between reservations without touching the levels, for stock set aside in bulk and
// handed out piece by piece (a flash sale carves its quantity out when it is scheduled; each order it
// drains takes its units from that carve-out):
// - transferReserved: units leave one active reservation and become a new reservation of their own.
//   The level's `reserved` total does not change, so nobody else can take the units in between.
// - growReservation: an active reservation takes more units from available stock (a sale getting back
//   a unit whose order was cancelled), with the same conditional update as reserveStock.
// Lock order is the module's usual one: reservation rows first, then level rows sorted by variant id.
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { isUuid, newId } from '../../kernel/ids.ts';
import { emitLevelEvents, type InventoryDeps } from './deps.ts';
import { EVENT_RESERVATION_EXPIRE } from './events.ts';
import { getReservation } from './reservations.ts';
import { MAX_HOLD_SECONDS } from './settings.ts';
import type { Reservation } from './schemas.ts';
import { carveOutShort, invalidHold, invalidLines, invalidTransferQuantity, invalidVariant, notEnoughToGrow, reservationCannotMove, reservationNotFound } from './problems.ts';

export interface TransferLine {
  variantId: string;
  quantity: number;
}

function summed(lines: readonly TransferLine[]): TransferLine[] {
  const sums = new Map<string, number>();
  for (const line of lines) {
    if (!isUuid(line.variantId)) throw invalidVariant(line.variantId);
    if (!Number.isSafeInteger(line.quantity) || line.quantity < 1) throw invalidTransferQuantity(line.quantity);
    const id = line.variantId.toLowerCase();
    sums.set(id, (sums.get(id) ?? 0) + line.quantity);
  }
  if (sums.size === 0) throw invalidLines('At least one line is needed.');
  return [...sums].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([variantId, quantity]) => ({ variantId, quantity }));
}

async function lockActive(tx: PlatformDb, reservationId: string): Promise<void> {
  const row = isUuid(reservationId)
    ? await tx.maybeOne<{ status: string }>('select status from inventory_reservations where platform_id = $1 and id = $2 for update', [reservationId])
    : undefined;
  if (!row) throw reservationNotFound(reservationId);
  if (row.status !== 'active') throw reservationCannotMove(reservationId, row.status);
}

export interface Transfer {
  reference: string;
  lines: readonly TransferLine[];
  holdSeconds: number;
  id?: string;
}

/**
 * Moves `lines` out of the active reservation `fromReservationId` into a new active reservation for
 * `reference` (expiring after holdSeconds, by the usual durable timer). 409 out_of_stock when the source
 * holds fewer units of a variant than asked; nothing changes then.
 */
export async function transferReserved(
  deps: InventoryDeps,
  tx: PlatformDb,
  input: { fromReservationId: string } & Transfer,
): Promise<Reservation> {
  const [id] = await transferReservedMany(deps, tx, input.fromReservationId, [input]);
  return (await getReservation(tx, id!))!;
}

/**
 * Several transfers out of one source reservation with a fixed number of statements however many there
 * are (the flash-sale drain turns a batch of tickets into orders at once). All or none: 409 out_of_stock
 * when the source holds fewer units of a variant, at one location, than the transfers ask for together.
 * Returns the new reservations' ids in order.
 */
export async function transferReservedMany(deps: InventoryDeps, tx: PlatformDb, fromReservationId: string, transfers: readonly Transfer[]): Promise<string[]> {
  if (transfers.length === 0) return [];
  const planned = transfers.map((t) => {
    if (!Number.isSafeInteger(t.holdSeconds) || t.holdSeconds < 1 || t.holdSeconds > MAX_HOLD_SECONDS) {
      throw invalidHold(MAX_HOLD_SECONDS);
    }
    return { ...t, id: t.id?.toLowerCase() ?? newId(), lines: summed(t.lines) };
  });
  const needed = summed(planned.flatMap((t) => t.lines));
  await lockActive(tx, fromReservationId);
  // One line per (reservation, variant, location); carve-outs use one location per variant, so take
  // every variant from its fullest line, which must hold the whole batch's need.
  const sources = await tx.query<{ variant_id: string; location_id: string; quantity: number }>(
    `select distinct on (variant_id) variant_id, location_id, quantity from inventory_reservation_lines
     where platform_id = $1 and reservation_id = $2 and variant_id = any($3::uuid[])
     order by variant_id, quantity desc`,
    [fromReservationId, needed.map((n) => n.variantId)],
  );
  const sourceOf = new Map(sources.map((s) => [s.variant_id, s]));
  for (const need of needed) {
    const source = sourceOf.get(need.variantId);
    if (!source || source.quantity < need.quantity) {
      throw carveOutShort(fromReservationId, need.variantId, need.quantity);
    }
  }
  // Lines emptied by the move go; the others shrink.
  await tx.execute(
    `with moved as (
       select t.variant_id, t.location_id, t.quantity from unnest($3::uuid[], $4::uuid[], $5::int[]) as t(variant_id, location_id, quantity)
     ),
     shrunk as (
       update inventory_reservation_lines l set quantity = l.quantity - m.quantity from moved m
       where l.platform_id = $1 and l.reservation_id = $2 and l.variant_id = m.variant_id and l.location_id = m.location_id and l.quantity > m.quantity
     )
     delete from inventory_reservation_lines l using moved m
     where l.platform_id = $1 and l.reservation_id = $2 and l.variant_id = m.variant_id and l.location_id = m.location_id and l.quantity = m.quantity`,
    [fromReservationId, needed.map((n) => n.variantId), needed.map((n) => sourceOf.get(n.variantId)!.location_id), needed.map((n) => n.quantity)],
  );
  const now = Date.now();
  const expiries = planned.map((t) => new Date(now + t.holdSeconds * 1000));
  const timerIds = await deps.events.scheduleMany(
    tx,
    planned.map((t, i) => ({ at: expiries[i]!, type: EVENT_RESERVATION_EXPIRE, payload: { reservationId: t.id }, key: t.id })),
  );
  const lineRows = planned.flatMap((t) => t.lines.map((l) => ({ reservationId: t.id, variantId: l.variantId, locationId: sourceOf.get(l.variantId)!.location_id, quantity: l.quantity })));
  await tx.execute(
    `with r as (
       insert into inventory_reservations (platform_id, id, reference, expires_at, timer_id)
       select $1, t.id, t.reference, t.expires_at, t.timer_id from unnest($2::uuid[], $3::text[], $4::timestamptz[], $5::uuid[]) as t(id, reference, expires_at, timer_id)
       returning id
     )
     insert into inventory_reservation_lines (platform_id, reservation_id, variant_id, location_id, quantity)
     select $1, t.r, t.v, t.l, t.q from unnest($6::uuid[], $7::uuid[], $8::uuid[], $9::int[]) as t(r, v, l, q) where t.r in (select id from r)`,
    [
      planned.map((t) => t.id),
      planned.map((t) => t.reference),
      expiries.map((e) => e.toISOString()),
      timerIds,
      lineRows.map((l) => l.reservationId),
      lineRows.map((l) => l.variantId),
      lineRows.map((l) => l.locationId),
      lineRows.map((l) => l.quantity),
    ],
  );
  await tx.execute('update inventory_reservations set updated_at = now() where platform_id = $1 and id = $2', [fromReservationId]);
  return planned.map((t) => t.id);
}

/**
 * Takes more units into an active reservation from available stock (at the location the reservation
 * already uses for the variant, else the default one). All lines or none: 409 out_of_stock otherwise.
 */
export async function growReservation(deps: InventoryDeps, tx: PlatformDb, reservationId: string, input: readonly TransferLine[]): Promise<Reservation> {
  const lines = summed(input);
  await lockActive(tx, reservationId);
  for (const line of lines) {
    const row = await tx.maybeOne<{ location_id: string; on_hand: number; reserved: number }>(
      `with target as (
         select coalesce(
           (select location_id from inventory_reservation_lines where platform_id = $1 and reservation_id = $2 and variant_id = $3 limit 1),
           (select id from inventory_locations where platform_id = $1 and is_default)) as location_id
       )
       update inventory_levels l set reserved = reserved + $4, updated_at = now()
       from target where l.platform_id = $1 and l.variant_id = $3 and l.location_id = target.location_id and l.on_hand - l.reserved >= $4
       returning l.location_id, l.on_hand, l.reserved`,
      [reservationId, line.variantId, line.quantity],
    );
    if (!row) {
      // Throwing rolls back the lines already grown with the caller's transaction; callers that catch
      // this must roll back too (the conditional update has not moved anything for this line).
      throw notEnoughToGrow(line.variantId, line.quantity);
    }
    await tx.execute(
      `insert into inventory_reservation_lines (platform_id, reservation_id, variant_id, location_id, quantity) values ($1, $2, $3, $4, $5)
       on conflict (platform_id, reservation_id, variant_id, location_id) do update set quantity = inventory_reservation_lines.quantity + excluded.quantity`,
      [reservationId, line.variantId, row.location_id, line.quantity],
    );
    await emitLevelEvents(deps, tx, { variantId: line.variantId, locationId: row.location_id, onHand: row.on_hand, reserved: row.reserved, availableBefore: row.on_hand - row.reserved + line.quantity });
  }
  return (await getReservation(tx, reservationId))!;
}
