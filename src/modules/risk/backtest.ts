// Backtests: a draft policy run over the decisions stored for a point in a time range, reporting how
// many would change action, from what to what, and which rules made the difference. Each stored
// decision keeps the signals its rules saw (velocity counts as they were at that moment), so the draft
// is judged on exactly what the live policy was judged on; nothing is re-counted or written. Decisions a
// list made stay as they were: lists decide before any policy. Allows are stored as a sample (the
// policy's allowSampleRate), so changes from allow are counted over that sample; the report says so.
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { compilePolicy, type FiredRule } from './evaluate.ts';
import { checkPolicy, type DecisionPoint, type PolicyDocument, type RiskAction } from './policy.ts';
import { backtestRangeInvalid, policyInvalid } from './problems.ts';
import { decisionsInRange } from './store.ts';

/** At most this many decisions per backtest; the report says when the range held more. */
export const BACKTEST_MAX_DECISIONS = 200_000;
const PAGE = 2_000;

export interface BacktestRule {
  rule: string;
  /** Decisions in which the rule fired when they were made. */
  firedBefore: number;
  /** Decisions in which it fires under the draft. */
  firedAfter: number;
  /** Decisions whose action changed and in which this rule fired differently (only before, only after, or with another effect). */
  changedDecisions: number;
}

export interface BacktestReport {
  point: DecisionPoint;
  since: string;
  until: string;
  /** Stored decisions examined (every non-allow, a sample of allows). */
  examined: number;
  /** Of those, decided by a list (unchanged by any policy). */
  listed: number;
  changed: number;
  /** Examined decisions by the action they had and the action the draft gives, changed ones only. */
  transitions: { from: RiskAction; to: RiskAction; count: number }[];
  /** Actions of the examined decisions, as made and under the draft. */
  before: Record<RiskAction, number>;
  after: Record<RiskAction, number>;
  rules: BacktestRule[];
  /** The range held more than BACKTEST_MAX_DECISIONS decisions; the oldest ones were examined. */
  truncated: boolean;
  /** Up to 20 changed decisions' ids, to read one by one. */
  examples: { id: string; from: RiskAction; to: RiskAction }[];
}

const zero = (): Record<RiskAction, number> => ({ allow: 0, challenge: 0, review: 0, deny: 0 });
const effect = (f: FiredRule) => `${f.score}|${f.action ?? ''}`;

export interface BacktestRange {
  since: Date;
  until?: Date;
}

export async function backtest(pdb: PlatformDb, point: DecisionPoint, draft: unknown, range: BacktestRange, max = BACKTEST_MAX_DECISIONS): Promise<BacktestReport> {
  const fault = checkPolicy(draft);
  if (fault) throw policyInvalid(fault);
  const until = range.until ?? new Date();
  if (!(range.since.getTime() < until.getTime())) throw backtestRangeInvalid('since must be before until');
  const compiled = compilePolicy(draft as PolicyDocument);

  const report: BacktestReport = {
    point,
    since: range.since.toISOString(),
    until: until.toISOString(),
    examined: 0,
    listed: 0,
    changed: 0,
    transitions: [],
    before: zero(),
    after: zero(),
    rules: [],
    truncated: false,
    examples: [],
  };
  const rules = new Map<string, BacktestRule>();
  const ruleOf = (id: string) => {
    let r = rules.get(id);
    if (!r) rules.set(id, (r = { rule: id, firedBefore: 0, firedAfter: 0, changedDecisions: 0 }));
    return r;
  };
  const transitions = new Map<string, { from: RiskAction; to: RiskAction; count: number }>();

  let after: string | null = null;
  while (report.examined < max) {
    const page = await decisionsInRange(pdb, point, range.since, until, after, Math.min(PAGE, max - report.examined));
    if (page.length === 0) break;
    after = page[page.length - 1]!.id;
    for (const d of page) {
      report.examined += 1;
      report.before[d.action] += 1;
      if (d.listed) {
        report.listed += 1;
        report.after[d.action] += 1;
        continue;
      }
      const outcome = compiled.evaluate(d.signals);
      report.after[outcome.action] += 1;
      for (const f of d.fired) ruleOf(f.rule).firedBefore += 1;
      for (const f of outcome.fired) ruleOf(f.rule).firedAfter += 1;
      if (outcome.action === d.action) continue;
      report.changed += 1;
      const key = `${d.action}>${outcome.action}`;
      const t = transitions.get(key);
      if (t) t.count += 1;
      else transitions.set(key, { from: d.action, to: outcome.action, count: 1 });
      if (report.examples.length < 20) report.examples.push({ id: d.id, from: d.action, to: outcome.action });
      const was = new Map(d.fired.map((f) => [f.rule, effect(f)]));
      const now = new Map(outcome.fired.map((f) => [f.rule, effect(f)]));
      for (const id of new Set([...was.keys(), ...now.keys()])) if (was.get(id) !== now.get(id)) ruleOf(id).changedDecisions += 1;
    }
    if (page.length < PAGE) break;
  }
  if (report.examined >= max) report.truncated = (await decisionsInRange(pdb, point, range.since, until, after, 1)).length > 0;
  report.transitions = [...transitions.values()].sort((a, b) => b.count - a.count);
  report.rules = [...rules.values()].sort((a, b) => b.changedDecisions - a.changedDecisions || b.firedAfter - a.firedAfter || a.rule.localeCompare(b.rule));
  return report;
}
