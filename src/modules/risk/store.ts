// The risk module's SQL: policy versions, list entries and stored decisions. Every statement is bound to
// one platform ($1) through PlatformDb; nothing here knows about caches or other nodes (service.ts does).
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { iso } from '../../kernel/cursor.ts';
import type { FiredRule } from './evaluate.ts';
import type { Decision } from './engine.ts';
import type { ListEntry, ListName } from './lists.ts';
import type { DecisionPoint, PolicyDocument } from './policy.ts';
import type { RiskInput } from './signals/extract.ts';

export interface PolicyVersion {
  point: DecisionPoint;
  /** 0 is the built-in default, in force until the first stored version. */
  version: number;
  document: PolicyDocument;
  changedBy: string | null;
  note: string | null;
  changedAt: string | null;
}

interface VersionRow {
  point: DecisionPoint;
  version: number;
  document: PolicyDocument;
  changed_by: string;
  note: string | null;
  created_at: string;
}

const VERSION_COLUMNS = `point, version, document, changed_by, note, ${iso('created_at')} as created_at`;
const toVersion = (row: VersionRow): PolicyVersion => ({
  point: row.point,
  version: row.version,
  document: row.document,
  changedBy: row.changed_by,
  note: row.note,
  changedAt: row.created_at,
});

/** The newest stored version of every point that has one. */
export async function currentVersions(pdb: PlatformDb): Promise<PolicyVersion[]> {
  const rows = await pdb.query<VersionRow>(
    `select distinct on (point) ${VERSION_COLUMNS} from risk_policy_versions where platform_id = $1 order by point, version desc`,
  );
  return rows.map(toVersion);
}

export async function storedVersion(pdb: PlatformDb, point: DecisionPoint, version?: number): Promise<PolicyVersion | undefined> {
  const row = await pdb.maybeOne<VersionRow>(
    `select ${VERSION_COLUMNS} from risk_policy_versions where platform_id = $1 and point = $2 and ($3::int is null or version = $3) order by version desc limit 1`,
    [point, version ?? null],
  );
  return row && toVersion(row);
}

export async function versionHistory(pdb: PlatformDb, point: DecisionPoint, limit: number): Promise<PolicyVersion[]> {
  const rows = await pdb.query<VersionRow>(
    `select ${VERSION_COLUMNS} from risk_policy_versions where platform_id = $1 and point = $2 order by version desc limit $3`,
    [point, limit],
  );
  return rows.map(toVersion);
}

/** Appends the next version of a point's policy; the caller runs it in a transaction. */
export async function appendVersion(tx: PlatformDb, point: DecisionPoint, document: PolicyDocument, changedBy: string, note: string | null): Promise<PolicyVersion> {
  // One writer per platform and point at a time, so two concurrent changes get consecutive versions.
  await tx.query(`select pg_advisory_xact_lock(hashtext('risk_policy_versions:' || $1::text || ':' || $2::text))`, [point]);
  const rows = await tx.query<VersionRow>(
    `insert into risk_policy_versions (platform_id, point, version, document, changed_by, note)
     select $1, $2, coalesce(max(version), 0) + 1, $3::jsonb, $4, $5 from risk_policy_versions where platform_id = $1 and point = $2
     returning ${VERSION_COLUMNS}`,
    [point, JSON.stringify(document), changedBy, note],
  );
  return toVersion(rows[0]!);
}

export interface StoredEntry extends ListEntry {
  addedBy: string;
  addedAt: string;
}

export async function listEntries(pdb: PlatformDb): Promise<Record<ListName, StoredEntry[]>> {
  const rows = await pdb.query<{ list: ListName; kind: ListEntry['kind']; value: string; note: string | null; added_by: string; added_at: string }>(
    `select list, kind, value, note, added_by, ${iso('added_at')} as added_at from risk_list_entries where platform_id = $1 order by list, kind, value`,
  );
  const lists: Record<ListName, StoredEntry[]> = { block: [], allow: [], disposable: [] };
  for (const row of rows) {
    lists[row.list].push({ kind: row.kind, value: row.value, ...(row.note === null ? {} : { note: row.note }), addedBy: row.added_by, addedAt: row.added_at });
  }
  return lists;
}

/** Replaces one list with these entries (deduplicated by the caller); the caller runs it in a transaction. */
export async function replaceList(tx: PlatformDb, list: ListName, entries: readonly ListEntry[], addedBy: string): Promise<void> {
  await tx.execute('delete from risk_list_entries where platform_id = $1 and list = $2', [list]);
  if (entries.length === 0) return;
  await tx.execute(
    `insert into risk_list_entries (platform_id, list, kind, value, note, added_by)
     select $1, $2, e.kind, e.value, e.note, $4 from jsonb_to_recordset($3::jsonb) as e(kind text, value text, note text)`,
    [list, JSON.stringify(entries), addedBy],
  );
}

/** A decision as stored: what it decided, on what, and why. */
export interface StoredDecision extends Omit<Decision, 'signals'> {
  id: string;
  input: RiskInput;
  signals: Decision['signals'];
  decidedAt: string;
}

