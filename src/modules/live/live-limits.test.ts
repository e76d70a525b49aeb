// Chat limits across two Souks sharing PostgreSQL, NATS and Redis: a customer with a socket on each node
// has one posts-per-window count and one slow-mode wait (limits.ts keeps them in Redis), so posting
// through the other node does not double the allowance.
import { after, before, it, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { asBearer } from '../../../test/harness.ts';
import type { LiveClient, LiveFrame } from '../../../test/live-client.ts';
import { startTwoLiveNodes, twoNodeSkip, type TwoLiveNodes } from '../../../test/live-two-nodes.ts';

const skip = twoNodeSkip('two-node limits', ['postgres', 'nats', 'redis']);

describe('live chat limits across two nodes [postgres, nats, redis]', { skip }, () => {
  let two: TwoLiveNodes;

  before(async () => {
    two = await startTwoLiveNodes({ slug: 'live-limits', redis: true, settings: { live: { postsPerWindow: 3, postWindowSeconds: 60 } }, title: 'Limits' });
  });

  after(() => two.close());

  const customer = async (name: string) => {
    const res = await two.env.app.inject({ method: 'POST', url: '/store/customers', headers: { host: two.host }, payload: { email: `${name}-${randomBytes(3).toString('hex')}@limits.test`, password: 'customer-password', name } });
    assert.equal(res.statusCode, 201, res.body);
    return res.json().token as string;
  };
  const join = (node: 0 | 1, token: string) => two.join(node, { authorization: `Bearer ${token}` });
  /** Posts and waits for its answer: the ack, or the error frame with its code. */
  const post = async (client: LiveClient, ref: string): Promise<LiveFrame> => {
    client.send({ type: 'post', text: `post ${ref}`, ref });
    return client.next((f) => (f.type === 'ack' || f.type === 'error') && f.ref === ref, `answer to ${ref}`);
  };

  it('counts a customer\'s posts once over both nodes', async () => {
    const token = await customer('Two-sockets');
    const onA = await join(0, token);
    const onB = await join(1, token);
    assert.equal((await post(onA, 'a1')).type, 'ack');
    assert.equal((await post(onB, 'b1')).type, 'ack');
    assert.equal((await post(onA, 'a2')).type, 'ack');
    const fourth = await post(onB, 'b2');
    assert.equal(fourth.code, 'rate_limited', 'the fourth post in the window is refused on the other node too');
    assert.equal((await post(onA, 'a3')).code, 'rate_limited');
  });

  it('keeps one slow-mode wait over both nodes', async () => {
    const slow = await asBearer(two.nodes[0].app, two.adminToken, { method: 'PUT', url: `/admin/platforms/live-limits/live/rooms/${two.roomId}/slow-mode`, payload: { seconds: 30 } });
    assert.equal(slow.statusCode, 200, slow.body);
    const token = await customer('Slow');
    const onA = await join(0, token);
    const onB = await join(1, token);
    // Node B has heard of slow mode (through NATS) once one of B's posts is refused by it.
    assert.equal((await post(onA, 's1')).type, 'ack');
    const onOther = await post(onB, 's2');
    assert.equal(onOther.code, 'slow_mode', 'the post through B waits out the wait A started');
    assert.match(String(onOther.message), /wait (29|30) s/);
  });
});
