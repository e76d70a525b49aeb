// The shoppers: closed-loop, each on its own keep-alive connection, buyers taken in turn. One client for
// the rush on Souk and for the bare baseline (POST /purchase on bare Fastify), so that the two numbers
// pay the same client cost on the cores they share with the servers.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCpuWatch, type CpuUsage } from '../lib/cpu.ts';
import type { SoukServer, StartedServer } from '../lib/servers.ts';
import { latencyPercentiles, round, SampleBuffer } from '../lib/stats.ts';
import { send } from '../lib/virtual-client.ts';
import type { Shop } from './shop.ts';

interface ShopperTarget {
  /** Shopper s sends to ports[s % ports.length]. */
  ports: number[];
  path: string;
  /** The processes answering, for CPU accounting (summed). */
  serverPids: number[];
}

/** Figures of one closed-loop run of the shoppers. */
export interface ShopperRun {
  durationSeconds: number;
  attempts: number;
  attemptsPerSecond: number;
  answers: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  wonP50Ms: number;
  wonP99Ms: number;
  lostP50Ms: number;
  lostP99Ms: number;
  unitsWon: number;
  /** Seconds from the first attempt to the answer that won unit number `quantity`; null if it did not come. */
  soldOutAfterSeconds: number | null;
  cpu: CpuUsage;
}

/** Which buyer sends the next attempt; the rush keeps one across its runs, the bare baseline its own. */
interface BuyerTurn {
  next: number;
}

const rushTurn: BuyerTurn = { next: 0 };

export async function runShoppers(
  target: ShopperTarget,
  shop: Shop,
  turn: BuyerTurn,
  variantId: string,
  quantity: number,
  shoppers: number,
  durationSeconds: number,
): Promise<ShopperRun> {
  const all = new SampleBuffer();
  const won = new SampleBuffer();
  const lost = new SampleBuffer();
  const answers: Record<string, number> = {};
  let unitsWon = 0;
  let soldOutAt: number | null = null;
  const started = performance.now();
  const deadline = started + durationSeconds * 1000;
  const stopCpu = startCpuWatch(target.serverPids);
  const body = JSON.stringify({ variantId, quantity: 1 });
  const agents: http.Agent[] = [];
  let inWindow = 0;

  const shopper = async (s: number) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    const port = target.ports[s % target.ports.length]!;
    while (performance.now() < deadline) {
      const token = shop.buyers[turn.next++ % shop.buyers.length]!;
      const t0 = performance.now();
      let key: string;
      try {
        const answer = await send(
          agent,
          port,
          'POST',
          target.path,
          { 'x-publishable-key': shop.publishableKey, authorization: `Bearer ${token}`, 'x-device-id': `bench-device-${s}`, accept: 'application/json' },
          body,
        );
        const ms = performance.now() - t0;
        const end = performance.now();
        if (end <= deadline) inWindow += 1;
        all.push(ms);
        let code = '';
        let duplicate = false;
        try {
          const parsed = JSON.parse(answer.body) as { code?: unknown; duplicate?: unknown };
          code = typeof parsed.code === 'string' ? parsed.code : '';
          duplicate = parsed.duplicate === true;
        } catch {
          /* not JSON */
        }
        key = `${answer.status}${code ? ` ${code}` : ''}${duplicate ? ' duplicate' : ''}`;
        if (answer.status === 202 && !duplicate) {
          won.push(ms);
          unitsWon += 1;
          if (unitsWon === quantity) soldOutAt = end;
        } else if (answer.status === 409) {
          lost.push(ms);
        } else if (answer.status >= 500 || answer.status === 429) {
          await sleep(5);
        }
      } catch (error) {
        key = `error: ${error instanceof Error ? error.message.slice(0, 60) : String(error)}`;
        await sleep(5);
      }
      answers[key] = (answers[key] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: shoppers }, (_, s) => shopper(s)));
  const cpu = stopCpu();
  for (const agent of agents) agent.destroy();
  const allMs = latencyPercentiles(all, 2);
  const wonMs = latencyPercentiles(won, 2);
  const lostMs = latencyPercentiles(lost, 2);
  return {
    durationSeconds,
    attempts: all.size,
    attemptsPerSecond: round(inWindow / durationSeconds, 0),
    answers,
    p50Ms: allMs.p50Ms,
    p99Ms: allMs.p99Ms,
    wonP50Ms: wonMs.p50Ms,
    wonP99Ms: wonMs.p99Ms,
    lostP50Ms: lostMs.p50Ms,
    lostP99Ms: lostMs.p99Ms,
    unitsWon,
    soldOutAfterSeconds: soldOutAt === null ? null : round(((soldOutAt as number) - started) / 1000, 2),
    cpu,
  };
}

/** The rush on a sale: the shoppers, spread across the nodes, from 50 ms after its start, for durationSeconds. */
export async function runRush(
  nodes: SoukServer[],
  shop: Shop,
  saleId: string,
  variantId: string,
  quantity: number,
  startsAt: number,
  shoppers: number,
  durationSeconds: number,
): Promise<ShopperRun> {
  const wait = startsAt + 50 - Date.now();
  if (wait > 0) await sleep(wait);
  const target = { ports: nodes.map((n) => n.port), path: `/store/flash-sales/${saleId}/purchase`, serverPids: nodes.map((n) => n.pid) };
  return runShoppers(target, shop, rushTurn, variantId, quantity, shoppers, durationSeconds);
}

/**
 * The bare baseline with the rush's own client: the same shoppers, headers and body against bare
 * Fastify's POST /purchase (parse the JSON, answer a sold-out problem of Souk's size). It never answers
 * 202, so nothing is "won"; its own buyer turn leaves the rush's order of buyers as it was.
 */
const bareTurn: BuyerTurn = { next: 0 };

export function runBareSameClient(bare: StartedServer, shop: Shop, shoppers: number, durationSeconds: number): Promise<ShopperRun> {
  return runShoppers({ ports: [bare.port], path: '/purchase', serverPids: [bare.pid] }, shop, bareTurn, shop.hotVariant, Number.POSITIVE_INFINITY, shoppers, durationSeconds);
}
