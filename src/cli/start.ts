// `souk start`: migrate, seed the demo on an empty database, listen, print where everything is; stop
// cleanly on SIGTERM or SIGINT within SOUK_SHUTDOWN_TIMEOUT_MS.
import { DEMO, seedDemo } from '../seed/demo.ts';
import { loadConfig, ROLES } from '../kernel/config.ts';
import { describeDatabase, embeddedDatabaseExists } from './database-target.ts';

export const START_USAGE = `Usage: souk start [--role all|api|worker|gateway] [--allow-private-webhooks]
  Migrates, seeds the demo on an empty database and serves (settings: environment variables, see .env.example).
  --role all                 everything in this process (default; the embedded set-up)
  --role api                 HTTP only: no event relay, timers, consumers, flash-sale drain or sweeps
  --role worker              relay, timers, consumers, webhook deliveries, drains and sweeps; serves only
                             /healthz, /readyz and /metrics. Sets SOUK_ROLE (which works alike); without
                             either, SOUK_EVENTS_WORKER=0 still makes an api-only node
  --role gateway             the canary gateway in front of API nodes, not a Souk node: the same as
                             \`souk gateway\` (SOUK_GATEWAY_* settings; README, "Canary releases")
  --allow-private-webhooks   let webhook endpoints point at loopback and private networks (sets
                             SOUK_WEBHOOK_ALLOW_PRIVATE=1 unless it is set); for demos and local receivers only`;

/** The --role value (`--role api` or `--role=api`), undefined when absent; throws on a missing or unknown one. */
/** `souk start --role gateway` runs the canary gateway instead of a Souk node. */
export const GATEWAY_ROLE = 'gateway';

export function roleArgument(args: string[]): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === '--role') value = args[(i += 1)] ?? '';
    else if (arg.startsWith('--role=')) value = arg.slice('--role='.length);
  }
  if (value !== undefined && value !== GATEWAY_ROLE && !(ROLES as readonly string[]).includes(value)) {
    throw new Error(`--role must be one of ${[...ROLES, GATEWAY_ROLE].join(', ')}${value ? `, got "${value}"` : ''} (live is not a separate role yet)`);
  }
  return value;
}

export async function startCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args[0] === 'help') {
    console.log(START_USAGE);
    return 0;
  }
  let role: string | undefined;
  try {
    role = roleArgument(args);
  } catch (error) {
    console.error(`souk start: ${(error as Error).message}\n\n${START_USAGE}`);
    return 2;
  }
  // The gateway is no Souk node (no modules, no commerce database): it sits in front of the API nodes and
  // has its own start and SOUK_GATEWAY_* settings (src/gateway, cli/gateway.ts).
  if ((role ?? process.env.SOUK_ROLE) === GATEWAY_ROLE) return (await import('./gateway.ts')).gatewayCommand([]);
  if (role !== undefined) process.env.SOUK_ROLE = role;
  // An explicit SOUK_WEBHOOK_ALLOW_PRIVATE (say 0 in production) wins over the flag.
  if (args.includes('--allow-private-webhooks') && !process.env.SOUK_WEBHOOK_ALLOW_PRIVATE) process.env.SOUK_WEBHOOK_ALLOW_PRIVATE = '1';
  const initial = loadConfig();
  const { shutdownTimeoutMs } = initial;
  const fresh = !initial.databaseUrl && !embeddedDatabaseExists(initial.dataDir);
  console.error(`souk: role ${initial.role}${initial.role === 'all' && !initial.eventsWorker ? ' (SOUK_EVENTS_WORKER=0: HTTP only)' : ''}, database ${describeDatabase(initial)}${fresh ? ' (new, created now)' : ''}`);

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
  const where = config.databaseUrl ? 'PostgreSQL' : `embedded PGlite (${config.dataDir})`;
  const health = `  Health            ${base}/healthz   ${base}/readyz`;
  // /metrics answers only with SOUK_METRICS_TOKEN set (a bearer token); otherwise it is a 404.
  const metrics = process.env.SOUK_METRICS_TOKEN ? [`  Metrics           ${base}/metrics   (Authorization: Bearer $SOUK_METRICS_TOKEN)`] : [];
  if (config.role === 'worker') {
    return ['', `Souk worker is running on ${where}: event relay, consumers, timers, webhook deliveries, drains and sweeps.`, health, ...metrics, 'Stop with Ctrl+C.', ''].join('\n');
  }
  const lines = [
    '',
    `Souk${config.role === 'api' ? ' api node' : ''} is running on ${where}${seeded ? ', demo data seeded' : ''}.`,
    `  Admin console     ${base}/console/`,
    `  API reference     ${base}/docs   (OpenAPI: ${base}/openapi.json)`,
    health,
    ...metrics,
  ];
  if (demo) {
    lines.push(
      `  Shop (USD)        ${base}/   (the web storefront of "${DEMO.platforms[0].slug}")`,
      `  Shop (CNY)        http://${DEMO.platforms[1].hosts[0]}${port ? `:${port}` : ''}/   (the web storefront of "${DEMO.platforms[1].slug}", in Chinese)`,
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
