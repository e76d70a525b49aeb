// A transaction's `begin` rides with its first statement (one round trip for both) on PostgreSQL, prepared
// or not: results, errors in either statement, savepoints and empty transactions behave as with a `begin`
// of its own, and the connection stays usable after every failure.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createTempPostgres } from '../../../test/harness.ts';
import { watchPgQueries, type PgQueryWatch } from '../../../test/pg-round-trips.ts';
import { openPostgres } from './postgres.ts';
import { trySavepoint } from './savepoint.ts';
import type { Database } from './types.ts';

const skip = process.env.DATABASE_URL ? false : 'needs PostgreSQL (DATABASE_URL)';

class Refused extends Error {}
const isRefused = (error: unknown): error is Refused => error instanceof Refused;

for (const prepare of [true, false]) {
  describe(`PostgreSQL pipelined begin (${prepare ? 'prepared statements' : 'SOUK_DB_PREPARE=0'})`, { skip }, () => {
    let temp: Awaited<ReturnType<typeof createTempPostgres>>;
    let db: Database;
    let queries: PgQueryWatch | undefined;
    const roundTrips = (fn: () => Promise<unknown>) => queries!.during(fn);
    const ids = async () => (await db.query<{ id: number }>('select id from begin_t order by id')).map((r) => r.id);
    const insert = 'insert into begin_t (id, note) values ($1, $2)';

    before(async () => {
      temp = await createTempPostgres();
      // One connection: every transaction reuses it, so a connection left in a failed state would show.
      db = await openPostgres(temp.url, 1, { prepare });
      await db.script('create table begin_t (id int primary key, note text)');
      queries = watchPgQueries();
      // The connection's first transaction (it prepares `begin` when statements are prepared).
      await db.transaction((tx) => tx.execute(insert, [0, 'warm']));
      await db.execute('delete from begin_t');
    });
    after(async () => {
      queries?.stop();
      await db?.close();
      await temp?.drop();
    });

    it('sends begin with the first statement and commits: one round trip fewer', async () => {
      // Twice, so the statements are prepared (named) the second time when preparing is on.
      for (const base of [1, 3]) {
        const trips = await roundTrips(() =>
          db.transaction(async (tx) => {
            await tx.execute(insert, [base, 'a']);
            assert.deepEqual(await tx.query('select note from begin_t where id = $1', [base]), [{ note: 'a' }]);
            await tx.execute(insert, [base + 1, 'b']);
          }),
        );
        assert.equal(trips.length, 4, `insert (with begin), select, insert, commit: ${trips.join(' | ')}`);
        assert.equal(trips.at(-1), 'commit');
      }
      assert.deepEqual(await ids(), [1, 2, 3, 4]);
      await db.execute('delete from begin_t');
    });

    it('returns what the first statement returns, with and without parameters', async () => {
      const rows = await db.transaction((tx) => tx.query<{ n: number }>('select $1::int + 1 as n', [41]));
      assert.deepEqual(rows, [{ n: 42 }]);
      const plain = await db.transaction((tx) => tx.query<{ n: number }>('select 7 as n'));
      assert.deepEqual(plain, [{ n: 7 }]);
      const counted = await db.transaction((tx) => tx.execute('insert into begin_t (id) select g from generate_series(100, 102) g'));
      assert.deepEqual(counted, { rowCount: 3 });
      const trips = await roundTrips(() => db.transaction((tx) => tx.execute('delete from begin_t where id >= 100')));
      assert.deepEqual(trips, ['begin;delete from begin_t where id >= 100', 'commit']);
      assert.deepEqual(await ids(), []);
    });

    it('rolls back and throws when the first statement fails, and the connection goes on', async () => {
      await db.execute(insert, [10, 'kept']);
      for (let i = 0; i < 3; i += 1) {
        // A unique violation at execution, named from the second time on.
        await assert.rejects(
          db.transaction((tx) => tx.execute(insert, [10, 'again'])),
          (error: { code?: string }) => error.code === '23505',
        );
        // A value the server cannot take (an error at Bind).
        await assert.rejects(
          db.transaction((tx) => tx.query('select note from begin_t where id = $1', ['not a number'])),
          (error: { code?: string }) => error.code === '22P02',
        );
        // A statement that does not parse (its prepared name must not be taken as prepared).
        await assert.rejects(
          db.transaction((tx) => tx.query('select missing_column from begin_t where id = $1', [10])),
          (error: { code?: string }) => error.code === '42703',
        );
        // Without parameters (the simple protocol's `begin;<text>`).
        await assert.rejects(
          db.transaction((tx) => tx.execute('insert into begin_t (id) values (10)')),
          (error: { code?: string }) => error.code === '23505',
        );
      }
      // After all that, statements that failed at Bind run fine once given good values.
      assert.deepEqual(await db.transaction((tx) => tx.query('select note from begin_t where id = $1', [10])), [{ note: 'kept' }]);
      assert.deepEqual(await ids(), [10]);
      await db.execute('delete from begin_t');
    });

    it('rolls back and throws when a value cannot be sent (an error before anything reached the server)', async () => {
      const unsendable = {
        toPostgres() {
          throw new Error('cannot serialize');
        },
      };
      await assert.rejects(
        db.transaction((tx) => tx.execute(insert, [20, unsendable])),
        /cannot serialize/,
      );
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.execute(insert, [21, 'first']);
          await tx.execute(insert, [22, unsendable]);
        }),
        /cannot serialize/,
      );
      assert.deepEqual(await ids(), []);
      await db.transaction((tx) => tx.execute(insert, [23, 'fine']));
      assert.deepEqual(await ids(), [23]);
      await db.execute('delete from begin_t');
    });

    it('rolls back what the first statement did when a later one fails', async () => {
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.execute(insert, [30, 'first']);
          await tx.execute(insert, [30, 'duplicate']);
        }),
        (error: { code?: string }) => error.code === '23505',
      );
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.execute(insert, [31, 'first']);
          throw new Error('the caller changed its mind');
        }),
        /changed its mind/,
      );
      assert.deepEqual(await ids(), []);
    });

    it('keeps savepoints working, the savepoint being the first statement or not', async () => {
      const outcome = await db.transaction(async (tx) => {
        const refused = await trySavepoint(tx, 'step_one', async () => {
          await tx.execute(insert, [40, 'undone']);
          throw new Refused('no');
        }, isRefused);
        const kept = await trySavepoint(tx, 'step_two', () => tx.execute(insert, [41, 'kept']), isRefused);
        const nested = await trySavepoint(tx, 'step_outer', async () => {
          await tx.execute(insert, [42, 'step_outer']);
          return trySavepoint(tx, 'step_inner', async () => {
            await tx.execute(insert, [43, 'step_inner']);
            throw new Refused('inner no');
          }, isRefused);
        }, isRefused);
        return [refused.ok, kept.ok, nested.ok && nested.value.ok];
      });
      assert.deepEqual(outcome, [false, true, false]);
      assert.deepEqual(await ids(), [41, 42]);
      // An error that is not a refusal takes the whole transaction, savepoint or not.
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.execute(insert, [44, 'lost']);
          await trySavepoint(tx, 'step', () => tx.execute(insert, [41, 'duplicate']), isRefused);
        }),
        (error: { code?: string }) => error.code === '23505',
      );
      assert.deepEqual(await ids(), [41, 42]);
      await db.execute('delete from begin_t');
    });

    it('sends nothing for a transaction that runs no statement', async () => {
      const trips = await roundTrips(async () => {
        assert.equal(await db.transaction(async () => 'nothing to do'), 'nothing to do');
        await assert.rejects(db.transaction(async () => Promise.reject(new Error('refused early'))), /refused early/);
      });
      assert.deepEqual(trips, []);
    });

    it('runs statements issued together in the order given, the first carrying begin', async () => {
      const rows = await db.transaction(async (tx) => {
        const [, , read] = await Promise.all([
          tx.execute(insert, [50, 'a']),
          tx.execute(insert, [51, 'b']),
          tx.query<{ id: number }>('select id from begin_t where id >= $1 order by id', [50]),
        ]);
        return read;
      });
      assert.deepEqual(rows, [{ id: 50 }, { id: 51 }]);
      await db.execute('delete from begin_t');
    });

    it('starts the transaction with a script as its first statement', async () => {
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.script('insert into begin_t (id) values (60); insert into begin_t (id) values (61)');
          await tx.execute(insert, [60, 'duplicate']);
        }),
        (error: { code?: string }) => error.code === '23505',
      );
      assert.deepEqual(await ids(), []);
    });

    it('sees other sessions’ commits as a transaction begun at its first statement does', async () => {
      const other = new pg.Client({ connectionString: temp.url });
      await other.connect();
      try {
        const seen = await db.transaction(async (tx) => {
          await other.query('insert into begin_t (id) values (70)');
          return tx.query('select id from begin_t where id = $1', [70]);
        });
        assert.deepEqual(seen, [{ id: 70 }]);
      } finally {
        await other.end();
      }
      await db.execute('delete from begin_t');
    });
  });
}
