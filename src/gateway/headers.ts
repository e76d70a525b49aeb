// Header lists for the two legs of a relayed request, as flat [name, value, name, value, …] arrays: undici
// and Node's ServerResponse both take that form as it is, so no object is built and walked per request.
import type { IncomingMessage } from 'node:http';

export const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect']);

/** Headers the gateway sets on the answer itself: an upstream's own are not passed on. */
const SET_BY_GATEWAY = new Set(['x-souk-track', 'x-souk-rule', 'x-souk-track-fallback']);

/**
 * The request's headers for the upstream: hop-by-hop ones dropped (kept for an upgrade's `connection` and
 * `upgrade`), X-Forwarded-For extended with the client, X-Forwarded-Proto and -Host set when absent, the
 * track named. Repeated headers stay repeated, except Host and Content-Length (the first one counts).
 */
export function upstreamHeaders(req: IncomingMessage, ip: string, track: string, keepUpgrade: boolean): string[] {
  const raw = req.rawHeaders;
  const out: string[] = [];
  let forwardedFor: string | undefined;
  let host: string | undefined;
  let proto = false;
  let forwardedHost = false;
  let length = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    if (HOP_BY_HOP.has(name) && !(keepUpgrade && (name === 'connection' || name === 'upgrade'))) continue;
    switch (name) {
      case 'x-forwarded-for':
        forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
        continue;
      case 'x-souk-track':
        continue;
      case 'host':
        if (host !== undefined) continue;
        host = value;
        break;
      case 'content-length':
        if (length) continue;
        length = true;
        break;
      case 'x-forwarded-proto':
        proto = true;
        break;
      case 'x-forwarded-host':
        forwardedHost = true;
        break;
    }
    out.push(name, value);
  }
  out.push('x-forwarded-for', forwardedFor === undefined ? ip : `${forwardedFor}, ${ip}`);
  if (!proto) out.push('x-forwarded-proto', (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http');
  if (host !== undefined && !forwardedHost) out.push('x-forwarded-host', host);
  out.push('x-souk-track', track);
  return out;
}

/** The upstream's answer headers (undici's raw latin1 buffers) for the client, hop-by-hop ones and the gateway's own left out. */
export function answerHeaders(raw: readonly Buffer[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1');
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || SET_BY_GATEWAY.has(lower)) continue;
    out.push(name, raw[i + 1]!.toString('latin1'));
  }
  return out;
}
