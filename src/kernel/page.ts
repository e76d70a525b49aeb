// Keyset pages. A list query asks for one row more than the page holds (rowsToFetch): that extra row,
// never shown, is how we know another page exists without counting. The next cursor comes from the
// page's last row, in whatever cursor format the list uses (see cursor.ts).

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The LIMIT for a page of `limit` items: one extra row tells whether there is a next page. */
export const rowsToFetch = (limit: number): number => limit + 1;

/** The first `limit` of `rows` (fetched with rowsToFetch) as views, and the cursor to the next page, if any. */
export function takePage<R, T>(rows: readonly R[], limit: number, view: (row: R) => T, cursorOf: (last: R) => string): Page<T> {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { items: page.map((row) => view(row)), nextCursor: rows.length > limit && last !== undefined ? cursorOf(last) : null };
}
