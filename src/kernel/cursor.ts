// Opaque keyset cursors: base64url JSON of the last row's key (one or two uuids). Anything malformed is
// the client's mistake (400), never a 500.
import { invalidCursor } from './http/problems.ts';
import { isUuid } from './ids.ts';

export function encodeCursor(key: readonly string[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(raw: string, size: number): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (Array.isArray(parsed) && parsed.length === size && parsed.every((v) => typeof v === 'string' && isUuid(v))) return parsed as string[];
  throw invalidCursor();
}

export const DEFAULT_PAGE_SIZE = 50;
export const iso = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
