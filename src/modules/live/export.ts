// A room's chat log after it ended, as JSON lines: one message per line, oldest first, including messages
// deleted by a moderator (marked, for the record) and the customer behind each chat message. Read from
// the table in keyset pages, so a long room is never one huge query.
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { iso } from '../../kernel/cursor.ts';
import { roomNotInState } from './problems.ts';
import { getRoom } from './rooms.ts';

const PAGE = 2000;

interface ExportRow {
  id: string;
  kind: string;
  customer_id: string | null;
  author: string;
  body: string;
  at: string;
  deleted_at: string | null;
}

/** The lines of an ended room's log (409 while it is scheduled or live: its log is still growing). */
export async function* exportLines(pdb: PlatformDb, roomId: string): AsyncGenerator<string> {
  const room = await getRoom(pdb, roomId);
  if (room.state !== 'ended') throw roomNotInState(roomId, room.state, 'ended');
  let after: string | null = null;
  for (;;) {
    const rows: ExportRow[] = await pdb.query<ExportRow>(
      `select id, kind, customer_id, author, body, ${iso('created_at')} as at, ${iso('deleted_at')} as deleted_at from live_messages
       where platform_id = $1 and room_id = $2 and ($3::uuid is null or id > $3) order by id limit ${PAGE}`,
      [roomId, after],
    );
    for (const row of rows) {
      yield `${JSON.stringify({ id: row.id, kind: row.kind, author: row.author, customerId: row.customer_id, text: row.body, at: row.at, deletedAt: row.deleted_at })}\n`;
    }
    if (rows.length < PAGE) return;
    after = rows.at(-1)!.id;
  }
}
