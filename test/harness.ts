// Test harness: every API suite runs once per database engine — in-memory PGlite always, and a fresh
// PostgreSQL database when DATABASE_URL is set (required when SOUK_REQUIRE_SERVICES=1). Each suite gets
// its own database and drops it afterwards, so reruns and parallel suites never collide.
import { after, before, describe } from 'node:test';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { createSouk, type Souk } from '../src/server.ts';
import type { Config } from '../src/kernel/config.ts';
import type { Platform } from '../src/kernel/context.ts';
import { openPostgres } from '../src/kernel/db/postgres.ts';
import { createAdminUser } from '../src/modules/accounts/index.ts';
import { generateSecretKey } from '../src/kernel/secret-key.ts';

// PostgreSQL servers need SOUK_SECRET_KEY. One key for this test process, set in its environment, so
// every Souk it starts and every child it spawns (crash and multi-node suites) seal with the same key.
process.env.SOUK_SECRET_KEY ||= generateSecretKey();
// Live rooms refuse chat while the event loop lags (SOUK_LIVE_SHED_LAG_MS); a busy test machine lags now
// and then, which would refuse a suite's chat at random. Off in tests unless the environment sets it; the
// suite that tests shedding (src/modules/live/live-host.test.ts) turns it on for its own server.
process.env.SOUK_LIVE_SHED_LAG_MS ??= '0';

export type Engine = 'pglite' | 'postgres';

export interface TestEnv {
  engine: Engine;
  souk: Souk;
  app: FastifyInstance;
  /** Bearer token of an owner (sees every platform). */
  ownerToken: string;
}

export function engines(): Engine[] {
  const list: Engine[] = ['pglite'];
  if (process.env.DATABASE_URL) list.push('postgres');
  else if (process.env.SOUK_REQUIRE_SERVICES === '1') {
    throw new Error('SOUK_REQUIRE_SERVICES=1 but DATABASE_URL is not set: the PostgreSQL suites cannot run.');
  }
  return list;
}

/** The /metrics bearer token every test server is started with (suites that scrape metrics send it). */
export const TEST_METRICS_TOKEN = 'test-metrics-token';

/** Settings for tests: login limits high enough that suites never trip them by accident. */
export const testConfig: Partial<Config> = {
  loginRateLimitPerIp: 100_000,
  loginRateLimitPerAccount: 100_000,
  platformRefreshMs: 0,
  // CI sets NATS_URL and REDIS_URL for the whole run; suites that test JetStream or the Redis gate ask for
  // them explicitly.
  eventsTransport: 'embedded',
  redisUrl: undefined,
  metricsToken: TEST_METRICS_TOKEN,
  adminCorsOrigins: [],
};

export async function createTempPostgres(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = process.env.DATABASE_URL!;
  const name = `souk_t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

export interface StartedSouk {
  souk: Souk;
  close(): Promise<void>;
}

export async function startTestSouk(engine: Engine, config: Partial<Config> = {}): Promise<StartedSouk> {
  const merged = { ...testConfig, seedDemo: false, ...config };
  if (engine === 'pglite') {
    const souk = await createSouk({ inMemory: true, logger: false, config: { ...merged, databaseUrl: undefined } });
    return { souk, close: () => souk.close() };
  }
  const temp = await createTempPostgres();
  const database = await openPostgres(temp.url, 10);
  const souk = await createSouk({ database, logger: false, config: { ...merged, databaseUrl: temp.url } });
  return {
    souk,
    async close() {
      await souk.close();
      await database.close();
      await temp.drop();
    },
  };
}

let ownerCounter = 0;
export async function loginAsNewOwner(souk: Souk): Promise<string> {
  ownerCounter += 1;
  const email = `owner${ownerCounter}-${randomBytes(3).toString('hex')}@test.souk`;
  await createAdminUser(souk.ctx.db, souk.ctx.platforms, { email, password: 'owner-password', role: 'owner' });
  return login(souk.app, email, 'owner-password');
}

export async function login(app: FastifyInstance, email: string, password: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/admin/auth/login', payload: { email, password } });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  return res.json<{ token: string }>().token;
}

/** Declares `title` once per engine; env is filled in before the suite's tests run. */
export function eachDatabase(title: string, body: (env: TestEnv) => void, config: Partial<Config> = {}): void {
  for (const engine of engines()) {
    describe(`${title} [${engine}]`, () => {
      const env = { engine } as TestEnv;
      let started: StartedSouk | undefined;
      before(async () => {
        started = await startTestSouk(engine, config);
        env.souk = started.souk;
        env.app = started.souk.app;
        env.ownerToken = await loginAsNewOwner(started.souk);
      });
      after(async () => {
        await started?.close();
      });
      body(env);
    });
  }
}

export interface TestPlatform {
  platform: Platform;
  publishableKey: string;
  /** Bearer token of a platform_admin of this platform only. */
  adminToken: string;
  /** Bearer token of a support user of this platform only. */
  supportToken: string;
  /** Headers that make a /store request act on this platform. */
  store: Record<string, string>;
}

export async function createTestPlatform(
  env: TestEnv,
  input: { slug: string; currency?: string; currencies?: string[]; hosts?: string[]; modules?: string[]; locale?: string; locales?: string[] },
): Promise<TestPlatform> {
  const res = await env.app.inject({
    method: 'POST',
    url: '/admin/platforms',
    headers: { authorization: `Bearer ${env.ownerToken}` },
    payload: {
      slug: input.slug,
      name: `Platform ${input.slug}`,
      hosts: input.hosts ?? [`${input.slug}.test`],
      defaultCurrency: input.currency ?? 'USD',
      ...(input.currencies ? { currencies: input.currencies } : {}),
      defaultLocale: input.locale ?? 'en',
      locales: input.locales ?? [input.locale ?? 'en', ...(input.locale === 'zh-CN' ? [] : ['zh-CN'])],
      modules: input.modules ?? ['catalog'],
    },
  });
  if (res.statusCode !== 201) throw new Error(`creating platform failed: ${res.statusCode} ${res.body}`);
  const { platform, publishableKey } = res.json<{ platform: Platform; publishableKey: string }>();
  const tokens: string[] = [];
  for (const role of ['platform_admin', 'support'] as const) {
    const email = `${role}@${input.slug}.test`;
    await createAdminUser(env.souk.ctx.db, env.souk.ctx.platforms, { email, password: 'platform-password', role, platformIds: [platform.id] });
    tokens.push(await login(env.app, email, 'platform-password'));
  }
  return { platform, publishableKey, adminToken: tokens[0]!, supportToken: tokens[1]!, store: { 'x-publishable-key': publishableKey } };
}

/** app.inject with a bearer token. */
export function asBearer(app: FastifyInstance, token: string, options: InjectOptions): Promise<LightMyRequestResponse> {
  return app.inject({ ...options, headers: { ...(options.headers ?? {}), authorization: `Bearer ${token}` } });
}
