// Operation ids, descriptions and problem codes of the inventory routes, for the OpenAPI document.
import type { OperationDocs } from '../../kernel/http/openapi-problems.ts';

const base = '/admin/platforms/{platform}/inventory';
const STOCK_CHANGE = {
  400: ['invalid_reason', 'stock_too_large'],
  404: ['location_not_found', 'variant_not_found'],
  409: ['stock_below_reserved', 'stock_negative'],
};

export const inventoryDocs: OperationDocs = {
  'GET /store/inventory/availability': {
    operationId: 'getAvailability',
    description: 'Units available to sell now (on hand minus reserved, over every location) for up to 100 comma-separated variant ids. Unknown or unpublished variants are left out rather than refused.',
    problems: { 400: ['invalid_variant_ids'] },
  },
  [`GET ${base}/locations`]: {
    operationId: 'listStockLocations',
    description: 'The platform\'s stock locations (warehouses, shops); the default one is created on first use.',
  },
  [`POST ${base}/locations`]: {
    operationId: 'createStockLocation',
    description: 'Adds a stock location with a unique code.',
    problems: { 409: ['location_code_reserved', 'location_exists'] },
  },
  [`GET ${base}/levels`]: {
    operationId: 'listStockLevels',
    description: 'Stock levels (on hand, reserved, available) per variant and location, filtered by variant, location or low stock; cursor paginated.',
    problems: { 400: ['invalid_cursor'] },
  },
  [`GET ${base}/levels/{variantId}`]: {
    operationId: 'getVariantStock',
    description: 'One variant\'s stock at every location, with totals.',
    problems: { 404: ['variant_not_found'] },
  },
  [`PUT ${base}/levels/{variantId}`]: {
    operationId: 'setStockLevel',
    description: 'Sets the counted quantity on hand at a location (a stocktake). The change and its reason go into the ledger; on hand cannot go below what is reserved.',
    problems: { ...STOCK_CHANGE, 400: [...STOCK_CHANGE[400], 'invalid_on_hand'] },
  },
  [`POST ${base}/levels/{variantId}/adjust`]: {
    operationId: 'adjustStockLevel',
    description: 'Adds or removes units on hand at a location (a delivery, breakage). The change and its reason go into the ledger; on hand cannot fall below zero or below what is reserved.',
    problems: { ...STOCK_CHANGE, 400: [...STOCK_CHANGE[400], 'invalid_delta'] },
  },
  [`GET ${base}/ledger`]: {
    operationId: 'listStockLedger',
    description: 'Every change to stock on hand, newest first, with its reason, reference and actor; cursor paginated.',
    problems: { 400: ['invalid_cursor'] },
  },
  [`GET ${base}/reservations`]: {
    operationId: 'listReservations',
    description: 'Stock reservations, newest first, filtered by status or reference; cursor paginated.',
    problems: { 400: ['invalid_cursor'] },
  },
  [`POST ${base}/reservations`]: {
    operationId: 'createReservation',
    description: 'Holds stock for a reference (e.g. a phone order) until it expires: every line or none. Reserving again for the same reference and lines returns the existing reservation.',
    problems: {
      400: ['invalid_hold', 'invalid_lines', 'invalid_location', 'invalid_quantity', 'invalid_reference', 'invalid_reservation_id', 'invalid_variant', 'unknown_variant'],
      404: ['location_not_found'],
      409: ['out_of_stock', 'reservation_exists'],
    },
  },
  [`GET ${base}/reservations/{reservationId}`]: {
    operationId: 'getReservation',
    description: 'One reservation with its lines, status and expiry.',
    problems: { 404: ['reservation_not_found'] },
  },
  [`POST ${base}/reservations/{reservationId}/commit`]: {
    operationId: 'commitReservation',
    description: 'Commits a reservation once paid: its units leave stock on hand. Committing twice is harmless; a released or expired reservation cannot be committed.',
    problems: { 404: ['reservation_not_found'], 409: ['reservation_not_active'] },
  },
  [`POST ${base}/reservations/{reservationId}/release`]: {
    operationId: 'releaseReservation',
    description: 'Releases a reservation (cancelled, payment failed): its units become available again. Releasing twice is harmless; a committed reservation cannot be released.',
    problems: { 404: ['reservation_not_found'], 409: ['reservation_committed', 'reservation_not_expired'] },
  },
};
