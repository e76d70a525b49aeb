// The send queue's rules without a network: a fake socket whose unsent bytes the test controls.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrame, type Frame } from './lanes.ts';
import { ViewerQueue, type FrameSocket } from './viewer-queue.ts';

class FakeSocket implements FrameSocket {
  bufferedAmount = 0;
  readyState = 1;
  sent: unknown[] = [];
  terminated = false;
  send(data: Frame): void {
    this.sent.push(JSON.parse(data.toString()));
  }
  terminate(): void {
    this.terminated = true;
  }
}

const frame = (n: number, kind: string) => encodeFrame({ type: 'message', n, kind });
const options = { limit: 4, highWaterBytes: 1000, capPerSecond: 1000 };

it('sends straight through while the socket keeps up', () => {
  const socket = new FakeSocket();
  const queue = new ViewerQueue(socket, options);
  queue.send(frame(1, 'chat'), 'low');
  queue.send(frame(2, 'host'), 'critical');
  assert.equal(socket.sent.length, 2);
  assert.equal(queue.depth, 0);
  queue.close();
});

it('behind the high-water mark: drops the oldest chat first, never critical, tells the viewer, sends critical first', () => {
  const socket = new FakeSocket();
  const queue = new ViewerQueue(socket, options);
  socket.bufferedAmount = 5000;
  for (let i = 0; i < 6; i += 1) queue.send(frame(i, 'chat'), 'low');
  queue.send(frame(100, 'gift'), 'high');
  for (let i = 0; i < 20; i += 1) queue.send(frame(200 + i, 'host'), 'critical');
  assert.equal(socket.sent.length, 0);
  // 6 chat + 1 high in 4 places: the 3 oldest chat went.
  assert.equal(queue.counters.dropped, 3);
  socket.bufferedAmount = 0;
  queue.flush();
  const sent = socket.sent as Array<{ type: string; n?: number; count?: number }>;
  assert.deepEqual(sent[0], { type: 'missed', count: 3 });
  assert.deepEqual(sent.slice(1, 21).map((f) => f.n), Array.from({ length: 20 }, (_, i) => 200 + i), 'every critical frame, in order, first');
  assert.deepEqual(sent.slice(21).map((f) => f.n), [100, 3, 4, 5], 'then high, then the newest chat');
  queue.close();
});

it('a queue full of high frames loses the oldest high one; chat alone is sampled by the cap', () => {
  const socket = new FakeSocket();
  const queue = new ViewerQueue(socket, { ...options, capPerSecond: 3 });
  for (let i = 0; i < 10; i += 1) queue.send(frame(i, 'chat'), 'low');
  assert.equal(socket.sent.length, 3, 'three chat frames this second');
  assert.equal(queue.counters.sampled, 7);
  socket.bufferedAmount = 5000;
  for (let i = 0; i < 6; i += 1) queue.send(frame(50 + i, 'gift'), 'high');
  assert.equal(queue.counters.dropped, 2);
  socket.bufferedAmount = 0;
  queue.flush();
  assert.deepEqual((socket.sent.slice(4) as Array<{ n: number }>).map((f) => f.n), [52, 53, 54, 55]);
  queue.close();
});

it('cuts a viewer that takes no critical frames at all', () => {
  const socket = new FakeSocket();
  const queue = new ViewerQueue(socket, options);
  socket.bufferedAmount = 5000;
  for (let i = 0; i <= 10_000; i += 1) queue.send(frame(i, 'host'), 'critical');
  assert.equal(socket.terminated, true);
  assert.equal(queue.depth, 0);
});
