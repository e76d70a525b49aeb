// Stock levels and the ledger: admin adjustments (delta) and counts (absolute), each one ledger row in
// the same transaction, and the reads behind the admin lists and the storefront's availability.
// An adjustment locks its one level row (select … for update) before it computes the new quantity, so
// two admins adjusting at once both land; reservations never wait on anything but that same row lock.
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { newId } from '../../kernel/ids.ts';
import { catalogService } from '../catalog/service.ts';
import { DEFAULT_PAGE_SIZE, decodeCursor, encodeCursor, iso } from '../../kernel/cursor.ts';
import { emitLevelEvents, type InventoryDeps } from './deps.ts';
import { EVENT_STOCK_ADJUSTED } from './events.ts';
import { resolveLocation } from './locations.ts';
import { MAX_ON_HAND, type AdjustResult, type LedgerEntry, type LedgerList, type LedgerQuery, type LevelsQuery, type StockLevel, type StockLevelList, type VariantStock } from './schemas.ts';
import { inventorySettings } from './settings.ts';
import { invalidDelta, invalidOnHand, invalidReason, stockBelowReserved, stockNegative, stockTooLarge, variantNotFound } from './problems.ts';
import { rowsToFetch, takePage } from '../../kernel/page.ts';

export interface Actor {
  /** "admin_user:<id>", "api_key:<id>" or "system". */
  id: string;
  label?: string | null;
}

export interface StockChange {
  variantId: string;
  /** Default location when omitted. */
  locationId?: string;
  reason: string;
  reference?: string | null;
  actor: Actor;
}

const LEVEL_COLUMNS = `l.variant_id, l.location_id, loc.code as location_code, l.on_hand, l.reserved, ${iso('l.updated_at')} as updated_at`;
const LEVEL_FROM = 'inventory_levels l join inventory_locations loc on loc.platform_id = $1 and loc.id = l.location_id';
type LevelRow = { variant_id: string; location_id: string; location_code: string; on_hand: number; reserved: number; updated_at: string };

function toLevel(r: LevelRow, threshold: number): StockLevel {
  const available = r.on_hand - r.reserved;
  return {
    variantId: r.variant_id,
    locationId: r.location_id,
    locationCode: r.location_code,
    onHand: r.on_hand,
    reserved: r.reserved,
    available,
    lowStock: available <= threshold,
    updatedAt: r.updated_at,
  };
}

const LEDGER_COLUMNS = `id, variant_id, location_id, kind, delta, on_hand_after, reserved_after, reason, reference, actor, actor_label, ${iso('at')} as at`;
type LedgerRow = {
  id: string;
  variant_id: string;
  location_id: string;
  kind: LedgerEntry['kind'];
  delta: number;
  on_hand_after: number;
  reserved_after: number;
  reason: string;
  reference: string | null;
  actor: string;
  actor_label: string | null;
  at: string;
};
const toEntry = (r: LedgerRow): LedgerEntry => ({
  id: r.id,
  variantId: r.variant_id,
  locationId: r.location_id,
  kind: r.kind,
  delta: r.delta,
  onHandAfter: r.on_hand_after,
  reservedAfter: r.reserved_after,
  reason: r.reason,
  reference: r.reference,
  actor: r.actor,
  actorLabel: r.actor_label,
  at: r.at,
});

export async function insertLedgerEntry(
  tx: PlatformDb,
  entry: { variantId: string; locationId: string; kind: LedgerEntry['kind']; delta: number; onHand: number; reserved: number; reason: string; reference: string | null; actor: Actor },
): Promise<LedgerEntry> {
  const [row] = await tx.query<LedgerRow>(
    `insert into inventory_ledger (platform_id, id, variant_id, location_id, kind, delta, on_hand_after, reserved_after, reason, reference, actor, actor_label)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) returning ${LEDGER_COLUMNS}`,
    [newId(), entry.variantId, entry.locationId, entry.kind, entry.delta, entry.onHand, entry.reserved, entry.reason, entry.reference, entry.actor.id, entry.actor.label ?? null],
  );
  return toEntry(row!);
}

async function assertVariantExists(deps: InventoryDeps, tx: PlatformDb, variantId: string): Promise<void> {
  const [ref] = await catalogService(deps).getVariantRefs(tx, [variantId]);
  if (!ref) throw variantNotFound(variantId);
}

function checkChange(change: StockChange): string {
  const reason = change.reason.trim();
  if (reason.length === 0 || reason.length > 500) throw invalidReason();
  return reason;
}

