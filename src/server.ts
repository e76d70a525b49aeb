// The composition root: opens the database, applies migrations, loads platforms, builds the HTTP app.
// Used by `souk start`, by the tests (in-memory PGlite or a fresh PostgreSQL database) and the benchmarks.
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { loadConfig, type Config } from './kernel/config.ts';
import { openDatabase } from './kernel/db/open.ts';
import { movedMessage, movedTo } from './kernel/db/moved.ts';
import { tracedDatabase } from './kernel/db/traced.ts';
import { traceMixin } from './kernel/log-trace.ts';
import { tracingOn } from './kernel/otel.ts';
import { openPglite } from './kernel/db/pglite.ts';
import { swappableDatabase } from './kernel/db/swappable.ts';
import { ensureGatewaySchema } from './gateway/schema.ts';
import { forPlatform, registerTenantTables, scopedTransaction, systemDatabase } from './kernel/db/scoped.ts';
import type { Database } from './kernel/db/types.ts';
import { collectMigrations, migrate, migrationStatus } from './kernel/migrations.ts';
import { openSecretBox } from './kernel/secret-key.ts';
import { resealColumn } from './kernel/sealed-columns.ts';
import type { SecretBox } from './kernel/secret-box.ts';
import { createMetricsRegistry } from './kernel/http/metrics.ts';
import { buildApp } from './kernel/http/app.ts';
import type { AnySoukModule, ModuleContext, SoukModule } from './kernel/context.ts';
import { ModuleLifecycle } from './kernel/lifecycle.ts';
import { allModules } from './modules/index.ts';
import { riskGateOf, riskModule } from './modules/risk/index.ts';
import { lazyRiskGate, riskGateOff } from './kernel/risk-gate.ts';
import { PlatformRegistry } from './modules/platforms/registry.ts';
import { authenticateAdmin, bootstrapOwner } from './modules/accounts/index.ts';
import { EventBus } from './modules/events/bus.ts';
import { createEventMetrics } from './modules/events/metrics.ts';
import { CONSUMER_IDLE_MAX_MS, embeddedTransport } from './modules/events/embedded.ts';
import { openJetStreamTransport } from './modules/events/jetstream.ts';

export interface Souk {
  app: FastifyInstance;
  config: Config;
  /** The raw database (no tenancy guard): for the kernel, seeding, tests and checks. */
  database: Database;
  ctx: ModuleContext;
  /** In dependency order (kernel/lifecycle.ts). */
  modules: readonly AnySoukModule[];
  events: EventBus;
  /** A module's per-process runtime in this Souk (tests and benchmarks that look inside a module). */
  runtimeOf<R>(module: SoukModule<R>): R;
  /** The sealing key ring behind ctx.secrets (the CLI and tests reach the kernel's sealed columns with it). */
  secretBox: SecretBox;
  /** Stops HTTP, then the modules in reverse dependency order, then the event bus and the database. */
  close(): Promise<void>;
}

export interface SoukOptions {
  config?: Partial<Config>;
  /** Use this database instead of opening one from the config (tests). */
  database?: Database;
  /** In-memory PGlite: nothing on disk (tests). */
  inMemory?: boolean;
  /** false silences logs (tests). */
  logger?: false;
}

