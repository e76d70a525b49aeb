// The sandbox's hosted pay page, outside /store and /admin because it stands for the provider's own site.
// No tenancy hook runs here, so the platform travels in the URL: /pay/sandbox/:platformId/:paymentId.
// That keeps every payments table a platform table reached through platformDb (no cross-platform lookup
// by payment id, no system-level index to keep in step), and a platform id that does not match the
// payment is simply a 404. The payment id (UUIDv7) is the unguessable part, as a provider's session id is.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Platform } from '../../../kernel/context.ts';
import { errorResponses } from '../../../kernel/http/schemas.ts';
import { payPageCsp } from '../../../kernel/http/headers.ts';
import type { PaymentsDeps } from '../deps.ts';
import { readPaymentRow } from '../records.ts';
import { HostedPageParams } from '../schemas.ts';
import { MODULE_NAME } from '../settings.ts';
import { receiveWebhook } from '../webhook.ts';
import { deliverSandboxWebhook } from './deliver.ts';
import { payPage, returnLocation } from './page.ts';
import { SANDBOX, type SandboxIntent, type SandboxProvider } from './provider.ts';
import { paymentNotOpen, sandboxPaymentNotFound } from '../problems.ts';

const tags = ['payments'];

function originOf(url: string | null): string | null {
  if (!url) return null;
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}
const html = { 200: { type: 'string', description: 'HTML page' } } as const;

export function hostedPageRoutes(app: FastifyInstance, deps: PaymentsDeps, sandbox: SandboxProvider, onClose: { closed(): boolean; track(p: Promise<void>): void }): void {
  // An HTML form posts application/x-www-form-urlencoded; these routes read nothing from it.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  /** The platform of the URL, active and with payments on; 404 otherwise, as for an unknown payment. */
  const platformFor = (platformId: string, paymentId: string): Platform => {
    const platform = deps.ctx.platforms.byId(platformId);
    if (!platform || platform.status !== 'active' || !platform.modules.includes(MODULE_NAME)) {
      throw sandboxPaymentNotFound(paymentId);
    }
    return platform;
  };

  const intentFor = async (platform: Platform, paymentId: string): Promise<SandboxIntent> => {
    const intent = await sandbox.intentOfPayment(platform.id, paymentId);
    if (!intent) throw sandboxPaymentNotFound(paymentId);
    return intent;
  };

  const render = async (reply: FastifyReply, platform: Platform, intent: SandboxIntent) => {
    const order = await deps.orders.getPayableOrder(deps.ctx.platformDb(platform.id), intent.orderId);
    const base = `/pay/sandbox/${platform.id}/${intent.paymentId}`;
    return reply
      .header('cache-control', 'no-store')
      // The kernel's strict policy, widened only to let the forms' redirect reach the shop's return URL.
      .header('content-security-policy', payPageCsp(originOf(intent.returnUrl)))
      .type('text/html; charset=utf-8')
      .send(
        payPage({
          platformName: platform.name,
          orderNumber: order?.number ?? null,
          amount: intent.amount,
          currency: intent.currency,
          approveAction: `${base}/approve`,
          declineAction: `${base}/decline`,
          status: intent.status,
          returnUrl: intent.returnUrl,
        }),
      );
  };

  r.get(
    '/pay/sandbox/:platformId/:paymentId',
    {
      schema: {
        tags,
        summary: 'The sandbox hosted pay page (HTML): the amount and Approve / Decline buttons',
        params: HostedPageParams,
        produces: ['text/html'],
        response: { ...html, ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const { platformId, paymentId } = request.params;
      const platform = platformFor(platformId, paymentId);
      return render(reply, platform, await intentFor(platform, paymentId));
    },
  );

  for (const decision of ['approve', 'decline'] as const) {
    r.post(
      `/pay/sandbox/:platformId/:paymentId/${decision}`,
      {
        schema: {
          tags,
          summary:
            decision === 'approve'
              ? 'Approve a sandbox payment: the sandbox then sends a signed payment.succeeded webhook'
              : 'Decline a sandbox payment: the sandbox then sends a signed payment.failed webhook',
          params: HostedPageParams,
          response: { ...html, 303: { type: 'null', description: 'Back to the return URL' }, ...errorResponses(400, 404, 409, 415) },
        },
      },
      async (request, reply) => {
        const { platformId, paymentId } = request.params;
        const platform = platformFor(platformId, paymentId);
        const payment = await readPaymentRow(deps.ctx.platformDb(platform.id), paymentId);
        if (!payment || payment.provider !== SANDBOX) throw sandboxPaymentNotFound(paymentId);
        // A payment Souk closed (superseded by a newer attempt) must not take money through its old page.
        if (payment.status === 'cancelled') throw paymentNotOpen(paymentId);
        const { decided, intent } = await sandbox.decide(platform.id, paymentId, decision);
        if (decided) {
          // Only the click that decided sends the webhook, and only once this answer is on its way.
          const webhook = sandbox.signedEvent(intent, decision === 'approve' ? 'payment.succeeded' : 'payment.failed');
          setImmediate(() =>
            onClose.track(
              deliverSandboxWebhook({
                app,
                platform,
                webhook,
                log: request.log,
                closed: onClose.closed,
                applyInProcess: async () => {
                  await receiveWebhook(deps, platform.id, SANDBOX, Buffer.from(webhook.body), webhook.headers);
                },
              }),
            ),
          );
        }
        if (intent.returnUrl && intent.status !== 'requires_action') {
          return reply.code(303).header('location', returnLocation(intent.returnUrl, paymentId, intent.status)).send(null);
        }
        return render(reply, platform, intent);
      },
    );
  }
}
