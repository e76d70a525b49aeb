// Every setting Souk reads comes from the environment, parsed here once (the modules' own process-wide
// settings in module-settings.ts). The README lists them all; keep the two in step.
import path from 'node:path';
import { positiveIntEnv } from './env.ts';
import { movedMarker } from './db/moved.ts';
import { loadModuleSettings, type ModuleEnvSettings } from './module-settings.ts';

/**
 * What a process runs. `all` (the default): everything, as one node. `api`: HTTP only (no relay, timers,
 * consumers, flash-sale drain or sweeps). `worker`: the relay, timers, consumers, drains and sweeps, and
 * over HTTP only /healthz, /readyz and /metrics. Chosen by `souk start --role` (which sets SOUK_ROLE).
 */
export type Role = 'all' | 'api' | 'worker';
export const ROLES: readonly Role[] = ['all', 'api', 'worker'];

/** The kernel's settings, and the modules' process-wide ones (config.payments, .webhooks, .flashSales, .live). */
export interface Config extends ModuleEnvSettings {
  port: number;
  host: string;
  /** PostgreSQL connection string; when absent Souk runs on embedded PGlite under dataDir. */
  databaseUrl: string | undefined;
  dataDir: string;
  /**
   * Set when DATABASE_URL was not given and dataDir holds the note of a move its server made
   * (kernel/db/moved.ts): databaseUrl is then the new database, and the sealing key stays dataDir's.
   */
  databaseMovedFrom?: string;
  databasePoolSize: number;
  /** Prepare repeated statements on PostgreSQL connections (off behind a pooler that cannot keep them). */
  databasePrepare: boolean;
  logLevel: string;
  /** Seed the demo platforms and catalogue when the database has no platform yet. */
  seedDemo: boolean;
  adminEmail: string | undefined;
  adminPassword: string | undefined;
  /** Public base URL printed at start and used in links; defaults to http://localhost:PORT. */
  publicUrl: string;
  adminSessionTtlSeconds: number;
  customerSessionTtlSeconds: number;
  /**
   * How long a storefront read may be served from the in-process cache. Writes invalidate at once: on
   * this node directly, on other PostgreSQL nodes through NOTIFY; the TTL only bounds staleness when a
   * notification is lost (a node dying between commit and notify). Embedded (PGlite) has one process.
   */
  catalogCacheTtlMs: number;
  /**
   * Concurrent misses of one storefront read share one query (single flight). Off only to measure what
   * every read costs the database (with the TTL at 0 too).
   */
  catalogCoalesce: boolean;
  /** How often a node re-reads platform metadata changed by another node. */
  platformRefreshMs: number;
  /** Login and sign-up attempts per client IP per window (accounts/login-throttle.ts). */
  loginRateLimitPerIp: number;
  /** Login attempts per (account, client IP) pair per window; the account alone only slows down, never locks. */
  loginRateLimitPerAccount: number;
  loginRateLimitWindowSeconds: number;
  trustProxy: boolean;
  /** Event transport: the database log (embedded) or NATS JetStream. Defaults to jetstream when NATS_URL is set. */
  eventsTransport: 'embedded' | 'jetstream';
  natsUrl: string | undefined;
  /** JetStream stream replicas: 1 on a single server, 3 in production clusters. */
  natsReplicas: number;
  /** JetStream stream name and subject prefix: separate Souk installations (or test runs) sharing one NATS. */
  natsStream: string;
  natsSubjectPrefix: string;
  /** How long JetStream waits for a consumer's ack before redelivering (a crashed node's messages return after this). */
  natsAckWaitMs: number;
  /**
   * Events the relay may pack into one JetStream message (format 2; 1 writes each event as its own format-1
   * message). Nodes older than format 2 drop a packed message they cannot read, so the default stays 1 until
   * every node of the installation reads format 2; 100 is the most.
   */
  natsEventsPerMessage: number;
  role: Role;
  /**
   * Run the relay, timers, consumers, drains and sweeps in this process: true for the worker and all
   * roles, false for api. Under role all, SOUK_EVENTS_WORKER=0 still turns them off (the older way to
   * make an api-only node).
   */
  eventsWorker: boolean;
  eventsPollMs: number;
  /** Idle event loops back off from eventsPollMs up to this; local emits still wake them at once. */
  eventsIdleMaxMs: number;
  eventsBatchSize: number;
  eventsRetentionHours: number;
  eventsMaxAttempts: number;
  eventsRetryInitialMs: number;
  eventsRetryMaxMs: number;
  /** Redis for state several API nodes must share (flash-sale stock gate, rate limits); in-process when absent. */
  redisUrl: string | undefined;
  /** Prefix of every Redis key Souk writes: separate installations (or test runs) sharing one Redis. */
  redisKeyPrefix: string;
  /** A MaxMind .mmdb (GeoLite2/GeoIP2 Country or City) for the risk engine's ip_country signal. */
  riskGeoIpFile: string | undefined;
  /** Bearer token /metrics requires; when unset /metrics is not served (404). */
  metricsToken: string | undefined;
  /** Origins (scheme://host[:port]) allowed to call /admin from a browser; none by default. */
  adminCorsOrigins: string[];
  /**
   * How long close() waits for each module to stop before logging it and going on (kernel/lifecycle.ts);
   * `souk start` also exits by this deadline on a signal, whatever still hangs.
   */
  shutdownTimeoutMs: number;
  /** Key that seals secrets kept readable (kernel/secret-key.ts); required with DATABASE_URL or in production. */
  secretKey: string | undefined;
  /** The key before the last rotation: still opens what it sealed until `souk secrets rotate` re-seals it. */
  secretKeyPrevious: string | undefined;
  /** NODE_ENV=production: settings that have a development fallback (the secret key) become required. */
  production: boolean;
}

