// A routing policy as data: which release track (upstream pool) a request goes to. Rules are checked in
// order and the first whose condition holds names the track; a request no rule takes is split over the
// default weights. The schema is the contract: a document it accepts is one decide.ts can run without
// throwing, and checkPolicy names the first bad part of any other (a bad document is a 400 that changes
// nothing).
import { Type } from 'typebox';
import { Value } from 'typebox/value';
import ipaddr from 'ipaddr.js';

/** Bounds that keep a document cheap to evaluate on every request and small to store. */
export const POLICY_LIMITS = { rules: 100, conditionNodes: 400, conditionDepth: 8, listValues: 500 } as const;

export const OS_NAMES = ['ios', 'android', 'harmonyos', 'windows', 'macos', 'linux', 'other'] as const;
export const DEVICE_KINDS = ['mobile', 'tablet', 'desktop'] as const;
export const APP_NAMES = ['wechat', 'wechat-miniprogram', 'none'] as const;

const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]+$' });
const Values = Type.Array(Type.String({ maxLength: 500 }), { minItems: 1, maxItems: POLICY_LIMITS.listValues });
const Named = Type.Object({ name: Name, values: Type.Optional(Values) }, { additionalProperties: false });
const Percent = Type.Number({ minimum: 0, maximum: 100 });
const literals = (names: readonly string[]) => Type.Array(Type.Union(names.map((n) => Type.Literal(n))), { minItems: 1, maxItems: 20 });

const Condition = Type.Cyclic(
  {
    Condition: Type.Union([
      Type.Object({ all: Type.Array(Type.Ref('Condition'), { minItems: 1, maxItems: 50 }) }, { additionalProperties: false }),
      Type.Object({ any: Type.Array(Type.Ref('Condition'), { minItems: 1, maxItems: 50 }) }, { additionalProperties: false }),
      Type.Object({ not: Type.Ref('Condition') }, { additionalProperties: false }),
      Type.Object({ os: literals(OS_NAMES) }, { additionalProperties: false }),
      Type.Object({ device: literals(DEVICE_KINDS) }, { additionalProperties: false }),
      Type.Object({ app: literals(APP_NAMES) }, { additionalProperties: false }),
      Type.Object({ ip: Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: POLICY_LIMITS.listValues }) }, { additionalProperties: false }),
      Type.Object({ header: Named }, { additionalProperties: false }),
      Type.Object({ cookie: Named }, { additionalProperties: false }),
      Type.Object({ query: Named }, { additionalProperties: false }),
      Type.Object({ host: Type.Array(Type.String({ minLength: 1, maxLength: 253, pattern: '^(\\*\\.)?[a-z0-9.-]+(:[0-9]{1,5})?$' }), { minItems: 1, maxItems: POLICY_LIMITS.listValues }) }, { additionalProperties: false }),
      Type.Object(
        { customerPercent: Type.Object({ percent: Percent, salt: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: false }) },
        { additionalProperties: false },
      ),
      Type.Object({ randomPercent: Percent }, { additionalProperties: false }),
      Type.Object(
        { time: Type.Object({ from: Type.Optional(Type.String({ format: 'date-time' })), to: Type.Optional(Type.String({ format: 'date-time' })) }, { additionalProperties: false }) },
        { additionalProperties: false },
      ),
    ]),
  },
  'Condition',
);

/** The TypeScript view of a condition, written out (the schema above stays the one source of what is accepted). */
export type Condition =
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition }
  | { os: (typeof OS_NAMES)[number][] }
  | { device: (typeof DEVICE_KINDS)[number][] }
  | { app: (typeof APP_NAMES)[number][] }
  | { ip: string[] }
  | { header: { name: string; values?: string[] } }
  | { cookie: { name: string; values?: string[] } }
  | { query: { name: string; values?: string[] } }
  | { host: string[] }
  | { customerPercent: { percent: number; salt?: string } }
  | { randomPercent: number }
  | { time: { from?: string; to?: string } };

const TrackName = Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$' });

export const Rule = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]{0,63}$', description: 'Names the rule in dry-runs, sticky cookies and the x-souk-rule header' }),
    description: Type.Optional(Type.String({ maxLength: 500 })),
    when: Condition,
    track: TrackName,
    override: Type.Optional(Type.Boolean({ description: 'Checked before the sticky cookie (explicit overrides such as a header)' })),
  },
  { additionalProperties: false },
);
export interface Rule {
  id: string;
  description?: string;
  when: Condition;
  track: string;
  override?: boolean;
}

