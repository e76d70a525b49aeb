// Schemas of the shadow-policy and backtest routes (routes-intel.ts).
import { Type } from 'typebox';
import { Action, DocumentField, Point } from './schemas.ts';
import type { PolicyDocument } from './policy.ts';

export const ShadowView = Type.Object(
  {
    point: Point,
    document: Type.Unsafe<PolicyDocument>({ type: 'object', additionalProperties: true }),
    setBy: Type.String(),
    note: Type.Union([Type.String(), Type.Null()]),
    setAt: Type.String({ format: 'date-time' }),
  },
  { title: 'RiskShadowPolicy' },
);
export const ShadowList = Type.Object({ items: Type.Array(ShadowView) }, { title: 'RiskShadowPolicyList' });
export const PutShadowBody = Type.Object({ document: DocumentField, note: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false });

export const BacktestBody = Type.Object(
  {
    document: DocumentField,
    since: Type.String({ format: 'date-time', description: 'Decisions made at or after this time' }),
    until: Type.Optional(Type.String({ format: 'date-time', description: 'Decisions made before this time; default now' })),
  },
  { additionalProperties: false },
);

const Counts = Type.Object({ allow: Type.Integer(), challenge: Type.Integer(), review: Type.Integer(), deny: Type.Integer() });
export const BacktestView = Type.Object(
  {
    point: Point,
    since: Type.String({ format: 'date-time' }),
    until: Type.String({ format: 'date-time' }),
    examined: Type.Integer({ description: 'Stored decisions examined: every non-allow and the stored sample of allows' }),
    listed: Type.Integer({ description: 'Of those, decided by a list (no policy changes them)' }),
    changed: Type.Integer({ description: 'Decisions the draft would give another action' }),
    transitions: Type.Array(Type.Object({ from: Action, to: Action, count: Type.Integer() })),
    before: Counts,
    after: Counts,
    rules: Type.Array(
      Type.Object({
        rule: Type.String(),
        firedBefore: Type.Integer(),
        firedAfter: Type.Integer(),
        changedDecisions: Type.Integer({ description: 'Changed decisions in which this rule fired differently under the draft' }),
      }),
    ),
    truncated: Type.Boolean(),
    examples: Type.Array(Type.Object({ id: Type.String({ format: 'uuid' }), from: Action, to: Action })),
  },
  { title: 'RiskBacktestReport' },
);