function int(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  }
  return value;
}

function bool(name: string, fallback: boolean): boolean {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  return !['0', 'false', 'no', 'off'].includes(raw.toLowerCase());
}

/** A comma-separated list of origins, each exactly scheme://host[:port] as a browser sends it. */
function origins(name: string): string[] {
  const raw = process.env[name];
  if (!raw) return [];
  return raw.split(',').map((item) => item.trim()).filter(Boolean).map((item) => {
    let origin: string | undefined;
    try {
      origin = new URL(item).origin;
    } catch {
      origin = undefined;
    }
    if (origin === undefined || origin === 'null' || origin !== item) {
      throw new Error(`${name} must list origins like https://admin.example.com (no path or trailing slash), got "${item}"`);
    }
    return origin;
  });
}

function eventsTransport(): Config['eventsTransport'] {
  const raw = process.env.SOUK_EVENTS_TRANSPORT;
  if (raw === 'embedded' || raw === 'jetstream') return raw;
  if (raw) throw new Error(`SOUK_EVENTS_TRANSPORT must be "embedded" or "jetstream", got "${raw}"`);
  return process.env.NATS_URL ? 'jetstream' : 'embedded';
}

function role(): Role {
  const raw = process.env.SOUK_ROLE;
  if (raw === undefined || raw === '') return 'all';
  if ((ROLES as readonly string[]).includes(raw)) return raw as Role;
  throw new Error(`SOUK_ROLE (souk start --role) must be one of ${ROLES.join(', ')}, got "${raw}"`);
}

/** The worker parts run under worker; never under api; under all unless SOUK_EVENTS_WORKER turns them off. */
function runsWorker(chosen: Role, allDefault: boolean): boolean {
  return chosen === 'all' ? allDefault : chosen === 'worker';
}