export const PolicyDocument = Type.Object(
  {
    rules: Type.Array(Rule, { maxItems: POLICY_LIMITS.rules }),
    default: Type.Record(TrackName, Type.Number({ minimum: 0, maximum: 100 }), { description: 'Weights of the split for requests no rule takes' }),
    sticky: Type.Optional(Type.Boolean({ description: 'Keep a client on the track it landed on (cookie souk_track); default true' })),
  },
  { additionalProperties: false },
);
export interface PolicyDocument {
  rules: Rule[];
  default: Record<string, number>;
  sticky?: boolean;
}

/** Why a document was refused: where (a dotted path into it) and what is wrong there. */
export interface PolicyFault {
  path: string;
  message: string;
}

const dotted = (pointer: string) => (pointer === '' ? 'document' : `document${pointer.replace(/\//g, '.')}`);

/** An address or CIDR range as ipaddr.js reads it, or undefined when it is neither. */
export function parseRange(text: string): [ipaddr.IPv4 | ipaddr.IPv6, number] | undefined {
  try {
    if (text.includes('/')) return ipaddr.parseCIDR(text);
    const address = ipaddr.parse(text);
    return [address, address.kind() === 'ipv4' ? 32 : 128];
  } catch {
    return undefined;
  }
}

function conditionFault(condition: Condition, path: string, depth: number, budget: { nodes: number }): PolicyFault | undefined {
  budget.nodes += 1;
  if (budget.nodes > POLICY_LIMITS.conditionNodes) return { path, message: `the rules hold more than ${POLICY_LIMITS.conditionNodes} conditions in all` };
  if (depth > POLICY_LIMITS.conditionDepth) return { path, message: `conditions nest at most ${POLICY_LIMITS.conditionDepth} deep` };
  if ('ip' in condition) {
    const bad = condition.ip.findIndex((text) => parseRange(text) === undefined);
    if (bad >= 0) return { path: `${path}.ip.${bad}`, message: `"${condition.ip[bad]}" is not an IP address or CIDR range` };
  }
  if ('time' in condition && condition.time.from && condition.time.to && Date.parse(condition.time.from) >= Date.parse(condition.time.to)) {
    return { path: `${path}.time`, message: 'from must be before to' };
  }
  const key = 'all' in condition ? 'all' : 'any' in condition ? 'any' : 'not' in condition ? 'not' : undefined;
  if (key === 'not') return conditionFault((condition as { not: Condition }).not, `${path}.not`, depth + 1, budget);
  if (key) {
    const children = (condition as Record<string, Condition[]>)[key]!;
    for (let i = 0; i < children.length; i++) {
      const fault = conditionFault(children[i]!, `${path}.${key}.${i}`, depth + 1, budget);
      if (fault) return fault;
    }
  }
  return undefined;
}

/**
 * The first fault of a candidate document, or undefined when it is a valid policy for a gateway whose
 * configured tracks are `tracks`. Among the schema's complaints it reports the deepest one, which names
 * the part a person has to fix.
 */
export function checkPolicy(candidate: unknown, tracks: readonly string[]): PolicyFault | undefined {
  if (!Value.Check(PolicyDocument, candidate)) {
    const errors = [...Value.Errors(PolicyDocument, candidate)].filter((e) => e.message !== 'schema is false');
    const deepest = errors.reduce((best, e) => (best === undefined || e.instancePath.length > best.instancePath.length ? e : best), errors[0]);
    return { path: dotted(deepest?.instancePath ?? ''), message: deepest?.message ?? 'is not a routing policy' };
  }
  const doc = candidate as PolicyDocument;
  const known = new Set(tracks);
  const weights = Object.entries(doc.default);
  if (weights.length === 0 || weights.every(([, w]) => w === 0)) return { path: 'document.default', message: 'the default split needs at least one track with a weight above 0' };
  for (const [track] of weights) {
    if (!known.has(track)) return { path: `document.default.${track}`, message: `no track "${track}" is configured (known: ${tracks.join(', ')})` };
  }
  const firstIndex = new Map<string, number>();
  doc.rules.forEach((rule, i) => firstIndex.set(rule.id, firstIndex.get(rule.id) ?? i));
  const budget = { nodes: 0 };
  for (let i = 0; i < doc.rules.length; i++) {
    const rule = doc.rules[i]!;
    if (firstIndex.get(rule.id) !== i) return { path: `document.rules.${i}.id`, message: `rule id "${rule.id}" is also rule ${firstIndex.get(rule.id)}'s` };
    if (!known.has(rule.track)) return { path: `document.rules.${i}.track`, message: `no track "${rule.track}" is configured (known: ${tracks.join(', ')})` };
    const fault = conditionFault(rule.when, `document.rules.${i}.when`, 1, budget);
    if (fault) return fault;
  }
  return undefined;
}
