// The inventory module's public service for other modules (checkout, orders, imports). Bind it once to
// the module context, then call it with a PlatformDb that is (usually) the caller's own transaction:
//
//   const inventory = inventoryService(ctx);
//   await ctx.platformDb(platformId).transaction(async (tx) => {
//     const hold = await inventory.reserveStock(tx, { reference: orderId, lines });   // throws 409 out_of_stock
//     …write the order…
//   });
//   // later, on payment: inventory.commitReservation(tx, hold.id)
//   // on cancel / failed payment: inventory.releaseReservation(tx, hold.id, 'payment_failed')
//
// Every function that writes takes the transaction it writes in and throws HttpProblem errors (4xx) the
// HTTP layer renders as problem+json; a throw is meant to roll the caller's transaction back.
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import type { InventoryDeps } from './deps.ts';
import { adjustStock, availableByVariant, getVariantStock, listLedger, listLevels, onHandByVariant, setStock, setStockMany, type Actor, type StockChange } from './levels.ts';
import { growReservation, transferReserved, transferReservedMany, type Transfer, type TransferLine } from './transfer.ts';
import { createLocation, ensureDefaultLocation, listLocations } from './locations.ts';
import {
  commitReservation,
  getReservation,
  listReservations,
  releaseReservation,
  reserveStock,
  type ReleaseReason,
  type ReserveStockInput,
} from './reservations.ts';
import type {
  AdjustResult,
  LedgerList,
  LedgerQuery,
  LevelsQuery,
  Location,
  LocationInput,
  Reservation,
  ReservationList,
  ReservationsQuery,
  StockLevelList,
  VariantStock,
} from './schemas.ts';

export interface InventoryService {
  /** Holds stock for all lines or none (409 out_of_stock naming the short variants); schedules expiry. */
  reserveStock(tx: PlatformDb, input: ReserveStockInput): Promise<Reservation>;
  /** Payment captured: held units leave stock. Idempotent; 409 if the reservation was released or expired. */
  commitReservation(tx: PlatformDb, reservationId: string): Promise<Reservation>;
  /** Cancel / payment failed: held units return. Idempotent; 409 if committed. */
  releaseReservation(tx: PlatformDb, reservationId: string, reason?: ReleaseReason): Promise<Reservation>;
  getReservation(pdb: PlatformDb, reservationId: string): Promise<Reservation | undefined>;
  listReservations(pdb: PlatformDb, query: ReservationsQuery): Promise<ReservationList>;
  /** Available (on hand - reserved) per variant over all locations; 0 for variants never stocked. */
  availableByVariant(pdb: PlatformDb, variantIds: readonly string[]): Promise<Map<string, number>>;
  /** On hand per variant over all locations; variants never stocked are absent (exports). */
  onHandByVariant(pdb: PlatformDb, variantIds: readonly string[]): Promise<Map<string, number>>;
  adjustStock(tx: PlatformDb, change: StockChange & { delta: number }): Promise<AdjustResult>;
  setStock(tx: PlatformDb, change: StockChange & { onHand: number }): Promise<AdjustResult>;
  /** Counts of many variants at the default location in a few statements (imports); returns how many changed. */
  setStockMany(tx: PlatformDb, counts: readonly { variantId: string; onHand: number }[], change: { reason: string; reference?: string | null; actor: Actor }): Promise<number>;
  getVariantStock(pdb: PlatformDb, variantId: string): Promise<VariantStock>;
  listLevels(pdb: PlatformDb, query: LevelsQuery): Promise<StockLevelList>;
  listLedger(pdb: PlatformDb, query: LedgerQuery): Promise<LedgerList>;
  listLocations(pdb: PlatformDb): Promise<Location[]>;
  createLocation(pdb: PlatformDb, input: LocationInput): Promise<Location>;
  ensureDefaultLocation(tx: PlatformDb): Promise<string>;
  /** Moves held units from one active reservation into a new one (levels unchanged); 409 if the source holds too few. */
  transferReserved(tx: PlatformDb, input: { fromReservationId: string } & Transfer): Promise<Reservation>;
  /** Several transfers out of one reservation in a fixed number of statements, all or none; new ids in order. */
  transferReservedMany(tx: PlatformDb, fromReservationId: string, transfers: readonly Transfer[]): Promise<string[]>;
  /** An active reservation takes more units from available stock, all lines or none (409 out_of_stock). */
  growReservation(tx: PlatformDb, reservationId: string, lines: readonly TransferLine[]): Promise<Reservation>;
}

export function inventoryService(deps: InventoryDeps): InventoryService {
  return {
    reserveStock: (tx, input) => reserveStock(deps, tx, input),
    commitReservation: (tx, id) => commitReservation(deps, tx, id),
    releaseReservation: (tx, id, reason) => releaseReservation(deps, tx, id, reason),
    getReservation,
    listReservations,
    availableByVariant,
    onHandByVariant,
    adjustStock: (tx, change) => adjustStock(deps, tx, change),
    setStock: (tx, change) => setStock(deps, tx, change),
    setStockMany: (tx, counts, change) => setStockMany(deps, tx, counts, change),
    getVariantStock: (pdb, variantId) => getVariantStock(deps, pdb, variantId),
    listLevels: (pdb, query) => listLevels(deps, pdb, query),
    listLedger: (pdb, query) => listLedger(deps, pdb, query),
    listLocations,
    createLocation,
    ensureDefaultLocation,
    transferReserved: (tx, input) => transferReserved(deps, tx, input),
    transferReservedMany: (tx, from, transfers) => transferReservedMany(deps, tx, from, transfers),
    growReservation: (tx, id, lines) => growReservation(deps, tx, id, lines),
  };
}

export type { InventoryDeps } from './deps.ts';
export * from './events.ts';
export type { Actor, StockChange } from './levels.ts';
export type { TransferLine } from './transfer.ts';
export type { ReleaseReason, ReserveLine, ReserveStockInput, ShortLine } from './reservations.ts';
export type { AdjustResult, LedgerEntry, Location, Reservation, StockLevel, VariantStock } from './schemas.ts';
export { MAX_ON_HAND } from './schemas.ts';
