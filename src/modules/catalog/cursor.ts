// Opaque keyset cursors: base64url JSON of the sort, the last row's sort value and its id. A cursor is
// only valid for the sort it was made for; anything malformed is the client's mistake (400), never a 500.
import { isUuid } from '../../kernel/ids.ts';
import { cursorOfOtherSort } from './problems.ts';
import { invalidCursor } from '../../kernel/http/problems.ts';

export interface Cursor {
  sort: string;
  /** The sort value of the last row: a number (price), a string (title) or null (id order). */
  value: number | string | null;
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.sort, cursor.value, cursor.id])).toString('base64url');
}

export function decodeCursor(raw: string, sort: string): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (Array.isArray(parsed) && parsed.length === 3) {
    const [s, value, id] = parsed as unknown[];
    const valueOk = value === null || typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value));
    if (s === sort && valueOk && typeof id === 'string' && isUuid(id)) return { sort, value: value as Cursor['value'], id };
    if (typeof s === 'string' && s !== sort) {
      throw cursorOfOtherSort(s, sort);
    }
  }
  throw invalidCursor();
}