/** Changes on_hand by `target(current)`; refuses (409) a result below zero or below what is reserved. */
async function changeOnHand(
  deps: InventoryDeps,
  tx: PlatformDb,
  change: StockChange,
  kind: 'adjust' | 'set',
  target: (onHand: number) => number,
): Promise<AdjustResult> {
  const reason = checkChange(change);
  await assertVariantExists(deps, tx, change.variantId);
  const locationId = await resolveLocation(tx, change.locationId);
  await tx.execute(
    'insert into inventory_levels (platform_id, variant_id, location_id) values ($1, $2, $3) on conflict do nothing',
    [change.variantId, locationId],
  );
  const current = await tx.maybeOne<{ on_hand: number; reserved: number }>(
    'select on_hand, reserved from inventory_levels where platform_id = $1 and variant_id = $2 and location_id = $3 for update',
    [change.variantId, locationId],
  );
  if (!current) throw new Error('stock level row vanished inside its transaction');
  const onHand = target(current.on_hand);
  if (onHand < 0) {
    throw stockNegative(current.on_hand, current.reserved, onHand);
  }
  if (onHand < current.reserved) {
    throw stockBelowReserved(current.on_hand, current.reserved, onHand);
  }
  if (onHand > MAX_ON_HAND) throw stockTooLarge(MAX_ON_HAND, onHand);
  const [row] = await tx.query<LevelRow>(
    `with updated as (
       update inventory_levels set on_hand = $4, updated_at = now()
       where platform_id = $1 and variant_id = $2 and location_id = $3 returning *)
     select l.variant_id, l.location_id, loc.code as location_code, l.on_hand, l.reserved, ${iso('l.updated_at')} as updated_at
     from updated l join inventory_locations loc on loc.platform_id = $1 and loc.id = l.location_id`,
    [change.variantId, locationId, onHand],
  );
  const entry = await insertLedgerEntry(tx, {
    variantId: change.variantId,
    locationId,
    kind,
    delta: onHand - current.on_hand,
    onHand,
    reserved: current.reserved,
    reason,
    reference: change.reference ?? null,
    actor: change.actor,
  });
  await deps.events.emit(
    tx,
    EVENT_STOCK_ADJUSTED,
    { variantId: change.variantId, locationId, kind, delta: onHand - current.on_hand, onHand, reserved: current.reserved, reason },
    { key: change.variantId },
  );
  await emitLevelEvents(deps, tx, { variantId: change.variantId, locationId, onHand, reserved: current.reserved, availableBefore: current.on_hand - current.reserved });
  const { lowStockThreshold } = inventorySettings(deps.platforms.byId(tx.platformId));
  return { level: toLevel(row!, lowStockThreshold), entry };
}

/** Adds (delta > 0) or removes (delta < 0) units on hand, with a ledger row. */
export function adjustStock(deps: InventoryDeps, tx: PlatformDb, change: StockChange & { delta: number }): Promise<AdjustResult> {
  if (!Number.isSafeInteger(change.delta) || change.delta === 0 || Math.abs(change.delta) > MAX_ON_HAND) {
    throw invalidDelta(MAX_ON_HAND);
  }
  return changeOnHand(deps, tx, change, 'adjust', (onHand) => onHand + change.delta);
}

/** Sets the quantity on hand to a counted value (a stocktake), with a ledger row for the difference. */
export function setStock(deps: InventoryDeps, tx: PlatformDb, change: StockChange & { onHand: number }): Promise<AdjustResult> {
  if (!Number.isSafeInteger(change.onHand) || change.onHand < 0 || change.onHand > MAX_ON_HAND) {
    throw invalidOnHand(MAX_ON_HAND);
  }
  return changeOnHand(deps, tx, change, 'set', () => change.onHand);
}

/**
 * Stock counts of many variants at the default location in a fixed number of statements (imports):
 * like setStock for each, with a ledger row and inventory.stock_adjusted per level that changed, but
 * levels already at the count are left alone. The variant ids come from the catalogue (imports read them
 * by SKU). 409 stock_below_reserved, for all or none, when a count is below what is reserved.
 */
