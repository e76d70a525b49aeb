// A risk policy as data: the document an operator writes for one decision point of one platform. Rules
// hold conditions over named signals (signals.ts); each rule that fires adds its score and may force an
// action. The summed score maps to a level 0-4 through four thresholds, and the level to an action.
//
// The schema is the whole contract: a document it accepts is one the evaluator can run (it never throws
// on one), and checkPolicy names the first bad part of any other, so a bad document is a 400 that
// changes nothing.
import { Type } from 'typebox';
import { Value } from 'typebox/value';
import { SIGNAL_NAMES } from './signals/catalogue.ts';

export const DECISION_POINTS = ['signup', 'login', 'coupon', 'checkout', 'flash_sale', 'payment', 'live_chat', 'live_gift'] as const;
export type DecisionPoint = (typeof DECISION_POINTS)[number];

/** Actions in rising severity: a decision takes the most severe of the level's action and any forced one. */
export const ACTIONS = ['allow', 'challenge', 'review', 'deny'] as const;
export type RiskAction = (typeof ACTIONS)[number];

/** Bounds that keep one document cheap to evaluate (well under a millisecond) and to store. */
export const POLICY_LIMITS = { rules: 100, conditionNodes: 400, conditionDepth: 8, listValues: 1000 } as const;

const Scalar = Type.Union([Type.String({ maxLength: 200 }), Type.Number(), Type.Boolean()]);
const SignalName = Type.Union([
  ...SIGNAL_NAMES.map((name) => Type.Literal(name)),
  // Callers (phase 2 hooks) may pass signals of their own; rules name them custom.<name>.
  Type.String({ pattern: '^custom\\.[a-z][a-z0-9_]{0,39}$' }),
]);

const Condition = Type.Cyclic(
  {
    Condition: Type.Union([
      Type.Object({ all: Type.Array(Type.Ref('Condition'), { minItems: 1, maxItems: 50 }) }, { additionalProperties: false }),
      Type.Object({ any: Type.Array(Type.Ref('Condition'), { minItems: 1, maxItems: 50 }) }, { additionalProperties: false }),
      Type.Object({ not: Type.Ref('Condition') }, { additionalProperties: false }),
      Type.Object({ signal: SignalName, op: Type.Union([Type.Literal('eq'), Type.Literal('ne')]), value: Scalar }, { additionalProperties: false }),
      Type.Object(
        { signal: SignalName, op: Type.Union([Type.Literal('gt'), Type.Literal('gte'), Type.Literal('lt'), Type.Literal('lte')]), value: Type.Number() },
        { additionalProperties: false },
      ),
      Type.Object(
        {
          signal: SignalName,
          op: Type.Union([Type.Literal('in'), Type.Literal('not_in')]),
          values: Type.Array(Type.Union([Type.String({ maxLength: 200 }), Type.Number()]), { maxItems: POLICY_LIMITS.listValues }),
        },
        { additionalProperties: false },
      ),
      Type.Object({ signal: SignalName, op: Type.Union([Type.Literal('present'), Type.Literal('absent')]) }, { additionalProperties: false }),
    ]),
  },
  'Condition',
);
/**
 * The TypeScript view of a condition, written out: TypeBox cannot infer a union of literal signal names
 * spread from an array, and the schema above stays the one source of what is accepted.
 */
export type Condition =
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition }
  | { signal: string; op: 'eq' | 'ne'; value: string | number | boolean }
  | { signal: string; op: 'gt' | 'gte' | 'lt' | 'lte'; value: number }
  | { signal: string; op: 'in' | 'not_in'; values: (string | number)[] }
  | { signal: string; op: 'present' | 'absent' };

const ForcedAction = Type.Union([Type.Literal('challenge'), Type.Literal('review'), Type.Literal('deny')]);
const Action = Type.Union(ACTIONS.map((a) => Type.Literal(a)));

