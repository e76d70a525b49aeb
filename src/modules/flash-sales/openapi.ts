// Operation ids, descriptions and problem codes of the flash-sale routes, for the OpenAPI document.
import type { OperationDocs } from '../../kernel/http/openapi-problems.ts';
import { RISK_GATE_PROBLEMS } from '../../kernel/risk-gate.ts';

const base = '/admin/platforms/{platform}/flash-sales';

export const flashSaleDocs: OperationDocs = {
  'GET /store/flash-sales': {
    operationId: 'listStoreFlashSales',
    description: 'Upcoming and live flash sales of the platform, with the server\'s clock so a shop can count down without trusting the device\'s.',
  },
  'GET /store/flash-sales/{saleId}': {
    operationId: 'getStoreFlashSale',
    description: 'One flash sale with its items and remaining units. Remaining is approximate under a rush but never above the truth.',
    problems: { 404: ['sale_not_found'] },
  },
  'POST /store/flash-sales/{saleId}/purchase': {
    operationId: 'purchaseFlashSale',
    problems: {
      400: ['variant_not_in_sale'],
      401: ['unauthorized'],
      403: ['account_too_new', ...RISK_GATE_PROBLEMS],
      404: ['sale_not_found'],
      409: ['limit_reached', 'sale_cancelled', 'sale_ended', 'sale_not_started', 'sold_out'],
      429: ['rate_limited'],
      503: ['try_again'],
    },
  },
  'GET /store/flash-sales/tickets/{ticketId}': {
    operationId: 'getFlashSaleTicket',
    description: 'The caller\'s flash-sale ticket: pending until its order is created, then ordered with the order id to pay.',
    problems: { 401: ['unauthorized'], 404: ['ticket_not_found'] },
  },
  [`POST ${base}`]: {
    operationId: 'createFlashSale',
    problems: {
      400: ['duplicate_variant', 'ends_in_past', 'ends_too_late', 'invalid_time', 'invalid_window', 'unknown_variant'],
      409: ['out_of_stock', 'stock_below_reserved'],
      422: ['variant_not_published'],
    },
  },
  [`GET ${base}`]: {
    operationId: 'listFlashSales',
    description: 'The platform\'s flash sales, newest first; cursor paginated.',
    problems: { 400: ['invalid_cursor'] },
  },
  [`GET ${base}/{saleId}`]: {
    operationId: 'getFlashSale',
    description: 'One flash sale with its items, quantities and limits.',
    problems: { 404: ['sale_not_found'] },
  },
  [`POST ${base}/{saleId}/cancel`]: {
    operationId: 'cancelFlashSale',
    problems: { 404: ['sale_not_found'], 409: ['sale_closed'] },
  },
  [`GET ${base}/{saleId}/stats`]: {
    operationId: 'getFlashSaleStats',
    description: 'Live numbers of a sale: gate counters and remaining units, tickets by status, orders created, queue depth and drain rate.',
    problems: { 404: ['sale_not_found'] },
  },
  [`POST ${base}/{saleId}/reconcile`]: {
    operationId: 'reconcileFlashSale',
    description: 'Compares the stock gate with the tickets written and rebuilds the gate when they differ or it lost its state (e.g. after a Redis restart).',
    problems: { 404: ['sale_not_found'] },
  },
};
