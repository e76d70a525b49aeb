// PostgreSQL CPU of each storefront search page of the catalog-uncached bench, this checkout's code
// against another's (`--against <checkout>`, e.g. a `git worktree add` of main), no HTTP: each page is
// built by listStoreProducts as the app builds it and run --runs times on one pooled connection per
// side, the blocks alternating between the sides so that whatever else runs on the machine weighs on
// both alike; the backend's CPU is read from /proc before and after each block.
//
//   # once: a database seeded like the bench (demo platforms + 10,000 copies), migrated by this checkout
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node --import tsx bench/tools/catalog-page-cost.ts --seed cost_catalog
//   # then, as often as needed (the other checkout must not need migrations this database lacks)
//   node --import tsx bench/tools/catalog-page-cost.ts --database postgres://postgres@127.0.0.1:5432/cost_catalog --against /tmp/old [--runs 400] [--blocks 4]
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openPostgres } from '../../src/kernel/db/postgres.ts';
import { forPlatform } from '../../src/kernel/db/scoped.ts';
import type { Platform } from '../../src/kernel/context.ts';
import { listStoreProducts } from '../../src/modules/catalog/store.ts';
import { CleanupStack } from '../lib/cleanup.ts';
import { startSoukServer } from '../lib/servers.ts';
import { adminLogin } from '../lib/souk-api.ts';
import { DEMO } from '../catalog/seed.ts';
import { growCatalogue, SEARCH_EN, SEARCH_ZH, WORDS_EN, WORDS_ZH } from '../scenarios/catalog-uncached.ts';

const { values: args } = parseArgs({
  options: {
    seed: { type: 'string' },
    products: { type: 'string', default: '10000' },
    database: { type: 'string' },
    against: { type: 'string' },
    runs: { type: 'string', default: '400' },
    blocks: { type: 'string', default: '4' },
    pages: { type: 'string', default: '1' },
  },
});

/** CPU ms of a process so far (utime + stime, USER_HZ 100). */
function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function seed(name: string): Promise<void> {
  const admin = process.env.DATABASE_URL;
  if (!admin) throw new Error('--seed needs DATABASE_URL (a database to create the catalogue database from)');
  const url = new URL(admin);
  const adminDb = await openPostgres(admin, 1);
  await adminDb.execute(`create database "${name}"`);
  await adminDb.close();
  url.pathname = `/${name}`;
  const cleanup = new CleanupStack();
  try {
    const souk = await startSoukServer({ engine: 'postgres', databaseUrl: url.toString(), cleanup });
    const session = await adminLogin(souk.baseUrl, DEMO.admin.email, DEMO.admin.password);
    const perShop = Math.ceil(Number(args.products) / 2);
    await growCatalogue(session, DEMO.global.slug, DEMO.global.currency, perShop, WORDS_EN, console.log);
    await growCatalogue(session, DEMO.cn.slug, DEMO.cn.currency, perShop, WORDS_ZH, console.log);
  } finally {
    await cleanup.runAll();
  }
  const db = await openPostgres(url.toString(), 1);
  await db.execute('vacuum analyze');
  await db.close();
  console.log(`seeded ${url.toString()}`);
}

type List = typeof listStoreProducts;

interface Side {
  name: string;
  list: List;
  backend: number;
  cpu: Map<string, number>;
}

async function measure(database: string, against: string): Promise<void> {
  const runs = Number(args.runs);
  const blocks = Number(args.blocks);
  const pagesDeep = Number(args.pages);
  const db = await openPostgres(database, 1);
  const other = (await import(resolve(against, 'src/modules/catalog/store.ts'))) as { listStoreProducts: List };
  const platforms = await db.query<{ id: string; slug: string; default_locale: string; default_currency: string }>(
    `select id, slug, default_locale, default_currency from platforms where slug in ('${DEMO.global.slug}', '${DEMO.cn.slug}')`,
  );
  const platformOf = (slug: string): Platform => {
    const row = platforms.find((p) => p.slug === slug)!;
    const now = new Date().toISOString();
    return { id: row.id, slug, name: slug, hosts: [], defaultCurrency: row.default_currency, currencies: [row.default_currency], defaultLocale: row.default_locale, locales: [row.default_locale], modules: [], settings: {}, status: 'active', createdAt: now, updatedAt: now };
  };
  const [{ pid: backend } = { pid: 0 }] = await db.query<{ pid: number }>('select pg_backend_pid() as pid');
  const sides: Side[] = [
    { name: 'this checkout', list: listStoreProducts, backend, cpu: new Map() },
    { name: against, list: other.listStoreProducts, backend, cpu: new Map() },
  ];
  // One page (or a walk of --pages pages) of a query; the sides must return the same products.
  const cases = [
    ...SEARCH_EN.map((q) => ({ q, slug: DEMO.global.slug })),
    ...SEARCH_ZH.map((q) => ({ q, slug: DEMO.cn.slug })),
  ];
  const walk = async (side: Side, c: (typeof cases)[number]) => {
    const platform = platformOf(c.slug);
    const pdb = forPlatform(db, platform.id);
    const ids: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < pagesDeep; page++) {
      const result = await side.list(pdb, platform, { q: c.q, limit: 20, cursor, locale: platform.defaultLocale, currency: platform.defaultCurrency });
      ids.push(...result.items.map((p) => p.id));
      if (!result.nextCursor) break;
      cursor = result.nextCursor;
    }
    return ids;
  };
  for (const c of cases) {
    const [a, b] = [await walk(sides[0]!, c), await walk(sides[1]!, c)];
    if (a.join() !== b.join()) throw new Error(`"${c.q}": the two checkouts return different pages`);
    for (const side of sides) for (let i = 0; i < 20; i++) await walk(side, c);
  }
  for (let block = 0; block < blocks; block++) {
    for (const side of block % 2 === 0 ? sides : [...sides].reverse()) {
      for (const c of cases) {
        const before = processCpuMs(side.backend);
        for (let i = 0; i < runs; i++) await walk(side, c);
        side.cpu.set(c.q, (side.cpu.get(c.q) ?? 0) + processCpuMs(side.backend) - before);
      }
    }
  }
  await db.close();
  const n = runs * blocks * pagesDeep;
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`${n} pages per query and side, ${new Date().toISOString()}, load average ${load}`);
  console.log(`| query | ${sides[1]!.name} ms/page | this checkout ms/page | ratio |`);
  console.log('| --- | ---: | ---: | ---: |');
  let [totalOld, totalNew] = [0, 0];
  for (const c of cases) {
    const [now, old] = [sides[0]!.cpu.get(c.q)! / n, sides[1]!.cpu.get(c.q)! / n];
    totalOld += old;
    totalNew += now;
    console.log(`| ${c.q} | ${old.toFixed(3)} | ${now.toFixed(3)} | ${(now / old).toFixed(2)} |`);
  }
  console.log(`| mean of ${cases.length} | ${(totalOld / cases.length).toFixed(3)} | ${(totalNew / cases.length).toFixed(3)} | ${(totalNew / totalOld).toFixed(2)} |`);
}

if (args.seed) await seed(args.seed);
else if (args.database && args.against) await measure(args.database, args.against);
else throw new Error('needs --seed <name>, or --database <url> and --against <checkout>');
