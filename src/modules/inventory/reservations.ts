// Reservations: stock held for a checkout until it is paid (commit), cancelled or failed (release) or
// its hold runs out (expire, by a durable timer).
//
// Why this cannot oversell:
// - Lines are first summed per (variant, location), so two cart lines of one variant are checked as one
//   quantity (Medusa #16502 checked them one by one against the same stale number).
// - Stock is taken by one statement for all levels of a hold (see levelsStatement). It first locks the
//   level rows with SELECT … FOR UPDATE, which waits for a concurrent writer and then reads the newest
//   row version, so whether every line has enough is decided on current numbers, never on a number read
//   earlier. Only when every line has enough does its UPDATE run, and that UPDATE keeps its own condition
//   ("on_hand - reserved >= q"). CHECK constraints (reserved <= on_hand, both >= 0) back this up.
// - Every transaction takes its locks in one global order: the reservation row first (with its expiry
//   timer's row when a commit or release removes it), then level rows sorted by (variant id, location
//   id): the locking read sorts before it locks (LockRows above Sort), whatever order the UPDATE's plan
//   later visits the rows in. Two checkouts over overlapping variants therefore queue behind each other
//   instead of deadlocking.
// - When a line is short, no level changes and the reservation row is removed before the 409 is thrown,
//   so nothing has changed even if a caller catches the error and commits.
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { isUuid, newId } from '../../kernel/ids.ts';
import { catalogService } from '../catalog/service.ts';
import { DEFAULT_PAGE_SIZE, decodeCursor, encodeCursor, iso } from '../../kernel/cursor.ts';
import { cancelTimerStatement } from '../events/outbox.ts';
import { emitLevelEvents, type InventoryDeps, type LevelChange } from './deps.ts';
import { EVENT_RESERVATION_EXPIRE } from './events.ts';
import { findDefaultLocationId } from './locations.ts';
import { MAX_LINES, MAX_LINE_QUANTITY, type Reservation, type ReservationList, type ReservationsQuery } from './schemas.ts';
import { MAX_HOLD_SECONDS, inventorySettings } from './settings.ts';
import { invalidHold, invalidLineQuantity, invalidLines, invalidLocation, invalidReservationId, invalidReservationReference, invalidVariant, outOfStock, reservationCommitted, reservationExists, reservationNotActive, reservationNotExpired, reservationNotFoundHere, unknownVariants } from './problems.ts';
import { rowsToFetch, takePage } from '../../kernel/page.ts';

export interface ReserveLine {
  variantId: string;
  quantity: number;
  /** The stock location to take from; the platform's default location when omitted. */
  locationId?: string;
}

export interface ReserveStockInput {
  /** What the hold is for (order, cart or checkout id). One active reservation per reference. */
  reference: string;
  lines: readonly ReserveLine[];
  /** Default: the platform's settings.inventory.reservationHoldSeconds (15 minutes). */
  holdSeconds?: number;
  /**
   * The id for the new reservation (default: a fresh one), so a caller can write it next to its own
   * rows before the stock is taken. A repeated call that finds the reference's active hold returns that
   * hold, with its own id.
   */
  id?: string;
}

/** Why a reservation is released: 'cancelled', 'payment_failed', …; 'expired' only once the hold has run out. */
export type ReleaseReason = string;

export interface ShortLine {
  variantId: string;
  locationId: string | null;
  requested: number;
  available: number;
}

interface Line {
  variantId: string;
  locationId: string;
  quantity: number;
}

const RESERVATION_COLUMNS = `r.id, r.reference, r.status, ${iso('r.expires_at')} as expires_at, r.release_reason,
  ${iso('r.created_at')} as created_at, ${iso('r.updated_at')} as updated_at, r.timer_id,
  coalesce((select json_agg(json_build_object('variantId', x.variant_id, 'locationId', x.location_id, 'quantity', x.quantity)
                            order by x.variant_id, x.location_id)
            from inventory_reservation_lines x where x.platform_id = $1 and x.reservation_id = r.id), '[]'::json) as lines`;
