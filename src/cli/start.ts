// `souk start`: migrate, seed the demo on an empty database, listen, print where everything is; stop
// cleanly on SIGTERM or SIGINT within SOUK_SHUTDOWN_TIMEOUT_MS.
import { DEMO, seedDemo } from '../seed/demo.ts';
import { loadConfig } from '../kernel/config.ts';
import { describeDatabase, embeddedDatabaseExists } from './database-target.ts';

export const START_USAGE = `Usage: souk start [--allow-private-webhooks]
  Migrates, seeds the demo on an empty database and serves (settings: environment variables, see .env.example).
  --allow-private-webhooks   let webhook endpoints point at loopback and private networks (sets
                             SOUK_WEBHOOK_ALLOW_PRIVATE=1 unless it is set); for demos and local receivers only`;

export async function startCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args[0] === 'help') {
    console.log(START_USAGE);
    return 0;
  }
  // An explicit SOUK_WEBHOOK_ALLOW_PRIVATE (say 0 in production) wins over the flag.
  if (args.includes('--allow-private-webhooks') && !process.env.SOUK_WEBHOOK_ALLOW_PRIVATE) process.env.SOUK_WEBHOOK_ALLOW_PRIVATE = '1';
  const initial = loadConfig();
  const { shutdownTimeoutMs } = initial;
  const fresh = !initial.databaseUrl && !embeddedDatabaseExists(initial.dataDir);
  console.error(`souk: database ${describeDatabase(initial)}${fresh ? ' (new, created now)' : ''}`);

  // Spans over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT names a collector (kernel/otel.ts); before the app is
  // built, which adds the request-span hook only then.
  const tracing = await (await import('../kernel/otel.ts')).startOtlpTracing(process.env);
  const { createSouk } = await import('../server.ts');
  const souk = await createSouk();
  const { config, app } = souk;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      app.log.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    stopping = true;
    app.log.info({ signal, timeoutMs: shutdownTimeoutMs }, 'shutting down');
    // Whatever hangs (a stuck request, a broker that does not answer), the process ends by the deadline.
    const deadline = setTimeout(() => {
      app.log.error({ timeoutMs: shutdownTimeoutMs }, 'shutdown took longer than SOUK_SHUTDOWN_TIMEOUT_MS; exiting');
      process.exit(1);
    }, shutdownTimeoutMs);
    deadline.unref();
    souk.close().then(() => tracing?.shutdown()).then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  watchNpmParent(stop);

  let seeded = false;
  if (config.seedDemo && souk.ctx.platforms.all().length === 0) {
    await seedDemo(souk);
    seeded = true;
  }
  await app.listen({ port: config.port, host: config.host });
  console.log(banner(souk, seeded));
  return 0;
}

/**
 * Under `npm start` the server is npm's child (the script uses exec, and npm passes SIGTERM and SIGINT
 * on). If npm itself is killed hard (SIGKILL), no signal reaches us: stop when npm is gone.
 */
function watchNpmParent(stop: (reason: string) => void): void {
  if (!process.env.npm_lifecycle_event) return;
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop('npm exited');
  }, 1000).unref();
}

function banner(souk: Awaited<ReturnType<typeof import('../server.ts').createSouk>>, seeded: boolean): string {
  const { config } = souk;
  const base = config.publicUrl;
  const port = new URL(base).port;
  const demo = souk.ctx.platforms.bySlug(DEMO.platforms[1].slug);
  const lines = [
    '',
    `Souk is running on ${config.databaseUrl ? 'PostgreSQL' : `embedded PGlite (${config.dataDir})`}${seeded ? ', demo data seeded' : ''}.`,
    `  Admin console     ${base}/console/`,
    `  API reference     ${base}/docs   (OpenAPI: ${base}/openapi.json)`,
    `  Health            ${base}/healthz   ${base}/readyz`,
  ];
  // /metrics answers only with SOUK_METRICS_TOKEN set (a bearer token); otherwise it is a 404.
  if (process.env.SOUK_METRICS_TOKEN) lines.push(`  Metrics           ${base}/metrics   (Authorization: Bearer $SOUK_METRICS_TOKEN)`);
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
  if (/^(1|true|yes|on)$/i.test(process.env.SOUK_WEBHOOK_ALLOW_PRIVATE ?? '')) {
    lines.push('  Warning           webhooks may target loopback and private networks (SOUK_WEBHOOK_ALLOW_PRIVATE=1); never in production');
  }
  lines.push('Stop with Ctrl+C.', '');
  return lines.join('\n');
}
