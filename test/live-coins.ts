// Buying coins through the sandbox, as a shopper would: a top-up, its payment, and the signed
// "captured" webhook. Shared by the live commerce suites.
import assert from 'node:assert/strict';
import { paymentsModule, signedSandboxWebhook } from '../src/modules/payments/index.ts';
import type { Shop } from './commerce.ts';

export async function paidTopUp(shop: Shop, token: string, coins: number): Promise<{ topUpId: string; paymentId: string }> {
  const res = await shop.store({ method: 'POST', url: '/store/live/coins/top-ups', headers: { authorization: `Bearer ${token}` }, payload: { coins } });
  assert.equal(res.statusCode, 201, res.body);
  const { id, paymentId } = res.json();
  const signed = await signedSandboxWebhook(shop.env.souk.runtimeOf(paymentsModule), { platformId: shop.platform.platform.id, paymentId });
  const hook = await shop.store({ method: 'POST', url: '/store/payments/webhooks/sandbox', headers: signed.headers, payload: signed.body });
  assert.equal(hook.statusCode, 200, hook.body);
  return { topUpId: id, paymentId };
}
