// Rows a transaction holds back until it commits (Queryable.atCommit): the engines keep one HeldWrites per
// transaction, tell it about the savepoint statements the transaction runs, and at commit write each kind's
// rows with one statement. Held rows cost no round trip of their own; on PostgreSQL the last statement even
// rides with the commit (pipelined-begin.ts).
import type { AroundStatement, CommitWrite, Queryable } from './types.ts';

interface Held {
  write: CommitWrite<unknown>;
  row: unknown;
}

/** One statement to send at commit, with what wraps it and what runs once it is committed. */
export interface HeldStatement {
  text: string;
  params: unknown[];
  around: AroundStatement;
  committed: (() => void) | undefined;
}

const sendPlain: AroundStatement = (_text, send) => send();

// SAVEPOINT name / ROLLBACK [WORK|TRANSACTION] TO [SAVEPOINT] name / RELEASE [SAVEPOINT] name. Names are
// compared as PostgreSQL folds unquoted identifiers; a quoted name is kept as written.
const SAVEPOINT = /^\s*(savepoint|rollback(?:\s+(?:work|transaction))?\s+to(?:\s+savepoint)?|release(?:\s+savepoint)?)\s+("[^"]+"|[a-z_][a-z0-9_$]*)\s*;?\s*$/i;

const identifier = (name: string) => (name.startsWith('"') ? name.slice(1, -1) : name.toLowerCase());

export class HeldWrites {
  private rows: Held[] = [];
  /** Open savepoints, innermost last, each with how many rows were held when it was set. */
  private marks: { name: string; at: number }[] = [];
  private readonly arounds = new Map<CommitWrite<unknown>, AroundStatement>();

  hold<R>(write: CommitWrite<R>, row: R, around?: AroundStatement): void {
    this.rows.push({ write: write as CommitWrite<unknown>, row });
    if (around && !this.arounds.has(write as CommitWrite<unknown>)) this.arounds.set(write as CommitWrite<unknown>, around);
  }

  /** Follows a statement the transaction ran successfully: savepoints move the marks, and a rollback to one drops what was held since. */
  ran(text: string): void {
    if (this.rows.length === 0 && this.marks.length === 0 && !/^\s*savepoint\b/i.test(text)) return;
    const match = SAVEPOINT.exec(text);
    if (!match) return;
    const verb = match[1]!.toLowerCase();
    const name = identifier(match[2]!);
    if (verb === 'savepoint') {
      this.marks.push({ name, at: this.rows.length });
      return;
    }
    // The innermost savepoint of that name; those set after it are gone either way.
    let index = this.marks.length - 1;
    while (index >= 0 && this.marks[index]!.name !== name) index -= 1;
    if (index < 0) return;
    if (verb.startsWith('rollback')) {
      this.rows.length = this.marks[index]!.at;
      // A rollback to a savepoint keeps it open.
      this.marks.length = index + 1;
    } else {
      this.marks.length = index;
    }
  }

  /** The statements writing what is held, one per kind in the order each kind was first held; holds nothing after. */
  take(): HeldStatement[] {
    if (this.rows.length === 0) return [];
    const byWrite = new Map<CommitWrite<unknown>, unknown[]>();
    for (const { write, row } of this.rows) {
      const rows = byWrite.get(write);
      if (rows) rows.push(row);
      else byWrite.set(write, [row]);
    }
    this.rows = [];
    return [...byWrite].map(([write, rows]) => ({
      ...write.statement(rows),
      around: this.arounds.get(write) ?? sendPlain,
      committed: write.committed?.bind(write),
    }));
  }
}

/** Runs what committed held rows wait for (a `committed` must not throw: the transaction is done). */
export function afterCommit(statements: readonly HeldStatement[]): void {
  for (const statement of statements) statement.committed?.();
}

/** A transaction's connection that holds rows for `held` and tells it of each statement that succeeded (savepoints). */
export function holding(conn: Queryable, held: HeldWrites): Queryable {
  return {
    async query<T>(text: string, params?: readonly unknown[]) {
      const rows = await conn.query<T>(text, params);
      held.ran(text);
      return rows;
    },
    async execute(text: string, params?: readonly unknown[]) {
      const result = await conn.execute(text, params);
      held.ran(text);
      return result;
    },
    async script(sql: string) {
      await conn.script(sql);
      held.ran(sql);
    },
    atCommit: (write, row, around) => held.hold(write, row, around),
  };
}
