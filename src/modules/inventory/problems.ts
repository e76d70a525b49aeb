// Every problem the inventory module answers, named once. Orders and flash sales answer a few of these
// codes about their own lines; they word them through the code-bound constructors exported here.
// variant_not_found is the catalog's code, worded here through its constructor.
import { problemMaker } from '../../kernel/http/problem.ts';
import { invalidReference } from '../../kernel/http/problems.ts';
import { variantNotFoundProblem } from '../catalog/problems.ts';

export const inventoryProblemCodes = [
  'invalid_variant',
  'invalid_variant_ids',
  'invalid_quantity',
  'invalid_lines',
  'invalid_location',
  'invalid_hold',
  'invalid_reason',
  'invalid_delta',
  'invalid_on_hand',
  'invalid_reservation_id',
  'unknown_variant',
  'location_not_found',
  'location_code_reserved',
  'location_exists',
  'reservation_not_found',
  'reservation_not_active',
  'reservation_not_expired',
  'reservation_committed',
  'reservation_exists',
  'out_of_stock',
  'stock_negative',
  'stock_below_reserved',
  'stock_too_large',
] as const;

const problem = problemMaker(inventoryProblemCodes);

// Requests: lines, quantities and holds.
export const invalidVariant = (value: string) => problem(400, 'invalid_variant', `"${value}" is not a variant id.`);
export const invalidVariantIds = (max: number) =>
  problem(400, 'invalid_variant_ids', `variantIds takes up to ${max} comma-separated variant ids.`);
export const invalidTransferQuantity = (quantity: number) =>
  problem(400, 'invalid_quantity', `Quantity ${quantity} must be a whole number of at least 1.`);
export const invalidLineQuantity = (quantity: string, variantId: string, max: number) =>
  problem(400, 'invalid_quantity', `Quantity ${quantity} for variant ${variantId} must be a whole number from 1 to ${max}.`);
/** 400 invalid_lines in the words of the request that has too few or too many lines. */
export const invalidLines = (detail: string) => problem(400, 'invalid_lines', detail);
export const invalidLocation = (value: string) => problem(400, 'invalid_location', `"${value}" is not a stock location id.`);
export const invalidHold = (max: number) => problem(400, 'invalid_hold', `holdSeconds must be a whole number from 1 to ${max}.`);
export const invalidReservationReference = () =>
  invalidReference('reference must be 1 to 200 characters (an order, cart or checkout id).');
export const invalidReservationId = (value: string) => problem(400, 'invalid_reservation_id', `"${value}" is not a reservation id.`);
export const unknownVariants = (variantIds: string[]) =>
  problem(400, 'unknown_variant', `There is no variant ${variantIds.join(', ')} on this platform.`, { variantIds });

// Stock levels and the ledger.
export const variantNotFound = (variantId: string) => variantNotFoundProblem(`There is no variant ${variantId} on this platform.`);
export const invalidReason = () =>
  problem(400, 'invalid_reason', 'A stock change needs a reason of 1 to 500 characters; it is kept in the ledger.');
export const invalidDelta = (max: number) => problem(400, 'invalid_delta', `delta must be a non-zero whole number between -${max} and ${max}.`);
export const invalidOnHand = (max: number) => problem(400, 'invalid_on_hand', `onHand must be a whole number between 0 and ${max}.`);
export const stockNegative = (onHand: number, reserved: number, asked: number) =>
  problem(409, 'stock_negative', `On hand is ${onHand}; removing ${onHand - asked} would make it negative.`, { onHand, reserved });
export const stockBelowReserved = (onHand: number, reserved: number, asked: number) =>
  problem(
    409,
    'stock_below_reserved',
    `${reserved} unit(s) are reserved by open checkouts; on hand cannot go below that (asked for ${asked}). Release reservations first or wait for them to expire.`,
    { onHand, reserved },
  );
export const stockTooLarge = (max: number, asked: number) => problem(400, 'stock_too_large', `On hand may not exceed ${max} (asked for ${asked}).`);

// Locations.
export const locationNotFound = (locationId: string) =>
  problem(404, 'location_not_found', `There is no stock location ${locationId} on this platform; GET …/inventory/locations lists them.`);
export const locationCodeReserved = () =>
  problem(409, 'location_code_reserved', 'The code "default" belongs to the location created automatically; choose another code.');
export const locationExists = (code: string) => problem(409, 'location_exists', `A stock location with code "${code}" already exists.`);

// Reservations.
export const reservationNotFound = (reservationId: string) => problem(404, 'reservation_not_found', `There is no reservation ${reservationId}.`);
export const reservationNotFoundHere = (reservationId: string) =>
  problem(404, 'reservation_not_found', `There is no reservation ${reservationId} on this platform.`);
export const reservationCannotMove = (reservationId: string, status: string) =>
  problem(409, 'reservation_not_active', `Reservation ${reservationId} is ${status}; its units cannot move.`);
export const reservationNotActive = (reservationId: string, status: string, releaseReason: string | null) =>
  problem(
    409,
    'reservation_not_active',
    `Reservation ${reservationId} was ${status} (${releaseReason ?? 'no reason'}); its stock is no longer held. Reserve again before taking payment.`,
    { reservationStatus: status },
  );
export const reservationNotExpired = (reservationId: string, status: string, expiresAt: string) =>
  problem(409, 'reservation_not_expired', `Reservation ${reservationId} holds stock until ${expiresAt}.`, { reservationStatus: status });
export const reservationCommitted = (reservationId: string, status: string) =>
  problem(409, 'reservation_committed', `Reservation ${reservationId} is committed (paid); return stock with an adjustment instead of releasing it.`, {
    reservationStatus: status,
  });
export const reservationExists = (reference: string, currentId: string | undefined) =>
  problem(
    409,
    'reservation_exists',
    `Reference "${reference}" already holds an active reservation${currentId ? ` (${currentId})` : ''} with other lines; release it first.`,
    { reservationId: currentId ?? null },
  );

// Out of stock: the lines that could not be held.
export const outOfStock = (list: string, items: unknown[]) =>
  problem(409, 'out_of_stock', `Not enough stock for variant ${list}. Nothing was reserved; lower the quantity or remove the item.`, { items });
export const carveOutShort = (reservationId: string, variantId: string, quantity: number) =>
  problem(409, 'out_of_stock', `Reservation ${reservationId} holds fewer than ${quantity} of variant ${variantId}.`, {
    items: [{ variantId, requested: quantity }],
  });
export const notEnoughToGrow = (variantId: string, quantity: number) =>
  problem(409, 'out_of_stock', `Not enough available stock of variant ${variantId} to hold ${quantity} more.`, {
    items: [{ variantId, requested: quantity }],
  });
