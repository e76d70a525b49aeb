// The shop the attack targets, set up through the admin API as an operator would: the commerce modules
// and the risk module on (default policies), one product stocked far beyond the crowd (so no goal ends
// for lack of stock: the tables measure the risk engine alone), a new-customer coupon (one use per
// customer), and a flash sale open now with one unit per customer. The purchase rate limits are raised
// past the crowd for the same reason.
import type { Send, TargetShop } from './simulate.ts';

const MODULES = ['catalog', 'inventory', 'promotions', 'cart', 'orders', 'payments', 'flash-sales', 'risk'];

export async function setupTargetShop(send: Send, ownerToken: string, slug: string, crowdSize: number): Promise<TargetShop & { platformId: string }> {
  const admin = async (method: 'POST' | 'PUT' | 'PATCH', url: string, payload: unknown, expected: number) => {
    const res = await send({ method, url, payload, headers: { authorization: `Bearer ${ownerToken}` } });
    if (res.status !== expected) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const created = await admin('POST', '/admin/platforms', { slug, name: 'Attack target', hosts: [`${slug}.test`], defaultCurrency: 'USD', defaultLocale: 'en', locales: ['en'], modules: MODULES }, 201);
  const platformId = (created.platform as { id: string }).id;
  await admin('PATCH', `/admin/platforms/${slug}`, { settings: { 'flash-sales': { purchasesPerIpPerMinute: 1_000_000, purchasesPerDevicePerMinute: 1_000_000 } } }, 200);
  const product = await admin('POST', `/admin/platforms/${slug}/products`, {
    handle: 'launch-item',
    title: 'Launch item',
    status: 'published',
    options: [{ name: 'kind', values: ['regular', 'sale'] }],
    variants: ['regular', 'sale'].map((kind) => ({ sku: `LAUNCH-${kind}`, options: { kind }, prices: [{ currency: 'USD', amount: 4_900 }] })),
  }, 201);
  const [variantId, saleVariantId] = (product.variants as { id: string }[]).map((v) => v.id) as [string, string];
  for (const id of [variantId, saleVariantId]) await admin('PUT', `/admin/platforms/${slug}/inventory/levels/${id}`, { onHand: 10 * crowdSize + 100, reason: 'attack simulation stock' }, 200);
  await admin('POST', `/admin/platforms/${slug}/coupons`, { code: 'NEWCUSTOMER', kind: 'percentage', percent: 30, perCustomerLimit: 1 }, 201);
  const sale = await admin('POST', `/admin/platforms/${slug}/flash-sales`, {
    name: 'Launch flash sale',
    startsAt: new Date(Date.now() - 1000).toISOString(),
    endsAt: new Date(Date.now() + 3 * 3_600_000).toISOString(),
    perCustomerLimit: 1,
    items: [{ variantId: saleVariantId, salePrice: 990, quantity: 2 * crowdSize }],
  }, 201);
  return { platformId, store: { 'x-publishable-key': String(created.publishableKey) }, variantId, couponCode: 'NEWCUSTOMER', saleId: String(sale.id), saleVariantId };
}
