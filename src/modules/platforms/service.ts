// Platform lifecycle: create, update, apply a metadata file (idempotent upsert by slug), disable and
// enable, publishable keys. Every write bumps platforms.updated_at so other nodes' directories notice.
import { Value } from 'typebox/value';
import { isUuid, newId, newSecret, sha256 } from '../../kernel/ids.ts';
import { stableStringify } from '../../kernel/json.ts';
import type { Database, Queryable } from '../../kernel/db/types.ts';
import type { EventsApi, Platform, PlatformDirectory, AnySoukModule } from '../../kernel/context.ts';
import { PlatformInput, type PlatformPatch } from './schemas.ts';
import { SELECT_PLATFORMS, platformFromRow } from './registry.ts';
import { EVENT_PLATFORM_CREATED } from './events.ts';
import { assertStorefrontSettings } from './storefront-settings.ts';
import { hostTaken, invalidPlatform, invalidSettings, notOptionalModule, publishableKeyNotFound, settingsForNoModule, slugLooksLikeId, slugTaken } from './problems.ts';

export { EVENT_PLATFORM_CREATED } from './events.ts';

export interface PlatformServiceDeps {
  db: Database;
  directory: PlatformDirectory;
  /** The bus platform.created is emitted through (ctx.events). */
  events: Pick<EventsApi, 'emit'>;
  /** All modules known to this build, for checking `modules` and `settings`. */
  modules: readonly AnySoukModule[];
}

type Normalised = Required<Omit<PlatformInput, 'status'>> & { status: 'active' | 'disabled' };

/** Fills defaults and checks what the JSON schema cannot: module names, settings per module, currencies. */
export function normalisePlatform(input: PlatformInput, modules: readonly AnySoukModule[]): Normalised {
  const currencies = input.currencies ?? [input.defaultCurrency];
  if (!currencies.includes(input.defaultCurrency)) {
    throw invalidPlatform(`defaultCurrency ${input.defaultCurrency} must be one of currencies (${currencies.join(', ')}).`);
  }
  const locales = input.locales ?? [input.defaultLocale];
  if (!locales.includes(input.defaultLocale)) {
    throw invalidPlatform(`defaultLocale ${input.defaultLocale} must be one of locales (${locales.join(', ')}).`);
  }
  const optional = new Map(modules.filter((m) => !m.core).map((m) => [m.name, m]));
  const known = new Map(modules.map((m) => [m.name, m]));
  for (const name of input.modules ?? []) {
    if (!optional.has(name)) {
      throw notOptionalModule(name, [...optional.keys()]);
    }
  }
  const settings = input.settings ?? {};
  for (const [name, value] of Object.entries(settings)) {
    // Not a module's: the storefront's CORS origins and theme (storefront-settings.ts).
    if (name === 'storefront') {
      assertStorefrontSettings(value, { locales, currencies });
      continue;
    }
    const mod = known.get(name);
    if (!mod) throw settingsForNoModule(name);
    if (mod.settingsSchema && !Value.Check(mod.settingsSchema, value)) {
      const first = [...Value.Errors(mod.settingsSchema, value)][0];
      throw invalidSettings(`settings.${name}${first?.instancePath.replace(/\//g, '.') ?? ''} ${first?.message ?? 'is invalid'}.`);
    }
  }
  return {
    slug: input.slug,
    name: input.name,
    hosts: [...new Set((input.hosts ?? []).map((h) => h.toLowerCase()))].sort(),
    defaultCurrency: input.defaultCurrency,
    currencies: [input.defaultCurrency, ...currencies.filter((c) => c !== input.defaultCurrency)],
    defaultLocale: input.defaultLocale,
    locales: [input.defaultLocale, ...locales.filter((l) => l !== input.defaultLocale)],
    modules: [...(input.modules ?? [])].sort(),
    settings,
    status: input.status ?? 'active',
  };
}

async function assertHostsFree(tx: Queryable, hosts: string[], platformId: string): Promise<void> {
  if (hosts.length === 0) return;
  const taken = await tx.query<{ host: string }>(
    'select host from platform_hosts where host = any($1::text[]) and platform_id <> $2',
    [hosts, platformId],
  );
  if (taken.length > 0) {
    throw hostTaken(taken.map((t) => t.host));
  }
}