type ReservationRow = {
  id: string;
  reference: string;
  status: Reservation['status'];
  expires_at: string;
  release_reason: string | null;
  created_at: string;
  updated_at: string;
  timer_id: string | null;
  lines: Reservation['lines'] | string;
};
function toReservation(r: ReservationRow): Reservation {
  return {
    id: r.id,
    reference: r.reference,
    status: r.status,
    expiresAt: r.expires_at,
    releaseReason: r.release_reason,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    lines: typeof r.lines === 'string' ? (JSON.parse(r.lines) as Reservation['lines']) : r.lines,
  };
}

function lineKey(variantId: string, locationId: string): string {
  return `${variantId}/${locationId}`;
}

/** Checks the input a non-HTTP caller may pass (HTTP input is already validated by its schema). */
function checkInput(input: ReserveStockInput): void {
  if (typeof input.reference !== 'string' || input.reference.trim() === '' || input.reference.length > 200) {
    throw invalidReservationReference();
  }
  if (!Array.isArray(input.lines) || input.lines.length === 0 || input.lines.length > MAX_LINES) {
    throw invalidLines(`A reservation needs 1 to ${MAX_LINES} lines.`);
  }
  for (const line of input.lines) {
    if (typeof line.variantId !== 'string' || !isUuid(line.variantId)) throw invalidVariant(String(line.variantId));
    if (line.locationId !== undefined && (typeof line.locationId !== 'string' || !isUuid(line.locationId))) {
      throw invalidLocation(String(line.locationId));
    }
    if (!Number.isSafeInteger(line.quantity) || line.quantity < 1 || line.quantity > MAX_LINE_QUANTITY) {
      throw invalidLineQuantity(String(line.quantity), line.variantId, MAX_LINE_QUANTITY);
    }
  }
  if (input.holdSeconds !== undefined && (!Number.isSafeInteger(input.holdSeconds) || input.holdSeconds < 1 || input.holdSeconds > MAX_HOLD_SECONDS)) {
    throw invalidHold(MAX_HOLD_SECONDS);
  }
}

/** Sums lines per (variant, location) and sorts them in the global lock order. */
function aggregate(lines: readonly ReserveLine[], defaultLocationId: string | undefined): { lines: Line[]; unlocated: ReserveLine[] } {
  const sums = new Map<string, Line>();
  const unlocated: ReserveLine[] = [];
  for (const line of lines) {
    const locationId = (line.locationId ?? defaultLocationId)?.toLowerCase();
    if (locationId === undefined) {
      unlocated.push(line);
      continue;
    }
    const variantId = line.variantId.toLowerCase();
    const key = lineKey(variantId, locationId);
    const existing = sums.get(key);
    if (existing) existing.quantity += line.quantity;
    else sums.set(key, { variantId, locationId, quantity: line.quantity });
  }
  const sorted = [...sums.values()].sort((a, b) => (a.variantId < b.variantId ? -1 : a.variantId > b.variantId ? 1 : a.locationId < b.locationId ? -1 : a.locationId > b.locationId ? 1 : 0));
  return { lines: sorted, unlocated };
}

const sameLines = (a: readonly Line[], b: Reservation['lines']) =>
  a.length === b.length && a.every((l, i) => l.variantId === b[i]!.variantId && l.locationId === b[i]!.locationId && l.quantity === b[i]!.quantity);

async function readReservation(tx: PlatformDb, id: string, forUpdate = false): Promise<(Reservation & { timerId: string | null }) | undefined> {
  const row = await tx.maybeOne<ReservationRow>(
    `select ${RESERVATION_COLUMNS} from inventory_reservations r where r.platform_id = $1 and r.id = $2${forUpdate ? ' for update' : ''}`,
    [id],
  );
  return row ? { ...toReservation(row), timerId: row.timer_id } : undefined;
}

