// The policy a decision point runs until its platform's admins store one: tuned to stop a bonus-hunter
// farm (many fresh accounts behind few IPs and devices, throwaway or aliased mailboxes, headless or
// scripted clients) while an ordinary shopper, alone on their IP and device with a normal address,
// scores 0. Velocity thresholds scale with how often a real person repeats the action: sign-ups and
// coupon redemptions are rare, checkouts less so, chat messages and gifts come in bursts.
import type { DecisionPoint, PolicyDocument, Rule } from './policy.ts';

/** How many times a real person may plausibly repeat the action, relative to sign-up. */
const REPEAT: Readonly<Record<DecisionPoint, number>> = {
  signup: 1,
  coupon: 1,
  flash_sale: 2,
  login: 3,
  checkout: 4,
  payment: 4,
  live_gift: 20,
  live_chat: 60,
};

export function defaultPolicy(point: DecisionPoint): PolicyDocument {
  const k = REPEAT[point];
  const rules: Rule[] = [
    { id: 'automation', description: 'Headless browsers, HTTP libraries and crawlers', when: { signal: 'user_agent_class', op: 'in', values: ['headless', 'script', 'bot'] }, score: 45 },
    { id: 'no-user-agent', description: 'No user agent at all', when: { signal: 'user_agent_class', op: 'eq', value: 'empty' }, score: 25 },
    { id: 'disposable-email', description: 'A throwaway mailbox domain', when: { signal: 'email_disposable', op: 'eq', value: true }, score: 35 },
    { id: 'aliased-email', description: 'A plus tag or Gmail dots: one mailbox behind many addresses', when: { signal: 'email_aliased', op: 'eq', value: true }, score: 15 },
    { id: 'numbered-email', description: 'A long digit run in the local part (shop10234@…)', when: { signal: 'email_digit_run', op: 'gte', value: 4 }, score: 10 },
    { id: 'busy-device', description: 'The same device repeats this action more than a person does in a day', when: { signal: 'velocity_device_24h', op: 'gt', value: 3 * k }, score: 45 },
    { id: 'device-farm', description: 'A device far beyond any person', when: { signal: 'velocity_device_24h', op: 'gt', value: 10 * k }, action: 'deny' },
    { id: 'busy-ip', description: 'The same IP repeats this action within the hour', when: { signal: 'velocity_ip_1h', op: 'gt', value: 5 * k }, score: 30 },
    { id: 'busy-ip-day', description: 'The same IP over the day', when: { signal: 'velocity_ip_24h', op: 'gt', value: 20 * k }, score: 30 },
    { id: 'busy-subnet', description: 'The same /24 or /64 within the hour', when: { signal: 'velocity_subnet_1h', op: 'gt', value: 30 * k }, score: 20 },
    { id: 'busy-mailbox', description: 'One mailbox behind several accounts or attempts', when: { signal: 'velocity_email_24h', op: 'gt', value: 2 * k }, score: 40 },
    { id: 'busy-account', description: 'One account hammering the action', when: { signal: 'velocity_account_1h', op: 'gt', value: 10 * k }, score: 30 },
    {
      id: 'fresh-account-shared-device',
      description: 'An account under a day old on a device or IP others already used for this',
      when: { all: [{ signal: 'account_age_hours', op: 'lt', value: 24 }, { any: [{ signal: 'velocity_device_24h', op: 'gt', value: k }, { signal: 'velocity_ip_24h', op: 'gt', value: 2 * k }] }] },
      // 30 with an aliased mailbox (15) reaches a challenge (40): a farm that registered its accounts
      // before the launch still meets one at the coupon and the flash sale from its second use of a
      // device. A person alone on their device and IP never fires it (tuned on bench/risk-attack/).
      score: 30,
    },
  ];
  if (point === 'flash_sale') {
    // Units held and never paid keep them from real buyers until the payment window closes: an account
    // that did it twice meets a challenge (score 40). Ordinary shoppers have no unpaid orders; the
    // history is read from the node's cache (history.ts), so only flash-sale decisions pay for it.
    rules.push({ id: 'unpaid-flash-orders', description: 'Flash-sale orders left unpaid before', when: { signal: 'history_unpaid_flash_orders', op: 'gte', value: 2 }, score: 40 });
  }
  if (point === 'payment') {
    // One card behind many accounts is a farm paying for its accounts' orders (a family shares a card
    // among two or three). Read from the provider's fingerprint (signals/links.ts): four accounts on one
    // card meet a challenge (45), with a fresh account or another sign more.
    rules.push({ id: 'shared-card', description: 'A card already used by several other accounts of this shop', when: { signal: 'accounts_on_instrument', op: 'gte', value: 4 }, score: 45 });
  }
  return { rules, thresholds: [20, 40, 60, 80], actions: ['allow', 'allow', 'challenge', 'review', 'deny'], allowSampleRate: 0.05 };
}
