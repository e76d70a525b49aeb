// The cart module: guest and customer carts with lines priced from the catalog, coupons previewed
// through promotions, shipping methods and tax from settings.cart (or a platform's own strategies, held
// in the module's runtime), and totals computed on the server. Checkout (orders) uses cartService's
// loadCartForCheckout / computeTotals / completeCart inside its transaction.
export { cartModule } from './module.ts';
export type { CartRuntime } from './runtime.ts';
export * from './service.ts';
