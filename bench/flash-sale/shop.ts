// The flash-sale shop, set up through the admin API (and the side port for customers), and the wait
// until every node serves it as written.
import { setTimeout as sleep } from 'node:timers/promises';
import { httpJson } from '../lib/http.ts';
import type { ScenarioContext } from '../lib/scenario.ts';
import type { SoukServer } from '../lib/servers.ts';
import { createPlatform, createSizedProduct, setStock, type AdminSession } from '../lib/souk-api.ts';
import { round } from '../lib/stats.ts';

export const SHOP = { slug: 'flash-shop', host: 'flash-shop.bench', currency: 'USD', price: 2000, salePrice: 990 };
const MODULES = ['catalog', 'inventory', 'promotions', 'cart', 'orders', 'payments', 'flash-sales'];

export interface Shop {
  platformId: string;
  /** updatedAt of the platform after its last write (the rate-limit settings). */
  platformUpdatedAt: string;
  publishableKey: string;
  hotVariant: string;
  warmVariant: string;
  buyers: string[];
}

export async function seedShop(baseUrl: string, seedPort: number, session: AdminSession, buyers: number, hotStock: number, log: ScenarioContext['log']): Promise<Shop> {
  const created = await createPlatform(session, { slug: SHOP.slug, name: 'Flash shop', hosts: [SHOP.host], defaultCurrency: SHOP.currency, defaultLocale: 'en', modules: MODULES });
  const auth = { authorization: `Bearer ${session.token}` };
  // Every shopper of the benchmark comes from 127.0.0.1: the per-IP limit would stop the rush at once.
  const patched = await httpJson<{ updatedAt: string }>(`${baseUrl}/admin/platforms/${SHOP.slug}`, {
    method: 'PATCH',
    headers: auth,
    json: { settings: { 'flash-sales': { purchasesPerIpPerMinute: 10_000_000, purchasesPerDevicePerMinute: 1_000_000 } } },
  });
  const product = { handle: 'flash-hot', title: 'The hot item', sizes: ['hot', 'warm'], skuPrefix: 'FLASH', currency: SHOP.currency, amount: SHOP.price };
  const [hot, warm] = (await createSizedProduct(session, SHOP.slug, product)) as [string, string];
  for (const [id, onHand] of [
    [hot, hotStock],
    [warm, 100_000],
  ] as const) {
    await setStock(session, SHOP.slug, id, onHand);
  }
  const seeded = await httpJson<{ customers: { id: string; token: string }[] }>(`http://127.0.0.1:${seedPort}/`, {
    method: 'POST',
    json: { platformId: created.platform.id, count: buyers },
    timeoutMs: 300_000,
  });
  log(`  platform ${SHOP.slug}, hot variant with ${hotStock.toLocaleString('en-US')} units, ${seeded.customers.length.toLocaleString('en-US')} customers with sessions`);
  return { platformId: created.platform.id, platformUpdatedAt: patched.updatedAt, publishableKey: created.publishableKey, hotVariant: hot, warmVariant: warm, buyers: seeded.customers.map((c) => c.token) };
}

/**
 * Waits until every further node serves the shop as the first node last wrote it. A node learns of
 * platform writes made on another node by polling (SOUK_PLATFORM_REFRESH_MS, 5 s by default); until
 * then its storefront answers 404 platform_not_found, or applies the default purchase rate limits.
 */
export async function waitForNodesToSeeShop(nodes: SoukServer[], session: AdminSession, shop: Shop, log: ScenarioContext['log']): Promise<void> {
  if (nodes.length < 2) return;
  const started = Date.now();
  const until = started + 60_000;
  for (const node of nodes.slice(1)) {
    for (;;) {
      const seen = await httpJson<{ updatedAt: string }>(`${node.baseUrl}/admin/platforms/${SHOP.slug}`, { headers: { authorization: `Bearer ${session.token}` } }).catch(() => undefined);
      if (seen?.updatedAt === shop.platformUpdatedAt) break;
      if (Date.now() > until) throw new Error(`souk pid ${node.pid} did not see platform ${SHOP.slug} as written (updatedAt ${shop.platformUpdatedAt}) within 60 s`);
      await sleep(200);
    }
  }
  log(`  every node serves ${SHOP.slug} with its settings after ${round((Date.now() - started) / 1000, 1)} s`);
}
