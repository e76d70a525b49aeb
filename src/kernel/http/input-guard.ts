// What JSON schemas cannot say about input, checked once at the edge so no request reaches the database
// with a value it cannot store (and no database message ever reaches the client):
// - text may not hold U+0000 (PostgreSQL text cannot) or a lone UTF-16 surrogate (not Unicode at all;
//   JSON and jsonb refuse it);
// - numbers must be finite and within ±(2^53 − 1): JSON.parse turns 1e400 into Infinity, a query string
//   "1e400" parses to Infinity, and beyond 2^53 a JavaScript number no longer holds the integer sent.
import type { FastifyInstance } from 'fastify';
import type { HttpProblem } from './problem.ts';
import { invalidCharacters, invalidNumber } from './problems.ts';

const MAX_DEPTH = 32;
/** In a `u` regex a surrogate pair is one code point, so this matches only surrogates without a partner. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function badText(text: string): HttpProblem | undefined {
  if (text.includes('\u0000')) return invalidCharacters('Text values may not contain the NUL character (U+0000).');
  if (LONE_SURROGATE.test(text)) {
    return invalidCharacters('Text values must be well-formed Unicode; a lone UTF-16 surrogate (\\uD800-\\uDFFF without its pair) is not.');
  }
  return undefined;
}

function badNumber(value: number): HttpProblem | undefined {
  if (Number.isFinite(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER) return undefined;
  return invalidNumber();
}

/** The first problem in a parsed value (strings, keys and numbers at any depth), or undefined. */
export function findBadInput(value: unknown, depth = 0): HttpProblem | undefined {
  if (typeof value === 'string') return badText(value);
  if (typeof value === 'number') return badNumber(value);
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (const item of value) {
      const problem = findBadInput(item, depth + 1);
      if (problem) return problem;
    }
    return undefined;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const problem = badText(key) ?? findBadInput((value as Record<string, unknown>)[key], depth + 1);
    if (problem) return problem;
  }
  return undefined;
}

export function installInputGuard(app: FastifyInstance): void {
  // Callback hooks, not async ones: no promise per request.
  // Before validation: the body as parsed, and the raw text of the query and path.
  app.addHook('preValidation', (request, _reply, done) => {
    done(findBadInput(request.body) ?? findBadInput(request.query) ?? findBadInput(request.params));
  });
  // After validation the query and path parameters hold numbers parsed from text ("1e400" → Infinity).
  app.addHook('preHandler', (request, _reply, done) => {
    done(findBadInput(request.query) ?? findBadInput(request.params));
  });
}
