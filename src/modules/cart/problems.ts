// Every problem the cart module answers, named once. Orders (a cart checked out meanwhile) answers a cart
// code through the constructors here; currency_not_supported is the catalog's code.
import { problemMaker } from '../../kernel/http/problem.ts';
import { currencyNotSupportedProblem } from '../catalog/problems.ts';

export const cartProblemCodes = [
  'cart_not_found',
  'cart_completed',
  'cart_merged',
  'cart_stale',
  'cart_empty',
  'line_not_found',
  'variant_not_sellable',
  'quantity_too_large',
  'metadata_too_large',
  'too_many_lines',
  'shipping_method_required',
  'shipping_method_unavailable',
] as const;

const problem = problemMaker(cartProblemCodes);

export const cartNotFound = (cartId: string) =>
  problem(404, 'cart_not_found', `There is no cart ${cartId} you can reach; a customer's cart needs that customer's session.`);
export const cartCompleted = (cartId: string, orderId: string | null) =>
  problem(409, 'cart_completed', `Cart ${cartId} was checked out (order ${orderId}); start a new cart.`);
export const cartCompletedMeanwhile = (cartId: string) => problem(409, 'cart_completed', `Cart ${cartId} was checked out meanwhile.`);
export const cartMerged = (cartId: string) =>
  problem(409, 'cart_merged', `Cart ${cartId} was merged into the customer's cart at login; use that cart.`);
export const cartVersionStale = (version: number, expected: number) =>
  problem(409, 'cart_stale', `The cart is at version ${version}, not ${expected}; read it again and confirm.`, { version });
export const cartPricesStale = (version: number, variantIds: string[]) =>
  problem(409, 'cart_stale', 'A price changed since it was added to the cart; read the cart (which shows the new prices) and confirm.', {
    version,
    variantIds,
  });
export const cartEmpty = () => problem(422, 'cart_empty', 'The cart has no lines to check out.');

export const lineNotFound = (cartId: string, lineId: string) => problem(404, 'line_not_found', `Cart ${cartId} has no line ${lineId}.`);
export const variantNotSellable = (variantIds: readonly string[], currency: string) =>
  problem(
    422,
    'variant_not_sellable',
    `Variant ${variantIds.join(', ')} cannot be sold in ${currency} now (unknown, unpublished or without a ${currency} price).`,
    { variantIds: [...variantIds] },
  );
export const quantityTooLarge = (max: number) => problem(400, 'quantity_too_large', `A cart line holds at most ${max} units on this shop.`, { max });
export const metadataTooLarge = (max: number) => problem(400, 'metadata_too_large', `Line metadata is limited to ${max} characters of JSON.`);
export const tooManyLines = (max: number) => problem(422, 'too_many_lines', `A cart holds at most ${max} lines.`);

export const cartCurrencyNotSupported = (currencies: string[], currency: string) =>
  currencyNotSupportedProblem(422, `This shop sells in ${currencies.join(', ')}, not ${currency}.`, { currencies });

export const shippingMethodNotChosen = () =>
  problem(422, 'shipping_method_required', 'Choose a shipping method (PUT /store/carts/:cartId/shipping-method) first.');
export const shippingMethodWithdrawn = (methodId: string | null) =>
  problem(422, 'shipping_method_required', `Shipping method "${methodId}" is no longer offered for this cart; choose another.`);
export const usableShippingMethodNeeded = () => problem(422, 'shipping_method_required', 'Choose a shipping method this cart can use first.');
export const shippingMethodUnavailable = (methodId: string, offered: readonly string[]) =>
  problem(
    422,
    'shipping_method_unavailable',
    `Shipping method "${methodId}" is not offered for this cart; choose one of: ${offered.join(', ') || 'none'}.`,
  );
