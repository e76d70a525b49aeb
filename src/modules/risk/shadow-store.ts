// The SQL of shadow policies (shadow.ts): one draft per platform and decision point.
import { iso } from '../../kernel/cursor.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { DECISION_POINTS, type DecisionPoint, type PolicyDocument } from './policy.ts';
export interface ShadowPolicy {
  point: DecisionPoint;
  document: PolicyDocument;
  setBy: string;
  note: string | null;
  setAt: string;
}

interface ShadowRow {
  point: DecisionPoint;
  document: PolicyDocument;
  set_by: string;
  note: string | null;
  set_at: string;
}

const COLUMNS = `point, document, set_by, note, ${iso('set_at')} as set_at`;
const toShadow = (row: ShadowRow): ShadowPolicy => ({ point: row.point, document: row.document, setBy: row.set_by, note: row.note, setAt: row.set_at });

/** The platform's shadow policies, for the runtime's compiled state and the admin API. */
export async function shadowPolicies(pdb: PlatformDb): Promise<ShadowPolicy[]> {
  const rows = await pdb.query<ShadowRow>(`select ${COLUMNS} from risk_shadow_policies where platform_id = $1 order by point`);
  return rows.filter((row) => (DECISION_POINTS as readonly string[]).includes(row.point)).map(toShadow);
}

/** Makes the document the point's shadow (replacing one there); the caller runs it in a transaction. */
export async function upsertShadow(tx: PlatformDb, point: DecisionPoint, document: PolicyDocument, setBy: string, note: string | null): Promise<ShadowPolicy> {
  const [row] = await tx.query<ShadowRow>(
    `insert into risk_shadow_policies (platform_id, point, document, set_by, note) values ($1, $2, $3::jsonb, $4, $5)
     on conflict (platform_id, point) do update set document = excluded.document, set_by = excluded.set_by, note = excluded.note, set_at = now()
     returning ${COLUMNS}`,
    [point, JSON.stringify(document), setBy, note],
  );
  return toShadow(row!);
}

/** Whether the point had a shadow to remove. */
export async function deleteShadow(tx: PlatformDb, point: DecisionPoint): Promise<boolean> {
  const { rowCount } = await tx.execute('delete from risk_shadow_policies where platform_id = $1 and point = $2', [point]);
  return rowCount > 0;
}
