// From a request-like input to the signals rules read. Pure except for the velocity counters, which this
// increments (a decision is an attempt, whatever its outcome, so a denied burst still counts).
import { domainListed, emailShape } from './email.ts';
import { ipShape, type IpShape } from './ip.ts';
import { userAgentInfo } from './user-agent.ts';
import type { KeyMap, SlidingCounters } from './velocity.ts';
import { VELOCITY_KEYS, VELOCITY_SIGNALS } from './catalogue.ts';
import { addressFingerprint, phoneShape } from './contact.ts';
import type { CountryOf } from './geo.ts';
import type { AccountLinks } from './links.ts';
import { FULL_PLAN, type SignalPlan } from './plan.ts';
import type { AccountHistory } from '../history.ts';

/** What a caller knows about the request being judged. Everything is optional: absent means unknown. */
export interface RiskInput {
  ip?: string;
  deviceId?: string;
  userAgent?: string;
  email?: string;
  accountId?: string;
  /** When the account was created (ISO string, Date or epoch milliseconds). */
  accountCreatedAt?: string | Date | number;
  amount?: number;
  phone?: string;
  /** The shipping address in one line, as the customer gave it. */
  shippingAddress?: string;
  /** ISO 3166 alpha-2. */
  shippingCountry?: string;
  /** The payment instrument's fingerprint from the payment provider (stable per card, like Stripe's card.fingerprint). */
  instrument?: string;
  /** The account's order history (history.ts), read by the service when the policy names a history_* signal. */
  history?: AccountHistory;
  /** The caller's own signals, named custom.<name> in rules (custom.phone, custom.shipping_address, custom.shipping_country, custom.coupon_code and custom.sale_id are read as the fields above too). */
  custom?: Record<string, string | number | boolean>;
}

export type SignalValue = string | number | boolean;
export type Signals = Record<string, SignalValue | undefined>;

/** The parts of extraction that need the platform: its extra disposable domains and its counters. */
export interface SignalContext {
  disposableDomains: ReadonlySet<string>;
  extraDisposableDomains: ReadonlySet<string>;
  counters: SlidingCounters;
  /** Prefix of counter keys: the platform and decision point, so neither ever counts for another. */
  counterScope: string;
  /** The counter maps of counterScope when the caller has them (engine.ts: SlidingCounters.scopeOf). */
  counterMaps?: KeyMap[];
  now: number;
  /** Accounts seen per device, IP and address, and the platform they are kept under. */
  links?: AccountLinks;
  linkScope?: string;
  /** The country of an IP (SOUK_RISK_GEOIP_FILE), when the node has a database. */
  countryOf?: CountryOf;
  /** Which expensive signals to compute (signals/plan.ts); all of them without one. */
  plan?: SignalPlan;
}

const MAX_ID = 200;
const bounded = (value: string | undefined) => (value === undefined || value === '' ? undefined : value.slice(0, MAX_ID));

/**
 * Creation times given as ISO strings, parsed once each: a hooked point passes the same account's string
 * on every attempt (from its customer cache), and Date.parse was a microsecond of every decision. Bounded:
 * past MAX_PARSED distinct strings the map starts over.
 */
const parsedTimes = new Map<string, number>();
const MAX_PARSED = 50_000;

function parseTime(text: string): number {
  let at = parsedTimes.get(text);
  if (at === undefined) {
    at = Date.parse(text);
    if (parsedTimes.size >= MAX_PARSED) parsedTimes.clear();
    parsedTimes.set(text, at);
  }
  return at;
}

function ageHours(created: RiskInput['accountCreatedAt'], now: number): number | undefined {
  if (created === undefined) return undefined;
  const at = created instanceof Date ? created.getTime() : typeof created === 'number' ? created : parseTime(created);
  return Number.isFinite(at) ? Math.max(0, (now - at) / 3_600_000) : undefined;
}

export interface Extracted {
  signals: Signals;
  ip: IpShape | undefined;
}

/** Reused by every decision: the counts of one key, written by hit and copied into the signals at once. */
const counts = [0, 0, 0];
const linked = [0, 0, 0, 0];