export function loggerOptions(config: Config): pino.LoggerOptions {
  return {
    level: config.logLevel,
    // trace_id and span_id on lines written inside a trace (event handlers; requests bind their own).
    mixin: traceMixin,
    // Pretty lines for a person at a terminal; JSON lines for everything else (files, collectors).
    ...(process.stdout.isTTY ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
  };
}

export async function createSouk(options: SoukOptions = {}): Promise<Souk> {
  const config = loadConfig(options.config);
  // Before the database opens: a missing or malformed key stops the start with nothing touched.
  const { box } = openSecretBox(config, { inMemory: options.inMemory === true });
  const opened = options.database ?? (options.inMemory ? await openPglite(undefined) : await openDatabase(config));
  // A database `souk db move` copied elsewhere takes no more writes: say where it went instead of serving.
  const moved = await movedTo(opened);
  if (moved) {
    if (!options.database) await opened.close();
    throw new Error(movedMessage(moved));
  }
  // An embedded database can only be moved from inside this process (POST /admin/db/move), which then
  // points the handle at the new database once the move switches (kernel/db/swappable.ts).
  let embedded: ModuleContext['embeddedDatabase'];
  let handle = opened;
  if (opened.kind === 'pglite' && !options.database) {
    const swappable = swappableDatabase(opened);
    handle = swappable.database;
    const migrateTarget = async (target: Database) => {
      await migrate(target, migrations);
      await ensureGatewaySchema(target);
    };
    embedded = { control: swappable.control, dataDir: options.inMemory ? undefined : config.dataDir, migrateTarget };
  }
  // A span per statement and transaction while tracing is on; the database itself otherwise (no cost).
  const database = tracingOn() ? tracedDatabase(handle) : handle;
  const db = systemDatabase(database);
  const log = pino(options.logger === false ? { level: 'silent' } : loggerOptions(config));
  const metrics = createMetricsRegistry();
  const transaction: ModuleContext['transaction'] = (fn) => scopedTransaction(database, fn);
  const eventMetrics = createEventMetrics(metrics);
  // Built before migrations (it reads nothing until reload below): the bus filters forModule subscriptions with it.
  const platforms = new PlatformRegistry(db);
  const bus = new EventBus({ config, db, transaction, metrics: eventMetrics, log, platforms });

  const modules = allModules(() => bus);
  for (const mod of modules) registerTenantTables(mod.tenantTables);
  const migrations = collectMigrations(modules);
  await migrate(database, migrations);
  // Plaintext an older version left in a sealed column is sealed now (idempotent; several nodes may race).
  for (const column of modules.flatMap((mod) => mod.sealedColumns ?? [])) {
    if (column.sealPlaintextAtBoot) await resealColumn(database, box, column, 'plaintext');
  }

  await platforms.reload();

  const ctx: ModuleContext = {
    config,
    db,
    platformDb: (platformId) => forPlatform(database, platformId),
    transaction,
    platforms,
    events: bus,
    log,
    metrics,
    secrets: { seal: (text) => box.seal(text), open: (sealed) => box.open(sealed), mac: (purpose, data) => box.mac(purpose, data) },
    // Read only after createRuntimes below, when a module service is called.
    runtimeOf: (mod) => lifecycle.runtimeOf(mod),
    // The risk module's gate once its runtime exists (riskGateOff before, and in a build without it).
    embeddedDatabase: embedded,
    riskGate: lazyRiskGate(() => (lifecycle.modules.includes(riskModule as AnySoukModule) ? riskGateOf(ctx, lifecycle.runtimeOf(riskModule)) : riskGateOff)),
  };
  const lifecycle = new ModuleLifecycle(modules, ctx, { shutdownTimeoutMs: config.shutdownTimeoutMs, log });
  await lifecycle.createRuntimes();
  const app = await buildApp({
    ctx,
    modules: lifecycle.modules,
    runtimeOf: (mod) => lifecycle.runtimeOf(mod),
    logger: log,
    authenticateAdmin: (token) => authenticateAdmin(db, token),
    // The worker role answers probes and /metrics only (kernel/config.ts Role).
    serve: config.role === 'worker' ? 'probes' : 'all',
    async isReady() {
      const status = await migrationStatus(database, migrations);
      return status.pending.length === 0
        ? { ok: true, detail: `${status.applied.length} migrations applied` }
        : { ok: false, detail: `pending migrations: ${status.pending.join(', ')}` };
    },
  });
  if (config.adminEmail && config.adminPassword) {
    if (await bootstrapOwner(db, platforms, config.adminEmail, config.adminPassword)) {
      app.log.info({ email: config.adminEmail }, 'created the first owner from SOUK_ADMIN_EMAIL');
    }
  }
  platforms.startPolling(config.platformRefreshMs, (error) => app.log.warn({ err: error }, 'platform refresh failed'));
  await platforms.startListening((error) => app.log.warn({ err: error }, 'platform reload on notification failed'));
  await app.ready();
  await lifecycle.start();

  for (const mod of lifecycle.modules) mod.subscribe?.(ctx, lifecycle.runtimeOf(mod));
  const deliveryDeps = {
    db,
    transaction,
    metrics: eventMetrics,
    onError: (error: unknown, context: Record<string, unknown>) => log.warn({ err: error, ...context }, 'event delivery error'),
    onParked: (dueAt: Date) => bus.retryParked(dueAt),
  };
  const transport = config.eventsTransport === 'jetstream'
    ? await openJetStreamTransport(deliveryDeps, config, { stream: config.natsStream, subjectPrefix: config.natsSubjectPrefix, ackWaitMs: config.natsAckWaitMs })
    : embeddedTransport(deliveryDeps, {
        pollMs: config.eventsPollMs,
        // Relays wake the consumers of what they moved (on PostgreSQL through NOTIFY, from every node) and move
        // the others past it, so an idle consumer's poll is only a safety net.
        idleMaxMs: Math.max(config.eventsIdleMaxMs, CONSUMER_IDLE_MAX_MS),
        batchSize: config.eventsBatchSize,
        relay: bus.relayExtras(db.kind === 'postgres'),
      });
  await bus.start(transport, config.eventsWorker);

  return {
    app,
    config,
    database,
    ctx,
    modules: lifecycle.modules,
    events: bus,
    runtimeOf: (mod) => lifecycle.runtimeOf(mod),
    secretBox: box,
    async close() {
      await platforms.stop();
      await app.close();
      await lifecycle.stop();
      await bus.stop();
      if (!options.database) await database.close();
    },
  };
}