async function writeHosts(tx: Queryable, platformId: string, hosts: string[]): Promise<void> {
  await assertHostsFree(tx, hosts, platformId);
  await tx.execute('delete from platform_hosts where platform_id = $1', [platformId]);
  for (const host of hosts) {
    await tx.execute('insert into platform_hosts (host, platform_id) values ($1, $2)', [host, platformId]);
  }
}

async function readPlatform(q: Queryable, where: string, value: string): Promise<Platform | undefined> {
  const rows = await q.query<Parameters<typeof platformFromRow>[0]>(`${SELECT_PLATFORMS} where ${where} = $1`, [value]);
  return rows[0] ? platformFromRow(rows[0]) : undefined;
}

/**
 * Admin routes take a platform's slug or its id in one path segment. A slug shaped like an id could be
 * another platform's id and answer in its place, so such slugs are refused wherever a slug is chosen
 * (create and apply; a PATCH cannot change the slug).
 */
export function assertSlugIsNotId(slug: string): void {
  if (isUuid(slug)) {
    throw slugLooksLikeId(slug);
  }
}

export interface CreatedPlatform {
  platform: Platform;
  /** Shown once: the storefront's first publishable key. */
  publishableKey: string;
}

async function insertPlatform(deps: PlatformServiceDeps, tx: Queryable, p: Normalised): Promise<{ id: string; publishableKey: string }> {
  const id = newId();
  await tx.execute(
    `insert into platforms (id, slug, name, default_currency, currencies, default_locale, locales, modules, settings, status)
     values ($1, $2, $3, $4, $5::text[], $6, $7::text[], $8::text[], $9::jsonb, $10)`,
    [id, p.slug, p.name, p.defaultCurrency, p.currencies, p.defaultLocale, p.locales, p.modules, JSON.stringify(p.settings), p.status],
  );
  await writeHosts(tx, id, p.hosts);
  const publishableKey = await insertPublishableKey(tx, id, 'default');
  // Both ways in (POST and PUT /admin/platforms, the demo seed) pass here, so each creation is logged once.
  await deps.events.emit(tx, EVENT_PLATFORM_CREATED, { platformId: id, slug: p.slug, name: p.name, modules: p.modules }, { platformId: id, key: id });
  return { id, publishableKey };
}

async function insertPublishableKey(tx: Queryable, platformId: string, label: string): Promise<string> {
  const key = newSecret('pk');
  await tx.execute(
    'insert into platform_publishable_keys (id, platform_id, token_hash, prefix, label) values ($1, $2, $3, $4, $5)',
    [newId(), platformId, sha256(key), key.slice(0, 10), label],
  );
  return key;
}

export async function createPlatform(deps: PlatformServiceDeps, input: PlatformInput): Promise<CreatedPlatform> {
  assertSlugIsNotId(input.slug);
  const p = normalisePlatform(input, deps.modules);
  const { id, publishableKey } = await deps.db.transaction(async (tx) => {
    const existing = await tx.query('select 1 from platforms where slug = $1', [p.slug]);
    if (existing.length > 0) throw slugTaken(p.slug);
    return insertPlatform(deps, tx, p);
  });
  await deps.directory.changed();
  return { platform: deps.directory.byId(id)!, publishableKey };
}

function sameMetadata(current: Platform, next: Normalised): boolean {
  return (
    current.name === next.name &&
    current.defaultCurrency === next.defaultCurrency &&
    current.defaultLocale === next.defaultLocale &&
    current.status === next.status &&
    JSON.stringify(current.hosts) === JSON.stringify(next.hosts) &&
    JSON.stringify(current.currencies) === JSON.stringify(next.currencies) &&
    JSON.stringify(current.locales) === JSON.stringify(next.locales) &&
    JSON.stringify([...current.modules].sort()) === JSON.stringify(next.modules) &&
    stableStringify(current.settings) === stableStringify(next.settings)
  );
}

async function writeMetadata(tx: Queryable, id: string, p: Normalised): Promise<void> {
  await tx.execute(
    `update platforms set name = $2, default_currency = $3, currencies = $4::text[], default_locale = $5, locales = $6::text[],
       modules = $7::text[], settings = $8::jsonb, status = $9, updated_at = now()
     where id = $1`,
    [id, p.name, p.defaultCurrency, p.currencies, p.defaultLocale, p.locales, p.modules, JSON.stringify(p.settings), p.status],
  );
  await writeHosts(tx, id, p.hosts);
}

export interface ApplyResult {
  action: 'created' | 'updated' | 'unchanged';
  platform: Platform;
  publishableKey?: string;
}

