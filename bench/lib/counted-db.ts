// A Database that reports every statement it runs, for the tools that count round trips
// (bench/tools/checkout-queries.ts, events-statements.ts). A transaction adds two: begin and its end.
import type { Database, Queryable } from '../../src/kernel/db/types.ts';

/** Called with each statement's text; on a transaction's begin it may return the note for that transaction's end. */
export type StatementNote = (text: string) => void | ((text: string) => void);

export function countedQueryable(q: Queryable, note: StatementNote): Queryable {
  return {
    query: (text, params) => (note(text), q.query(text, params)),
    execute: (text, params) => (note(text), q.execute(text, params)),
    script: (sql) => (note(sql), q.script(sql)),
    // Rows held until the commit are noted when their statement goes out.
    ...(q.atCommit
      ? { atCommit: (write, row, around) => q.atCommit!(write, row, (text, send) => (note(text), around ? around(text, send) : send())) }
      : {}),
    ...(q.queryThenCommit ? { queryThenCommit: (text, params) => (note(text), q.queryThenCommit!(text, params)) } : {}),
  };
}

export function countedDatabase(db: Database, note: StatementNote): Database {
  return {
    ...db,
    ...countedQueryable(db, note),
    kind: db.kind,
    transaction: (fn) => {
      const end = note('begin') ?? note;
      return db.transaction((tx) => fn(countedQueryable(tx, note))).finally(() => end('commit/rollback'));
    },
    close: () => db.close(),
  };
}
