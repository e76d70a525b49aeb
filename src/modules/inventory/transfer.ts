// Moving held stock between reservations without touching the levels, for stock set aside in bulk and
// handed out piece by piece (a flash sale carves its quantity out when it is scheduled; each order it
// drains takes its units from that carve-out):
// - transferReserved: units leave one active reservation and become a new reservation of their own.
//   The level's `reserved` total does not change, so nobody else can take the units in between.
// - growReservation: an active reservation takes more units from available stock (a sale getting back
//   a unit whose order was cancelled), with the same conditional update as reserveStock.
// Lock order is the module's usual one: reservation rows first, then level rows sorted by variant id.
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { badRequest, conflict, notFound } from '../../kernel/http/problem.ts';
import { isUuid, newId } from '../../kernel/ids.ts';
import { EVENT_RESERVATION_EXPIRE, emitLevelEvents, type InventoryDeps } from './deps.ts';
import { getReservation } from './reservations.ts';
import { MAX_HOLD_SECONDS } from './settings.ts';
import type { Reservation } from './schemas.ts';

export interface TransferLine {
  variantId: string;
  quantity: number;
}

function summed(lines: readonly TransferLine[]): TransferLine[] {
  const sums = new Map<string, number>();
  for (const line of lines) {
    if (!isUuid(line.variantId)) throw badRequest('invalid_variant', `"${line.variantId}" is not a variant id.`);
    if (!Number.isSafeInteger(line.quantity) || line.quantity < 1) throw badRequest('invalid_quantity', `Quantity ${line.quantity} must be a whole number of at least 1.`);
    const id = line.variantId.toLowerCase();
    sums.set(id, (sums.get(id) ?? 0) + line.quantity);
  }
  if (sums.size === 0) throw badRequest('invalid_lines', 'At least one line is needed.');
  return [...sums].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([variantId, quantity]) => ({ variantId, quantity }));
}

async function lockActive(tx: PlatformDb, reservationId: string): Promise<void> {
  const row = isUuid(reservationId)
    ? await tx.maybeOne<{ status: string }>('select status from inventory_reservations where platform_id = $1 and id = $2 for update', [reservationId])
    : undefined;
  if (!row) throw notFound('reservation_not_found', `There is no reservation ${reservationId}.`);
  if (row.status !== 'active') throw conflict('reservation_not_active', `Reservation ${reservationId} is ${row.status}; its units cannot move.`);
}

/**
 * Moves `lines` out of the active reservation `fromReservationId` into a new active reservation for
 * `reference` (expiring after holdSeconds, by the usual durable timer). 409 out_of_stock when the source
 * holds fewer units of a variant than asked; nothing changes then.
 */
export async function transferReserved(
  deps: InventoryDeps,
  tx: PlatformDb,
  input: { fromReservationId: string; reference: string; lines: readonly TransferLine[]; holdSeconds: number; id?: string },
): Promise<Reservation> {
  const lines = summed(input.lines);
  if (!Number.isSafeInteger(input.holdSeconds) || input.holdSeconds < 1 || input.holdSeconds > MAX_HOLD_SECONDS) {
    throw badRequest('invalid_hold', `holdSeconds must be a whole number from 1 to ${MAX_HOLD_SECONDS}.`);
  }
  await lockActive(tx, input.fromReservationId);
  const id = input.id?.toLowerCase() ?? newId();
  const moved: { variantId: string; locationId: string; quantity: number }[] = [];
  for (const line of lines) {
    // One line per (reservation, variant, location); carve-outs use one location per variant.
    const source = await tx.maybeOne<{ location_id: string; quantity: number }>(
      `select location_id, quantity from inventory_reservation_lines
       where platform_id = $1 and reservation_id = $2 and variant_id = $3 and quantity >= $4
       order by quantity desc limit 1`,
      [input.fromReservationId, line.variantId, line.quantity],
    );
    if (!source) {
      throw conflict('out_of_stock', `Reservation ${input.fromReservationId} holds fewer than ${line.quantity} of variant ${line.variantId}.`, {
        items: [{ variantId: line.variantId, requested: line.quantity }],
      });
    }
    await tx.execute(
      source.quantity === line.quantity
        ? 'delete from inventory_reservation_lines where platform_id = $1 and reservation_id = $2 and variant_id = $3 and location_id = $4'
        : 'update inventory_reservation_lines set quantity = quantity - $5 where platform_id = $1 and reservation_id = $2 and variant_id = $3 and location_id = $4',
      source.quantity === line.quantity
        ? [input.fromReservationId, line.variantId, source.location_id]
        : [input.fromReservationId, line.variantId, source.location_id, line.quantity],
    );
    moved.push({ variantId: line.variantId, locationId: source.location_id, quantity: line.quantity });
  }
  const expiresAt = new Date(Date.now() + input.holdSeconds * 1000);
  const timerId = await deps.events.schedule(tx, expiresAt, EVENT_RESERVATION_EXPIRE, { reservationId: id }, { key: id });
  await tx.execute(
    `with r as (
       insert into inventory_reservations (platform_id, id, reference, expires_at, timer_id) values ($1, $2, $3, $4, $5) returning id
     )
     insert into inventory_reservation_lines (platform_id, reservation_id, variant_id, location_id, quantity)
     select $1, r.id, t.v, t.l, t.q from r, unnest($6::uuid[], $7::uuid[], $8::int[]) as t(v, l, q)`,
    [id, input.reference, expiresAt, timerId, moved.map((m) => m.variantId), moved.map((m) => m.locationId), moved.map((m) => m.quantity)],
  );
  await tx.execute('update inventory_reservations set updated_at = now() where platform_id = $1 and id = $2', [input.fromReservationId]);
  return (await getReservation(tx, id))!;
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
      throw conflict('out_of_stock', `Not enough available stock of variant ${line.variantId} to hold ${line.quantity} more.`, {
        items: [{ variantId: line.variantId, requested: line.quantity }],
      });
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
