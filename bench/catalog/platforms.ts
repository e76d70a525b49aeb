// The 1,000-platform run's setup: platforms created through the admin API with a few products each,
// and requests interleaved across them.
import { setTimeout as sleep } from 'node:timers/promises';
import { httpJson, UnexpectedStatusError } from '../lib/http.ts';
import { inPool } from '../lib/pool.ts';
import type { ScenarioContext } from '../lib/scenario.ts';
import type { SoukServer } from '../lib/servers.ts';
import { adminLogin, adminProducts, copyProduct, createPlatform, createProducts, productWriteMode, type AdminSession, type ProductWriteMode } from '../lib/souk-api.ts';
import { median, round } from '../lib/stats.ts';
import { DEMO } from './seed.ts';
import type autocannon from 'autocannon';

export interface AddedPlatform {
  slug: string;
  host: string;
  publishableKey: string;
  handles: string[];
}

export interface PlatformSetup {
  requested: number;
  existing: number;
  created: number;
  productsPerPlatform: number;
  productWriteMode: ProductWriteMode;
  totalSeconds: number;
  /** Median latency of POST /admin/platforms for the first and last 50 platforms created. */
  createPlatformMsFirst50: number;
  createPlatformMsLast50: number;
  /** Median latency of writing one platform's products. */
  writeProductsMs: number;
  /**
   * Platforms whose product write answered 404 platform_not_found although POST /admin/platforms had
   * just answered 201 (the write is retried every 500 ms until it succeeds).
   */
  notFoundAfterCreate: number;
  /** Seconds after the last create until GET /admin/platforms listed every platform. */
  convergedAfterSeconds: number;
}

export async function addPlatforms(
  souk: SoukServer,
  total: number,
  productsPerPlatform: number,
  concurrency: number,
  log: ScenarioContext['log'],
): Promise<{ setup: PlatformSetup; added: AddedPlatform[] }> {
  const session: AdminSession = await adminLogin(souk.baseUrl, DEMO.admin.email, DEMO.admin.password);
  const mode = await productWriteMode(souk.baseUrl);
  const listed = await httpJson<{ items: unknown[] }>(`${souk.baseUrl}/admin/platforms`, { headers: { authorization: `Bearer ${session.token}` } });
  const existing = listed.items.length;
  const count = Math.max(0, total - existing);
  // Copies of demo products, so a detail response on an added platform is about the size of one on the
  // original platform and the comparison measures platforms, not payloads.
  const templates = await adminProducts(session, DEMO.global.slug, productsPerPlatform);
  if (templates.length < productsPerPlatform) throw new Error(`souk-global has only ${templates.length} published products to copy`);
  log(`  creating ${count} platforms (${productsPerPlatform} products each, ${mode} product writes, ${concurrency} in flight)`);

  const slugs = Array.from({ length: count }, (_, i) => `bench-${String(i + 1).padStart(4, '0')}`);
  const added: AddedPlatform[] = new Array<AddedPlatform>(count);
  const createMs: number[] = new Array<number>(count);
  const productsMs: number[] = [];
  let notFoundAfterCreate = 0;
  const started = Date.now();
  await inPool(slugs, concurrency, async (slug, index) => {
    const host = `${slug}.bench`;
    const t0 = performance.now();
    const created = await createPlatform(session, {
      slug,
      name: `Bench ${slug}`,
      hosts: [host],
      defaultCurrency: 'USD',
      defaultLocale: 'en',
      modules: ['catalog'],
    });
    const t1 = performance.now();
    const products = templates.map((template, p) => copyProduct(template, `${slug}-${template.handle}`, `${slug.toUpperCase()}-${p + 1}`, 'USD'));
    for (let attempt = 1; ; attempt++) {
      try {
        await createProducts(session, slug, products, mode);
        break;
      } catch (error) {
        const vanished = error instanceof UnexpectedStatusError && error.status === 404 && error.body.includes('platform_not_found');
        if (!vanished || attempt >= 30) throw error;
        if (attempt === 1) notFoundAfterCreate++;
        await sleep(500);
      }
    }
    createMs[index] = t1 - t0;
    productsMs.push(performance.now() - t1);
    added[index] = { slug, host, publishableKey: created.publishableKey, handles: products.map((p) => p.handle) };
    if ((index + 1) % 100 === 0) log(`    ${index + 1}/${count} platforms`);
  });
  const totalSeconds = round((Date.now() - started) / 1000, 1);

  // The node's platform directory must list them all before measuring (see notFoundAfterCreate).
  const expected = existing + count;
  const convergeStarted = Date.now();
  for (;;) {
    const now = await httpJson<{ items: unknown[] }>(`${souk.baseUrl}/admin/platforms`, { headers: { authorization: `Bearer ${session.token}` } });
    if (now.items.length >= expected) break;
    if (Date.now() - convergeStarted > 30_000) throw new Error(`the server lists ${now.items.length} platforms 30 s after creating ${expected}`);
    await sleep(250);
  }
  const setup: PlatformSetup = {
    requested: total,
    existing,
    created: count,
    productsPerPlatform,
    productWriteMode: mode,
    totalSeconds,
    createPlatformMsFirst50: round(median(createMs.slice(0, 50)), 1),
    createPlatformMsLast50: round(median(createMs.slice(-50)), 1),
    writeProductsMs: round(median(productsMs), 1),
    notFoundAfterCreate,
    convergedAfterSeconds: round((Date.now() - convergeStarted) / 1000, 2),
  };
  log(
    `  created in ${setup.totalSeconds} s; POST /admin/platforms median ${setup.createPlatformMsFirst50} ms (first 50) → ` +
      `${setup.createPlatformMsLast50} ms (last 50); products ${setup.writeProductsMs} ms per platform; ` +
      `${notFoundAfterCreate} platform(s) answered 404 right after their 201; directory complete after ${setup.convergedAfterSeconds} s more`,
  );
  return { setup, added };
}

/** Interleaves platforms so consecutive requests (and neighbouring connections) hit different platforms. */
export function spreadRequests(entries: { headers: Record<string, string>; handles: string[] }[]): autocannon.RequestSpec[] {
  const requests: autocannon.RequestSpec[] = [];
  const depth = Math.max(0, ...entries.map((e) => e.handles.length));
  for (let i = 0; i < depth; i++) {
    for (const entry of entries) {
      const handle = entry.handles[i];
      if (handle !== undefined) requests.push({ path: `/store/products/${encodeURIComponent(handle)}`, headers: entry.headers });
    }
  }
  return requests;
}

export function existingPlusAdded(setup: PlatformSetup): number {
  return setup.existing + setup.created;
}