export async function insertDecisions(pdb: PlatformDb, decisions: readonly StoredDecision[]): Promise<void> {
  const rows = decisions.map((d) => ({
    id: d.id,
    point: d.point,
    action: d.action,
    level: d.level,
    score: d.score,
    account_id: d.input.accountId ?? null,
    ip: typeof d.signals.ip === 'string' ? d.signals.ip : null,
    device_id: typeof d.signals.device_id === 'string' ? d.signals.device_id : null,
    input: d.input,
    signals: d.signals,
    fired: d.fired,
    listed: d.listed ?? null,
    policy_version: d.policyVersion,
    decided_at: d.decidedAt,
    shadow: d.shadow ?? null,
  }));
  await pdb.execute(
    `insert into risk_decisions (platform_id, id, point, action, level, score, account_id, ip, device_id, input, signals, fired, listed, policy_version, decided_at, shadow)
     select $1, r.id, r.point, r.action, r.level, r.score, r.account_id, r.ip, r.device_id, r.input, r.signals, r.fired, r.listed, r.policy_version, r.decided_at, r.shadow
     from jsonb_to_recordset($2::jsonb) as r(id uuid, point text, action text, level smallint, score double precision, account_id text, ip text,
       device_id text, input jsonb, signals jsonb, fired jsonb, listed jsonb, policy_version integer, decided_at timestamptz, shadow jsonb)
     on conflict do nothing`,
    [JSON.stringify(rows)],
  );
}

export interface DecisionFilter {
  accountId?: string;
  ip?: string;
  deviceId?: string;
  /** Decisions about one order (checkout, payment): their input's custom.order_id. */
  orderId?: string;
  point?: DecisionPoint;
  action?: string;
  /** Only decisions older than this id (the cursor). */
  before?: string;
  limit: number;
}

interface DecisionRow {
  id: string;
  point: DecisionPoint;
  action: Decision['action'];
  level: number;
  score: number;
  input: RiskInput;
  signals: Decision['signals'];
  fired: FiredRule[];
  listed: Decision['listed'] | null;
  policy_version: number;
  decided_at: string;
  shadow: Decision['shadow'] | null;
}

const DECISION_COLUMNS = `id, point, action, level, score, input, signals, fired, listed, policy_version, ${iso('decided_at')} as decided_at, shadow`;
const toDecision = (row: DecisionRow): StoredDecision => ({
  id: row.id,
  point: row.point,
  action: row.action,
  level: row.level,
  score: row.score,
  fired: row.fired,
  ...(row.listed ? { listed: row.listed } : {}),
  policyVersion: row.policy_version,
  input: row.input,
  signals: row.signals,
  decidedAt: row.decided_at,
  ...(row.shadow ? { shadow: row.shadow } : {}),
});

export async function searchDecisions(pdb: PlatformDb, filter: DecisionFilter): Promise<StoredDecision[]> {
  const rows = await pdb.query<DecisionRow>(
    `select ${DECISION_COLUMNS} from risk_decisions
     where platform_id = $1 and ($2::text is null or account_id = $2) and ($3::text is null or ip = $3) and ($4::text is null or device_id = $4)
       and ($5::text is null or point = $5) and ($6::text is null or action = $6) and ($7::uuid is null or id < $7)
       and ($9::text is null or (input -> 'custom' ->> 'order_id' is not null and input -> 'custom' ->> 'order_id' = $9))
     order by id desc limit $8`,
    [filter.accountId ?? null, filter.ip ?? null, filter.deviceId ?? null, filter.point ?? null, filter.action ?? null, filter.before ?? null, filter.limit, filter.orderId ?? null],
  );
  return rows.map(toDecision);
}

/**
 * One page of a point's decisions in a time range, oldest first, after the id `after` (a backtest walks
 * them all). Ids are UUIDv7, so the range starts at the smallest id of `since` and the primary key serves it.
 */
export async function decisionsInRange(pdb: PlatformDb, point: DecisionPoint, since: Date, until: Date, after: string | null, limit: number): Promise<StoredDecision[]> {
  const rows = await pdb.query<DecisionRow>(
    `select ${DECISION_COLUMNS} from risk_decisions
     where platform_id = $1 and id > $2::uuid and point = $3 and decided_at >= $4 and decided_at < $5
     order by id limit $6`,
    [after ?? smallestIdAt(since.getTime()), point, since.toISOString(), until.toISOString(), limit],
  );
  return rows.map(toDecision);
}

/** The smallest UUIDv7 of a millisecond, less one: every id made at or after it sorts above it. */
function smallestIdAt(ms: number): string {
  const hex = Math.max(0, ms - 1).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`;
}

export async function storedDecision(pdb: PlatformDb, id: string): Promise<StoredDecision | undefined> {
  const row = await pdb.maybeOne<DecisionRow>(`select ${DECISION_COLUMNS} from risk_decisions where platform_id = $1 and id = $2`, [id]);
  return row && toDecision(row);
}
