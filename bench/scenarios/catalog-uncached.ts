// Uncached storefront reads (issue 18): what a product detail, a list page of 20 and a search cost the
// database when the response cache does not answer (a shop's long tail: filters, deep pages, many search
// words, writes invalidating the cache during a promotion), beside the cached figures in the same run.
//
// PostgreSQL only (the goal is PostgreSQL CPU per request):
//   1. a scratch database; Souk with the demo seed (souk-global in English and USD, souk-cn in Chinese
//      and CNY); the catalogue grown to --products products over both platforms through the bulk admin
//      API, copies of the demo products with varied titles, then ANALYZE (as autovacuum would have);
//   2. two Souk processes on that database: one as shipped (cache and coalescing on), one with
//      SOUK_CATALOG_CACHE_TTL_MS=0 and SOUK_CATALOG_COALESCE=0, so every read runs its statement;
//   3. bare Fastify hello, then per process: detail (rotating over thousands of products by handle and
//      id), list pages of 20 (newest and deeper keyset pages, by price, by title, one category) and
//      searches (English and Chinese words), alternating for --rounds rounds;
//   4. CPU per request: Souk's process and PostgreSQL's processes over each run ÷ responses.
import { engineDatabase } from '../lib/engine-run.ts';
import { httpJson } from '../lib/http.ts';
import type { LoadTarget } from '../lib/load.ts';
import { inPool } from '../lib/pool.ts';
import { runRounds, type TargetSummary } from '../lib/rounds.ts';
import type { Scenario, ScenarioContext, ScenarioReport } from '../lib/scenario.ts';
import { startBareServer, startSoukServer, type SoukServer } from '../lib/servers.ts';
import { adminLogin, adminProducts, copyProduct, createProducts, type AdminSession } from '../lib/souk-api.ts';
import { round } from '../lib/stats.ts';
import { databaseBackendsCpu } from '../lib/cpu.ts';
import type { Table } from '../lib/table.ts';
import { bareTarget, preflight } from '../catalog/run-engine.ts';
import { DEMO } from '../catalog/seed.ts';
import type autocannon from 'autocannon';

const GOALS = { detailMs: 0.2, listMs: 0.5, searchMs: 0.5 };
// Words that vary the copies' titles, so searches and title sorts see a real spread.
export const WORDS_EN = ['classic', 'linen', 'summer', 'travel', 'studio', 'organic', 'compact', 'premium', 'everyday', 'vintage'];
export const WORDS_ZH = ['经典', '亚麻', '夏季', '旅行', '工作室', '有机', '便携', '高级', '日常', '复古'];
export const SEARCH_EN = ['dress', 'shirt', 'linen', 'summer dress', 'phone', 'cotton', 'travel', 'jacket', 'kitchen', 'organic linen'];
export const SEARCH_ZH = ['连衣裙', '衬衫', '亚麻', '夏季', '手机', '外套', '旅行', '床品', '经典 衬衫', '复古'];
const BULK = 200;
const BACKENDS_MS = 'backendsCpuMs';

export async function growCatalogue(session: AdminSession, slug: string, currency: string, copies: number, words: string[], log: ScenarioContext['log']): Promise<void> {
  const sources = await adminProducts(session, slug, 100);
  const batches: { products: ReturnType<typeof copyProduct>[] }[] = [];
  for (let from = 0; from < copies; from += BULK) {
    const products = Array.from({ length: Math.min(BULK, copies - from) }, (_, i) => {
      const n = from + i;
      const source = sources[n % sources.length]!;
      const copy = copyProduct(source, `${source.handle}-u${n}`, `U${n}`, currency);
      return { ...copy, title: `${source.title} ${words[n % words.length]} ${n}` };
    });
    batches.push({ products });
  }
  let done = 0;
  await inPool(batches, 2, async (batch) => {
    await createProducts(session, slug, batch.products, 'bulk');
    done += batch.products.length;
    if (done % 2000 < BULK) log(`  ${slug}: ${done}/${copies} products added`);
  });
}

