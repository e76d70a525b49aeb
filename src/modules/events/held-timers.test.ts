// Durable timers scheduled in a transaction are held and written at its commit (with its outbox rows, one
// statement), yet a statement of that transaction naming event_timers (a cancel, the CTE form, a read)
// finds them; a savepoint rolled back to drops them; outside a transaction they are written at once.
import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import { eachDatabase } from '../../../test/harness.ts';
import { forPlatform, scopedTransaction, type PlatformDb } from '../../kernel/db/scoped.ts';
import { trySavepoint } from '../../kernel/db/savepoint.ts';
import { newId } from '../../kernel/ids.ts';
import { cancelTimerStatement } from './outbox.ts';

class Refused extends Error {}
const isRefused = (error: unknown): error is Refused => error instanceof Refused;

eachDatabase('durable timers held until commit', (env) => {
  const later = () => new Date(Date.now() + 3_600_000);
  let platform: PlatformDb;
  /** The timers of this test's platform by id, read through a view: a text that does not name event_timers, so it sees only what was written. */
  const written = async (q: { query: PlatformDb['query'] } = platform) =>
    (await q.query<{ id: string }>('select id from held_timers_seen where platform_id = $1 order by id')).map((r) => r.id);

  before(async () => {
    await env.souk.database.script('create view held_timers_seen as select * from event_timers');
  });

  it('outside a transaction a timer is written at once', async () => {
    platform = forPlatform(env.souk.database, newId());
    const id = await env.souk.events.schedule(platform, later(), 'held.timer', { n: 1 });
    assert.deepEqual(await written(), [id]);
    const ids = await env.souk.events.scheduleMany(platform, [{ type: 'held.timer', payload: { n: 2 }, at: later() }]);
    assert.deepEqual(await written(), [id, ...ids].sort());
  });

  it('in a transaction timers (one and many) are held, then written at commit with the outbox rows', async () => {
    platform = forPlatform(env.souk.database, newId());
    const at = later();
    const ids = await platform.transaction(async (tx) => {
      const one = await env.souk.events.schedule(tx, at, 'held.timer', { n: 1 }, { key: 'k1' });
      await env.souk.events.emit(tx, 'held.emitted', { n: 0 });
      const many = await env.souk.events.scheduleMany(tx, [
        { type: 'held.timer', payload: { n: 2 }, at, key: 'k2' },
        { type: 'held.timer', payload: { n: 3 }, at },
      ]);
      assert.deepEqual(await written(tx), [], 'not written before the commit');
      return [one, ...many];
    });
    assert.deepEqual(await written(), [...ids].sort());
    const rows = await env.souk.database.query<{ id: string; key: string | null; payload: { n: number }; fire_at: Date }>(
      'select id, key, payload, fire_at from event_timers where platform_id = $1 order by id',
      [platform.platformId],
    );
    assert.deepEqual(rows.map((r) => [r.key, r.payload.n, r.fire_at.getTime()]), [['k1', 1, at.getTime()], ['k2', 2, at.getTime()], [null, 3, at.getTime()]]);
  });

  it('a rolled-back transaction leaves no timer', async () => {
    platform = forPlatform(env.souk.database, newId());
    await assert.rejects(
      platform.transaction(async (tx) => {
        await env.souk.events.schedule(tx, later(), 'held.timer', {});
        throw new Refused();
      }),
      Refused,
    );
    assert.deepEqual(await written(), []);
  });

  it('cancelTimer in the same transaction finds a held timer (PlatformDb and plain connection)', async () => {
    platform = forPlatform(env.souk.database, newId());
    const [kept, cancelled] = await platform.transaction(async (tx) => {
      const kept = await env.souk.events.schedule(tx, later(), 'held.timer', { n: 1 });
      const gone = await env.souk.events.schedule(tx, later(), 'held.timer', { n: 2 });
      assert.equal(await env.souk.events.cancelTimer(tx, gone), true);
      return [kept, gone];
    });
    assert.deepEqual(await written(), [kept]);
    assert.notEqual(kept, cancelled);
    const plain = await env.souk.database.transaction(async (tx) => {
      const id = await env.souk.events.schedule(tx, later(), 'held.timer', {}, { platformId: platform.platformId });
      return { id, cancelled: await env.souk.events.cancelTimer(tx, id) };
    });
    assert.equal(plain.cancelled, true);
    assert.deepEqual(await written(), [kept]);
  });

  it('the CTE form (cancelTimerStatement) and a read in the same transaction see held timers', async () => {
    platform = forPlatform(env.souk.database, newId());
    const kept = await platform.transaction(async (tx) => {
      const gone = await env.souk.events.schedule(tx, later(), 'held.timer', { n: 1 });
      const kept = await env.souk.events.scheduleMany(tx, [{ type: 'held.timer', payload: { n: 2 }, at: later() }]);
      const [row] = await tx.query<{ n: number }>(`with t as (${cancelTimerStatement('$2')} returning id) select count(*)::int as n from t`, [gone]);
      assert.equal(row!.n, 1);
      const more = await env.souk.events.schedule(tx, later(), 'held.timer', { n: 3 });
      const seen = await tx.query<{ id: string }>('select id from event_timers where platform_id = $1 order by id');
      assert.deepEqual(seen.map((r) => r.id), [...kept, more].sort());
      return [...kept, more];
    });
    assert.deepEqual(await written(), kept.sort());
  });

  it('a savepoint rolled back to drops the timers held or written since, and keeps the others', async () => {
    platform = forPlatform(env.souk.database, newId());
    // Savepoints go on the plain connection (scope.db), the timers through the platform's.
    const kept = await scopedTransaction(env.souk.database, async (scope) => {
      const tx = scope.platform(platform.platformId);
      const before = await env.souk.events.schedule(tx, later(), 'held.timer', { n: 1 });
      await trySavepoint(scope.db, 'step', async () => {
        await env.souk.events.schedule(tx, later(), 'held.timer', { n: 2 });
        throw new Refused();
      }, isRefused);
      // Inside this one the held timers are written (the read names event_timers), then rolled back to.
      await trySavepoint(scope.db, 'step', async () => {
        const inner = await env.souk.events.schedule(tx, later(), 'held.timer', { n: 3 });
        const seen = await tx.query<{ id: string }>('select id from event_timers where platform_id = $1 order by id');
        assert.deepEqual(seen.map((r) => r.id), [before, inner].sort());
        await env.souk.events.schedule(tx, later(), 'held.timer', { n: 4 });
        throw new Refused();
      }, isRefused);
      const after = await env.souk.events.schedule(tx, later(), 'held.timer', { n: 5 });
      return [before, after];
    });
    // The first timer was held before the second savepoint and written inside it: the rollback undid that
    // write on the server, so it was held again and written at commit.
    assert.deepEqual(await written(), kept.sort());
  });
});
