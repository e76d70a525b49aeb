// Wake-ups between nodes on PostgreSQL: a node without the worker role wakes the workers' relay with a
// NOTIFY, and a relay's NOTIFY wakes the consumers of another node. Both are timed against polls far
// longer than the wait, so only the wake-up can explain a delivery within it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSouk, type Souk } from '../../server.ts';
import { openPostgres } from '../../kernel/db/postgres.ts';
import type { Database } from '../../kernel/db/types.ts';
import { createTempPostgres, testConfig } from '../../../test/harness.ts';
import { waitFor } from '../../../test/wait.ts';

const skip = process.env.DATABASE_URL ? false : 'needs PostgreSQL (DATABASE_URL)';

describe('event wake-ups between nodes [postgres]', { skip }, () => {
  let temp: Awaited<ReturnType<typeof createTempPostgres>>;
  const nodes: { souk: Souk; database: Database }[] = [];
  // Short polls after a wake-up (a NOTIFY can arrive before the emitting transaction commits), a minute
  // for consumers while nothing wakes them; the relay's own longest idle sleep is 5 s.
  const start = async (worker: boolean) => {
    const database = await openPostgres(temp.url, 4);
    const souk = await createSouk({ database, logger: false, config: { ...testConfig, seedDemo: false, databaseUrl: temp.url, eventsWorker: worker, eventsPollMs: 100, eventsIdleMaxMs: 100 } });
    nodes.push({ souk, database });
    return souk;
  };
  const emit = (souk: Souk, type: string, n: number) => souk.database.transaction((tx) => souk.events.emit(tx, type, { n }));

  before(async () => {
    temp = await createTempPostgres();
  });
  after(async () => {
    for (const node of nodes.reverse()) {
      await node.souk.close();
      await node.database.close();
    }
    await temp?.drop();
  });

  it('an api node\'s emit wakes the worker\'s idle relay, and the worker\'s relay wakes another worker\'s consumer', async () => {
    const workerA = await start(true);
    const workerB = await start(true);
    const api = await start(false);
    const seen: number[] = [];
    // Only B takes these, so only A's relay NOTIFY (or B's own relay) can bring them to it.
    workerB.events.subscribe('t-wake-nodes', ['wake.nodes'], async (event) => {
      seen.push((event.payload as { n: number }).n);
    });
    // Let every loop reach its longest idle sleep (relay 5 s, consumers a minute).
    await new Promise((resolve) => setTimeout(resolve, 8_000));

    let started = Date.now();
    await emit(api, 'wake.nodes', 1);
    await waitFor('the api node\'s event at the worker', () => seen.includes(1), 10_000);
    const fromApi = Date.now() - started;

    started = Date.now();
    await emit(workerA, 'wake.nodes', 2);
    await waitFor('worker A\'s event at worker B', () => seen.includes(2), 10_000);
    const acrossWorkers = Date.now() - started;

    // Idle polls would take up to 5 s (relay) and a minute (consumer); wake-ups take a few short polls.
    assert.ok(fromApi < 1_500, `the api node's event took ${fromApi} ms`);
    assert.ok(acrossWorkers < 1_500, `worker A's event took ${acrossWorkers} ms to reach worker B`);
    assert.deepEqual(seen, [1, 2]);
  });
});
