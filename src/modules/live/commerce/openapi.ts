// Operation ids, descriptions and problem codes of the rooms' commerce routes, for the OpenAPI document.
import type { OperationDocs } from '../../../kernel/http/openapi-problems.ts';
import { RISK_GATE_PROBLEMS } from '../../../kernel/risk-gate.ts';

const gifts = '/admin/platforms/{platform}/live/gifts';
const GIFT = { 404: ['live_gift_not_found'] } as const;
const rooms = '/admin/platforms/{platform}/live/rooms';
const ROOM = { 404: ['live_room_not_found'] } as const;
const types = '/admin/platforms/{platform}/live/message-types';

export const liveCommerceDocs: OperationDocs = {
  [`POST ${gifts}`]: { operationId: 'createLiveGift', description: 'Adds a gift viewers can send, with its price in coins and an icon.' },
  [`GET ${gifts}`]: { operationId: 'listLiveGifts', description: 'Every gift of the platform, active or not, cheapest first.' },
  [`GET ${gifts}/{giftId}`]: { operationId: 'getLiveGift', description: 'One gift of the catalogue, active or not.', problems: GIFT },
  [`PATCH ${gifts}/{giftId}`]: {
    operationId: 'updateLiveGift',
    description: 'Renames, reprices or switches a gift off. Gifts are never deleted: the coin ledger names them.',
    problems: GIFT,
  },
  'GET /admin/platforms/{platform}/live/top-ups/{topUpId}': {
    operationId: 'getLiveTopUp',
    description: 'One coin top-up of the platform, with its customer, payment and latest refund.',
    problems: { 404: ['live_top_up_not_found'] },
  },
  'POST /admin/platforms/{platform}/live/top-ups/{topUpId}/refund': {
    operationId: 'refundLiveTopUp',
    description:
      'Refunds a paid top-up in full. Its coins leave the customer’s balance in the same transaction that reserves the refund on its payment ' +
      '(refused with live_refund_coins_spent when the customer spent some on gifts), and the refund is sent to the provider at once. ' +
      'Provider refused: 502 refund_failed, the top-up is paid again and the coins are back. A second refund of the same top-up is refused.',
    problems: { 404: ['live_top_up_not_found'], 409: ['live_payments_off', 'live_top_up_not_refundable', 'live_refund_coins_spent'], 502: ['refund_failed'] },
  },
  'GET /store/live/gifts': { operationId: 'listStoreLiveGifts', description: 'The active gifts, cheapest first.' },
  'GET /store/live/coins': { operationId: 'getLiveCoins', description: 'The signed-in customer’s coin balance and the latest 50 changes to it (top-ups, gifts), newest first.', problems: { 401: ['unauthorized'] } },
  'POST /store/live/coins/top-ups': {
    operationId: 'startLiveCoinTopUp',
    description:
      'Buys coins (one coin costs one minor unit of the platform’s default currency): creates a pending top-up and a payment for it, and returns the ' +
      'provider page to send the shopper to. When the provider reports the payment captured, the coins are credited in the same transaction, once. ' +
      'With an Idempotency-Key, a retry returns the same top-up (200).',
    problems: { 401: ['unauthorized'], 409: ['live_payments_off', 'live_key_reused'], 422: ['provider_not_available'], 502: ['provider_error'] },
  },
  'GET /store/live/coins/top-ups/{topUpId}': { operationId: 'getLiveCoinTopUp', description: 'One of the customer’s top-ups: pending, paid or failed.', problems: { 401: ['unauthorized'], 404: ['live_top_up_not_found'] } },
  'POST /store/live/rooms/{roomId}/gifts': {
    operationId: 'sendLiveGift',
    description:
      'Sends a gift to a live room: screened by the risk gate, debited from the coin balance once per Idempotency-Key (a retry, even a concurrent one, ' +
      'returns the first debit with replayed: true), then shown to every viewer as a high-priority `gift` frame. The socket’s `gift` frame does the same.',
    problems: { 401: ['unauthorized'], 403: RISK_GATE_PROBLEMS, 404: ['live_room_not_found', 'live_gift_not_found'], 409: ['live_room_state', 'live_insufficient_coins', 'live_key_reused'] },
  },
  [`PUT ${rooms}/{roomId}/card`]: {
    operationId: 'pinLiveProductCard',
    description:
      'Pins a published product as the room’s card: every viewer gets a high-priority `card` frame with its live price (default currency) and stock, ' +
      'joiners get it in their welcome, and it is sent again when its price or stock changes (checked every 2 s). Shoppers buy through the cart and ' +
      'checkout with `liveRoomId`, which attributes the order to the room.',
    problems: { 404: ['live_room_not_found', 'live_product_not_found'], 409: ['live_room_state'] },
  },
  [`PUT ${rooms}/{roomId}/flash-sale`]: {
    operationId: 'startLiveFlashSale',
    description:
      'Links one of the platform’s flash sales to the room ("3, 2, 1, go"): every viewer gets a critical `flash` frame with the sale’s items, units left, ' +
      'startsAt and the server’s clock (serverNow) to count down against; `flash_countdown` frames follow at 3, 2 and 1 seconds before the start, ' +
      'then the card with phase live and go: true, the card again each second its units change, and the ended card at the end. Joiners get the card ' +
      'in their welcome. Buying is the flash sale’s own purchase (purchasePath).',
    problems: { 404: ['live_room_not_found', 'sale_not_found'], 409: ['live_room_state', 'live_flash_sales_off', 'live_flash_sale_over'] },
  },
  [`DELETE ${rooms}/{roomId}/card`]: { operationId: 'unpinLiveProductCard', description: 'Unpins the card: viewers get a `card` frame with card null.', problems: ROOM },
  [`GET ${rooms}/{roomId}/stats`]: {
    operationId: 'getLiveRoomStats',
    description: 'The room’s numbers: concurrent viewers now (all nodes) and at the peak, chat messages, likes, gifts (count and coins), card clicks, and the paid orders checked out from the room with their revenue by currency.',
    problems: ROOM,
  },
  'POST /store/live/rooms/{roomId}/card/clicks': { operationId: 'clickLiveProductCard', description: 'Counts one click on the room’s product card, for the room’s numbers (added within a second).', problems: ROOM },
  [`GET ${types}`]: { operationId: 'listLiveMessageTypes', description: 'The message types this platform defined for its own widgets, by name.' },
  [`PUT ${types}/{messageType}`]: {
    operationId: 'putLiveMessageType',
    description:
      'Defines (or replaces) a message type: clients send `{type:"custom", name, data}` on the room socket, data is validated against this JSON schema ' +
      '(Ajv, strict mode) and sent to the room in the low lane; data that does not match gets an `invalid_custom` error frame.',
    problems: { 422: ['live_message_schema_invalid'] },
  },
  [`DELETE ${types}/{messageType}`]: { operationId: 'deleteLiveMessageType', description: 'Removes a message type; clients sending it get `unknown_custom` (within 5 s on every node).', problems: { 404: ['live_message_type_not_found'] } },
};
