// A transaction's last statement carrying its commit (Queryable.queryThenCommit): on PostgreSQL the
// statement, the held rows' statement and `commit` go out as one round trip (with `begin` too when it is
// the first statement); rows come back only once committed; a failing statement or commit commits
// nothing; the transaction is over afterwards; inside a savepoint or a joined transaction it commits
// nothing early; lastQuery falls back to a plain query where there is no way to ride.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { txTestEngines, type OpenedTxEngine } from '../../../test/tx-engines.ts';
import { retryTransientConflicts } from './retry.ts';
import { trySavepoint } from './savepoint.ts';
import { forPlatform, scopedTransaction } from './scoped.ts';
import { tracedDatabase } from './traced.ts';
import { lastQuery, type CommitWrite, type Database } from './types.ts';

class Refused extends Error {}
const isRefused = (error: unknown): error is Refused => error instanceof Refused;

const engines = txTestEngines();

for (const engine of engines) {
  describe(`queryThenCommit: ${engine.name}`, { skip: engine.skip }, () => {
    let db: Database;
    let done: () => Promise<void>;
    let commits = 0;
    const write: CommitWrite<{ id: number }> = {
      statement: (rows) => ({ text: 'insert into ride_held (id) select * from unnest($1::int[])', params: [rows.map((r) => r.id)] }),
      committed: () => (commits += 1),
    };
    const other: CommitWrite<{ id: number }> = {
      statement: (rows) => ({ text: 'insert into ride_other (id) select * from unnest($1::int[])', params: [rows.map((r) => r.id)] }),
      committed: () => (commits += 1),
    };
    const insert = 'insert into ride_t (id, note) values ($1, $2) returning id, note';
    const ids = async (table = 'ride_t') => (await db.query<{ id: number }>(`select id from ${table} order by id`)).map((r) => r.id);
    // PGlite sends nothing through pg (0): its counts are not asserted.
    let trips: OpenedTxEngine['trips'];
    const clear = () => db.script('delete from ride_t; delete from ride_held; delete from ride_other; delete from ride_deferred');
    const notInTransaction = async () => assert.deepEqual(await db.query('select pg_current_xact_id_if_assigned() as x'), [{ x: null }]);

    before(async () => {
      ({ db, done, trips } = await engine.open());
      await db.script(`create table ride_t (id int primary key, note text);
        create table ride_held (id int primary key);
        create table ride_other (id int primary key);
        create table ride_deferred (id int primary key, parent int references ride_t (id) deferrable initially deferred);
        create function ride_conflict(n int) returns int language plpgsql as $$
          begin if n > 0 then raise exception 'conflict' using errcode = '40001'; end if; return n; end $$;`);
      // The connection's first transaction (it prepares `begin` on a trip of its own when statements are prepared).
      await db.transaction((tx) => tx.execute('insert into ride_t (id) values ($1)', [-1]));
      await clear();
    });
    after(async () => done?.());

    it('is absent outside a transaction; lastQuery then runs a plain query', async () => {
      assert.equal(db.queryThenCommit, undefined);
      assert.deepEqual(await lastQuery(db, insert, [1, 'plain']), [{ id: 1, note: 'plain' }]);
      assert.deepEqual(await ids(), [1]);
      await clear();
    });

    it('returns the rows and commits with the last statement: one round trip fewer', async () => {
      // Twice, so the statements are prepared (named) the second time when preparing is on.
      for (const base of [1, 10]) {
        const count = await trips(() =>
          db.transaction(async (tx) => {
            await tx.execute('insert into ride_t (id, note) values ($1, $2)', [base, 'a']);
            assert.deepEqual(await tx.queryThenCommit!(insert, [base + 1, 'b']), [{ id: base + 1, note: 'b' }]);
          }),
        );
        // begin + insert, then insert + commit.
        if (engine.pg) assert.equal(count, 2);
      }
      assert.deepEqual(await ids(), [1, 2, 10, 11]);
      await notInTransaction();
      await clear();
    });

    it('as the first statement: begin, statement and commit in one round trip', async () => {
      for (const id of [1, 2, 3]) {
        const count = await trips(() => db.transaction((tx) => lastQuery(tx, insert, [id, 'only'])));
        if (engine.pg) assert.equal(count, 1);
      }
      assert.deepEqual(await ids(), [1, 2, 3]);
      await notInTransaction();
      await clear();
    });

    it('carries the held rows of every kind, runs their committed hooks, still one round trip', async () => {
      commits = 0;
      for (const base of [1, 10]) {
        const count = await trips(() =>
          db.transaction(async (tx) => {
            tx.atCommit!(write, { id: base });
            tx.atCommit!(other, { id: base });
            tx.atCommit!(write, { id: base + 1 });
            const rows = await tx.queryThenCommit!<{ id: number }>('select count(*)::int as n from ride_held where id >= $1', [base]);
            // The held rows go out after the statement: it does not see them.
            assert.deepEqual(rows, [{ n: 0 }]);
            assert.equal(commits, 2 * (base === 1 ? 1 : 2), 'committed ran once the commit went through');
          }),
        );
        if (engine.pg) assert.equal(count, 1);
      }
      assert.deepEqual(await ids('ride_held'), [1, 2, 10, 11]);
      assert.deepEqual(await ids('ride_other'), [1, 10]);
      assert.equal(commits, 4);
      await notInTransaction();
      await clear();
    });

    it('a held statement the connection has prepared rides by name', async () => {
      // Committed the ordinary way twice: prepared on the connection (when preparing is on).
      for (const id of [100, 101, 102]) await db.transaction(async (tx) => tx.atCommit!(write, { id }));
      for (const id of [1, 2]) {
        const count = await trips(() =>
          db.transaction(async (tx) => {
            tx.atCommit!(write, { id });
            assert.deepEqual(await tx.queryThenCommit!(insert, [id, 'with held']), [{ id, note: 'with held' }]);
          }),
        );
        if (engine.pg) assert.equal(count, 1);
      }
      assert.deepEqual(await ids('ride_held'), [1, 2, 100, 101, 102]);
      assert.deepEqual(await ids(), [1, 2]);
      await clear();
    });

    it('a failing statement commits nothing, writes no held rows, and the connection goes on', async () => {
      await db.transaction((tx) => tx.execute('insert into ride_t (id) values ($1)', [1]));
      commits = 0;
      for (const first of [true, false]) {
        await assert.rejects(
          db.transaction(async (tx) => {
            if (!first) await tx.execute('insert into ride_t (id) values ($1)', [2]);
            tx.atCommit!(write, { id: 1 });
            await tx.queryThenCommit!(insert, [1, 'duplicate']);
          }),
          (error: Error & { code?: string }) => error.code === '23505',
        );
      }
      // The same when the callback catches the error: the transaction still fails with it.
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.execute('insert into ride_t (id) values ($1)', [3]);
          await tx.queryThenCommit!(insert, [1, 'duplicate']).catch(() => undefined);
          return 'swallowed';
        }),
        (error: Error & { code?: string }) => error.code === '23505',
      );
      assert.equal(commits, 0);
      assert.deepEqual(await ids(), [1]);
      assert.deepEqual(await ids('ride_held'), []);
      await notInTransaction();
      await db.transaction((tx) => lastQuery(tx, insert, [2, 'next']));
      assert.deepEqual(await ids(), [1, 2]);
      await clear();
    });

    it('a failing commit (deferred constraint) surfaces and commits nothing', async () => {
      commits = 0;
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.execute('insert into ride_t (id) values ($1)', [5]);
          tx.atCommit!(write, { id: 5 });
          // Checked at commit only: no parent 99.
          await tx.queryThenCommit!('insert into ride_deferred (id, parent) values ($1, $2) returning id', [1, 99]);
        }),
        (error: Error & { code?: string }) => error.code === '23503',
      );
      assert.equal(commits, 0);
      assert.deepEqual(await ids(), []);
      assert.deepEqual(await ids('ride_held'), []);
      assert.deepEqual(await ids('ride_deferred'), []);
      await notInTransaction();
    });

    it('a serialization failure in the last statement retries the whole transaction', async () => {
      let attempts = 0;
      const rows = await retryTransientConflicts(() =>
        db.transaction(async (tx) => {
          attempts += 1;
          await tx.execute('insert into ride_t (id) values ($1)', [attempts]);
          return tx.queryThenCommit!<{ n: number }>('select ride_conflict($1) as n', [attempts === 1 ? 1 : 0]);
        }),
      );
      assert.equal(attempts, 2);
      assert.deepEqual(rows, [{ n: 0 }]);
      assert.deepEqual(await ids(), [2]);
      await clear();
    });

    it('the transaction is over afterwards: further use throws, a later throw keeps the commit', async () => {
      const count = await trips(() =>
        assert.rejects(
          db.transaction(async (tx) => {
            await tx.queryThenCommit!(insert, [1, 'kept']);
            await assert.rejects(tx.query('select 1 as one'), /transaction is over/);
            await assert.rejects(tx.execute('insert into ride_t (id) values ($1)', [2]), /transaction is over/);
            await assert.rejects(tx.queryThenCommit!(insert, [3, 'no']), /transaction is over/);
            assert.throws(() => tx.atCommit!(write, { id: 4 }), /transaction is over/);
            throw new Error('after the commit');
          }),
          /after the commit/,
        ),
      );
      // Nothing after the one round trip: no second commit, no rollback.
      if (engine.pg) assert.equal(count, 1);
      assert.deepEqual(await ids(), [1]);
      assert.deepEqual(await ids('ride_held'), []);
      await notInTransaction();
      await clear();
    });

    it('inside a savepoint it is a plain query: the step can still be rolled back, the transaction commits at its end', async () => {
      await db.transaction(async (tx) => {
        await tx.execute('insert into ride_t (id) values ($1)', [1]);
        await trySavepoint(tx, 'step', async () => {
          await tx.queryThenCommit!(insert, [2, 'refused']);
          throw new Refused();
        }, isRefused);
        await trySavepoint(tx, 'step', () => tx.queryThenCommit!(insert, [3, 'kept']), isRefused);
        // Still open: the last statement commits it.
        await tx.queryThenCommit!(insert, [4, 'last']);
      });
      assert.deepEqual(await ids(), [1, 3, 4]);
      await notInTransaction();
      await clear();
    });

    it('passes through a PlatformDb and tracing; a joined transaction falls back to a plain query', async () => {
      const pdb = forPlatform(tracedDatabase(db), '00000000-0000-0000-0000-000000000001');
      assert.equal(pdb.queryThenCommit, undefined);
      const rows = await pdb.transaction(async (tx) => {
        assert.equal(typeof tx.queryThenCommit, 'function');
        await tx.transaction(async (joined) => {
          assert.equal(joined.queryThenCommit, undefined);
          // Falls back: nothing committed yet, the outer callback goes on.
          await lastQuery(joined, 'insert into ride_t (id, note) values ($2, $1::text) returning id', [1]);
        });
        await tx.execute('insert into ride_t (id, note) values ($2, $1::text)', [2]);
        return lastQuery<{ id: number }>(tx, 'insert into ride_t (id, note) values ($2, $1::text) returning id', [3]);
      });
      assert.deepEqual(rows, [{ id: 3 }]);
      assert.deepEqual(await ids(), [1, 2, 3]);
      await notInTransaction();
      await clear();
    });

    it("a scoped transaction's parts, handed to code that did not open it, cannot commit it", async () => {
      await scopedTransaction(db, async (scope) => {
        assert.equal(scope.db.queryThenCommit, undefined);
        const platform = scope.platform('00000000-0000-0000-0000-000000000001');
        assert.equal(platform.queryThenCommit, undefined);
        // Falls back to a plain query: the scope's next statement still runs in the open transaction.
        await lastQuery(platform, 'insert into ride_t (id, note) values ($2, $1::text) returning id', [1]);
        await platform.execute('insert into ride_t (id, note) values ($2, $1::text)', [2]);
      });
      assert.deepEqual(await ids(), [1, 2]);
      await notInTransaction();
      await clear();
    });
  });
}
