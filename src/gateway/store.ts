// Routing policy versions and their activations, in the Souk database (PostgreSQL) or, for a gateway on its
// own, an embedded PGlite one. A version is immutable once stored; an activation row makes one current, so
// a roll back is just another activation and the log says who did what and when. Every gateway node polls
// the newest activation id (one indexed row) and recompiles when it moves, which converges within pollMs.
// These are the gateway's own operational tables, not a commerce module's: they hold no platform data.
import type { Database, Queryable } from '../kernel/db/types.ts';
import type { PolicyDocument } from './policy.ts';

const SCHEMA = `
create table if not exists souk_gateway_policies (
  version integer primary key,
  document jsonb not null,
  note text,
  created_by text not null,
  created_at timestamptz not null default now()
);
create table if not exists souk_gateway_activations (
  id bigserial primary key,
  version integer not null references souk_gateway_policies (version),
  action text not null check (action in ('activate', 'rollback')),
  activated_by text not null,
  activated_at timestamptz not null default now()
);`;

export interface PolicyVersion {
  version: number;
  document: PolicyDocument;
  note: string | null;
  createdBy: string;
  createdAt: string;
}

export interface Activation {
  id: number;
  version: number;
  action: 'activate' | 'rollback';
  activatedBy: string;
  activatedAt: string;
}

const iso = (value: unknown) => (value instanceof Date ? value.toISOString() : String(value));
const parseDoc = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value) as PolicyDocument;

/** Creates the policy tables and `more` (the samples' and rollouts' tables, which live beside their code). */
export async function ensureSchema(db: Database, more: readonly string[] = []): Promise<void> {
  await db.transaction(async (tx) => {
    // Two gateways starting at once must not race on CREATE TABLE IF NOT EXISTS (it is not atomic in PostgreSQL).
    await tx.query('select pg_advisory_xact_lock($1)', [7_305_419]);
    await tx.script(SCHEMA);
    for (const script of more) await tx.script(script);
  });
}

export async function storeVersion(db: Database, document: PolicyDocument, by: string, note: string | undefined): Promise<PolicyVersion> {
  return db.transaction((tx) => storeVersionIn(tx, document, by, note));
}

/** storeVersion inside a transaction the caller holds (a rollout step stores and activates in one). */
export async function storeVersionIn(tx: Queryable, document: PolicyDocument, by: string, note: string | undefined): Promise<PolicyVersion> {
  await tx.query('select pg_advisory_xact_lock($1)', [7_305_420]);
  const [row] = await tx.query<{ version: number; created_at: Date }>(
    `insert into souk_gateway_policies (version, document, note, created_by)
     select coalesce(max(version), 0) + 1, $1::jsonb, $2, $3 from souk_gateway_policies
     returning version, created_at`,
    [JSON.stringify(document), note ?? null, by],
  );
  return { version: row!.version, document, note: note ?? null, createdBy: by, createdAt: iso(row!.created_at) };
}

export async function getVersion(db: Queryable, version: number): Promise<PolicyVersion | undefined> {
  const [row] = await db.query<Record<string, unknown>>('select version, document, note, created_by, created_at from souk_gateway_policies where version = $1', [version]);
  if (!row) return undefined;
  return { version: Number(row.version), document: parseDoc(row.document), note: (row.note as string | null) ?? null, createdBy: String(row.created_by), createdAt: iso(row.created_at) };
}

export async function listVersions(db: Database, limit = 50): Promise<PolicyVersion[]> {
  const rows = await db.query<Record<string, unknown>>('select version, document, note, created_by, created_at from souk_gateway_policies order by version desc limit $1', [limit]);
  return rows.map((row) => ({ version: Number(row.version), document: parseDoc(row.document), note: (row.note as string | null) ?? null, createdBy: String(row.created_by), createdAt: iso(row.created_at) }));
}

const activationOf = (row: Record<string, unknown>): Activation => ({
  id: Number(row.id),
  version: Number(row.version),
  action: row.action as Activation['action'],
  activatedBy: String(row.activated_by),
  activatedAt: iso(row.activated_at),
});

export async function currentActivation(db: Queryable): Promise<Activation | undefined> {
  const [row] = await db.query<Record<string, unknown>>('select id, version, action, activated_by, activated_at from souk_gateway_activations order by id desc limit 1');
  return row ? activationOf(row) : undefined;
}

export async function listActivations(db: Database, limit = 50): Promise<Activation[]> {
  const rows = await db.query<Record<string, unknown>>('select id, version, action, activated_by, activated_at from souk_gateway_activations order by id desc limit $1', [limit]);
  return rows.map(activationOf);
}

export async function activate(db: Queryable, version: number, by: string, action: Activation['action']): Promise<Activation> {
  const [row] = await db.query<Record<string, unknown>>(
    'insert into souk_gateway_activations (version, action, activated_by) values ($1, $2, $3) returning id, version, action, activated_by, activated_at',
    [version, action, by],
  );
  return activationOf(row!);
}

/**
 * The version a roll back returns to: `to` when given, else the version that was current before the
 * current one (skipping activations of the same version), or undefined when there is none.
 */
export async function rollbackTarget(db: Database, to: number | undefined): Promise<number | undefined> {
  if (to !== undefined) return (await getVersion(db, to)) ? to : undefined;
  const log = await listActivations(db, 500);
  const current = log[0]?.version;
  return log.find((a) => a.version !== current)?.version;
}
