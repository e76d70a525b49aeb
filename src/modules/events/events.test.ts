// The event backbone on the embedded transport (PGlite and PostgreSQL): emit inside a transaction,
// delivery exactly once through the inbox, retries, dead letters and re-queueing, replay, durable timers,
// causal chain and trace.
import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import { asBearer, createTestPlatform, eachDatabase } from '../../../test/harness.ts';
import { waitFor } from '../../../test/wait.ts';
import { pruneLog } from './relay.ts';
import type { DeliveredEvent } from './types.ts';

const fast = { eventsPollMs: 10, eventsRetryInitialMs: 20, eventsRetryMaxMs: 80 };

eachDatabase('event backbone (embedded transport)', (env) => {
  const count = async (sql: string, params: unknown[] = []) => (await env.souk.database.query<{ n: number }>(sql, params))[0]!.n;
  const effects = (consumer: string) => count('select count(*)::int as n from test_effects where consumer = $1', [consumer]);

  before(async () => {
    await env.souk.database.script(`
      create table test_effects (consumer text not null, event_id uuid not null, primary key (consumer, event_id));
      create table test_counter (consumer text primary key, n int not null);
      create table test_order (at bigserial primary key, n int not null);`);
  });

  /** A handler whose effect is one effects row and one counter increment per handled event. */
  const recordEffect = (consumer: string) => async (event: DeliveredEvent, tx: Parameters<Parameters<typeof env.souk.events.subscribe>[2]>[1]) => {
    await tx.db.execute('insert into test_effects (consumer, event_id) values ($1, $2)', [consumer, event.id]);
    await tx.db.execute('insert into test_counter (consumer, n) values ($1, 1) on conflict (consumer) do update set n = test_counter.n + 1', [consumer]);
  };
  const counter = async (consumer: string) => (await env.souk.database.query<{ n: number }>('select n from test_counter where consumer = $1', [consumer]))[0]?.n ?? 0;

  it('delivers an event committed with the business write once, and nothing for a rolled-back one', async () => {
    env.souk.events.subscribe('t-once', ['demo.created'], recordEffect('t-once'));
    const committed = await env.souk.database.transaction((tx) => env.souk.events.emit(tx, 'demo.created', { n: 1 }));
    await assert.rejects(
      env.souk.database.transaction(async (tx) => {
        await env.souk.events.emit(tx, 'demo.created', { n: 2 });
        throw new Error('business write failed');
      }),
      /business write failed/,
    );
    await waitFor('the committed event', async () => (await effects('t-once')) === 1);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await effects('t-once'), 1);
    assert.equal(await count('select count(*)::int as n from test_effects where event_id = $1', [committed]), 1);
    assert.equal(await count('select count(*)::int as n from event_outbox'), 0);
  });

  it('passes over events a consumer does not accept, without an inbox row, and moves on', async () => {
    env.souk.events.subscribe('t-picky', ['picky.thing'], recordEffect('t-picky'), { accepts: (event) => (event.payload as { keep: boolean }).keep });
    const ids: string[] = [];
    for (const keep of [false, true, false, true]) ids.push(await env.souk.database.transaction((tx) => env.souk.events.emit(tx, 'picky.thing', { keep })));
    await waitFor('the accepted events', async () => (await effects('t-picky')) === 2);
    const inbox = await env.souk.database.query<{ event_id: string }>(`select event_id from event_inbox where consumer = 't-picky' order by event_id`);
    assert.deepEqual(inbox.map((r) => r.event_id), [ids[1], ids[3]].sort());
    await waitFor('the position past the last event', async () => (await env.souk.events.requireTransport().lag('t-picky')) === 0);
  });

  it('retries a handler that throws, with backoff, until it succeeds (unordered and ordered)', async () => {
    for (const ordered of [false, true]) {
      const name = `t-flaky-${ordered ? 'ordered' : 'unordered'}`;
      const attempts: number[] = [];
      env.souk.events.subscribe(name, ['flaky.thing'], async (event, tx) => {
        if (event.payload !== name) return;
        attempts.push(event.attempt);
        if (attempts.length <= 3) throw new Error(`failure ${attempts.length}`);
        await recordEffect(name)(event, tx);
      }, { ordered, maxAttempts: 6 });
      await env.souk.database.transaction((tx) => env.souk.events.emit(tx, 'flaky.thing', name));
      await waitFor(`${name} to succeed`, async () => (await effects(name)) === 1);
      assert.deepEqual(attempts, [1, 2, 3, 4]);
      assert.equal(await counter(name), 1);
    }
  });

  it('ordered consumers handle events in emit order even when an earlier event needs retries', async () => {
    let failures = 0;
    env.souk.events.subscribe('t-ordered', ['seq.step'], async (event, tx) => {
      const n = (event.payload as { n: number }).n;
      if (n === 2 && failures < 2) {
        failures += 1;
        throw new Error('not yet');
      }
      // Recorded in the handler's transaction: a rolled-back batch leaves no trace.
      await tx.db.execute('insert into test_order (n) values ($1)', [n]);
    }, { ordered: true });
    await env.souk.database.transaction(async (tx) => {
      for (let n = 1; n <= 5; n += 1) await env.souk.events.emit(tx, 'seq.step', { n }, { key: 'order-1' });
    });
    const seen = await waitFor('all five steps', async () => {
      const rows = await env.souk.database.query<{ n: number }>('select n from test_order order by at');
      return rows.length === 5 ? rows.map((r) => r.n) : undefined;
    });
    assert.deepEqual(seen, [1, 2, 3, 4, 5]);
    assert.equal(failures, 2);
  });

  it('a handler that always throws ends in the dead-letter store and can be re-queued through the admin API', async () => {
    let healed = false;
    env.souk.events.subscribe('t-dead', ['doomed.thing'], async (event, tx) => {
      if (!healed) throw new Error('cannot handle this');
      await recordEffect('t-dead')(event, tx);
    }, { maxAttempts: 3 });
    const eventId = await env.souk.database.transaction((tx) => env.souk.events.emit(tx, 'doomed.thing', { x: 1 }));
    const owner = (options: Parameters<typeof asBearer>[2]) => asBearer(env.app, env.ownerToken, options);
    const dead = await waitFor('a dead letter', async () => {
      const res = await owner({ url: '/admin/events/dead-letters?consumer=t-dead' });
      return res.json().items[0];
    });
    assert.equal(dead.eventId, eventId);
    assert.equal(dead.attempts, 3);
    assert.match(dead.lastError, /cannot handle this/);
    const status = await owner({ url: '/admin/events/consumers' });
    assert.equal(status.json().items.find((c: { consumer: string }) => c.consumer === 't-dead').dead, 1);
    // The event's own page names the consumer that gave up on it, and no handler of it.
    const page = (await owner({ url: `/admin/events/${eventId}` })).json();
    assert.deepEqual(page.deadLetters.map((d: { id: string; consumer: string }) => [d.id, d.consumer]), [[dead.id, 't-dead']]);
    assert.ok(!page.handledBy.some((h: { consumer: string }) => h.consumer === 't-dead'));
    assert.ok(!page.retrying.some((r: { consumer: string }) => r.consumer === 't-dead'));

    healed = true;
    const requeued = await owner({ method: 'POST', url: `/admin/events/dead-letters/${dead.id}/requeue` });
    assert.equal(requeued.statusCode, 200, requeued.body);
    assert.equal(requeued.json().status, 'requeued');
    await waitFor('the re-queued event to be handled', async () => (await effects('t-dead')) === 1);
    const again = await owner({ method: 'POST', url: `/admin/events/dead-letters/${dead.id}/requeue` });
    assert.equal(again.statusCode, 409);
  });

  it('replay from a time re-delivers retained events; the inbox keeps the effects once', async () => {
    env.souk.events.subscribe('t-replay', ['replay.me'], recordEffect('t-replay'));
    const since = new Date(Date.now() - 1000).toISOString();
    for (let i = 0; i < 5; i += 1) await env.souk.database.transaction((tx) => env.souk.events.emit(tx, 'replay.me', { i }));
    await waitFor('five effects', async () => (await effects('t-replay')) === 5);
    const duplicatesBefore = await duplicates('t-replay');
    const res = await asBearer(env.app, env.ownerToken, { method: 'POST', url: '/admin/events/consumers/t-replay/replay', payload: { since } });
    assert.equal(res.statusCode, 202, res.body);
    await waitFor('the replayed events to come through again', async () => (await duplicates('t-replay')) - duplicatesBefore >= 5);
    assert.equal(await effects('t-replay'), 5);
    assert.equal(await counter('t-replay'), 5);

    // A consumer that subscribes later reads the retained history from the start.
    env.souk.events.subscribe('t-latecomer', ['replay.me'], recordEffect('t-latecomer'));
    await waitFor('the latecomer to catch up', async () => (await effects('t-latecomer')) === 5);
  });

  it('refuses a replay offset beyond the head (422) or past 2^53 (400), and changes no position', async () => {
    env.souk.events.subscribe('t-far', ['far.thing'], recordEffect('t-far'));
    await env.souk.database.transaction((tx) => env.souk.events.emit(tx, 'far.thing', { n: 1 }));
    await waitFor('the first event', async () => (await effects('t-far')) === 1);
    const head = async () => count('select coalesce(max(seq), 0)::int as n from event_log');
    const position = async () => count(`select position::int as n from event_consumers where name = 't-far'`);
    const replay = (payload: string) =>
      asBearer(env.app, env.ownerToken, { method: 'POST', url: '/admin/events/consumers/t-far/replay', headers: { 'content-type': 'application/json' }, payload });
    await waitFor('the consumer at the head', async () => (await position()) === (await head()));
    const at = await position();

    const beyond = await replay(JSON.stringify({ offset: (await head()) + 1000 }));
    assert.equal(beyond.statusCode, 422, beyond.body);
    assert.equal(beyond.json().code, 'offset_beyond_head');
    assert.ok(beyond.json().head >= at, beyond.body);
    for (const raw of ['{"offset": 9007199254740993}', '{"offset": 1e300}']) {
      const rounded = await replay(raw);
      assert.equal(rounded.statusCode, 400, rounded.body);
      // The edge's input guard refuses an unsafe number in any body before the route sees it.
      assert.equal(rounded.json().code, 'invalid_number');
    }
    assert.equal(await position(), at);

    // head + 1 is "from the next event": accepted, and the next event is delivered.
    const next = await replay(JSON.stringify({ offset: (await head()) + 1 }));
    assert.equal(next.statusCode, 202, next.body);
    await env.souk.database.transaction((tx) => env.souk.events.emit(tx, 'far.thing', { n: 2 }));
    await waitFor('the event after the replay', async () => (await effects('t-far')) === 2);
  });

  it('reports a consumer parked beyond the head with a negative lag, not 0', async () => {
    const top = await count('select coalesce(max(seq), 0)::int as n from event_log');
    // What a replay beyond the head did before it was refused: the position past every event.
    await env.souk.database.execute('insert into event_consumers (name, position) values ($1, $2)', ['t-parked', top + 1000]);
    const lag = await env.souk.events.requireTransport().lag('t-parked');
    assert.ok(lag <= -990 && lag >= -1000, `lag ${lag}`);
    const listed = (await asBearer(env.app, env.ownerToken, { url: '/admin/events/consumers' })).json();
    assert.equal(listed.transport, 'embedded');
  });

  async function duplicates(consumer: string): Promise<number> {
    const metrics = await env.souk.ctx.metrics.getSingleMetricAsString('souk_events_duplicates_total');
    const match = new RegExp(`consumer="${consumer}"} (\\d+)`).exec(metrics);
    return Number(match?.[1] ?? 0);
  }

  it('a durable timer fires once, at its time', async () => {
    env.souk.events.subscribe('t-timer', ['reminder.due'], recordEffect('t-timer'));
    const at = new Date(Date.now() + 300);
    await env.souk.database.transaction((tx) => env.souk.events.schedule(tx, at, 'reminder.due', { order: 1 }));
    const cancelled = await env.souk.database.transaction(async (tx) => {
      const id = await env.souk.events.schedule(tx, at, 'reminder.due', { order: 2 });
      return env.souk.events.cancelTimer(tx, id);
    });
    assert.equal(cancelled, true);
    await waitFor('the timer', async () => (await effects('t-timer')) === 1);
    const [row] = await env.souk.database.query<{ logged_at: Date; emitted_at: Date }>(`select logged_at, emitted_at from event_log where type = 'reminder.due'`);
    assert.ok(row!.emitted_at.getTime() >= at.getTime() - 5, 'fired before its time');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await effects('t-timer'), 1);
  });

  it('records the causal chain and carries the trace from the HTTP request through handlers', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0736aa';
    env.souk.events.subscribe('t-chain-1', ['chain.started'], async (event, tx) => {
      await env.souk.events.emit(tx.db, 'chain.continued', { from: event.id });
    });
    env.souk.events.subscribe('t-chain-2', ['chain.continued'], async (event, tx) => {
      await env.souk.events.emit(tx.db, 'chain.finished', { from: event.id });
    });
    // Emit from inside a real request so the trace starts at the HTTP boundary: creating a product
    // emits catalog.product_created, handled here by a consumer that starts the chain.
    env.souk.events.subscribe('t-chain-0', ['catalog.product_created'], async (event, tx) => {
      await env.souk.events.emit(tx.db, 'chain.started', { product: (event.payload as { productId: string }).productId });
    });
    const shop = await createTestPlatform(env, { slug: 'traced' });
    const created = await asBearer(env.app, shop.adminToken, {
      method: 'POST',
      url: '/admin/platforms/traced/products',
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      payload: { handle: 'traced-thing', title: 'Traced', variants: [{ sku: 'TRACED-1', prices: [{ currency: 'USD', amount: 100 }] }] },
    });
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(created.headers['x-trace-id'], traceId);
    const [origin] = await env.souk.database.query<{ id: string }>(
      `select id from (select id, type, payload from event_log union all select id, type, payload from event_outbox) e
       where type = 'catalog.product_created' and payload->>'handle' = 'traced-thing'`,
    );
    const started = origin!.id;
    const owner = (url: string) => asBearer(env.app, env.ownerToken, { url });
    const chain = await waitFor('the whole chain', async () => {
      const res = await owner(`/admin/events/${started}`);
      return res.statusCode === 200 && res.json().effects.length === 3 ? res.json() : undefined;
    });
    assert.equal(chain.event.traceId, traceId);
    assert.equal(chain.event.platformId, shop.platform.id);
    assert.deepEqual(chain.effects.map((e: { event: { type: string } }) => e.event.type), ['chain.started', 'chain.continued', 'chain.finished']);
    assert.ok(chain.effects.every((e: { event: { traceId: string } }) => e.event.traceId === traceId));
    assert.ok(chain.handledBy.some((h: { consumer: string }) => h.consumer === 't-chain-0'));
    assert.deepEqual([chain.retrying, chain.deadLetters], [[], []]);
    const last = chain.effects[2].event.id;
    const up = (await owner(`/admin/events/${last}`)).json();
    assert.deepEqual(up.causes.map((e: { type: string }) => e.type), ['catalog.product_created', 'chain.started', 'chain.continued']);
    assert.equal((await owner('/admin/events/00000000-0000-7000-8000-000000000000')).statusCode, 404);
  });

  // Last: it prunes the whole retained log.
  it('retention keeps the newest event, so seqs never restart below the consumers and the head stays', async () => {
    env.souk.events.subscribe('t-retained', ['kept.thing'], recordEffect('t-retained'));
    await env.souk.database.transaction((tx) => env.souk.events.emit(tx, 'kept.thing', { n: 1 }));
    await waitFor('the first event', async () => (await effects('t-retained')) === 1);
    const head = await count('select coalesce(max(seq), 0)::int as n from event_log');
    await pruneLog(env.souk.ctx.db, -60_000);
    assert.equal(await count('select coalesce(max(seq), 0)::int as n from event_log'), head);
    assert.equal(await count('select count(*)::int as n from event_log where seq < $1', [head]), 0);
    const replay = await asBearer(env.app, env.ownerToken, { method: 'POST', url: '/admin/events/consumers/t-retained/replay', payload: { offset: head + 1 } });
    assert.equal(replay.statusCode, 202, replay.body);
    await env.souk.database.transaction((tx) => env.souk.events.emit(tx, 'kept.thing', { n: 2 }));
    await waitFor('the event after retention', async () => (await effects('t-retained')) === 2);
    // The new event continues the sequence instead of starting again from 1.
    assert.ok((await count(`select max(seq)::int as n from event_log where type = 'kept.thing'`)) > head);
  });
}, fast);
