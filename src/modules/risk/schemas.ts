// Request and response shapes of the risk admin routes (TypeBox: validation, serialisation and OpenAPI).
// A policy document travels as an object here and is checked by policy.ts, whose schema is recursive and
// whose refusals name the bad part ("document.rules.2.when.any.0.op …") better than a generic 400 would.
import { Type } from 'typebox';
import { ACTIONS, DECISION_POINTS, type PolicyDocument } from './policy.ts';
import { ENTRY_KINDS, LIST_NAMES } from './lists.ts';
import type { RiskInput } from './signals/extract.ts';

export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
/** A string enum typed as the union of its values (a Union of mapped Literals infers as never). */
const literals = <const T extends readonly string[]>(values: T) => Type.Unsafe<T[number]>({ type: 'string', enum: [...values] });

export const Point = literals(DECISION_POINTS);
export const Action = literals(ACTIONS);

export const PlatformParams = Type.Object({ platform: Type.String() });
export const PointParams = Type.Object({ platform: Type.String(), point: Point });
export const ListParams = Type.Object({ platform: Type.String(), list: literals(LIST_NAMES) });
export const DecisionParams = Type.Object({ platform: Type.String(), decisionId: Type.String({ format: 'uuid' }) });

export const DocumentField = Type.Unsafe<unknown>({
  type: 'object',
  description: 'A policy document: { rules: [{ id, when, score?, action? }], thresholds: [4 rising scores], actions: [5 actions for levels 0-4], allowSampleRate? }. See docs/ARCHITECTURE.md "Risk engine".',
});

export const PolicyVersionView = Type.Object(
  {
    point: Point,
    version: Type.Integer({ minimum: 0, description: '0 is the built-in default' }),
    document: Type.Unsafe<PolicyDocument>({ type: 'object', additionalProperties: true }),
    changedBy: Nullable(Type.String()),
    note: Nullable(Type.String()),
    changedAt: Nullable(Type.String({ format: 'date-time' })),
  },
  { title: 'RiskPolicyVersion' },
);
export const PolicyVersionList = Type.Object({ items: Type.Array(PolicyVersionView) }, { title: 'RiskPolicyVersionList' });

export const PutPolicyBody = Type.Object({ document: DocumentField, note: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false });
export const RollbackBody = Type.Object({ version: Type.Integer({ minimum: 0, maximum: 2_147_483_647 }) }, { additionalProperties: false });
export const VersionsQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, description: 'Default 50' })) }, { additionalProperties: false });

export const RiskInputSchema = Type.Object(
  {
    ip: Type.Optional(Type.String({ maxLength: 64 })),
    deviceId: Type.Optional(Type.String({ maxLength: 200 })),
    userAgent: Type.Optional(Type.String({ maxLength: 1000 })),
    email: Type.Optional(Type.String({ maxLength: 320 })),
    accountId: Type.Optional(Type.String({ maxLength: 200 })),
    accountCreatedAt: Type.Optional(Type.String({ format: 'date-time' })),
    amount: Type.Optional(Type.Number()),
    phone: Type.Optional(Type.String({ maxLength: 64 })),
    shippingAddress: Type.Optional(Type.String({ maxLength: 500 })),
    shippingCountry: Type.Optional(Type.String({ pattern: '^[A-Za-z]{2}$' })),
    instrument: Type.Optional(Type.String({ maxLength: 200, description: "The payment instrument's fingerprint as the payment provider gives it" })),
    custom: Type.Optional(
      Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$' }), Type.Union([Type.String({ maxLength: 200 }), Type.Number(), Type.Boolean()]), {
        maxProperties: 50,
      }),
    ),
  },
  { additionalProperties: false, title: 'RiskInput' },
);
export const TryBody = Type.Object(
  { input: RiskInputSchema, document: Type.Optional(DocumentField) },
  { additionalProperties: false, description: 'An input to judge, against the current policy or the draft document given' },
);

const Fired = Type.Object({ rule: Type.String(), score: Type.Number(), action: Type.Optional(Action) });
const Listed = Type.Object({ list: Type.Union([Type.Literal('block'), Type.Literal('allow')]), kind: literals(ENTRY_KINDS) });
const decisionFields = {
  point: Point,
  action: Action,
  level: Type.Integer({ minimum: 0, maximum: 4 }),
  score: Type.Number(),
  fired: Type.Array(Fired, { description: 'The rules that fired, in policy order, with what each added to the score' }),
  listed: Type.Optional(Listed),
  policyVersion: Type.Integer({ description: '-1 for a draft tried with /try' }),
  signals: Type.Record(Type.String(), Type.Unknown(), { description: 'The signals the rules saw, velocity counts included' }),
  shadow: Type.Optional(
    Type.Object(
      { action: Action, level: Type.Integer({ minimum: 0, maximum: 4 }), score: Type.Number(), fired: Type.Array(Fired) },
      { description: 'What the point’s shadow policy would have decided (never the outcome)' },
    ),
  ),
};
export const DecisionView = Type.Object(decisionFields, { title: 'RiskDecision' });
export const StoredDecisionView = Type.Object(
  { id: Type.String({ format: 'uuid' }), ...decisionFields, input: Type.Unsafe<RiskInput>({ type: 'object', additionalProperties: true, description: 'The input as the caller gave it' }), decidedAt: Type.String({ format: 'date-time' }) },
  { title: 'RiskStoredDecision' },
);
export const DecisionList = Type.Object({ items: Type.Array(StoredDecisionView), nextCursor: Nullable(Type.String()) }, { title: 'RiskDecisionList' });
export const DecisionQuery = Type.Object(
  {
    accountId: Type.Optional(Type.String({ maxLength: 200 })),
    ip: Type.Optional(Type.String({ maxLength: 64 })),
    deviceId: Type.Optional(Type.String({ maxLength: 200 })),
    orderId: Type.Optional(Type.String({ format: 'uuid', description: 'Decisions about this order (checkout, payment); a held flash-sale order names its decision in its hold' })),
    point: Type.Optional(Point),
    action: Type.Optional(Action),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'Default 50' })),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'nextCursor of the previous page' })),
  },
  { additionalProperties: false },
);

const EntryInput = Type.Object(
  { kind: literals(ENTRY_KINDS), value: Type.String({ minLength: 1, maxLength: 253 }), note: Type.Optional(Type.String({ maxLength: 200 })) },
  { additionalProperties: false },
);
export const PutListBody = Type.Object({ entries: Type.Array(EntryInput, { maxItems: 5000 }) }, { additionalProperties: false });
const EntryView = Type.Object({
  kind: literals(ENTRY_KINDS),
  value: Type.String(),
  note: Type.Optional(Type.String()),
  addedBy: Type.String(),
  addedAt: Type.String({ format: 'date-time' }),
});
export const ListView = Type.Object({ entries: Type.Array(EntryView) }, { title: 'RiskList' });
export const ListsView = Type.Object({ block: Type.Array(EntryView), allow: Type.Array(EntryView), disposable: Type.Array(EntryView) }, { title: 'RiskLists' });
