// Chat history in live_messages. Chat is written behind the broadcast, in batches (one statement per
// platform, whatever its rooms, every WRITE_EVERY_MS): a busy room's messages cost one INSERT per batch,
// not one per message, and a poster waits for nobody's disk. Viewers are answered from the room's recent messages in memory
// (hub/room-channel.ts); the table is what a room is loaded from on another node or after a restart, and
// what moderation and later exports read. A crash loses at most the last batch of chat; host and system
// messages are written before they are sent.
import type { ModuleContext } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { iso } from '../../kernel/cursor.ts';
import { newId } from '../../kernel/ids.ts';
import { RECENT_MESSAGES, type RoomMessage } from './hub/room-channel.ts';

const WRITE_EVERY_MS = 50;

interface MessageRow {
  id: string;
  kind: RoomMessage['kind'];
  customer_id: string | null;
  author: string;
  body: string;
  at: string;
  text_key: string | null;
  text_params: SystemParams | null;
}

/** What a system message's key names: a customer's shown name, seconds of slow mode. */
export type SystemParams = Record<string, string | number>;

/** A row as a message: key and params only on the system messages that have them. */
export function messageOfRow(row: Omit<MessageRow, 'customer_id'> & { customer_id?: string | null }): RoomMessage {
  const message: RoomMessage = { id: row.id, kind: row.kind, author: row.author, text: row.body, at: row.at, customerId: row.customer_id ?? null };
  if (row.text_key) message.key = row.text_key;
  if (row.text_params) message.params = row.text_params;
  return message;
}

export function newMessage(kind: RoomMessage['kind'], author: string, text: string, customerId: string | null = null): RoomMessage {
  return { id: newId(), kind, author, text, at: new Date().toISOString(), customerId };
}

/** A system message: `text` in English for clients that know no keys, `key` and `params` for those that translate. */
export function systemMessage(key: string, text: string, params?: SystemParams): RoomMessage {
  return { ...newMessage('system', 'system', text), key, ...(params ? { params } : {}) };
}

const INSERT = `insert into live_messages (platform_id, id, room_id, kind, customer_id, author, body, created_at, text_key, text_params)
  select $1, r.id, r.room_id, r.kind, r.customer_id, r.author, r.body, r.created_at, r.text_key, r.text_params
  from jsonb_to_recordset($2::jsonb) as r(id uuid, room_id uuid, kind text, customer_id uuid, author text, body text, created_at timestamptz, text_key text, text_params jsonb)`;

const rowsOf = (roomId: string, messages: readonly RoomMessage[]) =>
  messages.map((m) => ({ id: m.id, room_id: roomId, kind: m.kind, customer_id: m.customerId, author: m.author, body: m.text, created_at: m.at, text_key: m.key ?? null, text_params: m.params ?? null }));

/** The columns a message is read from (messageOfRow). */
export const MESSAGE_COLUMNS = `id, kind, customer_id, author, body, ${iso('created_at')} as at, text_key, text_params`;

/** Writes messages now, in the caller's transaction or connection (host and system messages). */
export async function insertMessages(pdb: PlatformDb, roomId: string, messages: readonly RoomMessage[]): Promise<void> {
  await pdb.execute(INSERT, [JSON.stringify(rowsOf(roomId, messages))]);
}

/** The room's latest messages still shown (not deleted), oldest first. */
export async function recentMessages(pdb: PlatformDb, roomId: string): Promise<RoomMessage[]> {
  const rows = await pdb.query<MessageRow>(
    `select ${MESSAGE_COLUMNS} from live_messages
     where platform_id = $1 and room_id = $2 and deleted_at is null order by id desc limit ${RECENT_MESSAGES}`,
    [roomId],
  );
  return rows.reverse().map(messageOfRow);
}

/** Marks a message deleted; false when the room has no such message or it was deleted already. */
export async function markDeleted(pdb: PlatformDb, roomId: string, messageId: string): Promise<{ customerId: string | null } | undefined> {
  const [row] = await pdb.query<{ customer_id: string | null }>(
    `update live_messages set deleted_at = now() where platform_id = $1 and room_id = $2 and id = $3 and deleted_at is null returning customer_id`,
    [roomId, messageId],
  );
  return row ? { customerId: row.customer_id } : undefined;
}

/** Chat waiting to be written, per platform and room; flushed every WRITE_EVERY_MS and before any read of the table. */
export class ChatWriter {
  private pending = new Map<string, Map<string, RoomMessage[]>>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: ModuleContext) {}

  add(platformId: string, roomId: string, message: RoomMessage): void {
    let rooms = this.pending.get(platformId);
    if (!rooms) this.pending.set(platformId, (rooms = new Map()));
    let list = rooms.get(roomId);
    if (!list) rooms.set(roomId, (list = []));
    list.push(message);
    this.timer ??= setTimeout(() => void this.flush(), WRITE_EVERY_MS);
  }

  /** Writes everything added so far; resolves when it is in the table (or was logged as lost). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = new Map();
    this.writing = this.writing.then(() => this.write(batch));
    return this.writing;
  }

  /** One statement per platform for all its rooms: 200 small rooms chatting cost one INSERT per batch, not 200. */
  private async write(batch: Map<string, Map<string, RoomMessage[]>>): Promise<void> {
    for (const [platformId, rooms] of batch) {
      const rows = [...rooms].flatMap(([roomId, messages]) => rowsOf(roomId, messages));
      try {
        await this.ctx.platformDb(platformId).execute(INSERT, [JSON.stringify(rows)]);
      } catch (error) {
        this.ctx.log.warn({ err: error, platformId, rooms: [...rooms.keys()], lost: rows.length }, 'live chat batch could not be written; viewers saw it, history will not have it');
      }
    }
  }
}
