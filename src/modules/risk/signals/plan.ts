// Which signals a decision computes. Most signals cost a field read, but some cost real work: parsing a
// phone number (libphonenumber-js, tens of µs), folding an address, parsing a user agent, a GeoIP lookup,
// the account links, and each velocity key kind a counter update. A plan, derived once when a policy is
// compiled from the signal names its rules (and the point's shadow policy's rules) name, says which of
// those to compute; the rest stay absent, as an unknown signal does. Measured with --cpu-prof on the risk
// bench, phone parsing alone was half of every decision before plans.
//
// Velocity counters of the keys every request has at hand (IP, subnet, device, account, email, coupon,
// sale) are always hit: they cost a Map lookup each, and stored decisions keep them for backtests. The
// phone and address counters need the parse, so they follow it; they and the account links start
// counting when a live or shadow policy first names them (a draft put in shadow first warms them).
// Stored decisions get the skipped stateless signals (user agent, phone, address, country) filled in
// by the recorder, off the decision path (extract.ts fillDeferredSignals), so explanations and
// backtests still see them.
import { VELOCITY_KEYS } from './catalogue.ts';

export interface SignalPlan {
  /** user_agent_* */
  userAgent: boolean;
  /** phone_* and velocity_phone_* */
  phone: boolean;
  /** address_fingerprint, velocity_address_* and the address link */
  address: boolean;
  /** ip_country, ip_country_mismatch */
  geo: boolean;
  /** accounts_on_*, account_cluster_size */
  links: boolean;
  /** Per key kind, in VELOCITY_KEYS order: whether its counter is hit (all but phone and address always). */
  velocity: readonly boolean[];
  /** history_* signals (order history of the account). */
  history: boolean;
}

/** Everything: for a trial of a draft, tests, and callers that want every signal. */
export const FULL_PLAN: SignalPlan = Object.freeze({ userAgent: true, phone: true, address: true, geo: true, links: true, velocity: VELOCITY_KEYS.map(() => true), history: true });

const LINK_SIGNALS = new Set(['accounts_on_device', 'accounts_on_ip', 'accounts_on_address', 'accounts_on_instrument', 'account_cluster_size']);

/** The plan that computes every signal in names (and what those need), and no other expensive one. */
export function planFor(names: Iterable<string>): SignalPlan {
  const velocity = VELOCITY_KEYS.map((key) => key !== 'phone' && key !== 'address');
  const plan = { userAgent: false, phone: false, address: false, geo: false, links: false, velocity, history: false };
  for (const name of names) {
    if (name.startsWith('user_agent_')) plan.userAgent = true;
    else if (name.startsWith('phone_')) plan.phone = true;
    else if (name === 'address_fingerprint') plan.address = true;
    else if (name === 'ip_country' || name === 'ip_country_mismatch') plan.geo = true;
    else if (name.startsWith('history_')) plan.history = true;
    else if (LINK_SIGNALS.has(name)) plan.links = true;
    else if (name.startsWith('velocity_')) {
      const kind = VELOCITY_KEYS.indexOf(name.slice('velocity_'.length, name.lastIndexOf('_')) as (typeof VELOCITY_KEYS)[number]);
      if (kind >= 0) velocity[kind] = true;
    }
  }
  // The address is a link key and the key of its own counter; the phone the key of its counter.
  if (plan.links || velocity[VELOCITY_KEYS.indexOf('address')]) plan.address = true;
  if (velocity[VELOCITY_KEYS.indexOf('phone')]) plan.phone = true;
  return plan;
}