export async function setStockMany(
  deps: InventoryDeps,
  tx: PlatformDb,
  counts: readonly { variantId: string; onHand: number }[],
  change: { reason: string; reference?: string | null; actor: Actor },
): Promise<number> {
  if (counts.length === 0) return 0;
  const reason = checkChange({ ...change, variantId: '' });
  for (const c of counts) if (!Number.isSafeInteger(c.onHand) || c.onHand < 0 || c.onHand > MAX_ON_HAND) throw invalidOnHand(MAX_ON_HAND);
  const locationId = await resolveLocation(tx, undefined);
  const records = JSON.stringify(counts.map((c) => ({ variant_id: c.variantId, on_hand: c.onHand })));
  // A variant without a level here gets it with the count at once (an import's new variants: one insert
  // instead of an insert, a locking read and an update); the ledger still records it as set from 0.
  const created = await tx.query<{ variant_id: string; on_hand: number }>(
    `insert into inventory_levels (platform_id, variant_id, location_id, on_hand)
     select $1::uuid, r.variant_id, $2::uuid, r.on_hand from jsonb_to_recordset($3::jsonb) as r(variant_id uuid, on_hand integer)
     on conflict do nothing
     returning variant_id, on_hand`,
    [locationId, records],
  );
  const createdIds = new Set(created.map((r) => r.variant_id));
  const existing = counts.filter((c) => !createdIds.has(c.variantId));
  // Locked in a fixed order (by variant) so two imports of overlapping files cannot deadlock.
  const current =
    existing.length === 0
      ? []
      : await tx.query<{ variant_id: string; on_hand: number; reserved: number }>(
          `select l.variant_id, l.on_hand, l.reserved from inventory_levels l
           where l.platform_id = $1 and l.location_id = $2 and l.variant_id = any($3::uuid[]) order by l.variant_id for update`,
          [locationId, existing.map((c) => c.variantId)],
        );
  const before = new Map(current.map((r) => [r.variant_id, r]));
  const fresh = created.filter((r) => r.on_hand !== 0).map((r) => ({ id: newId(), variant_id: r.variant_id, on_hand: r.on_hand, reserved: 0, delta: r.on_hand, before: 0 }));
  const updated = existing.flatMap((c) => {
    const level = before.get(c.variantId);
    if (!level || level.on_hand === c.onHand) return [];
    if (c.onHand < level.reserved) throw stockBelowReserved(level.on_hand, level.reserved, c.onHand);
    return [{ id: newId(), variant_id: c.variantId, on_hand: c.onHand, reserved: level.reserved, delta: c.onHand - level.on_hand, before: level.on_hand }];
  });
  const changed = [...fresh, ...updated];
  if (changed.length === 0) return 0;
  const rows = JSON.stringify(changed);
  if (updated.length > 0) {
    await tx.execute(
      `update inventory_levels l set on_hand = r.on_hand, updated_at = now()
       from jsonb_to_recordset($3::jsonb) as r(variant_id uuid, on_hand integer)
       where l.platform_id = $1 and l.location_id = $2 and l.variant_id = r.variant_id`,
      [locationId, JSON.stringify(updated)],
    );
  }
  await tx.execute(
    `insert into inventory_ledger (platform_id, id, variant_id, location_id, kind, delta, on_hand_after, reserved_after, reason, reference, actor, actor_label)
     select $1::uuid, r.id, r.variant_id, $2::uuid, 'set', r.delta, r.on_hand, r.reserved, $3, $4, $5, $6
     from jsonb_to_recordset($7::jsonb) as r(id uuid, variant_id uuid, delta integer, on_hand integer, reserved integer)`,
    [locationId, reason, change.reference ?? null, change.actor.id, change.actor.label ?? null, rows],
  );
  await deps.events.emitMany(
    tx,
    changed.map((c) => ({
      type: EVENT_STOCK_ADJUSTED,
      payload: { variantId: c.variant_id, locationId, kind: 'set' as const, delta: c.delta, onHand: c.on_hand, reserved: c.reserved, reason },
      key: c.variant_id,
    })),
  );
  for (const c of changed) {
    if (c.on_hand < c.before) await emitLevelEvents(deps, tx, { variantId: c.variant_id, locationId, onHand: c.on_hand, reserved: c.reserved, availableBefore: c.before - c.reserved });
  }
  return changed.length;
}

/** Each row with its variant's SKU and product title, read from the catalog in one query for the whole page. */
async function withVariantNames<T extends { variantId: string }>(deps: InventoryDeps, pdb: PlatformDb, items: T[]): Promise<Array<T & { sku: string | null; productTitle: string | null }>> {
  const refs = new Map((await catalogService(deps).getVariantRefs(pdb, items.map((i) => i.variantId))).map((r) => [r.variantId, r]));
  return items.map((item) => {
    const ref = refs.get(item.variantId);
    return { ...item, sku: ref?.sku ?? null, productTitle: ref?.productTitle ?? null };
  });
}

