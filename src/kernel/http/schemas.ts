// Schema pieces every module's routes share.
import { Type } from 'typebox';
import { problemSchema } from './problem.ts';

const ProblemRef = Type.Unsafe<Record<string, unknown>>({ ...problemSchema });

/** Response entries documenting the problem+json a route may answer with, e.g. errorResponses(400, 404). */
export function errorResponses(...statuses: number[]): Record<number, typeof ProblemRef> {
  return Object.fromEntries(statuses.map((status) => [status, ProblemRef]));
}

export const IdParam = Type.String({ format: 'uuid' });
