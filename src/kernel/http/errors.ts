// Turns every error into a problem+json response. Known client mistakes (validation, malformed JSON,
// constraint violations a client can cause) become 4xx with a stable code; anything else is a 500 that
// is logged with its stack, because a 5xx is a bug.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem, problemBody } from './problem.ts';
import { PgErrorCode, pgErrorCode } from '../db/types.ts';
import { TenancyGuardError } from '../db/scoped.ts';
import { isTransientConflict } from '../db/retry.ts';

function send(reply: FastifyReply, status: number, body: object, headers: Record<string, string> = {}) {
  void reply.code(status).headers(headers).type('application/problem+json').send(body);
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
  return problemBody(400, 'validation_failed', `${detail}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}.`, { errors });
}

function databaseProblem(code: string, error: Error & { constraint?: string; detail?: string }) {
  switch (code) {
    case PgErrorCode.uniqueViolation:
      return problemBody(409, 'already_exists', `A record with the same unique value already exists (${error.constraint ?? 'unique constraint'}).`);
    case PgErrorCode.foreignKeyViolation:
      return problemBody(400, 'invalid_reference', `The request refers to a record that does not exist (${error.constraint ?? 'reference'}).`);
    case PgErrorCode.invalidTextRepresentation:
      return problemBody(400, 'invalid_value', `A value has the wrong format: ${error.message}.`);
    case PgErrorCode.characterNotInRepertoire:
    case PgErrorCode.untranslatableCharacter:
      return problemBody(400, 'invalid_characters', `A text value has characters the database cannot store: ${error.message}.`);
    case PgErrorCode.numericOutOfRange:
    case PgErrorCode.stringTooLong:
    case PgErrorCode.checkViolation:
    case PgErrorCode.notNullViolation:
      return problemBody(400, 'invalid_value', `A value is out of the allowed range: ${error.message}.`);
    default:
      return undefined;
  }
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof HttpProblem) return send(reply, error.status, error.toBody(), error.headers);
    if (error.validation) return send(reply, 400, validationProblem(error));
    if (!(error instanceof TenancyGuardError)) {
      const dbCode = pgErrorCode(error);
      const fromDb = dbCode ? databaseProblem(dbCode, error) : undefined;
      if (fromDb) return send(reply, fromDb.status, fromDb);
      if (isTransientConflict(error)) {
        // Contention the handler did not absorb: nothing was written, and the same request can be sent again.
        request.log.warn({ err: error }, 'transaction aborted by a deadlock or serialization failure');
        return send(reply, 503, problemBody(503, 'try_again', 'The request collided with concurrent work and changed nothing; send it again.', { retryAfter: 1 }), { 'retry-after': '1' });
      }
      const status = error.statusCode ?? 500;
      if (status >= 400 && status < 500) {
        const code = (error.code ?? 'bad_request').replace(/^FST_ERR_/, '').toLowerCase();
        return send(reply, status, problemBody(status, code, error.message));
      }
    }
    request.log.error({ err: error }, 'unhandled error');
    return send(reply, 500, problemBody(500, 'internal_error', 'Something went wrong on our side; the request id in the logs identifies it.', { requestId: request.id }));
  });

  app.setNotFoundHandler((request, reply) => {
    send(reply, 404, problemBody(404, 'route_not_found', `There is no route ${request.method} ${request.url.split('?')[0]}; see /docs for the API.`));
  });
}
