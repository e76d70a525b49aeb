// emitMany holds its rows like emit: written with the transaction's other held rows at commit (trace
// and order kept), none after a rollback or a savepoint rolled back to; outside a transaction, or through
// a connection that cannot hold rows, the batch is written at once.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { eachDatabase } from '../../../test/harness.ts';
import { forPlatform, scopedTransaction, type PlatformDb } from '../../kernel/db/scoped.ts';
import { trySavepoint } from '../../kernel/db/savepoint.ts';
import { newId } from '../../kernel/ids.ts';

class Refused extends Error {}
const isRefused = (error: unknown): error is Refused => error instanceof Refused;
const traceparent = '00-4bf92f3577b34da6a3ce929d0e0736aa-00f067aa0ba902b7-01';

eachDatabase('emitMany held until commit', (env) => {
  /** A platform's events of a type, outbox or log (the relay may have moved them already). */
  const events = async (platformId: string) =>
    (
      await env.souk.database.query<{ id: string; n: number; traceparent: string | null }>(
        `select id, (payload->>'n')::int as n, traceparent from event_outbox where platform_id = $1 and type = 'held.many'
         union all select id, (payload->>'n')::int as n, traceparent from event_log where platform_id = $1 and type = 'held.many'
         order by id`,
        [platformId],
      )
    ).map((r) => ({ id: r.id, n: r.n, trace: r.traceparent?.split('-')[1] }));

  it('outside a transaction the batch is written, in order', async () => {
    const platform = forPlatform(env.souk.database, newId());
    const ids = await env.souk.events.emitMany(platform, [1, 2, 3].map((n) => ({ type: 'held.many', payload: { n } })));
    assert.deepEqual((await events(platform.platformId)).map((e) => [e.id, e.n]), ids.map((id, i) => [id, i + 1]));
  });

  it('through a connection that cannot hold rows (a wrapper without atCommit) the batch is written at once', async () => {
    const platform = forPlatform(env.souk.database, newId());
    // Its transaction hands back itself, still without atCommit: emitMany must not open one again and again.
    const plain: PlatformDb = {
      platformId: platform.platformId,
      engine: platform.engine,
      query: (text, params) => platform.query(text, params),
      execute: (text, params) => platform.execute(text, params),
      maybeOne: (text, params) => platform.maybeOne(text, params),
      transaction: (fn) => fn(plain),
    };
    const ids = await env.souk.events.emitMany(plain, [1, 2].map((n) => ({ type: 'held.many', payload: { n } })));
    assert.deepEqual((await events(platform.platformId)).map((e) => [e.id, e.n]), ids.map((id, i) => [id, i + 1]));
  });

  it('in a transaction the batch waits for the commit and keeps each event\'s trace; rollbacks drop it', async () => {
    const platformId = newId();
    const ids = await scopedTransaction(env.souk.database, async (scope) => {
      const tx = scope.platform(platformId);
      const kept = await env.souk.events.emitMany(tx, [
        { type: 'held.many', payload: { n: 1 }, trace: { traceparent, causedBy: null } },
        { type: 'held.many', payload: { n: 2 } },
      ]);
      await trySavepoint(scope.db, 'step', async () => {
        await env.souk.events.emitMany(tx, [{ type: 'held.many', payload: { n: 3 } }]);
        throw new Refused();
      }, isRefused);
      const last = await env.souk.events.emit(tx, 'held.many', { n: 4 });
      const [row] = await tx.query<{ n: number }>('select count(*)::int as n from event_outbox where platform_id = $1', []);
      assert.equal(row!.n, 0, 'held until the commit');
      return [...kept, last];
    });
    const written = await events(platformId);
    assert.deepEqual(written.map((e) => [e.id, e.n]), [[ids[0], 1], [ids[1], 2], [ids[2], 4]]);
    assert.equal(written[0]!.trace, traceparent.split('-')[1]);
    const other = newId();
    await assert.rejects(
      forPlatform(env.souk.database, other).transaction(async (tx) => {
        await env.souk.events.emitMany(tx, [{ type: 'held.many', payload: { n: 5 } }]);
        throw new Refused();
      }),
      Refused,
    );
    assert.deepEqual(await events(other), []);
  });
});
