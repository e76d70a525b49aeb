// The demo seed the catalog scenario measures: what it must hold (checked before measuring) and the
// product-detail requests built from it.
import { httpJson } from '../lib/http.ts';
import type { SoukServer } from '../lib/servers.ts';
import { countStoreProducts, storeProducts, type StoreProductRef } from '../lib/souk-api.ts';
import type autocannon from 'autocannon';


// What the demo seed (src/seed/demo.ts) promises; checked before measuring.
export const DEMO = {
  admin: { email: 'admin@souk.local', password: 'souk-demo-admin' },
  global: { slug: 'souk-global', host: '127.0.0.1', currency: 'USD' },
  cn: { slug: 'souk-cn', host: 'cn.localhost', currency: 'CNY' },
  minProducts: 60,
};



export function detailRequests(products: StoreProductRef[], headers?: Record<string, string>): autocannon.RequestSpec[] {
  // Alternate lookups by handle and by id: the route accepts both and shoppers' links use both.
  return products.flatMap((p) => [
    { path: `/store/products/${encodeURIComponent(p.handle)}`, ...(headers ? { headers } : {}) },
    { path: `/store/products/${p.id}`, ...(headers ? { headers } : {}) },
  ]);
}

/** What the seed holds, as the storefront lists it (part of the scenario's JSON). */
export interface SeedInfo {
  globalProducts: number;
  cnProducts: number;
  globalCurrency: string;
  cnCurrency: string;
}

export interface Seeded {
  info: SeedInfo;
  globalProducts: StoreProductRef[];
  cnProducts: StoreProductRef[];
}

export async function checkSeed(souk: SoukServer, notes: string[]): Promise<Seeded> {
  const global = { host: DEMO.global.host };
  const cn = { host: DEMO.cn.host };
  const [globalCount, cnCount, globalProducts, cnProducts] = await Promise.all([
    countStoreProducts(souk.baseUrl, global),
    countStoreProducts(souk.baseUrl, cn),
    storeProducts(souk.baseUrl, global, 100),
    storeProducts(souk.baseUrl, cn, 100),
  ]);
  const currencyOf = async (host: string) => {
    const page = await httpJson<{ items?: { currency?: string }[] }>(`${souk.baseUrl}/store/products?limit=1`, { headers: { host } });
    return page.items?.[0]?.currency ?? 'none';
  };
  const info = { globalProducts: globalCount, cnProducts: cnCount, globalCurrency: await currencyOf(global.host), cnCurrency: await currencyOf(cn.host) };
  if (globalCount < DEMO.minProducts || cnCount < DEMO.minProducts) {
    notes.push(`${souk.engine}: the demo seed has ${globalCount} (souk-global) and ${cnCount} (souk-cn) published products; expected ≥ ${DEMO.minProducts} each.`);
  }
  if (info.globalCurrency !== DEMO.global.currency || info.cnCurrency !== DEMO.cn.currency) {
    notes.push(`${souk.engine}: storefront currencies are ${info.globalCurrency}/${info.cnCurrency}; expected USD/CNY.`);
  }
  if (globalProducts.length === 0) throw new Error(`${souk.engine}: souk-global lists no products; nothing to benchmark`);
  return { info, globalProducts, cnProducts };
}
