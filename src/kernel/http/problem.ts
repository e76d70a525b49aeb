// Errors as RFC 9457 problem details. Every error a client can see has a stable `code` (also in `type`
// as urn:souk:problem:<code>) that programs can switch on, and a `detail` a person can act on.

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  [extra: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly extras: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    // A problem is an answer, not a fault: skip the stack trace. Capturing one costs more than the rest of
    // a refused request (a sold-out rush answers thousands per second).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(detail);
    Error.stackTraceLimit = limit;
  }

  toBody(): ProblemBody {
    return problemBody(this.status, this.code, this.detail, this.extras);
  }
}

/** For catching: a refusal the client can act on (4xx), as opposed to a fault. */
export const isHttpProblem = (error: unknown): error is HttpProblem => error instanceof HttpProblem;

export function problemBody(status: number, code: string, detail: string, extras: Record<string, unknown> = {}): ProblemBody {
  return { type: `urn:souk:problem:${code}`, title: TITLES[status] ?? 'Error', status, code, detail, ...extras };
}

/**
 * The constructor a problems.ts builds its problems with: bound to that file's list of codes, so a code is
 * written once in the list and a misspelt or foreign code is a type error.
 */
export const problemMaker =
  <const C extends string>(_codes: readonly C[]) =>
  (status: number, code: C, detail: string, extras?: Record<string, unknown>, headers?: Record<string, string>) =>
    new HttpProblem(status, code, detail, extras, headers);

/** The response schema every route declares for its error statuses, so OpenAPI documents them. */
export const problemSchema = {
  type: 'object',
  description: 'An RFC 9457 problem; `code` is stable and machine-readable.',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    code: { type: 'string' },
    detail: { type: 'string' },
  },
  required: ['type', 'title', 'status', 'code', 'detail'],
  additionalProperties: true,
} as const;
