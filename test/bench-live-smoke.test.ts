// Keeps the live-room benchmark (`npm run bench -- live`) from rotting: its one-room part at toy size
// (200 viewers in 2 rooms' worth of load, a 2 s window) against a real Souk and the bare ws server, each
// in its own process with separate viewer and poster processes, checking that the harness measures
// something and that no high-priority message is lost. Not a benchmark: the figures are not looked at.
// (The many-rooms and two-node parts share every piece but their setup.)
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { CleanupStack } from '../bench/lib/cleanup.ts';
import { describeMachine } from '../bench/lib/machine.ts';
import { liveScenario } from '../bench/scenarios/live.ts';
import type { TargetResult } from '../bench/live/measure.ts';

const cleanup = new CleanupStack();
after(() => cleanup.runAll());

it('runs the live benchmark at toy size: every viewer connects, frames arrive, no high-priority loss', { timeout: 600_000 }, async () => {
  const flags = Object.fromEntries(Object.entries(liveScenario.flags ?? {}).map(([name, flag]) => [name, flag.default]));
  Object.assign(flags, { parts: 'single', viewers: '200', likes: '200', drain: '1', 'probe-every': '5' });
  const report = await liveScenario.run({
    options: { durationSeconds: 2, connections: 1, rounds: 1, warmupSeconds: 0, quietWaitSeconds: 0, engines: ['embedded'], pgAdminUrl: '', soukEnv: {} },
    flags,
    cleanup,
    machine: describeMachine(),
    log: () => {},
  });
  assert.deepEqual(report.data.failures, [], 'no target failed');
  const parts = report.data.parts as { part: string; runs: Record<string, TargetResult[]> }[];
  assert.deepEqual(parts.map((p) => p.part), ['single']);
  for (const part of parts) {
    assert.deepEqual(Object.keys(part.runs).sort(), ['bare ws (ceiling)', 'souk (embedded)']);
    for (const [label, [result]] of Object.entries(part.runs)) {
      const what = `${part.part} / ${label}`;
      assert.ok(result, what);
      assert.equal(result.connect.failed, 0, `${what}: ${result.connect.firstErrors.join('; ')}`);
      assert.ok(result.deliveriesPerSecond > 0, `${what}: deliveries`);
      assert.ok(result.posters.chatAcked > 0 && result.posters.highAccepted > 0, `${what}: the servers accepted the posts`);
      assert.ok(result.latency.chat.samples > 0 && result.latency.high.samples > 0, `${what}: latency samples`);
      assert.equal(result.received.highMissing, 0, `${what}: no high-priority message lost`);
      assert.ok(Number.isFinite(result.memory.kibPerConnection), `${what}: memory read`);
    }
  }
  assert.equal(report.tables.length, 2, 'the part\'s table and the verdicts');
});
