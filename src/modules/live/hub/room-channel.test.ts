// A large room's broadcasts are written a slice of viewers at a time, letting the event loop run between
// slices, without changing what each viewer receives or its order.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { BROADCAST_SLICE, RoomChannel, type RoomSnapshot, type Viewer } from './room-channel.ts';
import type { ViewerQueue } from './viewer-queue.ts';

const room: RoomSnapshot = {
  id: 'r',
  platformId: 'p',
  title: 'Slices',
  coverUrl: null,
  hosts: [],
  productIds: [],
  state: 'live',
  scheduledAt: null,
  startedAt: null,
  endedAt: null,
  likes: 0,
};

function viewer(): Viewer & { got: string[] } {
  const got: string[] = [];
  const queue = { send: (frame: Buffer) => got.push(JSON.parse(frame.toString()).n) } as unknown as ViewerQueue;
  return { queue, customerId: null, close: () => undefined, got };
}

async function settle(channel: RoomChannel): Promise<void> {
  while (channel.backlogMs() > 0) await nextTurn();
}

describe('room channel broadcast', () => {
  it('writes a small room at once', () => {
    const channel = new RoomChannel(room, []);
    const viewers = Array.from({ length: BROADCAST_SLICE }, viewer);
    for (const v of viewers) channel.join(v);
    channel.broadcast({ n: 'a' }, 'high');
    assert.ok(viewers.every((v) => v.got.join() === 'a'));
    assert.equal(channel.backlogMs(), 0);
  });

  it('slices a large room, keeps every viewer\'s order, and sends each frame to the viewers present when it was made', async () => {
    const channel = new RoomChannel(room, []);
    const viewers = Array.from({ length: BROADCAST_SLICE * 2 + 500 }, viewer);
    for (const v of viewers) channel.join(v);
    channel.broadcast({ n: 'a' }, 'high');
    assert.equal(viewers.filter((v) => v.got.length === 1).length, BROADCAST_SLICE, 'one slice before the loop is let go');
    assert.ok(channel.backlogMs() >= 0 && viewers.at(-1)!.got.length === 0);

    const late = viewer();
    channel.join(late);
    channel.broadcast({ n: 'b' }, 'high');
    const gone = viewers[1800]!;
    channel.leave(gone);
    await settle(channel);

    for (const v of viewers) assert.deepEqual(v.got, ['a', 'b']);
    assert.deepEqual(late.got, ['b'], 'a joiner after a broadcast was made does not get it');
    // Once the backlog is written, a room back under one slice is written at once again.
    for (const v of viewers.slice(10)) channel.leave(v);
    channel.leave(late);
    channel.broadcast({ n: 'c' }, 'high');
    assert.deepEqual(viewers[0]!.got, ['a', 'b', 'c']);
  });

  it('lets a more important frame go ahead of a less important one still being written', async () => {
    const channel = new RoomChannel(room, []);
    const viewers = Array.from({ length: BROADCAST_SLICE * 3 }, viewer);
    for (const v of viewers) channel.join(v);
    channel.broadcast({ n: 'chat' }, 'low');
    channel.broadcast({ n: 'count' }, 'high');
    channel.broadcast({ n: 'host' }, 'critical');
    await settle(channel);
    assert.deepEqual(viewers[0]!.got, ['chat', 'host', 'count'], 'the first slice had the chat before the others were made');
    assert.deepEqual(viewers.at(-1)!.got, ['host', 'count', 'chat']);
    assert.ok(viewers.every((v) => v.got.length === 3));
  });

  it('reports how long its oldest unfinished broadcast has waited', async () => {
    const channel = new RoomChannel(room, []);
    for (let i = 0; i < BROADCAST_SLICE * 3; i += 1) channel.join(viewer());
    channel.broadcast({ n: 'x' }, 'low');
    channel.broadcast({ n: 'y' }, 'low');
    const started = performance.now();
    while (performance.now() - started < 5) {
      // busy: the slices cannot run
    }
    assert.ok(channel.backlogMs() >= 5);
    await settle(channel);
    assert.equal(channel.backlogMs(), 0);
  });
});
