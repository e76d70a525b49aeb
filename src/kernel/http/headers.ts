// Response headers every answer gets, set when the request arrives so errors and 404s carry them too:
// - X-Content-Type-Options: nosniff everywhere (a JSON answer is never run as a script or a page);
// - Cache-Control: no-store on everything personal: admin, sign-in, customers, carts, orders, payments,
//   and any request that carries credentials; a shared cache must never keep one person's answer;
// - the hosted pay page (/pay/…) must not be framed (clickjacking on an Approve button) and may load
//   nothing but itself: a strict Content-Security-Policy and X-Frame-Options: DENY.
import type { FastifyReply, FastifyRequest } from 'fastify';

const PERSONAL = /^\/(?:admin|store\/(?:auth|customers|carts|orders|payments))(?:[/?]|$)/;

/** No scripts, no frames, no plugins; inline styles only; forms post back to the page itself. */
export const PAY_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** The pay page's policy when its forms end in a redirect to the shop (browsers apply form-action to it). */
export function payPageCsp(returnOrigin: string | null): string {
  return returnOrigin ? PAY_PAGE_CSP.replace("form-action 'self'", `form-action 'self' ${returnOrigin}`) : PAY_PAGE_CSP;
}

export function setSecurityHeaders(request: FastifyRequest, reply: FastifyReply): void {
  const url = request.url;
  reply.header('x-content-type-options', 'nosniff');
  if (PERSONAL.test(url) || request.headers.authorization !== undefined) reply.header('cache-control', 'no-store');
  if (url.startsWith('/pay/')) {
    reply.header('content-security-policy', PAY_PAGE_CSP);
    reply.header('x-frame-options', 'DENY');
    reply.header('cache-control', 'no-store');
  }
}
