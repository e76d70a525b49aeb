// Two Souks sharing one PostgreSQL database and NATS, in one process: a room served by both nodes is
// one room. A viewer on node B sees what is posted on node A and what A's admin does; viewer counts and
// likes are summed across the nodes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { asBearer } from '../../../test/harness.ts';
import type { LiveFrame } from '../../../test/live-client.ts';
import { startTwoLiveNodes, twoNodeSkip, type TwoLiveNodes } from '../../../test/live-two-nodes.ts';

const skip = twoNodeSkip('two-node live', ['postgres', 'nats']);

const textOf = (f: LiveFrame) => (f.message as { text: string }).text;

describe('live rooms across two nodes [postgres, nats]', { skip }, () => {
  let two: TwoLiveNodes;

  before(async () => {
    two = await startTwoLiveNodes({ slug: 'live-nodes' });
  });

  after(() => two.close());

  it('a viewer on B sees chat posted on A and host messages sent through A; counts add up', async () => {
    const signup = await two.env.app.inject({ method: 'POST', url: '/store/customers', headers: { host: two.host }, payload: { email: 'poster@nodes.test', password: 'customer-password', name: 'Poster' } });
    const onA = await two.join(0, { authorization: `Bearer ${signup.json().token}` });
    const onB = await two.join(1);
    await onB.next((f) => f.type === 'counts' && f.viewers === 2, 'two viewers counted on B', 10_000);
    await onA.next((f) => f.type === 'counts' && f.viewers === 2, 'two viewers counted on A', 10_000);

    onA.send({ type: 'post', text: 'hello from A' });
    await onB.next((f) => f.type === 'message' && textOf(f) === 'hello from A', 'chat from A at B');
    const said = await asBearer(two.env.app, two.adminToken, { method: 'POST', url: `/admin/platforms/live-nodes/live/rooms/${two.roomId}/messages`, payload: { text: 'host via A' } });
    assert.equal(said.statusCode, 201);
    await onB.next((f) => f.type === 'message' && textOf(f) === 'host via A', 'host message at B');

    for (let i = 0; i < 30; i += 1) onA.send({ type: 'like' });
    for (let i = 0; i < 20; i += 1) onB.send({ type: 'like' });
    await onA.next((f) => f.type === 'counts' && f.likes === 50, 'likes summed at A', 10_000);
    await onB.next((f) => f.type === 'counts' && f.likes === 50, 'likes summed at B', 10_000);
  });

  it('a message deleted through B disappears at A; a late joiner on B resumes from the shared history', async () => {
    const onA = await two.join(0);
    const ack = await asBearer(two.nodes[1].app, two.adminToken, { method: 'POST', url: `/admin/platforms/live-nodes/live/rooms/${two.roomId}/messages`, payload: { text: 'oops' } });
    const id = ack.json().id as string;
    await onA.next((f) => f.type === 'message' && textOf(f) === 'oops', 'message from B at A');
    const deleted = await asBearer(two.nodes[1].app, two.adminToken, { method: 'DELETE', url: `/admin/platforms/live-nodes/live/rooms/${two.roomId}/messages/${id}` });
    assert.equal(deleted.statusCode, 200, deleted.body);
    await onA.next((f) => f.type === 'deleted' && f.messageId === id, 'deleted at A');
  });
});