/** The 409 (or 400 for unknown variants) that explains why lines could not be reserved. */
async function shortageProblem(deps: InventoryDeps, tx: PlatformDb, lines: readonly Line[], unlocated: readonly ReserveLine[]): Promise<Error> {
  const variantIds = [...new Set([...lines.map((l) => l.variantId), ...unlocated.map((l) => l.variantId.toLowerCase())])];
  const known = new Set((await catalogService(deps).getVariantRefs(tx, variantIds)).map((v) => v.variantId));
  const unknown = variantIds.filter((id) => !known.has(id));
  if (unknown.length > 0) {
    return unknownVariants(unknown);
  }
  const rows = await tx.query<{ variant_id: string; location_id: string; available: number }>(
    `select variant_id, location_id, on_hand - reserved as available from inventory_levels
     where platform_id = $1 and variant_id = any($2::uuid[])`,
    [variantIds],
  );
  const available = new Map(rows.map((r) => [lineKey(r.variant_id, r.location_id), r.available]));
  const short: ShortLine[] = [
    ...lines
      .map((l) => ({ variantId: l.variantId, locationId: l.locationId, requested: l.quantity, available: available.get(lineKey(l.variantId, l.locationId)) ?? 0 }))
      .filter((l) => l.available < l.requested),
    ...unlocated.map((l) => ({ variantId: l.variantId.toLowerCase(), locationId: null, requested: l.quantity, available: 0 })),
  ];
  // Availability may have moved since the failed update; name at least the line that failed.
  const described = short.length > 0 ? short : lines.map((l) => ({ variantId: l.variantId, locationId: l.locationId, requested: l.quantity, available: 0 }));
  const list = described.map((s) => `${s.variantId} (requested ${s.requested}, available ${s.available})`).join(', ');
  return outOfStock(list, described);
}

/**
 * Holds stock for `reference` inside the caller's transaction: all lines or none. Throws a 409
 * `out_of_stock` problem (items: the short variants) or a 400 for unknown variants and bad input; in
 * either case nothing has changed. A repeated call with the same reference and the same lines while the
 * first hold is active returns that reservation (safe retries); different lines get 409.
 */
