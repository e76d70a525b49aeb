// The attack's confusion table: for each crowd, how each goal (the coupon redemption, the flash-sale
// win) ended, and the headline figures the issue sets goals for: share of the farm's redemptions and
// wins stopped (≥ 95 %), share of ordinary shoppers affected (≤ 1 %).
import type { Table } from '../lib/table.ts';
import type { ActorKind } from './actors.ts';
import { OUTCOMES, type ActorResult, type Outcome } from './simulate.ts';

export const ATTACK_GOALS = { attackerStopped: 0.95, shopperAffected: 0.01 };

export interface AttackSummary {
  attackers: number;
  shoppers: number;
  /** Share of attackers whose coupon redemption was stopped by the risk engine. */
  couponStopped: number;
  /** Share of attackers whose flash-sale win was stopped. */
  saleStopped: number;
  /** Share of shoppers stopped, challenged or held anywhere. */
  shoppersAffected: number;
  /** Visits that hit an answer that is not the risk engine's (should be none). */
  errors: string[];
}

const stopped = (o: Outcome) => o === 'deny' || o === 'challenge' || o === 'review';
const pct = (part: number, whole: number) => (whole === 0 ? '–' : `${((100 * part) / whole).toFixed(1)} %`);

export function summarise(results: readonly ActorResult[]): AttackSummary {
  const of = (kind: ActorKind) => results.filter((r) => r.actor.kind === kind);
  const farm = of('attacker');
  const people = of('shopper');
  return {
    attackers: farm.length,
    shoppers: people.length,
    couponStopped: farm.filter((r) => stopped(r.coupon.outcome)).length / Math.max(1, farm.length),
    saleStopped: farm.filter((r) => stopped(r.sale.outcome)).length / Math.max(1, farm.length),
    shoppersAffected: people.filter((r) => stopped(r.coupon.outcome) || stopped(r.sale.outcome)).length / Math.max(1, people.length),
    errors: results.flatMap((r) => r.errors.map((e) => `${r.actor.kind} ${r.actor.index}: ${e}`)),
  };
}

export function attackTables(results: readonly ActorResult[]): Table[] {
  const kinds: ActorKind[] = ['attacker', 'shopper'];
  const goalTable = (goal: 'coupon' | 'sale', title: string): Table => ({
    title,
    columns: ['crowd', 'count', ...OUTCOMES, 'stopped'],
    rows: kinds.map((kind) => {
      const mine = results.filter((r) => r.actor.kind === kind);
      const counts = OUTCOMES.map((o) => mine.filter((r) => r[goal].outcome === o).length);
      return [kind, mine.length, ...counts, pct(mine.filter((r) => stopped(r[goal].outcome)).length, mine.length)];
    }),
  });
  // Actual (rows) against what the engine did to the visit as a whole (columns).
  const confusion: Table = {
    title: 'Confusion table (a visit is "stopped" when either goal was denied, challenged or held)',
    columns: ['actual \\ engine', 'stopped', 'let through', 'rate'],
    rows: kinds.map((kind) => {
      const mine = results.filter((r) => r.actor.kind === kind);
      const hit = mine.filter((r) => stopped(r.coupon.outcome) || stopped(r.sale.outcome)).length;
      return [kind, hit, mine.length - hit, kind === 'attacker' ? `${pct(hit, mine.length)} caught` : `${pct(hit, mine.length)} affected`];
    }),
  };
  const where: Table = {
    title: 'Where the farm was stopped (first refusal per goal)',
    columns: ['goal', 'signup', 'coupon', 'checkout', 'flash_sale'],
    rows: (['coupon', 'sale'] as const).map((goal) => {
      const farm = results.filter((r) => r.actor.kind === 'attacker' && stopped(r[goal].outcome));
      return [goal === 'coupon' ? 'coupon redemption' : 'flash-sale win', ...['signup', 'coupon', 'checkout', 'flash_sale'].map((at) => farm.filter((r) => r[goal].at === at).length)];
    }),
  };
  return [
    confusion,
    goalTable('coupon', 'New-customer coupon redemptions by outcome'),
    goalTable('sale', 'Flash-sale wins by outcome'),
    where,
  ];
}