export async function listLevels(deps: InventoryDeps, pdb: PlatformDb, query: LevelsQuery): Promise<StockLevelList> {
  const { lowStockThreshold } = inventorySettings(deps.platforms.byId(pdb.platformId));
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const after = query.cursor ? decodeCursor(query.cursor, 2) : [null, null];
  const rows = await pdb.query<LevelRow>(
    `select ${LEVEL_COLUMNS} from ${LEVEL_FROM}
     where l.platform_id = $1
       and ($2::uuid is null or l.variant_id = $2::uuid)
       and ($3::uuid is null or l.location_id = $3::uuid)
       and ($4::int is null or l.on_hand - l.reserved <= $4::int)
       and ($5::uuid is null or (l.variant_id, l.location_id) > ($5::uuid, $6::uuid))
     order by l.variant_id, l.location_id limit $7`,
    [query.variantId ?? null, query.locationId ?? null, query.lowStock ? lowStockThreshold : null, after[0], after[1], rowsToFetch(limit)],
  );
  const page = takePage(rows, limit, (r) => toLevel(r, lowStockThreshold), (last) => encodeCursor([last.variant_id, last.location_id]));
  return { ...page, items: await withVariantNames(deps, pdb, page.items) };
}

/** One variant's stock at every location and in total; 404 when the catalog has no such variant. */
export async function getVariantStock(deps: InventoryDeps, pdb: PlatformDb, variantId: string): Promise<VariantStock> {
  await assertVariantExists(deps, pdb, variantId);
  const { lowStockThreshold } = inventorySettings(deps.platforms.byId(pdb.platformId));
  const rows = await pdb.query<LevelRow>(
    `select ${LEVEL_COLUMNS} from ${LEVEL_FROM} where l.platform_id = $1 and l.variant_id = $2 order by loc.is_default desc, loc.code`,
    [variantId],
  );
  const levels = rows.map((r) => toLevel(r, lowStockThreshold));
  const onHand = levels.reduce((sum, l) => sum + l.onHand, 0);
  const reserved = levels.reduce((sum, l) => sum + l.reserved, 0);
  return { variantId, onHand, reserved, available: onHand - reserved, levels };
}

/** Available units per variant summed over all locations (0 for variants never stocked). */
export async function availableByVariant(pdb: PlatformDb, variantIds: readonly string[]): Promise<Map<string, number>> {
  const result = new Map(variantIds.map((id) => [id, 0]));
  if (variantIds.length === 0) return result;
  const rows = await pdb.query<{ variant_id: string; available: number }>(
    `select variant_id, sum(on_hand - reserved)::bigint as available from inventory_levels
     where platform_id = $1 and variant_id = any($2::uuid[]) group by variant_id`,
    [variantIds],
  );
  for (const r of rows) result.set(r.variant_id, r.available);
  return result;
}

/** Units on hand per variant summed over all locations, for the variants that have a level (exports). */
export async function onHandByVariant(pdb: PlatformDb, variantIds: readonly string[]): Promise<Map<string, number>> {
  if (variantIds.length === 0) return new Map();
  const rows = await pdb.query<{ variant_id: string; on_hand: number }>(
    `select variant_id, sum(on_hand)::bigint as on_hand from inventory_levels
     where platform_id = $1 and variant_id = any($2::uuid[]) group by variant_id`,
    [variantIds],
  );
  return new Map(rows.map((r) => [r.variant_id, Number(r.on_hand)]));
}

export async function listLedger(deps: InventoryDeps, pdb: PlatformDb, query: LedgerQuery): Promise<LedgerList> {
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const before = query.cursor ? decodeCursor(query.cursor, 1)[0]! : null;
  const rows = await pdb.query<LedgerRow>(
    `select ${LEDGER_COLUMNS} from inventory_ledger
     where platform_id = $1
       and ($2::uuid is null or variant_id = $2::uuid)
       and ($3::uuid is null or location_id = $3::uuid)
       and ($4::uuid is null or id < $4::uuid)
     order by id desc limit $5`,
    [query.variantId ?? null, query.locationId ?? null, before, rowsToFetch(limit)],
  );
  const page = takePage(rows, limit, toEntry, (last) => encodeCursor([last.id]));
  return { ...page, items: await withVariantNames(deps, pdb, page.items) };
}
