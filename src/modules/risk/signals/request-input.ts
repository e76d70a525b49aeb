// The request-shaped part of a RiskInput, for the routes that will call decide (phase 2): the client
// address Fastify resolved (trustProxy decides whether X-Forwarded-For counts), the storefront's
// x-device-id header and the user agent. The caller adds what it knows about the account and the money.
import type { RiskInput } from './extract.ts';

export const DEVICE_ID_HEADER = 'x-device-id';

interface RequestLike {
  ip: string;
  headers: Record<string, string | string[] | undefined>;
}

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

export function riskInputOf(request: RequestLike, known: Omit<RiskInput, 'ip' | 'deviceId' | 'userAgent'> = {}): RiskInput {
  const deviceId = first(request.headers[DEVICE_ID_HEADER])?.trim();
  const userAgent = first(request.headers['user-agent']);
  return {
    ...known,
    ip: request.ip,
    ...(deviceId ? { deviceId } : {}),
    ...(userAgent !== undefined ? { userAgent } : {}),
  };
}
