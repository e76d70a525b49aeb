// Assertions on problem+json answers and on thrown problems, shared by the module suites.
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { HttpProblem } from '../src/kernel/http/problem.ts';

export function expectProblem(res: LightMyRequestResponse, status: number, code?: string): void {
  assert.equal(res.statusCode, status, res.body);
  assert.match(String(res.headers['content-type']), /application\/problem\+json/);
  if (code) assert.equal(res.json().code, code, res.body);
}

/** "status:code" for a thrown problem; anything else is spelled out so a test failure shows it. */
export function problemCode(reason: unknown): string {
  if (reason instanceof HttpProblem) return `${reason.status}:${reason.code}`;
  return `unexpected: ${reason instanceof Error ? `${reason.message}\n${reason.stack}` : String(reason)}`;
}
