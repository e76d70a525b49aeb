// The checkout shop, set up through the admin API: one platform with the commerce modules and the
// variants of the catalogue, each stocked.
import { httpJson } from '../lib/http.ts';
import type { ScenarioContext } from '../lib/scenario.ts';
import { createPlatform, type AdminSession } from '../lib/souk-api.ts';

export const SHOP = { slug: 'bench-shop', host: 'bench-shop.bench', currency: 'USD', price: 1000 };
const COMMERCE_MODULES = ['catalog', 'inventory', 'promotions', 'cart', 'orders', 'payments'];
const VARIANTS_PER_PRODUCT = 100;

export interface Shop {
  platformId: string;
  publishableKey: string;
  variants: string[];
  hotVariant: string;
}

export async function seedShop(baseUrl: string, session: AdminSession, variants: number, stock: number, log: ScenarioContext['log']): Promise<Shop> {
  const created = await createPlatform(session, {
    slug: SHOP.slug,
    name: 'Bench shop',
    hosts: [SHOP.host],
    defaultCurrency: SHOP.currency,
    defaultLocale: 'en',
    modules: COMMERCE_MODULES,
  });
  const auth = { authorization: `Bearer ${session.token}` };
  const ids: string[] = [];
  const products = Math.ceil(variants / VARIANTS_PER_PRODUCT);
  for (let p = 0; p < products; p++) {
    const count = Math.min(VARIANTS_PER_PRODUCT, variants - p * VARIANTS_PER_PRODUCT);
    const sizes = Array.from({ length: count }, (_, i) => `s${i}`);
    const product = await httpJson<{ variants: { id: string }[] }>(`${baseUrl}/admin/platforms/${SHOP.slug}/products`, {
      method: 'POST',
      headers: auth,
      expectedStatus: 201,
      json: {
        handle: `bench-${p}`,
        title: `Bench product ${p}`,
        status: 'published',
        options: [{ name: 'size', values: sizes }],
        variants: sizes.map((size) => ({ sku: `B${p}-${size}`, options: { size }, prices: [{ currency: SHOP.currency, amount: SHOP.price }] })),
      },
      timeoutMs: 60_000,
    });
    ids.push(...product.variants.map((v) => v.id));
  }
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      await httpJson(`${baseUrl}/admin/platforms/${SHOP.slug}/inventory/levels/${id}`, { method: 'PUT', headers: auth, json: { onHand: stock, reason: 'bench stock' } });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  log(`  ${products} products, ${ids.length} variants, ${stock.toLocaleString('en-US')} units each`);
  return { platformId: created.platform.id, publishableKey: created.publishableKey, variants: ids, hotVariant: ids[0]! };
}
