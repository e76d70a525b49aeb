// Prepared statements on PostgreSQL: a statement that repeats is prepared once per connection, and a
// table whose columns change under a prepared `select *` costs at most one failed statement, never a
// connection that keeps failing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createTempPostgres } from '../../../test/harness.ts';
import { openPostgres } from './postgres.ts';
import { genericPlan, type Database } from './types.ts';

const skip = process.env.DATABASE_URL ? false : 'needs PostgreSQL (DATABASE_URL)';

describe('PostgreSQL prepared statements', { skip }, () => {
  let temp: Awaited<ReturnType<typeof createTempPostgres>>;
  let db: Database;
  let admin: pg.Client;

  before(async () => {
    temp = await createTempPostgres();
    db = await openPostgres(temp.url, 1);
    admin = new pg.Client({ connectionString: temp.url });
    await admin.connect();
    await db.script('create table prepared_t (id int primary key, a text); insert into prepared_t values (1, $$one$$)');
  });
  after(async () => {
    await admin?.end();
    await db?.close();
    await temp?.drop();
  });

  const prepared = async () =>
    (await admin.query<{ n: number }>(`select count(*)::int as n from pg_prepared_statements`)).rows[0]!.n;

  it('prepares a statement the second time it runs, on the connection that runs it', async () => {
    const text = 'select a from prepared_t where id = $1';
    assert.deepEqual(await db.query(text, [1]), [{ a: 'one' }]);
    assert.deepEqual(await db.query(text, [1]), [{ a: 'one' }]);
    assert.deepEqual(await db.query(text, [2]), []);
    // The pool has one connection; pg_prepared_statements is per session, so ask through it.
    const [row] = await db.query<{ n: number }>(`select count(*)::int as n from pg_prepared_statements where statement = $1`, [text]);
    assert.equal(row?.n, 1);
    assert.equal(await prepared(), 0, 'the admin session prepared nothing');
  });

  it("reads a prepared statement's rows as pg does, also once it runs without a Describe", async () => {
    // A repeated column name, nulls, parsed types and a column called __proto__ (left to pg's parsing).
    const texts = [
      `select $1::int as a, null::text as b, 'x' as a, now() - now() as "interval", '{"k":1}'::jsonb as j, 2::int8 as big`,
      `select $1::int as "__proto__", 'y' as c`,
    ];
    for (const text of texts) {
      const expected = (await admin.query(text, [7])).rows;
      for (let run = 0; run < 4; run++) {
        const rows = await (run % 2 ? db.transaction((tx) => tx.query(text, [7])) : db.query(text, [7]));
        assert.deepEqual(rows, expected);
        assert.deepEqual(rows.map((row) => Object.keys(row as object)), expected.map((row) => Object.keys(row as object)));
        assert.equal(Object.getPrototypeOf(rows[0]), Object.getPrototypeOf(expected[0]));
      }
    }
  });

  it('falls back to an unprepared statement when a migration changed the columns of a prepared select *', async () => {
    const text = 'select * from prepared_t where id = $1';
    await db.query(text, [1]);
    await db.query(text, [1]);
    await admin.query('alter table prepared_t add column b text');
    // Outside a transaction the statement runs again unprepared and sees the new column.
    assert.deepEqual(await db.query(text, [1]), [{ id: 1, a: 'one', b: null }]);
    // From then on the text is never prepared again, inside transactions too.
    await admin.query('alter table prepared_t add column c text');
    const rows = await db.transaction((tx) => tx.query(text, [1]));
    assert.deepEqual(rows, [{ id: 1, a: 'one', b: null, c: null }]);
  });

  it('prepares nothing when turned off (a pooler in transaction mode)', async () => {
    const off = await openPostgres(temp.url, 1, { prepare: false });
    try {
      const text = 'select a from prepared_t where id = $1 and $2::int = 2';
      for (let i = 0; i < 3; i += 1) await off.query(text, [1, 2]);
      const [row] = await off.query<{ n: number }>(`select count(*)::int as n from pg_prepared_statements where statement = $1`, [text]);
      assert.equal(row?.n, 0);
    } finally {
      await off.close();
    }
  });

  it('runs a statement marked genericPlan with plan_cache_mode = force_generic_plan, and every other one as configured', async () => {
    const mode = 'select current_setting($1) as m';
    const modeOf = async (q: { query: Database['query'] }, text: string) => (await q.query<{ m: string }>(text, ['plan_cache_mode']))[0]?.m;
    // One connection: each statement finds it in the mode the one before left it.
    assert.equal(await modeOf(db, genericPlan(mode)), 'force_generic_plan');
    assert.equal(await modeOf(db, genericPlan(mode)), 'force_generic_plan');
    assert.equal(await modeOf(db, mode), 'auto');
    await modeOf(db, genericPlan(mode));
    // A transaction starts in the default mode whatever the client was left in, marked statements included,
    // and leaves the client as it found it, committed or rolled back.
    assert.equal(await db.transaction((tx) => modeOf(tx, genericPlan(mode))), 'auto');
    await assert.rejects(
      db.transaction(async (tx) => {
        assert.equal(await modeOf(tx, mode), 'auto');
        throw new Error('roll back');
      }),
    );
    assert.equal(await modeOf(db, genericPlan(mode)), 'force_generic_plan');
    assert.equal(await modeOf(db, mode), 'auto');
    assert.equal(await db.transaction((tx) => modeOf(tx, mode)), 'auto');
  });

  it('leaves the plan mode alone when statements are not prepared', async () => {
    const off = await openPostgres(temp.url, 1, { prepare: false });
    try {
      const [row] = await off.query<{ m: string }>(genericPlan('select current_setting($1) as m'), ['plan_cache_mode']);
      assert.equal(row?.m, 'auto');
    } finally {
      await off.close();
    }
  });

  it('survives its connection being killed during a statement, and goes on with a new one', async () => {
    // Its failure is caught at once: it can arrive while the loop below still awaits the admin session,
    // and a rejection nobody handles yet fails the test on its own.
    const sleeping = db.query('select pg_sleep(5)').then(
      () => undefined,
      (error: unknown) => error,
    );
    // Wait until the statement runs, then end its backend from another session.
    for (let i = 0; i < 100; i += 1) {
      const { rowCount } = await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where query = 'select pg_sleep(5)' and pid <> pg_backend_pid()`);
      if (rowCount) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // 57P01 as a rule; a socket closed before the server's answer is read fails without a code.
    assert.ok((await sleeping) instanceof Error, 'the statement failed with its connection');
    assert.deepEqual(await db.query('select 1 as one', []), [{ one: 1 }]);
  });
});
