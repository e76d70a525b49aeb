// The server's database handle, when a database move may run inside the server (an embedded shop:
// only this process can open its PGlite directory). Every statement goes to the database of the moment;
// hold() makes new statements wait in this process (the ones already sent run to their end), and
// swap() points the handle at another database, so the statements that waited during a move's write
// freeze run on the new database and the shop carries on without a restart. Transactions hand their own
// connection to their callback, so a transaction never straddles two databases.
import type { Database, Queryable } from './types.ts';

export interface DatabaseSwitch {
  /** The database statements go to now (the mover reads it directly, past any hold). */
  current(): Database;
  /** New statements wait until the returned release is called (releasing twice is harmless). */
  hold(): () => void;
  /** From now on statements go to next; returns the database they went to before (the caller closes it). */
  swap(next: Database): Database;
}

export function swappableDatabase(initial: Database): { database: Database; control: DatabaseSwitch } {
  let current = initial;
  let gate: Promise<void> | undefined;
  const ready = async (): Promise<Database> => {
    while (gate) await gate;
    return current;
  };
  const database: Database = {
    get kind() {
      return current.kind;
    },
    // Without a hold (always, but for a move's freeze) a statement goes straight to the database.
    query: <T,>(text: string, params?: readonly unknown[]) => (gate ? ready().then((db) => db.query<T>(text, params)) : current.query<T>(text, params)),
    execute: (text: string, params?: readonly unknown[]) => (gate ? ready().then((db) => db.execute(text, params)) : current.execute(text, params)),
    script: (sql: string) => (gate ? ready().then((db) => db.script(sql)) : current.script(sql)),
    transaction: <T,>(fn: (tx: Queryable) => Promise<T>) => (gate ? ready().then((db) => db.transaction(fn)) : current.transaction(fn)),
    get listen() {
      const listen = current.listen;
      return listen ? listen.bind(current) : undefined;
    },
    close: async () => current.close(),
  };
  const control: DatabaseSwitch = {
    current: () => current,
    hold() {
      let open = () => {};
      const held = new Promise<void>((resolve) => (open = resolve));
      gate = held;
      return () => {
        if (gate === held) gate = undefined;
        open();
      };
    },
    swap(next) {
      const before = current;
      current = next;
      return before;
    },
  };
  return { database, control };
}