/** Creates or updates the platform named by input.slug so it matches input; applying twice changes nothing. */
export async function applyPlatform(deps: PlatformServiceDeps, raw: unknown): Promise<ApplyResult> {
  const input = parsePlatformInput(raw);
  assertSlugIsNotId(input.slug);
  const p = normalisePlatform(input, deps.modules);
  const result = await deps.db.transaction(async (tx): Promise<Omit<ApplyResult, 'platform'> & { id: string }> => {
    await tx.query('select pg_advisory_xact_lock(hashtext($1))', [`platform:${p.slug}`]);
    const current = await readPlatform(tx, 'p.slug', p.slug);
    if (!current) {
      const created = await insertPlatform(deps, tx, p);
      return { action: 'created', id: created.id, publishableKey: created.publishableKey };
    }
    if (sameMetadata(current, p)) return { action: 'unchanged', id: current.id };
    await writeMetadata(tx, current.id, p);
    return { action: 'updated', id: current.id };
  });
  if (result.action !== 'unchanged') await deps.directory.changed();
  const platform = deps.directory.byId(result.id) ?? (await readPlatform(deps.db, 'p.id', result.id))!;
  return { ...result, platform };
}

export function parsePlatformInput(raw: unknown): PlatformInput {
  const withDefaults = Value.Default(PlatformInput, structuredClone(raw));
  if (!Value.Check(PlatformInput, withDefaults)) {
    const first = [...Value.Errors(PlatformInput, withDefaults)][0];
    const where = first?.instancePath ? first.instancePath.slice(1).replace(/\//g, '.') : 'platform';
    throw invalidPlatform(`${where} ${first?.message ?? 'is invalid'}.`);
  }
  return withDefaults as PlatformInput;
}

export async function updatePlatform(deps: PlatformServiceDeps, platform: Platform, patch: PlatformPatch): Promise<Platform> {
  const next = normalisePlatform(
    {
      slug: platform.slug,
      name: patch.name ?? platform.name,
      hosts: patch.hosts ?? platform.hosts,
      defaultCurrency: patch.defaultCurrency ?? platform.defaultCurrency,
      currencies: patch.currencies ?? (patch.defaultCurrency ? undefined : platform.currencies),
      defaultLocale: patch.defaultLocale ?? platform.defaultLocale,
      locales: patch.locales ?? (patch.defaultLocale ? undefined : platform.locales),
      modules: patch.modules ?? platform.modules,
      settings: patch.settings ?? platform.settings,
      status: platform.status,
    },
    deps.modules,
  );
  await deps.db.transaction((tx) => writeMetadata(tx, platform.id, next));
  await deps.directory.changed();
  return deps.directory.byId(platform.id)!;
}

export async function setPlatformStatus(deps: PlatformServiceDeps, platform: Platform, status: 'active' | 'disabled'): Promise<Platform> {
  await deps.db.execute('update platforms set status = $2, updated_at = now() where id = $1', [platform.id, status]);
  await deps.directory.changed();
  return deps.directory.byId(platform.id)!;
}

export interface PublishableKeyRow {
  id: string;
  prefix: string;
  label: string;
  created_at: Date;
  revoked_at: Date | null;
}

export async function listPublishableKeys(db: Database, platformId: string): Promise<PublishableKeyRow[]> {
  return db.query<PublishableKeyRow>(
    'select id, prefix, label, created_at, revoked_at from platform_publishable_keys where platform_id = $1 order by created_at',
    [platformId],
  );
}

export async function createPublishableKey(deps: PlatformServiceDeps, platformId: string, label: string): Promise<string> {
  const key = await deps.db.transaction(async (tx) => {
    const created = await insertPublishableKey(tx, platformId, label);
    await tx.execute('update platforms set updated_at = now() where id = $1', [platformId]);
    return created;
  });
  await deps.directory.changed();
  return key;
}

export async function revokePublishableKey(deps: PlatformServiceDeps, platformId: string, keyId: string): Promise<void> {
  const revoked = await deps.db.transaction(async (tx) => {
    const { rowCount } = await tx.execute(
      'update platform_publishable_keys set revoked_at = coalesce(revoked_at, now()) where id = $1 and platform_id = $2',
      [keyId, platformId],
    );
    if (rowCount > 0) await tx.execute('update platforms set updated_at = now() where id = $1', [platformId]);
    return rowCount > 0;
  });
  if (!revoked) throw publishableKeyNotFound(keyId);
  await deps.directory.changed();
}
