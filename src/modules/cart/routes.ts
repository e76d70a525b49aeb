// Storefront routes (/store/carts/…). A guest cart is reached by its id alone (a UUIDv7: unguessable);
// a customer's cart only with that customer's session — anyone else gets the same 404 as for a cart that
// does not exist. The session is looked up only when the cart belongs to a customer, so a guest's request
// costs no accounts query.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ModuleContext } from '../../kernel/context.ts';
import { errorResponses } from '../../kernel/http/schemas.ts';
import { storeRouteKit, type Security } from '../../kernel/http/route-kit.ts';
import { platformOf } from '../../kernel/http/tenancy.ts';
import { customerByToken, requireCustomer, type Customer } from '../accounts/customer-service.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import {
  addLine,
  claimCart,
  createCart,
  getCart,
  listShippingOptions,
  removeCoupon,
  removeLine,
  setCoupon,
  setShippingMethod,
  updateCart,
  updateLine,
} from './carts.ts';
import {
  AddLineInput,
  Cart,
  CartParams,
  CouponInput,
  CreateCartInput,
  LineParams,
  ShippingMethodInput,
  ShippingOptionList,
  UpdateCartInput,
  UpdateLineInput,
} from './schemas.ts';
import type { CartAccess } from './state.ts';
import { bearerToken } from '../../kernel/http/bearer.ts';
import type { CartRuntime } from './runtime.ts';

const security: Security = [{ publishableKey: [] }, { publishableKey: [], customerBearer: [] }];
const reads = errorResponses(400, 404);
const writes = errorResponses(400, 404, 409, 422);

/** The caller's customer, looked up once and only if asked (the cart's owner check, the risk gate). */
function accessOf(request: FastifyRequest): CartAccess & { customer(db: PlatformDb): Promise<Customer | null> } {
  let customer: Promise<Customer | null> | undefined;
  const lookup = (db: PlatformDb) => {
    const token = bearerToken(request);
    customer ??= token ? customerByToken(db, token).then((c) => c ?? null) : Promise.resolve(null);
    return customer;
  };
  return {
    customer: lookup,
    customerId: (db) => lookup(db).then((c) => c?.id ?? null),
  };
}