export async function reserveStock(deps: InventoryDeps, tx: PlatformDb, input: ReserveStockInput): Promise<Reservation> {
  checkInput(input);
  if (input.id !== undefined && !isUuid(input.id)) throw invalidReservationId(String(input.id));
  const holdSeconds = input.holdSeconds ?? inventorySettings(deps.platforms.byId(tx.platformId)).reservationHoldSeconds;
  // The common case (every line at the default location, as checkout asks) resolves the location in the
  // statement that writes the reservation; only mixed requests look it up first.
  const allDefault = input.lines.every((l) => l.locationId === undefined);
  const defaultLocationId = !allDefault && input.lines.some((l) => l.locationId === undefined) ? await findDefaultLocationId(tx) : undefined;
  const aggregated = aggregate(input.lines, allDefault ? DEFAULT_PLACEHOLDER : defaultLocationId);
  if (aggregated.unlocated.length > 0) throw await shortageProblem(deps, tx, aggregated.lines, aggregated.unlocated);
  const reference = input.reference;

  // 1. The expiry timer, then the reservation row with its lines in one statement. The reservation row
  //    is the first lock in the global order (a concurrent hold for the same reference waits here and
  //    then finds the winner's row); the timer is a new row nobody else can hold.
  const id = input.id?.toLowerCase() ?? newId();
  const expiresAt = new Date(Date.now() + holdSeconds * 1000);
  const timerId = await deps.events.schedule(tx, expiresAt, EVENT_RESERVATION_EXPIRE, { reservationId: id }, { key: id });
  const written = await tx.maybeOne<{ created_at: string | null; updated_at: string | null; default_location_id: string | null }>(
    `with r as (
       insert into inventory_reservations (platform_id, id, reference, expires_at, timer_id) values ($1, $2, $3, $4, $5)
       on conflict (platform_id, reference) where status = 'active' do nothing
       returning id, created_at, updated_at
     ),
     loc as (select id from inventory_locations where platform_id = $1 and is_default),
     lines as (
       insert into inventory_reservation_lines (platform_id, reservation_id, variant_id, location_id, quantity)
       select $1, r.id, t.v, coalesce(t.l, (select id from loc)), t.q
       from r, unnest($6::uuid[], $7::uuid[], $8::int[]) as t(v, l, q)
       where coalesce(t.l, (select id from loc)) is not null
     )
     select ${iso('r.created_at')} as created_at, ${iso('r.updated_at')} as updated_at, (select id from loc) as default_location_id
     from (select 1) as one left join r on true`,
    [
      id,
      reference,
      expiresAt,
      timerId,
      aggregated.lines.map((l) => l.variantId),
      aggregated.lines.map((l) => (l.locationId === DEFAULT_PLACEHOLDER ? null : l.locationId)),
      aggregated.lines.map((l) => l.quantity),
    ],
  );
  if (!written?.created_at || !written.updated_at) {
    await deps.events.cancelTimer(tx, timerId);
    const existing = await tx.maybeOne<{ id: string }>(
      `select id from inventory_reservations where platform_id = $1 and reference = $2 and status = 'active'`,
      [reference],
    );
    const current = existing ? await readReservation(tx, existing.id) : undefined;
    const resolved = aggregate(input.lines, allDefault ? (written?.default_location_id ?? undefined) : defaultLocationId).lines;
    if (current && sameLines(resolved, current.lines)) return stripTimer(current);
    throw reservationExists(reference, current?.id);
  }
  if (allDefault && !written.default_location_id) {
    // Nothing was ever stocked on this platform: no line was written; undo the row and the timer.
    await tx.execute('delete from inventory_reservations where platform_id = $1 and id = $2', [id]);
    await deps.events.cancelTimer(tx, timerId);
    throw await shortageProblem(deps, tx, [], input.lines);
  }
  const lines = allDefault ? aggregate(input.lines, written.default_location_id!).lines : aggregated.lines;

  // 2. Stock for every level in one statement, locked in (variant, location) order — last, so a popular
  //    level's row lock is held only from here to the caller's commit.
  const rows = await tx.query<LevelRow>(
    levelsStatement(
      'l.on_hand - l.reserved >= w.quantity',
      'reserved = l.reserved + w.quantity, updated_at = now()',
      'l.on_hand - l.reserved >= w.quantity',
    ),
    levelParams(lines),
  );
  if (rows.length < lines.length) {
    // The gate let nothing through; should the UPDATE's own condition ever refuse a line the locking
    // read let pass, the lines it did take go back as well.
    await giveBack(tx, inLineOrder(lines, rows));
    await tx.execute(
      `with l as (delete from inventory_reservation_lines where platform_id = $1 and reservation_id = $2)
       delete from inventory_reservations where platform_id = $1 and id = $2`,
      [id],
    );
    await deps.events.cancelTimer(tx, timerId);
    throw await shortageProblem(deps, tx, lines, []);
  }
  const after = new Map(rows.map((r) => [lineKey(r.variant_id, r.location_id), r]));
  const changes: LevelChange[] = lines.map((line) => {
    const row = after.get(lineKey(line.variantId, line.locationId))!;
    return { variantId: line.variantId, locationId: line.locationId, onHand: row.on_hand, reserved: row.reserved, availableBefore: row.on_hand - row.reserved + line.quantity };
  });
  // Events only once every line is held, so a refused reservation leaves no event behind either.
  for (const change of changes) await emitLevelEvents(deps, tx, change);
  return {
    id,
    reference,
    status: 'active',
    expiresAt: expiresAt.toISOString(),
    releaseReason: null,
    createdAt: written.created_at,
    updatedAt: written.updated_at,
    lines: lines.map((l) => ({ variantId: l.variantId, locationId: l.locationId, quantity: l.quantity })),
  };
}

/** Stands for "the default location" while lines are summed, before its id is known. */
const DEFAULT_PLACEHOLDER = '';

function stripTimer(r: Reservation): Reservation {
  return { id: r.id, reference: r.reference, status: r.status, expiresAt: r.expiresAt, releaseReason: r.releaseReason, createdAt: r.createdAt, updatedAt: r.updatedAt, lines: r.lines };
}

type LevelRow = { variant_id: string; location_id: string; on_hand: number; reserved: number };

/**
 * One statement over the levels of `lines` ($2 variant ids, $3 location ids, $4 quantities, in the
 * global order; $5 and on are the caller's). It locks the rows first, sorted by (variant, location),
 * then updates them with `set` where `condition` holds, and only when every line's row exists and
 * passes `gate` on its locked (newest) version; a null gate only asks for the locks. With a gate, rows
 * are locked only if every line passes it in the statement's snapshot (a read without locks), so a
 * refusal of stock already gone holds no lock while it cleans up; one refused after waiting does. Returns the rows
 * it updated with their new on_hand and reserved. Only on_hand, reserved and updated_at are written:
 * no indexed column, so the updates stay HOT. `extra` adds CTEs that read the update's rows as `u`.
 */