/** custom.<name> per caller name, made once (a bounded set: past 1,000 names they are built per use). */
const customNames = new Map<string, string>();
function customName(name: string): string {
  let full = customNames.get(name);
  if (full === undefined) {
    full = `custom.${name}`;
    if (customNames.size < 1000) customNames.set(name, full);
  }
  return full;
}

const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value : undefined);

export function extractSignals(input: RiskInput, context: SignalContext): Extracted {
  const plan = context.plan ?? FULL_PLAN;
  const ip = input.ip === undefined ? undefined : ipShape(input.ip);
  const email = input.email === undefined ? undefined : emailShape(input.email);
  const deviceId = bounded(input.deviceId);
  const accountId = bounded(input.accountId);
  const instrument = bounded(input.instrument);
  // Unread user agents are left unparsed: every user_agent_* signal is then absent.
  const ua = plan.userAgent ? userAgentInfo(input.userAgent) : undefined;
  const custom = input.custom;
  const shippingCountryRaw = text(input.shippingCountry) ?? text(custom?.shipping_country);
  const shippingCountry = shippingCountryRaw === undefined ? undefined : shippingCountryRaw.trim().toUpperCase().slice(0, 2);
  const phoneRaw = plan.phone ? (text(input.phone) ?? text(custom?.phone)) : undefined;
  const phone = phoneRaw === undefined ? undefined : phoneShape(phoneRaw, shippingCountry);
  const addressRaw = plan.address ? (text(input.shippingAddress) ?? text(custom?.shipping_address)) : undefined;
  const address = addressRaw === undefined ? undefined : addressFingerprint(addressRaw);
  const history = plan.history && accountId !== undefined ? input.history : undefined;
  const ipCountry = !plan.geo || ip === undefined || ip.private || context.countryOf === undefined ? undefined : context.countryOf(ip.address);
  const signals: Signals = {
    ip: ip?.address,
    ip_prefix: ip?.prefix,
    ip_version: ip?.version,
    ip_private: ip?.private,
    device_id: deviceId,
    device_present: deviceId !== undefined,
    user_agent_class: ua?.class,
    user_agent_browser: ua?.browser,
    user_agent_browser_major: ua?.browserMajor,
    user_agent_os: ua?.os,
    user_agent_device: ua?.device,
    email_domain: email?.domain,
    email_disposable: email === undefined ? undefined : domainListed(email.domain, context.disposableDomains) || domainListed(email.domain, context.extraDisposableDomains),
    email_aliased: email?.aliased,
    email_digit_run: email?.digitRun,
    email_fingerprint: email?.fingerprint,
    account_id: accountId,
    account_age_hours: ageHours(input.accountCreatedAt, context.now),
    phone_fingerprint: phone?.fingerprint,
    phone_valid: phone?.valid,
    phone_country: phone?.country,
    address_fingerprint: address,
    shipping_country: shippingCountry,
    ip_country: ipCountry,
    ip_country_mismatch: ipCountry !== undefined && shippingCountry !== undefined ? ipCountry !== shippingCountry : undefined,
    accounts_on_device: undefined,
    accounts_on_ip: undefined,
    accounts_on_address: undefined,
    accounts_on_instrument: undefined,
    account_cluster_size: undefined,
    instrument_fingerprint: instrument,
    amount: typeof input.amount === 'number' && Number.isFinite(input.amount) ? input.amount : undefined,
    history_orders: history?.orders,
    history_cancel_rate: history === undefined ? undefined : history.orders > 0 ? history.cancelled / history.orders : 0,
    history_refund_rate: history === undefined ? undefined : history.orders > 0 ? history.refunded / history.orders : 0,
    history_unpaid_flash_orders: history?.unpaidFlash,
    // Every velocity signal is named here, so each decision's signals share one shape (fast to read).
    velocity_ip_1m: undefined,
    velocity_ip_1h: undefined,
    velocity_ip_24h: undefined,
    velocity_subnet_1m: undefined,
    velocity_subnet_1h: undefined,
    velocity_subnet_24h: undefined,
    velocity_device_1m: undefined,
    velocity_device_1h: undefined,
    velocity_device_24h: undefined,
    velocity_account_1m: undefined,
    velocity_account_1h: undefined,
    velocity_account_24h: undefined,
    velocity_email_1m: undefined,
    velocity_email_1h: undefined,
    velocity_email_24h: undefined,
    velocity_phone_1m: undefined,
    velocity_phone_1h: undefined,
    velocity_phone_24h: undefined,
    velocity_address_1m: undefined,
    velocity_address_1h: undefined,
    velocity_address_24h: undefined,
    velocity_coupon_1m: undefined,
    velocity_coupon_1h: undefined,
    velocity_coupon_24h: undefined,
    velocity_sale_1m: undefined,
    velocity_sale_1h: undefined,
    velocity_sale_24h: undefined,
  };
  // In VELOCITY_KEYS order: ip, subnet, device, account, email, phone, address, coupon, sale.
  const coupon = text(custom?.coupon_code);
  const sale = text(custom?.sale_id);
  const keys = [ip?.address, ip?.prefix, deviceId, accountId, email?.fingerprint, phone?.fingerprint, address, coupon?.toUpperCase().slice(0, MAX_ID), sale?.slice(0, MAX_ID)];
  const maps = context.counterMaps ?? context.counters.scope(context.counterScope, VELOCITY_KEYS.length);
  const counted = plan.velocity;
  for (let k = 0; k < VELOCITY_KEYS.length; k++) {
    const key = keys[k];
    if (key === undefined || !counted[k]) continue;
    context.counters.hit(maps[k]!, key, context.now, counts);
    for (let w = 0; w < 3; w++) signals[VELOCITY_SIGNALS[k * 3 + w]!] = counts[w];
  }
  if (plan.links && accountId !== undefined && context.links !== undefined && context.linkScope !== undefined) {
    // In LINK_KINDS order: device, ip, address, instrument.
    context.links.link(context.linkScope, accountId, [deviceId, ip?.address, address, instrument], linked);
    if (deviceId !== undefined) signals.accounts_on_device = linked[0];
    if (ip !== undefined) signals.accounts_on_ip = linked[1];
    if (address !== undefined) signals.accounts_on_address = linked[2];
    if (instrument !== undefined) signals.accounts_on_instrument = linked[3];
    signals.account_cluster_size = Math.max(linked[0]!, linked[1]!, linked[2]!, linked[3]!);
  }
  if (custom) {
    for (const name in custom) {
      const value = custom[name];
      if (typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) signals[customName(name)] = value;
    }
  }
  return { signals, ip };
}

