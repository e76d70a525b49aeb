// Message types a platform defines for its own widgets (a poll, a lucky draw, a sticker): a name and a
// JSON schema, compiled with Ajv when saved (a schema that does not compile is refused) and again on
// each node when first used. Clients send { type: "custom", name, data }; data that does not match is
// refused with the validator's first complaint; the rest goes to the room in the low lane, like chat.
import { Ajv, type ValidateFunction } from 'ajv';
import type { PlatformDb } from '../../../kernel/db/scoped.ts';
import { iso } from '../../../kernel/cursor.ts';
import { messageSchemaInvalid, messageTypeNotFound } from './problems.ts';
import type { MessageType } from './schemas.ts';

/** A node re-reads a type this long after it compiled it, so a changed schema reaches every node. */
const CACHE_MS = 5000;

interface TypeRow {
  name: string;
  schema: Record<string, unknown> | string;
  created_at: string;
  updated_at: string;
}

const COLUMNS = `name, schema, ${iso('created_at')} as created_at, ${iso('updated_at')} as updated_at`;
const toType = (row: TypeRow): MessageType => ({
  name: row.name,
  schema: typeof row.schema === 'string' ? (JSON.parse(row.schema) as Record<string, unknown>) : row.schema,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

function compile(ajv: Ajv, schema: Record<string, unknown>): ValidateFunction {
  try {
    return ajv.compile(schema);
  } catch (error) {
    throw messageSchemaInvalid(error instanceof Error ? error.message.slice(0, 300) : 'unknown error');
  }
}

/** Compiled validators of this node, per platform and type name. */
export class CustomTypes {
  // strict: unknown keywords are mistakes in a platform's schema, not extensions.
  private readonly ajv = new Ajv({ strict: true, allErrors: false });
  private readonly cache = new Map<string, { at: number; version: string | null; validate: ValidateFunction | null }>();

  async save(pdb: PlatformDb, name: string, schema: Record<string, unknown>): Promise<MessageType> {
    compile(new Ajv({ strict: true }), schema);
    const [row] = await pdb.query<TypeRow>(
      `insert into live_message_types (platform_id, name, schema) values ($1, $2, $3)
       on conflict (platform_id, name) do update set schema = excluded.schema, updated_at = now() returning ${COLUMNS}`,
      [name, JSON.stringify(schema)],
    );
    this.cache.delete(`${pdb.platformId}:${name}`);
    return toType(row!);
  }

  async list(pdb: PlatformDb): Promise<MessageType[]> {
    return (await pdb.query<TypeRow>(`select ${COLUMNS} from live_message_types where platform_id = $1 order by name`)).map(toType);
  }

  async remove(pdb: PlatformDb, name: string): Promise<void> {
    const removed = await pdb.execute('delete from live_message_types where platform_id = $1 and name = $2', [name]);
    if (removed.rowCount === 0) throw messageTypeNotFound(name);
    this.cache.delete(`${pdb.platformId}:${name}`);
  }

  /** null when the data fits the type; otherwise why not (unknown type included). */
  async check(pdb: PlatformDb, name: string, data: unknown): Promise<{ code: 'unknown_custom' | 'invalid_custom'; message: string } | null> {
    const key = `${pdb.platformId}:${name}`;
    let entry = this.cache.get(key);
    if (!entry || Date.now() - entry.at > CACHE_MS) {
      const row = await pdb.maybeOne<TypeRow>(`select ${COLUMNS} from live_message_types where platform_id = $1 and name = $2`, [name]);
      // Compiled again only when the schema changed (Ajv keeps what it compiled).
      const same = entry && row && entry.version === row.updated_at;
      entry = { at: Date.now(), version: row?.updated_at ?? null, validate: same ? entry!.validate : row ? compile(this.ajv, toType(row).schema) : null };
      this.cache.set(key, entry);
    }
    if (!entry.validate) return { code: 'unknown_custom', message: `This platform defines no message type "${name}".` };
    if (entry.validate(data)) return null;
    const first = entry.validate.errors?.[0];
    return { code: 'invalid_custom', message: `"${name}" data does not match its schema: ${first ? `${first.instancePath || '(root)'} ${first.message ?? ''}` : 'invalid'}`.trim() };
  }
}
