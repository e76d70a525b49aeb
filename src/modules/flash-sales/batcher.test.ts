// The group-commit batcher: items queued in one turn of the event loop run as one batch, a key never has
// more than its maximum of batches running, items that arrive meanwhile form the next batch, keys do not
// mix, and a failed batch fails its own items only.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Batcher } from './batcher.ts';

function recorder(options: { maxBatch?: number; maxInFlight?: number; failWhen?: (items: number[]) => boolean } = {}) {
  const batches: { key: string; items: number[] }[] = [];
  let running = 0;
  let maxRunning = 0;
  const release: (() => void)[] = [];
  const batcher = new Batcher<number, number>({
    maxBatch: options.maxBatch ?? 100,
    maxInFlight: options.maxInFlight ?? 1,
    run: async (key, items) => {
      batches.push({ key, items });
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      await new Promise<void>((resolve) => release.push(resolve));
      running -= 1;
      if (options.failWhen?.(items)) throw new Error(`batch ${items.join(',')} failed`);
      return items.map((n) => n * 10);
    },
  });
  return { batcher, batches, release, maxRunning: () => maxRunning };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

test('items submitted in one turn share a batch; later ones wait for the next while the key is busy', async () => {
  const r = recorder({ maxInFlight: 1 });
  const first = [1, 2, 3].map((n) => r.batcher.submit('a', n));
  await turn();
  assert.deepEqual(r.batches, [{ key: 'a', items: [1, 2, 3] }]);
  const second = [4, 5].map((n) => r.batcher.submit('a', n));
  await turn();
  assert.equal(r.batches.length, 1, 'the key is at its one batch in flight: 4 and 5 wait');
  r.release.shift()!();
  assert.deepEqual(await Promise.all(first), [10, 20, 30]);
  await turn();
  assert.deepEqual(r.batches[1], { key: 'a', items: [4, 5] });
  r.release.shift()!();
  assert.deepEqual(await Promise.all(second), [40, 50]);
  assert.equal(r.maxRunning(), 1);
});

test('batches are cut at maxBatch, keys are batched apart, and up to maxInFlight run at once', async () => {
  const r = recorder({ maxBatch: 2, maxInFlight: 2 });
  const answers = [1, 2, 3, 4, 5].map((n) => r.batcher.submit('a', n));
  const other = r.batcher.submit('b', 9);
  await turn();
  assert.deepEqual(
    r.batches.map((b) => `${b.key}:${b.items.join(',')}`),
    ['a:1,2', 'a:3,4', 'b:9'],
  );
  while (r.release.length > 0 || r.batches.length < 4) {
    r.release.shift()?.();
    await turn();
  }
  assert.deepEqual(await Promise.all(answers), [10, 20, 30, 40, 50]);
  assert.equal(await other, 90);
  assert.deepEqual(r.batches[3], { key: 'a', items: [5] });
  assert.equal(r.maxRunning(), 3, 'two of key a and one of key b');
});

test('a failed batch rejects its own items and the next batch still runs', async () => {
  const r = recorder({ failWhen: (items) => items.includes(2) });
  const doomed = [1, 2].map((n) => r.batcher.submit('a', n));
  await turn();
  const later = r.batcher.submit('a', 3);
  r.release.shift()!();
  for (const d of doomed) await assert.rejects(d, /batch 1,2 failed/);
  await turn();
  r.release.shift()!();
  assert.equal(await later, 30);
});
