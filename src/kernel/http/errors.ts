// Turns every error into a problem+json response. Known client mistakes (validation, malformed JSON,
// constraint violations a client can cause) become 4xx with a stable code; anything else is a 500 that
// is logged with its stack, because a 5xx is a bug.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem, problemBody } from './problem.ts';
import {
  alreadyExists,
  databaseMoved,
  frameworkProblems,
  internalError,
  invalidCharacters,
  invalidJson,
  invalidReference,
  invalidValue,
  routeNotFound,
  tryAgain,
  validationFailed,
} from './problems.ts';
import { PgErrorCode, pgErrorCode } from '../db/types.ts';
import { TenancyGuardError } from '../db/scoped.ts';
import { isTransientConflict } from '../db/retry.ts';

/**
 * Every error answer carries the ids that find it in the logs: in the body and in the x-request-id and
 * x-trace-id headers (set by the onRequest hook; set here too for errors raised before any hook ran).
 */
export function sendProblem(reply: FastifyReply, status: number, body: object, headers: Record<string, string> = {}) {
  const requestId = reply.request.id;
  const traceId = reply.getHeader('x-trace-id');
  void reply
    .code(status)
    .headers(headers)
    .header('x-request-id', requestId)
    .type('application/problem+json')
    .send({ ...body, requestId, ...(typeof traceId === 'string' ? { traceId } : {}) });
}
const send = sendProblem;

/** A framework or parser error as a problem: a known code in Souk's words, any other 4xx generically. */
export function frameworkProblem(error: FastifyError) {
  const status = error.statusCode ?? 400;
  const known = error.code ? frameworkProblems[error.code] : undefined;
  if (known) return known(status).toBody();
  // secure-json-parse throws a SyntaxError that Fastify marks 400.
  if (error instanceof SyntaxError) return invalidJson().toBody();
  // Any other Fastify 4xx keeps Fastify's own error code, lowercased, so it is not listed in problems.ts.
  const code = (error.code ?? 'bad_request').replace(/^FST_ERR_/, '').toLowerCase();
  return problemBody(status, code, status === 404 ? 'Not found.' : 'The request cannot be handled as sent.');
}

function validationProblem(error: FastifyError) {
  const where = error.validationContext ?? 'request';
  const errors = (error.validation ?? []).map((issue) => {
    const path = `${where}${issue.instancePath || ''}`.replace(/\//g, '.');
    const missing = (issue.params as { missingProperty?: string } | undefined)?.missingProperty;
    const extra = (issue.params as { additionalProperty?: string } | undefined)?.additionalProperty;
    const field = missing ? `${path}.${missing}` : extra ? `${path}.${extra}` : path;
    const message = extra ? `unknown property "${extra}"` : issue.message ?? 'is invalid';
    return { field, message };
  });
  const first = errors[0];
  const detail = first ? `${first.field} ${first.message}` : `The ${where} is invalid.`;
  return validationFailed(`${detail}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}.`, errors).toBody();
}

/**
 * The SQLSTATE of a write refused by a database that a smooth `souk db move` switched away from (its
 * tables' triggers raise it; src/modules/migration/move/tracking.ts). Its message names the new database.
 */
export const DATABASE_MOVED_SQLSTATE = 'SKMOV';

/**
 * Constraint and data errors a client's input can cause, in Souk's words. The database's own message
 * (which can quote the value, a type name or a column) never reaches the client; the log has it.
 */
export function databaseProblem(code: string, error: Error & { constraint?: string }) {
  switch (code) {
    case PgErrorCode.uniqueViolation:
      return alreadyExists(error.constraint).toBody();
    case PgErrorCode.foreignKeyViolation:
      return invalidReference(`The request refers to a record that does not exist (${error.constraint ?? 'reference'}).`).toBody();
    case PgErrorCode.checkViolation:
    case PgErrorCode.notNullViolation:
      return invalidValue(`A value is missing or outside what is allowed${error.constraint ? ` (${error.constraint})` : ''}.`).toBody();
    case PgErrorCode.characterNotInRepertoire:
    case PgErrorCode.untranslatableCharacter:
      return invalidCharacters('A text value has characters that cannot be stored; send well-formed Unicode without U+0000.').toBody();
    case PgErrorCode.numericOutOfRange:
      return invalidValue('A number is outside the range that can be stored.').toBody();
    case PgErrorCode.stringTooLong:
      return invalidValue('A text value is longer than allowed.').toBody();
    default:
      // Every other data exception (SQLSTATE class 22: bad number or JSON syntax, division by zero, …)
      // is a value the client sent that the edge let through.
      return /^22[0-9A-Z]{3}$/.test(code) ? invalidValue('A value has a format or range that cannot be stored.').toBody() : undefined;
  }
}

export interface ErrorHandlingOptions {
  /**
   * Asked first when no route matched: answers a web page for the request (the storefront's, on a
   * platform host) and returns true, or returns false for the usual 404 problem.
   */
  notFoundPage?: (request: FastifyRequest, reply: FastifyReply) => boolean;
}

export function installErrorHandling(app: FastifyInstance, options: ErrorHandlingOptions = {}): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof HttpProblem) return send(reply, error.status, error.toBody(), error.headers);
    if (error.validation) return send(reply, 400, validationProblem(error));
    if (!(error instanceof TenancyGuardError)) {
      const dbCode = pgErrorCode(error);
      if (dbCode === DATABASE_MOVED_SQLSTATE) {
        // The operator needs the new database's address (in the message); the client only needs to know.
        request.log.error({ err: error }, error.message);
        return send(reply, 503, databaseMoved().toBody());
      }
      const fromDb = dbCode ? databaseProblem(dbCode, error) : undefined;
      if (fromDb) {
        // A data error that got past the edge checks is worth a look: keep what the database said.
        if (fromDb.status === 400 && dbCode?.startsWith('22')) request.log.warn({ err: error }, 'database refused a value');
        return send(reply, fromDb.status, fromDb);
      }
      if (isTransientConflict(error)) {
        // Contention the handler did not absorb: nothing was written, and the same request can be sent again.
        request.log.warn({ err: error }, 'transaction aborted by a deadlock or serialization failure');
        const retry = tryAgain('The request collided with concurrent work and changed nothing; send it again.');
        return send(reply, retry.status, retry.toBody(), retry.headers);
      }
      const status = error.statusCode ?? 500;
      if (status >= 400 && status < 500) return send(reply, status, frameworkProblem(error));
    }
    request.log.error({ err: error }, 'unhandled error');
    return send(reply, 500, internalError(request.id).toBody());
  });

  app.setNotFoundHandler((request, reply) => {
    if (options.notFoundPage?.(request, reply)) return;
    send(reply, 404, routeNotFound(request.method, request.url.split('?')[0]!).toBody());
  });
}