/**
 * Fills in the stateless signals a decision's plan skipped (user agent, phone, address, the IP's
 * country), for a decision about to be stored: explanations and backtests then see what a policy reading
 * them would have seen. Counters and links are not made up afterwards. Off the decision path (recorder.ts).
 */
export function fillDeferredSignals(input: RiskInput, signals: Signals, countryOf?: CountryOf): void {
  if (signals.user_agent_class === undefined) {
    const ua = userAgentInfo(input.userAgent);
    signals.user_agent_class = ua.class;
    signals.user_agent_browser = ua.browser;
    signals.user_agent_browser_major = ua.browserMajor;
    signals.user_agent_os = ua.os;
    signals.user_agent_device = ua.device;
  }
  const custom = input.custom;
  const shippingCountry = typeof signals.shipping_country === 'string' ? signals.shipping_country : undefined;
  if (signals.phone_fingerprint === undefined) {
    const raw = text(input.phone) ?? text(custom?.phone);
    const phone = raw === undefined ? undefined : phoneShape(raw, shippingCountry);
    if (phone) {
      signals.phone_fingerprint = phone.fingerprint;
      signals.phone_valid = phone.valid;
      signals.phone_country = phone.country;
    }
  }
  if (signals.address_fingerprint === undefined) {
    const raw = text(input.shippingAddress) ?? text(custom?.shipping_address);
    if (raw !== undefined) signals.address_fingerprint = addressFingerprint(raw);
  }
  if (signals.ip_country === undefined && countryOf !== undefined && typeof signals.ip === 'string' && signals.ip_private === false) {
    const country = countryOf(signals.ip);
    signals.ip_country = country;
    if (country !== undefined && shippingCountry !== undefined) signals.ip_country_mismatch = country !== shippingCountry;
  }
}
