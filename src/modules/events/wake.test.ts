// Events modules emit through ctx.events reach subscribers at once, not at the relay's next poll; and a
// forModule subscription sees only events of platforms that have that module on. The polls here are a
// minute long, so within a test's wait only the bus's wake-up can deliver anything.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { asBearer, createTestPlatform, eachDatabase } from '../../../test/harness.ts';
import { waitFor } from '../../../test/wait.ts';

const slowPolls = { eventsPollMs: 60_000, eventsIdleMaxMs: 60_000 };

// On PostgreSQL the bus's wake-up (1 ms after the emit) can run before a slow commit and find nothing;
// the next poll is then a minute away. On PGlite the relay's read queues behind the commit, so the test
// is deterministic there. (A missed wake-up on PostgreSQL costs at most one idle poll in production.)
const skip = (env: { engine: string }) => (env.engine === 'postgres' ? 'the wake-up may precede a slow commit on PostgreSQL' : false);

eachDatabase('event bus wake-up (one-minute polls)', (env) => {
  const createProduct = (token: string, slug: string, handle: string) =>
    asBearer(env.app, token, {
      method: 'POST',
      url: `/admin/platforms/${slug}/products`,
      payload: { handle, title: handle, variants: [{ sku: handle.toUpperCase(), prices: [{ currency: 'USD', amount: 100 }] }] },
    });

  it('delivers a catalog event as soon as its write commits', { skip: skip(env) }, async () => {
    const seen: string[] = [];
    env.souk.events.subscribe('t-wake-catalog', ['catalog.product_created', 'catalog.product_updated'], async (event) => {
      seen.push(`${event.type}:${(event.payload as { handle: string }).handle}`);
    });
    const shop = await createTestPlatform(env, { slug: 'wake' });
    const created = await createProduct(shop.adminToken, 'wake', 'prompt-mug');
    assert.equal(created.statusCode, 201, created.body);
    const updated = await asBearer(env.app, shop.adminToken, { method: 'PATCH', url: `/admin/platforms/wake/products/${created.json().id}`, payload: { title: 'Prompt mug' } });
    assert.equal(updated.statusCode, 200, updated.body);
    // 10 s is far below the one-minute poll: only the wake-up after the emit can deliver these.
    await waitFor('both catalog events', () => seen.length === 2, 10_000);
    assert.deepEqual(seen, ['catalog.product_created:prompt-mug', 'catalog.product_updated:prompt-mug']);
  });

  it('passes forModule subscribers only events of platforms that have the module on', { skip: skip(env) }, async () => {
    const handled: string[] = [];
    env.souk.events.subscribe(
      't-for-webhooks',
      ['catalog.product_created'],
      async (event) => {
        handled.push((event.payload as { handle: string }).handle);
      },
      { forModule: 'webhooks' },
    );
    const off = await createTestPlatform(env, { slug: 'hooks-off', modules: ['catalog'] });
    const on = await createTestPlatform(env, { slug: 'hooks-on', modules: ['catalog', 'webhooks'] });
    assert.equal((await createProduct(off.adminToken, 'hooks-off', 'off-mug')).statusCode, 201);
    assert.equal((await createProduct(on.adminToken, 'hooks-on', 'on-mug')).statusCode, 201);
    // The off platform's event is logged first, so the consumer has passed over it when the other arrives.
    await waitFor('the on platform\'s event', () => handled.length > 0, 10_000);
    assert.deepEqual(handled, ['on-mug']);
    const inbox = await env.souk.database.query<{ platform_id: string | null }>(
      `select l.platform_id from event_inbox i join event_log l on l.id = i.event_id where i.consumer = 't-for-webhooks'`,
    );
    assert.deepEqual(inbox.map((r) => r.platform_id), [on.platform.id]);
  });
}, slowPolls);
