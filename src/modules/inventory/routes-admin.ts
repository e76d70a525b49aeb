// Admin routes (/admin/platforms/:platform/inventory/…). The kernel hook has authenticated the
// principal, kept support read-only and set request.platform; handlers run one service call in a
// transaction, so a refused change (4xx) leaves nothing behind.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { ModuleContext } from '../../kernel/context.ts';
import { adminRouteKit } from '../../kernel/http/route-kit.ts';
import { errorResponses } from '../../kernel/http/schemas.ts';
import { actorIdOf, principalOf } from '../../kernel/http/tenancy.ts';
import type { Actor } from './levels.ts';
import {
  AdjustInput,
  AdjustResult,
  LedgerList,
  LedgerQuery,
  LevelsQuery,
  Location,
  LocationInput,
  LocationList,
  PlatformParams,
  ReleaseInput,
  Reservation,
  ReservationList,
  ReservationParams,
  ReservationsQuery,
  ReserveInput,
  SetInput,
  StockLevelList,
  VariantLevelParams,
  VariantStock,
} from './schemas.ts';
import { inventoryService } from './service.ts';
import { reservationNotFoundHere } from './problems.ts';

const errors = errorResponses(400, 401, 403, 404, 409);
const base = '/admin/platforms/:platform/inventory';

function actorOf(request: FastifyRequest): Actor {
  return { id: actorIdOf(request), label: principalOf(request).label };
}

export function adminRoutes(app: FastifyInstance, ctx: ModuleContext): void {
  const { r, doc, pdbOf } = adminRouteKit(app, ctx, 'inventory');
  const inventory = inventoryService(ctx);

  r.get(
    `${base}/locations`,
    { schema: doc('Stock locations', { params: PlatformParams, response: { 200: LocationList, ...errors } }) },
    async (request) => ({ items: await inventory.listLocations(pdbOf(request)) }),
  );

  r.post(
    `${base}/locations`,
    {
      schema: doc('Add a stock location (the default one is created on first use)', { params: PlatformParams, body: LocationInput, response: { 201: Location, ...errors } }),
    },
    async (request, reply) => reply.code(201).send(await inventory.createLocation(pdbOf(request), request.body)),
  );

  r.get(
    `${base}/levels`,
    {
      schema: doc('Stock levels by variant and location, filtered by variant, location or low stock', {
        params: PlatformParams,
        querystring: LevelsQuery,
        response: { 200: StockLevelList, ...errors },
      }),
    },
    async (request) => inventory.listLevels(pdbOf(request), request.query),
  );

  r.get(
    `${base}/levels/:variantId`,
    {
      schema: doc("One variant's stock at every location", { params: VariantLevelParams, response: { 200: VariantStock, ...errors } }),
    },
    async (request) => inventory.getVariantStock(pdbOf(request), request.params.variantId),
  );

  r.post(
    `${base}/levels/:variantId/adjust`,
    {
      schema: doc('Add or remove units on hand, with a reason kept in the ledger (409 below reserved or zero)', {
        params: VariantLevelParams,
        body: AdjustInput,
        response: { 200: AdjustResult, ...errors },
      }),
    },
    async (request) => {
      const { delta, reason, locationId, reference } = request.body;
      return pdbOf(request).transaction((tx) =>
        inventory.adjustStock(tx, { variantId: request.params.variantId, delta, reason, locationId, reference, actor: actorOf(request) }),
      );
    },
  );

  r.put(
    `${base}/levels/:variantId`,
    {
      schema: doc('Set the counted quantity on hand (a stocktake), with a reason kept in the ledger', {
        params: VariantLevelParams,
        body: SetInput,
        response: { 200: AdjustResult, ...errors },
      }),
    },
    async (request) => {
      const { onHand, reason, locationId, reference } = request.body;
      return pdbOf(request).transaction((tx) =>
        inventory.setStock(tx, { variantId: request.params.variantId, onHand, reason, locationId, reference, actor: actorOf(request) }),
      );
    },
  );

  r.get(
    `${base}/ledger`,
    {
      schema: doc('Every change to stock on hand, newest first', { params: PlatformParams, querystring: LedgerQuery, response: { 200: LedgerList, ...errors } }),
    },
    async (request) => inventory.listLedger(pdbOf(request), request.query),
  );

  r.get(
    `${base}/reservations`,
    {
      schema: doc('Reservations, newest first, by status or reference', {
        params: PlatformParams,
        querystring: ReservationsQuery,
        response: { 200: ReservationList, ...errors },
      }),
    },
    async (request) => inventory.listReservations(pdbOf(request), request.query),
  );

  r.post(
    `${base}/reservations`,
    {
      schema: doc('Hold stock for a reference (e.g. a phone order): all lines or none, 409 out_of_stock otherwise', {
        params: PlatformParams,
        body: ReserveInput,
        response: { 201: Reservation, ...errors },
      }),
    },
    async (request, reply) => {
      const reservation = await pdbOf(request).transaction((tx) => inventory.reserveStock(tx, request.body));
      return reply.code(201).send(reservation);
    },
  );

  r.get(
    `${base}/reservations/:reservationId`,
    { schema: doc('One reservation with its lines', { params: ReservationParams, response: { 200: Reservation, ...errors } }) },
    async (request) => {
      const found = await inventory.getReservation(pdbOf(request), request.params.reservationId);
      if (!found) throw reservationNotFoundHere(request.params.reservationId);
      return found;
    },
  );

  r.post(
    `${base}/reservations/:reservationId/commit`,
    {
      schema: doc('Commit a reservation (paid): the units leave stock. Idempotent', { params: ReservationParams, response: { 200: Reservation, ...errors } }),
    },
    async (request) => pdbOf(request).transaction((tx) => inventory.commitReservation(tx, request.params.reservationId)),
  );

  r.post(
    `${base}/reservations/:reservationId/release`,
    {
      schema: doc('Release a reservation (cancelled, payment failed): the units return. Idempotent', {
        params: ReservationParams,
        body: Type.Optional(ReleaseInput),
        response: { 200: Reservation, ...errors },
      }),
    },
    async (request) =>
      pdbOf(request).transaction((tx) => inventory.releaseReservation(tx, request.params.reservationId, request.body?.reason ?? 'cancelled')),
  );
}
