// Emitting events through the rig's Souk and waiting until they are delivered: the steps every events
// phase is made of (the backlog and live phases differ only in how they pace the emits).
import { setTimeout as sleep } from 'node:timers/promises';
import { round } from '../lib/stats.ts';
import { EVENT_TYPE, PLATFORM_ID, type Rig, type Tracker } from './souk-rig.ts';

export async function emitTransaction(rig: Rig, t: Tracker, eventsPerTx: number, emitter: number): Promise<void> {
  const started = performance.now();
  const ids = await rig.souk.ctx.transaction(async (tx) => {
    const platform = tx.platform(PLATFORM_ID);
    const out: string[] = [];
    for (let k = 0; k < eventsPerTx; k++) out.push(await rig.souk.events.emit(platform, EVENT_TYPE, { p: t.id, e: emitter, k }));
    return out;
  });
  const committed = performance.now();
  t.emitTxMs.push(committed - started);
  for (const id of ids) t.emitted.set(id, committed);
}

/**
 * Lets the event loop turn between two transactions of a closed-loop client, as requests arriving over
 * sockets do. Without it, on PGlite (whose queries resolve without I/O) the emitters' promise chains
 * would keep every timer, the bus's wake-ups included, from running until they stop.
 */
export const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** `clients` closed-loop clients, each running `step` back to back until `endAt` (a performance.now() time). */
export async function runClosedLoop(clients: number, endAt: number, step: (client: number) => Promise<void>): Promise<void> {
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      while (performance.now() < endAt) await step(client);
    }),
  );
}

export interface DrainOutcome {
  complete: boolean;
  waitedSeconds: number;
}

/** Waits until every emitted event was handled (and its delivery acknowledged), or the timeout. */
export async function waitUntilHandled(rig: Rig, t: Tracker, timeoutSeconds: number): Promise<DrainOutcome> {
  const started = performance.now();
  const done = () => t.handled.size >= t.emitted.size && (!rig.ackedLagHooked || t.acked >= t.emitted.size);
  while (!done() && performance.now() - started < timeoutSeconds * 1000) await sleep(10);
  // A little longer, so a duplicate delivery right behind the last one is seen too.
  await sleep(200);
  return { complete: done(), waitedSeconds: round((performance.now() - started) / 1000, 2) };
}

/**
 * Waits until every consumer on the bus (the modules' own too, e.g. webhooks on "*") has reached the end
 * of the transport, so the next phase does not start on another consumer's leftovers. Returns the wait.
 */
export async function waitAllConsumers(rig: Rig, timeoutSeconds: number): Promise<{ seconds: number; lagging: Record<string, number> }> {
  const transport = rig.souk.events.requireTransport();
  const started = performance.now();
  for (;;) {
    const lags = await Promise.all(rig.souk.events.consumers().map(async (c) => [c, await transport.lag(c).catch(() => Number.NaN)] as const));
    const lagging = Object.fromEntries(lags.filter(([, n]) => !(n === 0)));
    if (Object.keys(lagging).length === 0 || performance.now() - started > timeoutSeconds * 1000) {
      return { seconds: round((performance.now() - started) / 1000, 2), lagging };
    }
    await sleep(50);
  }
}
