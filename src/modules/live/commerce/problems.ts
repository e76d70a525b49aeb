// Problems of the live rooms' commerce (gifts, coins, product cards, custom message types). Socket
// frames answer the same refusals as error frames with the code (frames.ts of this folder).
import { problemMaker } from '../../../kernel/http/problem.ts';

export const liveCommerceProblemCodes = [
  'live_gift_not_found',
  'live_insufficient_coins',
  'live_key_reused',
  'live_payments_off',
  'live_top_up_not_found',
  'live_product_not_found',
  'live_message_type_not_found',
  'live_message_schema_invalid',
  'live_flash_sales_off',
  'live_flash_sale_over',
  'live_refund_coins_spent',
  'live_top_up_not_refundable',
] as const;

const problem = problemMaker(liveCommerceProblemCodes);

export const giftNotFound = (id: string) => problem(404, 'live_gift_not_found', `There is no gift ${id} that can be sent on this platform (unknown or inactive).`);
export const insufficientCoins = (balance: number, cost: number) =>
  problem(409, 'live_insufficient_coins', `This gift costs ${cost} coins and your balance is ${balance}; top up at POST /store/live/coins/top-ups.`, { balance, cost });
export const keyReused = (key: string) =>
  problem(409, 'live_key_reused', `The key "${key}" was already used for a different gift or count; use a new key for a new gift.`);
export const paymentsOff = () => problem(409, 'live_payments_off', 'Coins are bought through the payments module, which is not switched on for this platform.');
export const topUpNotFound = (id: string) => problem(404, 'live_top_up_not_found', `You have no coin top-up ${id}.`);
export const productNotFound = (id: string) => problem(404, 'live_product_not_found', `There is no product ${id} on this platform.`);
export const messageTypeNotFound = (name: string) => problem(404, 'live_message_type_not_found', `This platform defines no live message type "${name}".`);
export const messageSchemaInvalid = (detail: string) => problem(422, 'live_message_schema_invalid', `The JSON schema does not compile: ${detail}`);
export const flashSalesOff = () => problem(409, 'live_flash_sales_off', 'Flash sales are not switched on for this platform.');
export const flashSaleOver = (saleId: string, phase: string) => problem(409, 'live_flash_sale_over', `Flash sale ${saleId} is ${phase}; link an upcoming or live sale.`, { phase });
export const topUpNotOnPlatform = (id: string) => problem(404, 'live_top_up_not_found', `There is no coin top-up ${id} on this platform.`);
export const topUpNotRefundable = (id: string, status: string) =>
  problem(409, 'live_top_up_not_refundable', `Coin top-up ${id} is ${status}; only a paid top-up can be refunded.`, { topUpStatus: status });
export const coinsSpent = (coins: number, balance: number) =>
  problem(409, 'live_refund_coins_spent', `The top-up bought ${coins} coins but the customer has ${balance} left (the rest went on gifts); it cannot be refunded in full.`, { coins, balance });
