// The demo a new user sees after `npm start`: two platforms with different currencies and languages on
// one server, a bilingual catalogue on each, an owner, a platform admin and the same customer email
// registered on both platforms as two unrelated accounts.
import type { Souk } from '../server.ts';
import { applyPlatform } from '../modules/platforms/service.ts';
import { createAdminUser, registerCustomer } from '../modules/accounts/index.ts';
import { demoCatalog } from '../modules/catalog/demo-data.ts';
import { catalogService } from '../modules/catalog/service.ts';
import { inventoryService } from '../modules/inventory/service.ts';
import { promotionsService, type CouponInput } from '../modules/promotions/service.ts';
import { EVENT_PLATFORM_CREATED } from '../modules/platforms/service.ts';
import { childTraceparent, runWithTrace } from '../kernel/trace.ts';

const COMMERCE = ['catalog', 'inventory', 'promotions', 'cart', 'orders', 'payments', 'flash-sales', 'webhooks', 'wishlists', 'live', 'media'];

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
      modules: [...COMMERCE],
      // New York sales tax on top of prices; the default shipping (standard, free over $50; express).
      settings: {
        cart: { taxRatePercent: 8.875, pricesIncludeTax: false },
        orders: { unpaidTimeoutSeconds: 1800 },
        storefront: { name: 'Souk Global', tagline: 'Everyday goods, shipped worldwide', colors: { primary: '#1f5f8b', accent: '#b3261e' }, locale: 'en', currency: 'USD' },
      },
    },
    {
      slug: 'souk-cn',
      name: 'Souk 中国',
      hosts: ['cn.localhost'],
      defaultCurrency: 'CNY',
      currencies: ['CNY'],
      defaultLocale: 'zh-CN',
      locales: ['zh-CN', 'en'],
      modules: [...COMMERCE],
      // China's 13 % VAT is included in shelf prices; two couriers priced in yuan.
      settings: {
        cart: {
          taxRatePercent: 13,
          pricesIncludeTax: true,
          shippingMethods: [
            { id: 'standard', name: '标准快递', prices: [{ currency: 'CNY', amount: 800, freeOver: 19900 }] },
            { id: 'sf-express', name: '顺丰速运', prices: [{ currency: 'CNY', amount: 2300 }] },
          ],
        },
        orders: { unpaidTimeoutSeconds: 900 },
        storefront: { name: 'Souk 中国', tagline: '好物直播，限时秒杀', colors: { primary: '#a61b29', accent: '#d4380d' }, locale: 'zh-CN', currency: 'CNY' },
      },
    },
  ],
  coupons: {
    'souk-global': [
      { code: 'WELCOME10', kind: 'percentage', percent: 10, perCustomerLimit: 1, usageLimit: 1000, description: '10 % off a first order' },
      { code: 'SAVE5', kind: 'fixed', amount: 500, currency: 'USD', minSubtotal: 5000, description: '$5 off orders of $50 or more' },
    ],
    'souk-cn': [{ code: 'XINREN20', kind: 'fixed', amount: 2000, currency: 'CNY', minSubtotal: 19900, perCustomerLimit: 1, description: '新人满199减20' }],
  } as Record<string, CouponInput[]>,
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

/** The platform.created event of a platform (in the outbox or already relayed to the log). */
async function creationEvent(souk: Souk, platformId: string): Promise<{ id: string; traceparent: string | null } | undefined> {
  const [row] = await souk.ctx.db.query<{ id: string; traceparent: string | null }>(
    `select id, traceparent from event_outbox where platform_id = $1 and type = $2
     union all select id, traceparent from event_log where platform_id = $1 and type = $2 limit 1`,
    [platformId, EVENT_PLATFORM_CREATED],
  );
  return row;
}

/**
 * Seeds through the same services as the API, so the event log shows what happened: platform.created,
 * then per platform catalog.product_created, inventory.stock_adjusted and promotions.coupon_created.
 * The whole seed is one trace (like one request), and each platform's catalogue, stock and coupons are
 * recorded as effects of its platform.created, so `GET /admin/events/:id` shows a real causal chain.
 */
export async function seedDemo(souk: Souk): Promise<void> {
  await runWithTrace({ traceparent: childTraceparent(), causedBy: null }, () => seedDemoInTrace(souk));
}

async function seedDemoInTrace(souk: Souk): Promise<void> {
  const { ctx, modules, config } = souk;
  const deps = { db: ctx.db, directory: ctx.platforms, events: ctx.events, modules };
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
    const cause = await creationEvent(souk, platform.id);
    const trace = { traceparent: cause?.traceparent ?? childTraceparent(), causedBy: cause?.id ?? null };
    await runWithTrace(trace, async () => {
      await catalogService(ctx).bulkUpsertProducts(ctx.platformDb(platform.id), platform, input);
      await registerCustomer(ctx.platformDb(platform.id), DEMO.customer, 60);
      await stockDemoVariants(souk, platform.id);
      for (const coupon of DEMO.coupons[platform.slug] ?? []) await promotionsService(ctx).createCoupon(ctx.platformDb(platform.id), platform, coupon);
    });
  }
  ctx.log.info('demo data seeded');
}
