// The demo a new user sees after `npm start`: two platforms with different currencies and languages on
// one server, a bilingual catalogue on each, an owner, a platform admin and the same customer email
// registered on both platforms as two unrelated accounts.
import type { Souk } from '../server.ts';
import { applyPlatform } from '../modules/platforms/service.ts';
import { createAdminUser, registerCustomer } from '../modules/accounts/index.ts';
import { demoCatalog } from '../modules/catalog/demo-data.ts';
import { bulkUpsertProducts } from '../modules/catalog/service.ts';
import { inventoryService } from '../modules/inventory/service.ts';

export const DEMO = {
  platforms: [
    {
      slug: 'souk-global',
      name: 'Souk Global',
      hosts: ['localhost', '127.0.0.1', 'global.localhost'],
      defaultCurrency: 'USD',
      currencies: ['USD', 'EUR'],
      defaultLocale: 'en',
      locales: ['en', 'zh-CN'],
      modules: ['catalog', 'inventory', 'webhooks'],
      settings: {},
    },
    {
      slug: 'souk-cn',
      name: 'Souk 中国',
      hosts: ['cn.localhost'],
      defaultCurrency: 'CNY',
      currencies: ['CNY'],
      defaultLocale: 'zh-CN',
      locales: ['zh-CN', 'en'],
      modules: ['catalog', 'inventory', 'webhooks'],
      settings: {},
    },
  ],
  admin: { email: 'admin@souk.local', password: 'souk-demo-admin' },
  platformAdmin: { email: 'cn-admin@souk.local', password: 'souk-demo-admin' },
  customer: { email: 'customer@souk.local', password: 'souk-demo-customer', name: 'Demo Customer' },
} as const;

/** Every demo variant gets a stock count between 0 and 120 (a few sold out), in one transaction. */
async function stockDemoVariants(souk: Souk, platformId: string): Promise<void> {
  const pdb = souk.ctx.platformDb(platformId);
  const variants = await pdb.query<{ id: string }>('select id from catalog_variants where platform_id = $1 order by id');
  const inventory = inventoryService(souk.ctx);
  await pdb.transaction(async (tx) => {
    for (const [index, variant] of variants.entries()) {
      const onHand = index % 17 === 5 ? 0 : 10 + ((index * 37) % 111);
      await inventory.setStock(tx, { variantId: variant.id, onHand, reason: 'demo seed', actor: { id: 'system', label: 'demo seed' } });
    }
  });
}

export async function seedDemo(souk: Souk): Promise<void> {
  const { ctx, modules, config } = souk;
  const deps = { db: ctx.db, directory: ctx.platforms, modules };
  const created = [];
  for (const metadata of DEMO.platforms) {
    const { platform } = await applyPlatform(deps, structuredClone(metadata));
    created.push(platform);
  }
  const [global, cn] = created as [(typeof created)[0], (typeof created)[0]];

  const [admins] = await ctx.db.query<{ n: number }>('select count(*)::int as n from admin_users');
  if ((admins?.n ?? 0) === 0) {
    await createAdminUser(ctx.db, ctx.platforms, { email: config.adminEmail ?? DEMO.admin.email, password: config.adminPassword ?? DEMO.admin.password, role: 'owner' });
  }
  await createAdminUser(ctx.db, ctx.platforms, { ...DEMO.platformAdmin, role: 'platform_admin', platformIds: [cn.id] });

  const catalogs = [
    { platform: global, input: demoCatalog({ currency: 'USD', locale: 'en' }) },
    { platform: cn, input: demoCatalog({ currency: 'CNY', locale: 'zh-CN', markup: 7 }) },
  ];
  for (const { platform, input } of catalogs) {
    await bulkUpsertProducts(ctx.platformDb(platform.id), platform, input);
    await registerCustomer(ctx.platformDb(platform.id), DEMO.customer, 60);
    await stockDemoVariants(souk, platform.id);
  }
  ctx.log.info('demo data seeded');
}