function levelsStatement(gate: string | null, set: string, condition: string, extra = ''): string {
  return `with w as materialized (
       select * from unnest($2::uuid[], $3::uuid[], $4::int[]) with ordinality as w(variant_id, location_id, quantity, n)
     ),
     locked as materialized (
       select ${gate ?? 'true'} as passes
       from inventory_levels l join w on w.variant_id = l.variant_id and w.location_id = l.location_id
       where l.platform_id = $1${gate === null ? '' : `
         and (select count(*) from inventory_levels l join w on w.variant_id = l.variant_id and w.location_id = l.location_id
              where l.platform_id = $1 and ${gate}) = cardinality($2::uuid[])`}
       order by l.variant_id, l.location_id
       for update of l
     ),
     u as (
       update inventory_levels l set ${set}
       from w
       where l.platform_id = $1 and l.variant_id = w.variant_id and l.location_id = w.location_id and ${condition}
         and ${gate === null ? '(select count(*) from locked) >= 0' : '(select count(*) filter (where passes) from locked) = cardinality($2::uuid[])'}
       returning l.variant_id, l.location_id, l.on_hand, l.reserved, w.quantity, w.n
     )${extra}
     select variant_id, location_id, on_hand, reserved from u`;
}

function levelParams(lines: readonly Line[]): unknown[] {
  return [lines.map((l) => l.variantId), lines.map((l) => l.locationId), lines.map((l) => l.quantity)];
}

/** The lines whose levels are among `rows`, in the order of `lines`. */
function inLineOrder(lines: readonly Line[], rows: readonly LevelRow[]): Line[] {
  const found = new Set(rows.map((r) => lineKey(r.variant_id, r.location_id)));
  return lines.filter((l) => found.has(lineKey(l.variantId, l.locationId)));
}

/** Gives held units back to available stock, all levels in one statement (a level that is gone is skipped). */
async function giveBack(tx: PlatformDb, lines: readonly Line[]): Promise<void> {
  if (lines.length === 0) return;
  await tx.query(levelsStatement(null, 'reserved = l.reserved - w.quantity', 'true'), levelParams(lines));
}

/**
 * Moves an active reservation to `status` if it is still active (a conditional update, so exactly one
 * of commit / release / expiry wins). Returns the reservation as it now is, with the lines to settle in
 * (variant, location) order, or undefined when it was not active. One statement: the lines ride along.
 */
async function transition(
  tx: PlatformDb,
  id: string,
  status: 'committed' | 'released' | 'expired',
  reason: string | null,
): Promise<{ reservation: Reservation; reference: string; lines: Line[] } | undefined> {
  const update = `update inventory_reservations r set status = $3, release_reason = $4, updated_at = now()
     where r.platform_id = $1 and r.id = $2 and r.status = 'active'${status === 'expired' ? ' and r.expires_at <= now()' : ''}
     returning ${RESERVATION_COLUMNS}`;
  // A hold that ends before its time drops its expiry timer in the same statement (the timer row is
  // locked right after the reservation row; the timer poller locks timers alone, so no cycle). An
  // expired hold's timer is the one firing.
  const row = await tx.maybeOne<ReservationRow>(
    status === 'expired' ? update : `with r as (${update}), t as (${cancelTimerStatement('(select timer_id from r)')}) select * from r`,
    [id, status, reason],
  );
  if (!row) return undefined;
  const reservation = toReservation(row);
  return {
    reservation,
    reference: row.reference,
    lines: reservation.lines.map((l) => ({ variantId: l.variantId, locationId: l.locationId, quantity: l.quantity })),
  };
}