export function storeRoutes(app: FastifyInstance, ctx: ModuleContext, rt: CartRuntime): void {
  const { r, doc } = storeRouteKit(app, ctx, 'cart', security);
  const scope = (request: FastifyRequest) => {
    const platform = platformOf(request);
    const pdb = ctx.platformDb(platform.id);
    return { platform, pdb, access: accessOf(request) };
  };

  r.post(
    '/store/carts',
    {
      schema: doc("Start a cart: the customer's when a session is sent (an invalid one is 401), otherwise a guest cart", {
        body: CreateCartInput,
        response: { 201: Cart, ...errorResponses(400, 401, 404, 422) },
      }),
    },
    async (request, reply) => {
      const { platform, pdb } = scope(request);
      const customer = bearerToken(request) ? await requireCustomer(pdb, request) : null;
      return reply.code(201).send(await createCart(rt, pdb, platform, customer, request.body ?? {}));
    },
  );

  r.get(
    '/store/carts/:cartId',
    { schema: doc('The cart with totals; prices the catalog changed are re-captured and flagged', { params: CartParams, response: { 200: Cart, ...reads } }) },
    async (request) => {
      const { platform, pdb, access } = scope(request);
      return getCart(rt, pdb, platform, request.params.cartId.toLowerCase(), access);
    },
  );

  r.patch(
    '/store/carts/:cartId',
    { schema: doc('Set the email and/or shipping address (null clears)', { params: CartParams, body: UpdateCartInput, response: { 200: Cart, ...writes } }) },
    async (request) => {
      const { platform, pdb, access } = scope(request);
      return updateCart(rt, pdb, platform, request.params.cartId.toLowerCase(), access, request.body);
    },
  );

  r.post(
    '/store/carts/:cartId/lines',
    {
      schema: doc('Add a variant; a line of the same variant with equal metadata grows instead', {
        params: CartParams,
        body: AddLineInput,
        response: { 200: Cart, ...writes },
      }),
    },
    async (request) => {
      const { platform, pdb, access } = scope(request);
      return addLine(rt, pdb, platform, request.params.cartId.toLowerCase(), access, request.body);
    },
  );

  r.patch(
    '/store/carts/:cartId/lines/:lineId',
    { schema: doc("Change a line's quantity", { params: LineParams, body: UpdateLineInput, response: { 200: Cart, ...writes } }) },
    async (request) => {
      const { platform, pdb, access } = scope(request);
      return updateLine(rt, pdb, platform, request.params.cartId.toLowerCase(), access, request.params.lineId, request.body.quantity);
    },
  );

  r.delete(
    '/store/carts/:cartId/lines/:lineId',
    { schema: doc('Remove a line', { params: LineParams, response: { 200: Cart, ...writes } }) },
    async (request) => {
      const { platform, pdb, access } = scope(request);
      return removeLine(rt, pdb, platform, request.params.cartId.toLowerCase(), access, request.params.lineId);
    },
  );

  r.put(
    '/store/carts/:cartId/coupon',
    {
      schema: doc("Apply a coupon; one that does not apply now is refused with the promotions problem and nothing is stored", {
        params: CartParams,
        body: CouponInput,
        response: { 200: Cart, ...writes, ...errorResponses(403) },
      }),
    },
    async (request) => {
      const { platform, pdb, access } = scope(request);
      const cartId = request.params.cartId.toLowerCase();
      if (ctx.riskGate.active(platform)) {
        // Judged before the coupon is even looked at, so a farm trying codes is counted too.
        const customer = await access.customer(pdb);
        const who = customer ? { accountId: customer.id, email: customer.email, accountCreatedAt: customer.createdAt } : {};
        await ctx.riskGate.screen(platform, 'coupon', request, { ...who, couponCode: request.body.code.trim(), cartId });
      }
      return setCoupon(rt, pdb, platform, cartId, access, request.body.code);
    },
  );

  r.delete(
    '/store/carts/:cartId/coupon',
    { schema: doc('Remove the coupon', { params: CartParams, response: { 200: Cart, ...writes } }) },
    async (request) => {
      const { platform, pdb, access } = scope(request);
      return removeCoupon(rt, pdb, platform, request.params.cartId.toLowerCase(), access);
    },
  );

  r.get(
    '/store/carts/:cartId/shipping-options',
    {
      schema: doc('Shipping methods this cart can use, priced for it', { params: CartParams, response: { 200: ShippingOptionList, ...reads } }),
    },
    async (request) => {
      const { platform, pdb, access } = scope(request);
      return { items: await listShippingOptions(rt, pdb, platform, request.params.cartId.toLowerCase(), access) };
    },
  );

  r.put(
    '/store/carts/:cartId/shipping-method',
    {
      schema: doc('Choose a shipping method from the shipping options', { params: CartParams, body: ShippingMethodInput, response: { 200: Cart, ...writes } }),
    },
    async (request) => {
      const { platform, pdb, access } = scope(request);
      return setShippingMethod(rt, pdb, platform, request.params.cartId.toLowerCase(), access, request.body.methodId);
    },
  );

  r.post(
    '/store/carts/:cartId/claim',
    {
      schema: doc("Merge at login: this guest cart joins the customer's newest active cart (or becomes theirs); returns the resulting cart", {
        security: [{ publishableKey: [], customerBearer: [] }],
        params: CartParams,
        response: { 200: Cart, ...errorResponses(400, 401, 404, 409, 422) },
      }),
    },
    async (request) => {
      const { platform, pdb } = scope(request);
      const customer = await requireCustomer(pdb, request);
      return claimCart(rt, pdb, platform, request.params.cartId.toLowerCase(), customer);
    },
  );
}
