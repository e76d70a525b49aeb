// Rows a transaction holds back until it commits (Queryable.atCommit): the engines keep one HeldWrites per
// transaction, tell it about the savepoint statements the transaction runs, and at commit write every
// kind's rows with one statement (held-merge.ts). Held rows cost no round trip of their own; on PostgreSQL
// that statement even rides with the commit (pipelined-begin.ts). A kind with `readBy` is written earlier,
// just before the first statement of the transaction that could see its table.
import { mergeStatements } from './held-merge.ts';
import type { AroundStatement, CommitWrite, Queryable } from './types.ts';

interface Held {
  write: CommitWrite<unknown>;
  row: unknown;
  /**
   * Set once written early (takeReadBy): how many savepoints were open then. A rollback to one of those
   * undoes the write on the server, so the row is held again; a release leaves it written one level out.
   */
  writtenIn?: number;
}

/** One statement writing held rows, with what wraps it when it goes out. */
export interface HeldStatement {
  text: string;
  params: unknown[];
  around: AroundStatement;
}

/**
 * An engine's way to end a transaction with its last statement (Queryable.queryThenCommit): runs `text`,
 * then the held rows' statement if any, then `commit`, and returns the rows of `text` once committed.
 */
export type Ride = <T>(text: string, params: readonly unknown[], held: HeldStatement | undefined) => Promise<T[]>;

/** How queryThenCommit ended a transaction: still under way, committed, or failed with `error`. */
export type Ended = 'riding' | 'committed' | { error: unknown };

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
  /** How many rows not yet written are of a kind with `readBy` (most transactions: none, and no text is tested). */
  private readable = 0;
  /**
   * The kinds written (early or at commit), whose `committed` runs once the transaction committed. Not
   * pruned when a savepoint rollback undoes an early write: such a kind may then run `committed` with no
   * row left (for the outbox, one relay wake too many, which finds nothing).
   */
  private readonly written = new Set<CommitWrite<unknown>>();
  private ended: Ended | undefined;

  /** Set once queryThenCommit ended the transaction: the runner must neither commit nor use it again. */
  get over(): Ended | undefined {
    return this.ended;
  }

  end(ended: Ended): void {
    this.ended = ended;
  }

  /** Throws once queryThenCommit has ended the transaction. */
  assertOpen(): void {
    if (this.ended === undefined) return;
    const how = this.ended === 'committed' ? 'committed it' : this.ended === 'riding' ? 'is committing it' : 'failed, so it was not committed';
    throw new Error(`This transaction is over: its last statement (queryThenCommit) ${how}; no statement or held row may follow.`);
  }

  /** Whether a savepoint is open (a commit now would also commit what may still be rolled back to). */
  inSavepoint(): boolean {
    return this.marks.length > 0;
  }

  hold<R>(write: CommitWrite<R>, row: R, around?: AroundStatement): void {
    this.assertOpen();
    this.rows.push({ write: write as CommitWrite<unknown>, row });
    if (write.readBy) this.readable += 1;
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
      // Rows held before the savepoint but written after it was set: the server has just undone that.
      for (const held of this.rows) if (held.writtenIn !== undefined && held.writtenIn > index) delete held.writtenIn;
      this.readable = this.rows.filter((held) => held.write.readBy && held.writtenIn === undefined).length;
      // A rollback to a savepoint keeps it open.
      this.marks.length = index + 1;
    } else {
      for (const held of this.rows) if (held.writtenIn !== undefined && held.writtenIn > index) held.writtenIn = index;
      this.marks.length = index;
    }
  }

  /** The one statement writing everything held (kinds in the order each was first held); holds nothing after. */
  take(): HeldStatement | undefined {
    const statement = this.statementOf(this.rows.filter((held) => held.writtenIn === undefined));
    this.rows = [];
    this.readable = 0;
    return statement;
  }

  /** Once the transaction committed: runs what its written rows wait for (must not throw: it is done). */
  committed(): void {
    for (const write of this.written) write.committed?.();
    this.written.clear();
  }

  /**
   * Before the transaction runs `text`: the statement writing the held rows of every kind whose `readBy`
   * matches it (those rows are marked written), or undefined. Their `committed` still waits for the commit.
   */
  takeReadBy(text: string): HeldStatement | undefined {
    if (this.readable === 0) return undefined;
    const taken = this.rows.filter((held) => held.writtenIn === undefined && held.write.readBy?.test(text));
    if (taken.length === 0) return undefined;
    // The rows stay in place (the savepoint marks count them), marked written.
    for (const held of taken) held.writtenIn = this.marks.length;
    this.readable -= taken.length;
    return this.statementOf(taken);
  }

  private statementOf(held: readonly Held[]): HeldStatement | undefined {
    if (held.length === 0) return undefined;
    const byWrite = new Map<CommitWrite<unknown>, unknown[]>();
    for (const { write, row } of held) {
      const rows = byWrite.get(write);
      if (rows) rows.push(row);
      else byWrite.set(write, [row]);
    }
    const writes = [...byWrite.keys()];
    for (const write of writes) this.written.add(write);
    return {
      ...mergeStatements([...byWrite].map(([write, rows]) => write.statement(rows))),
      // One span for the statement, as the first kind's holder asked (the engine's tracing: the same for all).
      around: this.arounds.get(writes[0]!) ?? sendPlain,
    };
  }
}

/**
 * A transaction's connection that holds rows for `held`, writes the held rows a statement could see just
 * before it (CommitWrite.readBy), and tells `held` of each statement that succeeded (savepoints). With
 * the engine's `ride` it also has queryThenCommit, which ends the transaction.
 */
export function holding(conn: Queryable, held: HeldWrites, ride?: Ride): Queryable {
  const writeSeen = async (text: string) => {
    held.assertOpen();
    const early = held.takeReadBy(text);
    if (early) await early.around(early.text, () => conn.execute(early.text, early.params));
  };
  const queryable: Queryable = {
    async query<T>(text: string, params?: readonly unknown[]) {
      await writeSeen(text);
      const rows = await conn.query<T>(text, params);
      held.ran(text);
      return rows;
    },
    async execute(text: string, params?: readonly unknown[]) {
      await writeSeen(text);
      const result = await conn.execute(text, params);
      held.ran(text);
      return result;
    },
    async script(sql: string) {
      await writeSeen(sql);
      await conn.script(sql);
      held.ran(sql);
    },
    atCommit: (write, row, around) => held.hold(write, row, around),
  };
  if (!ride) return queryable;
  queryable.queryThenCommit = async <T>(text: string, params: readonly unknown[] = []) => {
    // A commit now would also commit the open savepoint's step, which its caller may still roll back.
    if (held.inSavepoint()) return queryable.query<T>(text, params);
    await writeSeen(text);
    held.end('riding');
    let rows: T[];
    try {
      rows = await ride<T>(text, params, held.take());
    } catch (error) {
      held.end({ error });
      throw error;
    }
    held.end('committed');
    held.committed();
    return rows;
  };
  return queryable;
}
