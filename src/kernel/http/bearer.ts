// The one reading of "Authorization: Bearer <token>" every surface shares (admin, customer, /metrics).
import type { FastifyRequest } from 'fastify';

const BEARER = /^Bearer\s+(\S+)$/i;

/** The token of the request's bearer Authorization header; undefined when there is none or it is malformed. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return header ? BEARER.exec(header)?.[1] : undefined;
}
