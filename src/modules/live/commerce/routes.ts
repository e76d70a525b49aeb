// HTTP routes of the rooms' commerce: the gift catalogue (admin CRUD, storefront list), a customer's
// coins (balance and ledger, top-ups paid through the payments module) and sending a gift without a
// socket (the same service as the socket's gift frame).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ModuleContext } from '../../../kernel/context.ts';
import { adminRouteKit, storeRouteKit } from '../../../kernel/http/route-kit.ts';
import { errorResponses } from '../../../kernel/http/schemas.ts';
import { actorIdOf, platformOf } from '../../../kernel/http/tenancy.ts';
import { requireCustomer } from '../../accounts/index.ts';
import { Type } from 'typebox';
import { getRoom } from '../rooms.ts';
import type { LiveRuntime } from '../runtime.ts';
import { PlatformParams, StoreRoomParams } from '../schemas.ts';
import { pinCard, unpinCard } from './cards.ts';
import { roomStats } from './stats.ts';
import { balanceOf, ledgerOf } from './coins.ts';
import { sendGift } from './gift-send.ts';
import { createGift, getGift, listGifts, updateGift } from './gifts.ts';
import {
  AdminTopUp,
  AdminTopUpParams,
  CoinAccount,
  Gift,
  GiftIdempotencyHeaders,
  GiftInput,
  GiftList,
  GiftParams,
  GiftPatch,
  GiftSendInput,
  GiftSent,
  MessageType,
  MessageTypeInput,
  MessageTypeList,
  MessageTypeParams,
  FlashCard,
  FlashLinkInput,
  PinInput,
  ProductCard,
  RoomParams,
  RoomStats,
  TopUp,
  TopUpHeaders,
  TopUpInput,
  TopUpParams,
  TopUpRefunded,
  TopUpRefundInput,
} from './schemas.ts';
import { findTopUp, findTopUpOnPlatform, refundTopUp, startTopUp } from './topups.ts';
import { topUpNotFound } from './problems.ts';
import { coinPriceOf } from '../settings.ts';

const gifts = '/admin/platforms/:platform/live/gifts';
const topUps = '/admin/platforms/:platform/live/top-ups';

