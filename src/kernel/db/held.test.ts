// Rows a transaction holds back until it commits (Queryable.atCommit): written by one statement per kind
// at commit, on PostgreSQL in the commit's own round trip (with `begin` too when nothing else ran); none
// after a rollback; dropped back to a savepoint that is rolled back to; a failing held statement fails
// the commit and the transaction's other writes with it, leaving the connection usable.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { txTestEngines, type OpenedTxEngine } from '../../../test/tx-engines.ts';
import { trySavepoint } from './savepoint.ts';
import type { CommitWrite, Database } from './types.ts';

class Refused extends Error {}
const isRefused = (error: unknown): error is Refused => error instanceof Refused;

const engines = txTestEngines();

for (const engine of engines) {
  describe(`held rows written at commit: ${engine.name}`, { skip: engine.skip }, () => {
    let db: Database;
    let done: () => Promise<void>;
    let commits = 0;
    const write: CommitWrite<{ id: number; note: string }> = {
      statement: (rows) => ({
        text: 'insert into held_t (id, note) select * from unnest($1::int[], $2::text[])',
        params: [rows.map((r) => r.id), rows.map((r) => r.note)],
      }),
      committed: () => (commits += 1),
    };
    const rows = async () => (await db.query<{ id: number; note: string }>('select id, note from held_t order by seq')).map((r) => `${r.id}:${r.note}`);
    // PGlite sends nothing through pg (0): its counts are not asserted.
    let trips: OpenedTxEngine['trips'];

    before(async () => {
      ({ db, done, trips } = await engine.open());
      await db.script('create table held_t (seq serial, id int primary key, note text); create table other_t (id int primary key); create table held_seen (id int primary key)');
      // The connection's first transaction (it prepares `begin` on a trip of its own when statements are prepared).
      await db.transaction((tx) => tx.execute('insert into other_t (id) values ($1)', [-1]));
    });
    after(async () => done?.());

    it('is absent outside a transaction', () => {
      assert.equal(db.atCommit, undefined);
    });

    it('writes the held rows in order with the commit, one statement for all', async () => {
      await db.execute('delete from held_t');
      commits = 0;
      for (const base of [1, 10]) {
        const count = await trips(() =>
          db.transaction(async (tx) => {
            tx.atCommit!(write, { id: base, note: 'a' });
            await tx.execute('insert into other_t (id) values ($1)', [base]);
            tx.atCommit!(write, { id: base + 1, note: 'b' });
            tx.atCommit!(write, { id: base + 2, note: 'c' });
            // Not written yet: held until the commit.
            assert.deepEqual(await tx.query('select id from held_t where id >= $1', [base]), []);
          }),
        );
        // PostgreSQL: begin+insert, select, held insert+commit.
        if (engine.name !== 'PGlite') assert.equal(count, 3);
      }
      assert.deepEqual(await rows(), ['1:a', '2:b', '3:c', '10:a', '11:b', '12:c']);
      assert.equal(commits, 2, 'committed runs once per transaction');
      assert.deepEqual(await db.query('select pg_current_xact_id_if_assigned() as x'), [{ x: null }]);
    });

    it('a transaction of held rows only is one round trip', async () => {
      await db.execute('delete from held_t');
      for (const id of [1, 2, 3]) {
        const count = await trips(() => db.transaction(async (tx) => tx.atCommit!(write, { id, note: 'only' })));
        if (engine.name !== 'PGlite') assert.equal(count, 1);
      }
      assert.deepEqual(await rows(), ['1:only', '2:only', '3:only']);
      // Committed, not left open on the connection: a statement now runs in no writing transaction.
      assert.deepEqual(await db.query('select pg_current_xact_id_if_assigned() as x'), [{ x: null }]);
    });

    it('a rolled-back transaction writes nothing and runs no committed', async () => {
      await db.execute('delete from held_t');
      commits = 0;
      await assert.rejects(
        db.transaction(async (tx) => {
          tx.atCommit!(write, { id: 1, note: 'gone' });
          await tx.execute('insert into other_t (id) values ($1)', [100]);
          throw new Error('no');
        }),
        /no/,
      );
      assert.deepEqual(await rows(), []);
      assert.equal(commits, 0);
      assert.deepEqual(await db.query('select id from other_t where id = $1', [100]), []);
    });

    it('drops what was held after a savepoint rolled back to, keeps the rest in order', async () => {
      await db.execute('delete from held_t');
      await db.transaction(async (tx) => {
        tx.atCommit!(write, { id: 1, note: 'before' });
        await trySavepoint(tx, 'step', async () => {
          tx.atCommit!(write, { id: 2, note: 'refused' });
          throw new Refused();
        }, isRefused);
        await trySavepoint(tx, 'step', async () => tx.atCommit!(write, { id: 3, note: 'kept' }), isRefused);
        // Nested, by hand: the inner one rolled back to, then both released.
        await tx.execute('savepoint outer_one');
        tx.atCommit!(write, { id: 4, note: 'outer' });
        await tx.execute('SAVEPOINT Inner_One');
        tx.atCommit!(write, { id: 5, note: 'inner' });
        await tx.execute('rollback to savepoint inner_one');
        tx.atCommit!(write, { id: 6, note: 'after' });
        await tx.execute('release savepoint inner_one');
        await tx.execute('release outer_one');
        await tx.execute('savepoint last');
        tx.atCommit!(write, { id: 7, note: 'last' });
        await tx.execute('rollback to last');
      });
      assert.deepEqual(await rows(), ['1:before', '3:kept', '4:outer', '6:after']);
    });

    // A second kind, seen by any statement naming its table: written just before such a statement.
    const seenWrite: CommitWrite<{ id: number }> = {
      statement: (rows) => ({ text: 'insert into held_seen (id) select * from unnest($1::int[])', params: [rows.map((r) => r.id)] }),
      readBy: /held_seen/,
    };
    const seen = async () => (await db.query<{ id: number }>('select id from held_seen order by id')).map((r) => r.id);

    it('rows of several kinds go out as one statement with the commit', async () => {
      await db.execute('delete from held_t');
      await db.execute('delete from held_seen');
      const count = await trips(() =>
        db.transaction(async (tx) => {
          await tx.execute('insert into other_t (id) values ($1)', [200]);
          tx.atCommit!(seenWrite, { id: 1 });
          tx.atCommit!(write, { id: 1, note: 'x' });
          tx.atCommit!(seenWrite, { id: 2 });
        }),
      );
      // PostgreSQL: begin+insert, then both kinds' statement + commit.
      if (engine.name !== 'PGlite') assert.equal(count, 2);
      assert.deepEqual(await rows(), ['1:x']);
      assert.deepEqual(await seen(), [1, 2]);
    });

    it('a statement naming a readBy kind\'s table sees its held rows; savepoints still drop or keep them right', async () => {
      await db.execute('delete from held_t');
      await db.execute('delete from held_seen');
      await db.transaction(async (tx) => {
        tx.atCommit!(seenWrite, { id: 1 });
        tx.atCommit!(write, { id: 1, note: 'other kind stays held' });
        // Not naming held_seen: nothing written yet.
        assert.deepEqual(await tx.query('select count(*)::int as n from held_t'), [{ n: 0 }]);
        assert.deepEqual((await tx.query<{ id: number }>('select id from held_seen')).map((r) => r.id), [1]);
        assert.deepEqual(await tx.query('select count(*)::int as n from held_t'), [{ n: 0 }]);
        // Held before a savepoint, written inside it, undone by the rollback to it: held again.
        tx.atCommit!(seenWrite, { id: 2 });
        await tx.execute('savepoint a');
        tx.atCommit!(seenWrite, { id: 3 });
        assert.equal((await tx.execute('delete from held_seen where id = $1', [1])).rowCount, 1);
        await tx.execute('rollback to savepoint a');
        // Written inside a savepoint that is released: stays written.
        await tx.execute('savepoint b');
        tx.atCommit!(seenWrite, { id: 4 });
        assert.deepEqual((await tx.query<{ id: number }>('select id from held_seen order by id')).map((r) => r.id), [1, 2, 4]);
        await tx.execute('release savepoint b');
        tx.atCommit!(seenWrite, { id: 5 });
      });
      assert.deepEqual(await seen(), [1, 2, 4, 5]);
      assert.deepEqual(await rows(), ['1:other kind stays held']);
    });

    it('a failing held statement fails the transaction, undoes its writes, and the connection goes on', async () => {
      await db.execute('delete from held_t');
      await db.execute('delete from other_t');
      await db.transaction(async (tx) => tx.atCommit!(write, { id: 1, note: 'first' }));
      commits = 0;
      for (const alone of [false, true]) {
        await assert.rejects(
          db.transaction(async (tx) => {
            if (!alone) await tx.execute('insert into other_t (id) values ($1)', [7]);
            tx.atCommit!(write, { id: 1, note: 'duplicate' });
          }),
          (error: Error & { code?: string }) => error.code === '23505',
        );
      }
      assert.equal(commits, 0);
      assert.deepEqual(await rows(), ['1:first']);
      assert.deepEqual(await db.query('select id from other_t'), []);
      await db.transaction(async (tx) => {
        await tx.execute('insert into other_t (id) values ($1)', [8]);
        tx.atCommit!(write, { id: 2, note: 'next' });
      });
      assert.deepEqual(await rows(), ['1:first', '2:next']);
    });
  });
}