export const Rule = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]{0,63}$', description: 'Names the rule in explanations and stored decisions' }),
    description: Type.Optional(Type.String({ maxLength: 500 })),
    when: Condition,
    score: Type.Optional(Type.Number({ minimum: -1000, maximum: 1000, description: 'Added to the decision score when the rule fires' })),
    action: Type.Optional(ForcedAction),
  },
  { additionalProperties: false },
);
export interface Rule {
  id: string;
  description?: string;
  when: Condition;
  score?: number;
  action?: Exclude<RiskAction, 'allow'>;
}

export const PolicyDocument = Type.Object(
  {
    rules: Type.Array(Rule, { maxItems: POLICY_LIMITS.rules }),
    thresholds: Type.Array(Type.Number({ minimum: -100_000, maximum: 100_000 }), {
      minItems: 4,
      maxItems: 4,
      description: 'Scores at which levels 1, 2, 3 and 4 begin, ascending',
    }),
    actions: Type.Array(Action, { minItems: 5, maxItems: 5, description: 'The action of levels 0 to 4' }),
    allowSampleRate: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Share of allow decisions stored (non-allows are always stored); default 0.05' })),
  },
  { additionalProperties: false },
);
export interface PolicyDocument {
  rules: Rule[];
  thresholds: number[];
  actions: RiskAction[];
  allowSampleRate?: number;
}

/** Why a document was refused: where (a dotted path into it) and what is wrong there. */
export interface PolicyFault {
  path: string;
  message: string;
}

const dotted = (pointer: string) => (pointer === '' ? 'document' : `document${pointer.replace(/\//g, '.')}`);

/** Walks conditions for the limits the schema cannot state (nesting depth, total size). */
function conditionFault(condition: Condition, path: string, depth: number, budget: { nodes: number }): PolicyFault | undefined {
  budget.nodes += 1;
  if (budget.nodes > POLICY_LIMITS.conditionNodes) return { path, message: `the rules hold more than ${POLICY_LIMITS.conditionNodes} conditions in all` };
  if (depth > POLICY_LIMITS.conditionDepth) return { path, message: `conditions nest at most ${POLICY_LIMITS.conditionDepth} deep` };
  const children = 'all' in condition ? condition.all : 'any' in condition ? condition.any : 'not' in condition ? [condition.not] : [];
  const key = 'all' in condition ? 'all' : 'any' in condition ? 'any' : 'not';
  for (let i = 0; i < children.length; i++) {
    const fault = conditionFault(children[i]!, key === 'not' ? `${path}.not` : `${path}.${key}.${i}`, depth + 1, budget);
    if (fault) return fault;
  }
  return undefined;
}

/**
 * The first fault of a candidate document, or undefined when it is a valid policy. Among the schema's
 * complaints it reports the deepest one, which names the part a person has to fix.
 */
export function checkPolicy(candidate: unknown): PolicyFault | undefined {
  if (!Value.Check(PolicyDocument, candidate)) {
    const errors = [...Value.Errors(PolicyDocument, candidate)].filter((e) => e.message !== 'schema is false');
    const deepest = errors.reduce((best, e) => (best === undefined || e.instancePath.length > best.instancePath.length ? e : best), errors[0]);
    return { path: dotted(deepest?.instancePath ?? ''), message: deepest?.message ?? 'is not a policy document' };
  }
  const doc = candidate as PolicyDocument;
  for (let i = 1; i < 4; i++) {
    if (doc.thresholds[i]! <= doc.thresholds[i - 1]!) return { path: `document.thresholds.${i}`, message: 'thresholds must rise strictly' };
  }
  const seen = new Set<string>();
  const budget = { nodes: 0 };
  for (let i = 0; i < doc.rules.length; i++) {
    const rule = doc.rules[i]!;
    if (seen.has(rule.id)) return { path: `document.rules.${i}.id`, message: `rule id "${rule.id}" is used twice` };
    seen.add(rule.id);
    if (rule.score === undefined && rule.action === undefined) return { path: `document.rules.${i}`, message: 'a rule needs a score, an action or both' };
    const fault = conditionFault(rule.when, `document.rules.${i}.when`, 1, budget);
    if (fault) return fault;
  }
  return undefined;
}
