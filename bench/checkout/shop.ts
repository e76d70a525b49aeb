// The checkout shop, set up through the admin API: one platform with the commerce modules and the
// variants of the catalogue, each stocked.
import { inPool } from '../lib/pool.ts';
import type { ScenarioContext } from '../lib/scenario.ts';
import { createPlatform, createSizedProduct, setStock, type AdminSession } from '../lib/souk-api.ts';

export const SHOP = { slug: 'bench-shop', host: 'bench-shop.bench', currency: 'USD', price: 1000 };
const COMMERCE_MODULES = ['catalog', 'inventory', 'promotions', 'cart', 'orders', 'payments'];
const VARIANTS_PER_PRODUCT = 100;

export interface Shop {
  platformId: string;
  publishableKey: string;
  variants: string[];
  hotVariant: string;
}

export async function seedShop(session: AdminSession, variants: number, stock: number, log: ScenarioContext['log']): Promise<Shop> {
  const created = await createPlatform(session, {
    slug: SHOP.slug,
    name: 'Bench shop',
    hosts: [SHOP.host],
    defaultCurrency: SHOP.currency,
    defaultLocale: 'en',
    modules: COMMERCE_MODULES,
  });
  const ids: string[] = [];
  const products = Math.ceil(variants / VARIANTS_PER_PRODUCT);
  for (let p = 0; p < products; p++) {
    const count = Math.min(VARIANTS_PER_PRODUCT, variants - p * VARIANTS_PER_PRODUCT);
    const sizes = Array.from({ length: count }, (_, i) => `s${i}`);
    const product = { handle: `bench-${p}`, title: `Bench product ${p}`, sizes, skuPrefix: `B${p}`, currency: SHOP.currency, amount: SHOP.price };
    ids.push(...(await createSizedProduct(session, SHOP.slug, product, 60_000)));
  }
  await inPool(ids, 8, (id) => setStock(session, SHOP.slug, id, stock));
  log(`  ${products} products, ${ids.length} variants, ${stock.toLocaleString('en-US')} units each`);
  return { platformId: created.platform.id, publishableKey: created.publishableKey, variants: ids, hotVariant: ids[0]! };
}
