// The sandbox sends its webhook the way an outside provider would: an HTTP POST to the storefront's
// webhook route, after the shopper's page has been answered and never inside a transaction. When this
// process is listening it is a real request to its own port (Host = the platform's first host); when it
// is not (tests drive Fastify with inject) it goes through inject, which runs the same routing, hooks
// and parsers. A platform without hosts cannot be reached by Host, so the event is applied in-process.
// A failed send is retried a few times, as providers do.
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Platform } from '../../../kernel/context.ts';
import type { SignedSandboxWebhook } from './provider.ts';
import { SANDBOX_WEBHOOK_PATH } from './provider.ts';

const RETRY_DELAYS_MS = [0, 250, 1_000, 5_000];

export interface Delivery {
  app: FastifyInstance;
  platform: Platform;
  webhook: SignedSandboxWebhook;
  /** Applies the event without HTTP (a platform without hosts). */
  applyInProcess(): Promise<void>;
  log: FastifyInstance['log'];
  /** True once the app is closing: retries stop. */
  closed(): boolean;
}

function postOverSocket(address: AddressInfo, host: string, webhook: SignedSandboxWebhook): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = address.family === 'IPv6' ? (address.address === '::' ? '::1' : address.address) : address.address === '0.0.0.0' ? '127.0.0.1' : address.address;
    const req = httpRequest(
      { host: target, port: address.port, method: 'POST', path: SANDBOX_WEBHOOK_PATH, headers: { ...webhook.headers, host, 'content-length': Buffer.byteLength(webhook.body) }, timeout: 10_000 },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy(new Error('sandbox webhook timed out')));
    req.on('error', reject);
    req.end(webhook.body);
  });
}

async function attempt(delivery: Delivery): Promise<number> {
  const host = delivery.platform.hosts[0];
  if (!host) {
    await delivery.applyInProcess();
    return 200;
  }
  const address = delivery.app.server.listening ? delivery.app.server.address() : null;
  if (address && typeof address === 'object') return postOverSocket(address, host, delivery.webhook);
  const res = await delivery.app.inject({ method: 'POST', url: SANDBOX_WEBHOOK_PATH, headers: { ...delivery.webhook.headers, host }, payload: delivery.webhook.body });
  return res.statusCode;
}

/** Sends the webhook in the background; resolves when it was accepted or the retries ran out. */
export async function deliverSandboxWebhook(delivery: Delivery): Promise<void> {
  for (const delay of RETRY_DELAYS_MS) {
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay).unref());
    if (delivery.closed()) return;
    try {
      const status = await attempt(delivery);
      // 2xx: applied; other 4xx: the receiver will never accept it (a retry cannot help).
      if (status < 500 && status !== 408 && status !== 429) {
        if (status >= 300) delivery.log.warn({ status, eventId: delivery.webhook.event.id }, 'sandbox webhook refused');
        return;
      }
    } catch (error) {
      delivery.log.warn({ err: error, eventId: delivery.webhook.event.id }, 'sandbox webhook send failed');
    }
  }
  delivery.log.error({ eventId: delivery.webhook.event.id }, 'sandbox webhook not delivered after retries');
}
