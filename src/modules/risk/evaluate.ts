// The evaluator: a checked policy document compiled once into closures, then run per decision with no
// I/O and no allocation beyond the explanation. It never throws on a document checkPolicy accepts: an
// absent signal or a value of another type makes a comparison false, never an error.
import type { Signals, SignalValue } from './signals/extract.ts';
import { ACTIONS, type Condition, type PolicyDocument, type RiskAction } from './policy.ts';

type Test = (signals: Signals) => boolean;

/** One rule that fired, as explanations and stored decisions show it. */
export interface FiredRule {
  rule: string;
  /** What the rule added to the score (0 when it only forces an action). */
  score: number;
  action?: RiskAction;
}

export interface Outcome {
  action: RiskAction;
  level: number;
  score: number;
  fired: FiredRule[];
}

export interface CompiledPolicy {
  evaluate(signals: Signals): Outcome;
  allowSampleRate: number;
  /** Every signal name the rules read: what the engine must compute for this policy (signals/plan.ts). */
  signals: ReadonlySet<string>;
}

const SEVERITY: Readonly<Record<RiskAction, number>> = { allow: 0, challenge: 1, review: 2, deny: 3 };
/** The least level a forced action implies, so a forced deny never reads as "low risk". */
const FORCED_LEVEL: Readonly<Record<RiskAction, number>> = { allow: 0, challenge: 2, review: 3, deny: 4 };

export const moreSevere = (a: RiskAction, b: RiskAction): RiskAction => (SEVERITY[b] > SEVERITY[a] ? b : a);

function compare(op: 'gt' | 'gte' | 'lt' | 'lte', value: number): (v: SignalValue | undefined) => boolean {
  switch (op) {
    case 'gt':
      return (v) => typeof v === 'number' && v > value;
    case 'gte':
      return (v) => typeof v === 'number' && v >= value;
    case 'lt':
      return (v) => typeof v === 'number' && v < value;
    case 'lte':
      return (v) => typeof v === 'number' && v <= value;
  }
}

export function compileCondition(condition: Condition): Test {
  if ('all' in condition) {
    const parts = condition.all.map(compileCondition);
    return (s) => parts.every((t) => t(s));
  }
  if ('any' in condition) {
    const parts = condition.any.map(compileCondition);
    return (s) => parts.some((t) => t(s));
  }
  if ('not' in condition) {
    const inner = compileCondition(condition.not);
    return (s) => !inner(s);
  }
  const name = condition.signal;
  switch (condition.op) {
    case 'eq': {
      const value = condition.value;
      return (s) => s[name] === value;
    }
    case 'ne': {
      const value = condition.value;
      return (s) => s[name] !== undefined && s[name] !== value;
    }
    case 'in':
    case 'not_in': {
      const set = new Set<string | number>(condition.values);
      const wanted = condition.op === 'in';
      return (s) => {
        const v = s[name];
        return v !== undefined && typeof v !== 'boolean' && set.has(v) === wanted;
      };
    }
    case 'present':
      return (s) => s[name] !== undefined;
    case 'absent':
      return (s) => s[name] === undefined;
    default: {
      const test = compare(condition.op, condition.value);
      return (s) => test(s[name]);
    }
  }
}

/** The signal names a condition reads, added to into. */
export function conditionSignals(condition: Condition, into: Set<string>): Set<string> {
  if ('all' in condition) for (const part of condition.all) conditionSignals(part, into);
  else if ('any' in condition) for (const part of condition.any) conditionSignals(part, into);
  else if ('not' in condition) conditionSignals(condition.not, into);
  else into.add(condition.signal);
  return into;
}

/** Compiles a document checkPolicy accepted. */
export function compilePolicy(doc: PolicyDocument): CompiledPolicy {
  const rules = doc.rules.map((rule) => ({ id: rule.id, test: compileCondition(rule.when), score: rule.score ?? 0, action: rule.action }));
  const thresholds = doc.thresholds;
  const actions = doc.actions;
  const signals = new Set<string>();
  for (const rule of doc.rules) conditionSignals(rule.when, signals);
  return {
    allowSampleRate: doc.allowSampleRate ?? 0.05,
    signals,
    evaluate(signals) {
      let score = 0;
      let forced: RiskAction = 'allow';
      const fired: FiredRule[] = [];
      for (const rule of rules) {
        if (!rule.test(signals)) continue;
        score += rule.score;
        if (rule.action) {
          forced = moreSevere(forced, rule.action);
          fired.push({ rule: rule.id, score: rule.score, action: rule.action });
        } else fired.push({ rule: rule.id, score: rule.score });
      }
      let level = 0;
      while (level < 4 && score >= thresholds[level]!) level++;
      const action = moreSevere(actions[level]!, forced);
      return { action, level: Math.max(level, FORCED_LEVEL[forced]), score, fired };
    },
  };
}

export { ACTIONS };