export function commerceRoutes(app: FastifyInstance, ctx: ModuleContext, runtime: LiveRuntime): void {
  const { hub } = runtime;
  const admin = adminRouteKit(app, ctx, 'live');
  const store = storeRouteKit(app, ctx, 'live', [{ publishableKey: [], customerBearer: [] }]);
  const customerOf = async (request: FastifyRequest) => {
    const platform = platformOf(request);
    const pdb = ctx.platformDb(platform.id);
    return { platform, pdb, customer: await requireCustomer(pdb, request) };
  };

  admin.r.post(gifts, {
    schema: admin.doc('Add a gift to the catalogue', { params: PlatformParams, body: GiftInput, response: { 201: Gift, ...errorResponses(400, 401, 403, 404) } }),
  }, async (request, reply) => reply.code(201).send(await createGift(admin.pdbOf(request), request.body)));

  admin.r.get(gifts, {
    schema: admin.doc('The gift catalogue (active and inactive), cheapest first', { params: PlatformParams, response: { 200: GiftList, ...errorResponses(400, 401, 404) } }),
  }, async (request) => ({ items: await listGifts(admin.pdbOf(request), false) }));

  admin.r.get(`${gifts}/:giftId`, {
    schema: admin.doc('One gift', { params: GiftParams, response: { 200: Gift, ...errorResponses(400, 401, 404) } }),
  }, async (request) => getGift(admin.pdbOf(request), request.params.giftId));

  admin.r.patch(`${gifts}/:giftId`, {
    schema: admin.doc('Change a gift (rename, reprice, switch off with active: false)', { params: GiftParams, body: GiftPatch, response: { 200: Gift, ...errorResponses(400, 401, 403, 404) } }),
  }, async (request) => updateGift(admin.pdbOf(request), request.params.giftId, request.body));

  admin.r.get(`${topUps}/:topUpId`, {
    schema: admin.doc('One coin top-up of the platform', { params: AdminTopUpParams, response: { 200: AdminTopUp, ...errorResponses(400, 401, 404) } }),
  }, async (request) => findTopUpOnPlatform(admin.pdbOf(request), request.params.topUpId));

  admin.r.post(`${topUps}/:topUpId/refund`, {
    schema: admin.doc('Refund a paid coin top-up in full (its coins leave the balance)', {
      params: AdminTopUpParams,
      body: TopUpRefundInput,
      response: { 200: TopUpRefunded, ...errorResponses(400, 401, 403, 404, 409, 502) },
    }),
  }, async (request) => refundTopUp(ctx, platformOf(request), request.params.topUpId, request.body ?? {}, actorIdOf(request)));

  store.r.get('/store/live/gifts', {
    schema: store.doc('Gifts viewers can send, cheapest first', { security: [{ publishableKey: [] }], response: { 200: GiftList, ...errorResponses(400, 404) } }),
  }, async (request) => ({ items: await listGifts(store.pdbOf(request), true) }));

  store.r.get('/store/live/coins', {
    schema: store.doc('The customer’s coin balance and latest ledger entries', { response: { 200: CoinAccount, ...errorResponses(400, 401, 404) } }),
  }, async (request) => {
    const { platform, pdb, customer } = await customerOf(request);
    const [balance, ledger] = await Promise.all([balanceOf(pdb, customer.id), ledgerOf(pdb, customer.id)]);
    return { balance, ledger, coinPrice: { amount: coinPriceOf(platform.settings), currency: platform.defaultCurrency } };
  });

  store.r.post('/store/live/coins/top-ups', {
    schema: store.doc('Buy coins: a top-up and the payment page to pay it on (coins are credited when the payment is captured)', {
      headers: TopUpHeaders,
      body: TopUpInput,
      response: { 200: TopUp, 201: TopUp, ...errorResponses(400, 401, 404, 409, 422, 502) },
    }),
  }, async (request, reply) => {
    const { platform, customer } = await customerOf(request);
    const { topUp, created } = await startTopUp(ctx, platform, customer.id, request.body, request.headers['idempotency-key']);
    return reply.code(created ? 201 : 200).send(topUp);
  });

  store.r.get('/store/live/coins/top-ups/:topUpId', {
    schema: store.doc('One of the customer’s top-ups', { params: TopUpParams, response: { 200: TopUp, ...errorResponses(400, 401, 404) } }),
  }, async (request) => {
    const { pdb, customer } = await customerOf(request);
    const topUp = await findTopUp(pdb, customer.id, request.params.topUpId);
    if (!topUp) throw topUpNotFound(request.params.topUpId);
    return topUp;
  });

  store.r.post('/store/live/rooms/:roomId/gifts', {
    schema: store.doc('Send a gift to a live room, paid in coins (once per Idempotency-Key)', {
      params: StoreRoomParams,
      headers: GiftIdempotencyHeaders,
      body: GiftSendInput,
      response: { 200: GiftSent, ...errorResponses(400, 401, 403, 404, 409) },
    }),
  }, async (request) => {
    const { platform, customer } = await customerOf(request);
    return sendGift(ctx, hub, platform, customer, request, {
      roomId: request.params.roomId.toLowerCase(),
      giftId: request.body.giftId.toLowerCase(),
      count: request.body.count ?? 1,
      key: request.headers['idempotency-key'],
    });
  });

  const room = '/admin/platforms/:platform/live/rooms/:roomId';

  admin.r.put(`${room}/card`, {
    schema: admin.doc('Pin a product card in the room (replaces the pinned one)', { params: RoomParams, body: PinInput, response: { 200: ProductCard, ...errorResponses(400, 401, 403, 404, 409) } }),
  }, async (request) => pinCard(ctx, hub, platformOf(request), request.params.roomId, request.body.productId.toLowerCase()));

  admin.r.put(`${room}/flash-sale`, {
    schema: admin.doc('Start a flash sale from the room: its countdown card goes to every viewer', { params: RoomParams, body: FlashLinkInput, response: { 200: FlashCard, ...errorResponses(400, 401, 403, 404, 409) } }),
  }, async (request) => runtime.flash.link(platformOf(request), request.params.roomId, request.body.saleId.toLowerCase()));

  admin.r.delete(`${room}/card`, {
    schema: admin.doc('Unpin the room’s product card', { params: RoomParams, response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404) } }),
  }, async (request, reply) => {
    await unpinCard(ctx, hub, platformOf(request), request.params.roomId);
    return reply.code(204).send(null);
  });

  admin.r.get(`${room}/stats`, {
    schema: admin.doc('The room’s numbers: viewers, peak, messages, likes, gifts, card clicks, orders and revenue', { params: RoomParams, response: { 200: RoomStats, ...errorResponses(400, 401, 404) } }),
  }, async (request) => {
    // Chat still waiting for its batch is counted too.
    await runtime.writer.flush();
    return roomStats(admin.pdbOf(request), hub, runtime.commerce, request.params.roomId);
  });

  store.r.post('/store/live/rooms/:roomId/card/clicks', {
    schema: store.doc('Count a click on the room’s product card (the socket’s card_click frame does the same)', {
      security: [{ publishableKey: [] }],
      params: StoreRoomParams,
      response: { 204: Type.Null(), ...errorResponses(400, 404) },
    }),
  }, async (request, reply) => {
    const pdb = store.pdbOf(request);
    await getRoom(pdb, request.params.roomId);
    runtime.commerce.click(pdb.platformId, request.params.roomId.toLowerCase());
    return reply.code(204).send(null);
  });

  const types = '/admin/platforms/:platform/live/message-types';
  admin.r.get(types, {
    schema: admin.doc('The platform’s custom message types', { params: PlatformParams, response: { 200: MessageTypeList, ...errorResponses(400, 401, 404) } }),
  }, async (request) => ({ items: await runtime.commerce.customTypes.list(admin.pdbOf(request)) }));

  admin.r.put(`${types}/:messageType`, {
    schema: admin.doc('Define or replace a custom message type (its JSON schema)', { params: MessageTypeParams, body: MessageTypeInput, response: { 200: MessageType, ...errorResponses(400, 401, 403, 404, 422) } }),
  }, async (request) => runtime.commerce.customTypes.save(admin.pdbOf(request), request.params.messageType, request.body.schema));

  admin.r.delete(`${types}/:messageType`, {
    schema: admin.doc('Remove a custom message type', { params: MessageTypeParams, response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404) } }),
  }, async (request, reply) => {
    await runtime.commerce.customTypes.remove(admin.pdbOf(request), request.params.messageType);
    return reply.code(204).send(null);
  });
}