async function notActive(tx: PlatformDb, id: string, wanted: 'commit' | 'release'): Promise<Reservation> {
  const current = isUuid(id) ? await readReservation(tx, id) : undefined;
  if (!current) throw reservationNotFoundHere(id);
  if (wanted === 'commit' && current.status === 'committed') return stripTimer(current);
  if (wanted === 'release' && (current.status === 'released' || current.status === 'expired')) return stripTimer(current);
  if (wanted === 'commit') {
    throw reservationNotActive(id, current.status, current.releaseReason);
  }
  if (current.status === 'active') {
    throw reservationNotExpired(id, current.status, current.expiresAt);
  }
  throw reservationCommitted(id, current.status);
}

/**
 * Payment succeeded: the held units leave stock (on_hand and reserved both drop; a ledger row per line).
 * Idempotent: committing a committed reservation returns it unchanged. 409 when it was released or expired.
 */
export async function commitReservation(deps: InventoryDeps, tx: PlatformDb, reservationId: string): Promise<Reservation> {
  const moved = isUuid(reservationId) ? await transition(tx, reservationId, 'committed', null) : undefined;
  if (!moved) return notActive(tx, reservationId, 'commit');
  // The level changes and their ledger rows in one statement; the condition still guards each level.
  const lines = moved.lines;
  const rows = await tx.query<LevelRow>(
    levelsStatement(
      null,
      'on_hand = l.on_hand - w.quantity, reserved = l.reserved - w.quantity, updated_at = now()',
      'l.reserved >= w.quantity',
      `,
     e as (
       insert into inventory_ledger (platform_id, id, variant_id, location_id, kind, delta, on_hand_after, reserved_after, reason, reference, actor, actor_label)
       select $1, ($5::uuid[])[u.n::int], u.variant_id, u.location_id, 'commit', -u.quantity, u.on_hand, u.reserved, 'reservation committed', $6, 'system', $7 from u
     )`,
    ),
    [...levelParams(lines), lines.map(() => newId()), moved.reference, `reservation ${reservationId}`],
  );
  if (rows.length < lines.length) {
    const done = new Set(rows.map((r) => lineKey(r.variant_id, r.location_id)));
    const line = lines.find((l) => !done.has(lineKey(l.variantId, l.locationId)))!;
    throw new Error(`reservation ${reservationId}: level ${line.variantId}/${line.locationId} holds less than its reserved quantity`);
  }
  return stripTimer(moved.reservation);
}

/**
 * Cancelled, payment failed or expired: the held units become available again. Idempotent: releasing a
 * released or expired reservation changes nothing and returns it. 409 for a committed one.
 */
export async function releaseReservation(deps: InventoryDeps, tx: PlatformDb, reservationId: string, reason: ReleaseReason = 'cancelled'): Promise<Reservation> {
  const moved = isUuid(reservationId) ? await transition(tx, reservationId, reason === 'expired' ? 'expired' : 'released', reason) : undefined;
  if (!moved) return notActive(tx, reservationId, 'release');
  await giveBack(tx, moved.lines);
  return stripTimer(moved.reservation);
}

/** The timer handler's step: releases the reservation if it is still active and past its hold. */
export async function expireReservation(tx: PlatformDb, reservationId: string): Promise<boolean> {
  const moved = await transition(tx, reservationId, 'expired', 'expired');
  if (!moved) return false;
  await giveBack(tx, moved.lines);
  return true;
}

export async function getReservation(pdb: PlatformDb, reservationId: string): Promise<Reservation | undefined> {
  if (!isUuid(reservationId)) return undefined;
  const found = await readReservation(pdb, reservationId);
  return found ? stripTimer(found) : undefined;
}

export async function listReservations(pdb: PlatformDb, query: ReservationsQuery): Promise<ReservationList> {
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const before = query.cursor ? decodeCursor(query.cursor, 1)[0]! : null;
  const rows = await pdb.query<ReservationRow>(
    `select ${RESERVATION_COLUMNS} from inventory_reservations r
     where r.platform_id = $1
       and ($2::text is null or r.status = $2::text)
       and ($3::text is null or r.reference = $3::text)
       and ($4::uuid is null or r.id < $4::uuid)
     order by r.id desc limit $5`,
    [query.status ?? null, query.reference ?? null, before, rowsToFetch(limit)],
  );
  return takePage(rows, limit, toReservation, (last) => encodeCursor([last.id]));
}
