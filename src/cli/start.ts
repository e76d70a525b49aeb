// `souk start`: migrate, seed the demo on an empty database, listen, print where everything is.
import { createSouk } from '../server.ts';
import { DEMO, seedDemo } from '../seed/demo.ts';

export async function startCommand(_args: string[]): Promise<number> {
  const souk = await createSouk();
  const { config, app } = souk;
  let seeded = false;
  if (config.seedDemo && souk.ctx.platforms.all().length === 0) {
    await seedDemo(souk);
    seeded = true;
  }
  await app.listen({ port: config.port, host: config.host });

  const base = config.publicUrl;
  const port = new URL(base).port;
  const demo = souk.ctx.platforms.bySlug(DEMO.platforms[1].slug);
  const lines = [
    '',
    `Souk is running on ${config.databaseUrl ? 'PostgreSQL' : `embedded PGlite (${config.dataDir})`}${seeded ? ', demo data seeded' : ''}.`,
    `  API reference     ${base}/docs   (OpenAPI: ${base}/openapi.json)`,
    `  Health            ${base}/healthz   ${base}/readyz   metrics: ${base}/metrics`,
  ];
  if (demo) {
    lines.push(
      `  Storefront (USD)  ${base}/store/products   (platform "${DEMO.platforms[0].slug}", host localhost)`,
      `  Storefront (CNY)  http://${DEMO.platforms[1].hosts[0]}${port ? `:${port}` : ''}/store/products   (platform "${DEMO.platforms[1].slug}")`,
      `  Search example    ${base}/store/products?q=dress`,
      `  Admin login       POST ${base}/admin/auth/login  {"email":"${config.adminEmail ?? DEMO.admin.email}","password":"${config.adminPassword ?? DEMO.admin.password}"}`,
      `  Buy something     cart → checkout → sandbox pay page: see README "Buy something"; coupons WELCOME10, SAVE5 (USD), XINREN20 (CNY)`,
      `  Demo customer     POST ${base}/store/auth/login  {"email":"${DEMO.customer.email}","password":"${DEMO.customer.password}"} (on either platform)`,
    );
  }
  lines.push('Stop with Ctrl+C.', '');
  console.log(lines.join('\n'));

  const stop = (signal: string) => {
    app.log.info({ signal }, 'shutting down');
    souk.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  return 0;
}