async function handles(baseUrl: string, host: string, pages: number): Promise<{ ids: string[]; handles: string[]; cursors: string[] }> {
  const ids: string[] = [];
  const found: string[] = [];
  const cursors: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < pages; page++) {
    const body: { items: { id: string; handle: string }[]; nextCursor: string | null } = await httpJson(
      `${baseUrl}/store/products?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      { headers: { host } },
    );
    for (const item of body.items) {
      ids.push(item.id);
      found.push(item.handle);
    }
    if (!body.nextCursor) break;
    cursors.push(body.nextCursor);
    cursor = body.nextCursor;
  }
  return { ids, handles: found, cursors };
}

/** The reads measured, each a rotation of many distinct requests over both platforms. */
function readsOf(shops: Shop[]): { id: string; label: string; requests: autocannon.RequestSpec[] }[] {
  const reads = {
    detail: { label: 'product detail', requests: [] as autocannon.RequestSpec[] },
    newest: { label: 'list of 20, newest (first and deeper pages)', requests: [] as autocannon.RequestSpec[] },
    price: { label: 'list of 20, by price', requests: [] as autocannon.RequestSpec[] },
    title: { label: 'list of 20, by title', requests: [] as autocannon.RequestSpec[] },
    category: { label: 'list of 20, one category', requests: [] as autocannon.RequestSpec[] },
    search: { label: 'search, 20 results (English on souk-global, Chinese on souk-cn)', requests: [] as autocannon.RequestSpec[] },
  };
  for (const shop of shops) {
    const headers = { host: shop.host };
    shop.handles.forEach((handle, i) => {
      reads.detail.requests.push({ path: i % 2 === 0 ? `/store/products/${encodeURIComponent(handle)}` : `/store/products/${shop.ids[i]}`, headers });
    });
    reads.newest.requests.push({ path: '/store/products?limit=20', headers });
    for (const cursor of shop.cursors) reads.newest.requests.push({ path: `/store/products?limit=20&cursor=${encodeURIComponent(cursor)}`, headers });
    for (const sort of ['price_asc', 'price_desc']) reads.price.requests.push({ path: `/store/products?limit=20&sort=${sort}`, headers });
    reads.title.requests.push({ path: '/store/products?limit=20&sort=title', headers });
    for (const category of shop.categories) reads.category.requests.push({ path: `/store/products?limit=20&category=${encodeURIComponent(category)}`, headers });
    for (const q of shop.search) reads.search.requests.push({ path: `/store/products?limit=20&q=${encodeURIComponent(q)}`, headers });
  }
  return Object.entries(reads).map(([id, read]) => ({ id, ...read }));
}

interface Shop {
  host: string;
  ids: string[];
  handles: string[];
  cursors: string[];
  search: string[];
  categories: string[];
}

function targets(souk: SoukServer, tag: string, shops: Shop[]): LoadTarget[] {
  return readsOf(shops).map((read) => ({ id: `${read.id}-${tag}`, label: `${read.label}, ${tag}`, url: souk.baseUrl, requests: read.requests, serverPid: souk.pid }));
}

const perRequest = (percent: number, rps: number) => (rps > 0 ? round((percent * 10) / rps, 3) : Number.NaN);
const backendsPerRequest = (s: TargetSummary) => round(s.counterPerRequest[BACKENDS_MS] ?? Number.NaN, 3);

function tables(summaries: TargetSummary[], distinct: Record<string, number>): Table[] {
  const bare = summaries.find((s) => s.id === 'bare');
  const main: Table = {
    title: 'Storefront reads, cached and uncached, medians of rounds',
    columns: ['read', 'distinct requests', 'req/s', 'vs bare', 'p50 ms', 'p99 ms', 'Souk CPU ms/req', 'PostgreSQL CPU ms/req', 'its backends ms/req', 'CPU server', 'CPU PostgreSQL', 'non-2xx'],
    rows: summaries.map((s) => [
      s.label,
      distinct[s.id] ?? 1,
      s.requestsPerSecond,
      bare ? `${round((s.requestsPerSecond / bare.requestsPerSecond) * 100, 1)}%` : '–',
      s.p50Ms,
      s.p99Ms,
      perRequest(s.serverCpuPercent, s.requestsPerSecond),
      s.id === 'bare' ? '–' : perRequest(s.databaseCpuPercent, s.requestsPerSecond),
      s.id === 'bare' ? '–' : backendsPerRequest(s),
      `${s.serverCpuPercent}%`,
      `${s.databaseCpuPercent}%`,
      s.non2xx + s.errors + s.timeouts,
    ]),
    notes: [
      'CPU ms/req: the process CPU over the run ÷ responses; PostgreSQL counts every postgres process on the machine (other databases too).',
      "its backends: the CPU of the backends connected to the bench's scratch database only (from /proc, 10 ms ticks summed over the run).",
    ],
  };
  const goal = (id: string, label: string, target: number): (string | number)[] => {
    const s = summaries.find((x) => x.id === id);
    const all = s ? perRequest(s.databaseCpuPercent, s.requestsPerSecond) : Number.NaN;
    const own = s ? backendsPerRequest(s) : Number.NaN;
    return [label, `< ${target} ms`, `${own} ms`, `${all} ms`, own < target ? 'yes' : 'NO'];
  };
  const goals: Table = {
    title: 'Goals from issue 18 (PostgreSQL CPU per uncached read)',
    columns: ['read', 'goal', 'its backends', 'every postgres process', 'met (its backends)'],
    rows: [
      goal('detail-uncached', 'product detail', GOALS.detailMs),
      ...['newest', 'price', 'title', 'category'].map((kind) => goal(`${kind}-uncached`, `list of 20, ${kind}`, GOALS.listMs)),
      goal('search-uncached', 'search', GOALS.searchMs),
    ],
  };
  return [main, goals];
}

export const catalogUncachedScenario: Scenario = {
  name: 'catalog-uncached',
  description: 'Uncached storefront reads on PostgreSQL (cache and coalescing off) beside cached ones: CPU per request of Souk and PostgreSQL over a 10,000-product catalogue on two platforms.',
  flags: {
    products: { description: 'products in the catalogue after the seed, over both demo platforms', default: '10000' },
  },
  async run(context): Promise<ScenarioReport> {
    const { options, cleanup, log, flags } = context;
    const notes: string[] = [];
    const total = Number(flags.products);
    if (!Number.isInteger(total) || total < 200) throw new Error(`--products must be an integer ≥ 200, got "${flags.products}"`);
    const record: Record<string, unknown> = {};
    const scratch = await engineDatabase('postgres', context, notes, record);
    if (!scratch) return { tables: [], notes, data: record };
    const env = options.soukEnv;
    const cached = await startSoukServer({ engine: 'postgres', databaseUrl: scratch.url, cleanup, env });
    log(`souk (cached) pid ${cached.pid} on ${cached.baseUrl}`);
    const session = await adminLogin(cached.baseUrl, DEMO.admin.email, DEMO.admin.password);
    const seedStarted = Date.now();
    const perShop = Math.ceil(total / 2);
    await growCatalogue(session, DEMO.global.slug, DEMO.global.currency, perShop, WORDS_EN, log);
    await growCatalogue(session, DEMO.cn.slug, DEMO.cn.currency, perShop, WORDS_ZH, log);
    await scratch.analyze({ vacuum: true });
    record.seedSeconds = round((Date.now() - seedStarted) / 1000, 1);
    log(`catalogue grown by ${perShop * 2} products in ${record.seedSeconds} s`);
    const uncached = await startSoukServer({
      engine: 'postgres',
      databaseUrl: scratch.url,
      cleanup,
      env: { ...env, SOUK_SEED_DEMO: '0', SOUK_CATALOG_CACHE_TTL_MS: '0', SOUK_CATALOG_COALESCE: '0' },
    });
    log(`souk (uncached) pid ${uncached.pid} on ${uncached.baseUrl}`);
    const categories = { [DEMO.global.host]: ['women-dresses', 'men-shirts', 'phones', 'kitchen'], [DEMO.cn.host]: ['women-dresses', 'men-jackets', 'audio', 'bedding'] };
    const shops: Shop[] = [];
    for (const [host, search] of [[DEMO.global.host, SEARCH_EN], [DEMO.cn.host, SEARCH_ZH]] as const) {
      const found = await handles(cached.baseUrl, host, 30);
      shops.push({ host, ...found, search: [...search], categories: categories[host]! });
    }
    const bare = await startBareServer(cleanup);
    const all = [bareTarget(bare), ...targets(uncached, 'uncached', shops), ...targets(cached, 'cached', shops)];
    const distinct: Record<string, number> = {};
    for (const target of all) {
      distinct[target.id] = target.requests.length;
      await preflight(target);
    }
    const backendsCpu = databaseBackendsCpu(scratch.name);
    const summaries = await runRounds(
      all,
      {
        durationSeconds: options.durationSeconds,
        connections: options.connections,
        rounds: options.rounds,
        warmupSeconds: options.warmupSeconds,
        quietWaitSeconds: options.quietWaitSeconds,
        // The CPU of this database's backends only: the server may be shared with other work.
        counters: [{ name: BACKENDS_MS, read: async () => backendsCpu(), settleMs: 0, idlePerSecond: 0 }],
      },
      log,
    );
    return { tables: tables(summaries, distinct), notes, data: { goals: GOALS, products: perShop * 2 + 120, ...record, summaries } };
  },
};