export function loadConfig(overrides: Partial<Config> = {}): Config {
  const port = int('PORT', 3000);
  const chosenRole = overrides.role ?? role();
  const config: Config = {
    port,
    host: process.env.HOST || '0.0.0.0',
    databaseUrl: process.env.DATABASE_URL || undefined,
    dataDir: path.resolve(process.env.SOUK_DATA_DIR || './data'),
    databasePoolSize: int('SOUK_DB_POOL_SIZE', 10),
    databasePrepare: bool('SOUK_DB_PREPARE', true),
    logLevel: process.env.LOG_LEVEL || 'info',
    seedDemo: bool('SOUK_SEED_DEMO', true),
    adminEmail: process.env.SOUK_ADMIN_EMAIL || undefined,
    adminPassword: process.env.SOUK_ADMIN_PASSWORD || undefined,
    publicUrl: process.env.SOUK_PUBLIC_URL || `http://localhost:${port}`,
    adminSessionTtlSeconds: int('SOUK_ADMIN_SESSION_TTL', 8 * 3600),
    customerSessionTtlSeconds: int('SOUK_CUSTOMER_SESSION_TTL', 30 * 24 * 3600),
    catalogCacheTtlMs: int('SOUK_CATALOG_CACHE_TTL_MS', process.env.DATABASE_URL ? 30_000 : 300_000),
    catalogCoalesce: bool('SOUK_CATALOG_COALESCE', true),
    platformRefreshMs: int('SOUK_PLATFORM_REFRESH_MS', 5000),
    loginRateLimitPerIp: int('SOUK_LOGIN_LIMIT_PER_IP', 30),
    loginRateLimitPerAccount: int('SOUK_LOGIN_LIMIT_PER_ACCOUNT', 10),
    loginRateLimitWindowSeconds: int('SOUK_LOGIN_LIMIT_WINDOW', 300),
    trustProxy: bool('SOUK_TRUST_PROXY', false),
    eventsTransport: eventsTransport(),
    natsUrl: process.env.NATS_URL || undefined,
    natsReplicas: int('SOUK_NATS_REPLICAS', 1),
    natsStream: process.env.SOUK_NATS_STREAM || 'SOUK_EVENTS',
    natsSubjectPrefix: process.env.SOUK_NATS_SUBJECT_PREFIX || 'souk.events',
    natsAckWaitMs: int('SOUK_NATS_ACK_WAIT_MS', 30_000),
    natsEventsPerMessage: Math.min(100, Math.max(1, int('SOUK_NATS_EVENTS_PER_MESSAGE', 1))),
    role: chosenRole,
    eventsWorker: runsWorker(chosenRole, bool('SOUK_EVENTS_WORKER', true)),
    eventsPollMs: int('SOUK_EVENTS_POLL_MS', 50),
    eventsIdleMaxMs: int('SOUK_EVENTS_IDLE_MAX_MS', 1000),
    eventsBatchSize: int('SOUK_EVENTS_BATCH', 500),
    eventsRetentionHours: int('SOUK_EVENTS_RETENTION_HOURS', 7 * 24),
    eventsMaxAttempts: int('SOUK_EVENTS_MAX_ATTEMPTS', 8),
    eventsRetryInitialMs: int('SOUK_EVENTS_RETRY_INITIAL_MS', 500),
    eventsRetryMaxMs: int('SOUK_EVENTS_RETRY_MAX_MS', 5 * 60_000),
    redisUrl: process.env.REDIS_URL || undefined,
    redisKeyPrefix: process.env.SOUK_REDIS_PREFIX || 'souk:',
    riskGeoIpFile: process.env.SOUK_RISK_GEOIP_FILE || undefined,
    metricsToken: process.env.SOUK_METRICS_TOKEN || undefined,
    adminCorsOrigins: origins('SOUK_ADMIN_CORS_ORIGINS'),
    shutdownTimeoutMs: positiveIntEnv(process.env, 'SOUK_SHUTDOWN_TIMEOUT_MS', 10_000),
    ...loadModuleSettings(process.env),
    secretKey: process.env.SOUK_SECRET_KEY || undefined,
    secretKeyPrevious: process.env.SOUK_SECRET_KEY_PREVIOUS || undefined,
    production: process.env.NODE_ENV === 'production',
    ...overrides,
  };
  if (!config.databaseUrl) {
    const moved = movedMarker(config.dataDir);
    if (moved) {
      config.databaseUrl = moved.url;
      config.databaseMovedFrom = config.dataDir;
    }
  }
  return config;
}
