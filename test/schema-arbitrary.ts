// fast-check arbitraries from JSON schemas: values that mostly follow the schema (so requests reach the
// handlers, not just the validator) mixed with values that break it in the ways clients do — wrong
// types, out-of-range numbers, huge and hostile strings, unknown keys.
import fc from 'fast-check';
import type { JsonSchema } from './openapi-routes.ts';

const hostileStrings = fc.constantFrom(
  '',
  ' ',
  "'; drop table platforms; --",
  '%_\\',
  '\u0000',
  '连衣裙',
  '💥'.repeat(50),
  'x'.repeat(5000),
  '../../etc/passwd',
  '<script>alert(1)</script>',
  '00000000-0000-7000-8000-000000000000',
  'not-a-uuid',
  '-1',
  '1e309',
  'NaN',
  'null',
);

export const junk: fc.Arbitrary<unknown> = fc.oneof(
  hostileStrings,
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(-1, 0, 2 ** 31, 2 ** 53, -(2 ** 53), Number.MAX_SAFE_INTEGER),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
);

function stringArbitrary(schema: JsonSchema): fc.Arbitrary<string> {
  if (schema.format === 'email') return fc.emailAddress();
  if (schema.format === 'uuid') return fc.uuid();
  if (schema.pattern) {
    try {
      return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length <= (schema.maxLength ?? 200));
    } catch {
      // fall through to a plain string
    }
  }
  return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 40, 40) });
}

/** Values that satisfy the schema (as far as these keywords go). */
export function validArbitrary(schema: JsonSchema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 5) return fc.constant(undefined);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return fc.oneof(...variants.map((v) => validArbitrary(v, depth + 1)));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const props = schema.properties ?? {};
      const required = new Set(schema.required ?? []);
      const entries = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, validArbitrary(v, depth + 1)]));
      return fc.record(entries, { requiredKeys: [...required].filter((k) => k in props) });
    }
    case 'array':
      return fc.array(validArbitrary(schema.items, depth + 1), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 4, 4) });
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000_000 });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e9, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'string':
      return stringArbitrary(schema);
    default:
      return junk;
  }
}

/** Mostly valid, sometimes a field replaced by junk, sometimes an unknown key, sometimes pure junk. */
export function fuzzArbitrary(schema: JsonSchema | undefined): fc.Arbitrary<unknown> {
  const valid = validArbitrary(schema);
  const mutated = valid.chain((value) => {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const keys = Object.keys(value);
      return fc.tuple(fc.nat(), junk, fc.boolean()).map(([i, replacement, addUnknown]) => {
        const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
        if (keys.length > 0) copy[keys[i % keys.length]!] = replacement;
        if (addUnknown) copy.unexpectedField = replacement;
        return copy;
      });
    }
    return junk;
  });
  return fc.oneof({ weight: 5, arbitrary: valid }, { weight: 4, arbitrary: mutated }, { weight: 1, arbitrary: junk });
}

/** Query strings: each known parameter absent, valid, or junk, rendered as text. */
export function queryArbitrary(params: Record<string, JsonSchema>): fc.Arbitrary<Record<string, string>> {
  const entries = Object.fromEntries(
    Object.entries(params).map(([name, schema]) => [
      name,
      fc.oneof(validArbitrary(schema), junk).map((v) => (typeof v === 'string' ? v : JSON.stringify(v) ?? '')),
    ]),
  );
  return fc.record(entries, { requiredKeys: [] }) as fc.Arbitrary<Record<string, string>>;
}
