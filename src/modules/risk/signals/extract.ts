// From a request-like input to the signals rules read. Pure except for the velocity counters, which this
// increments (a decision is an attempt, whatever its outcome, so a denied burst still counts).
import { domainListed, emailShape } from './email.ts';
import { ipShape, type IpShape } from './ip.ts';
import { userAgentClass } from './user-agent.ts';
import type { SlidingCounters } from './velocity.ts';
import { VELOCITY_KEYS, VELOCITY_SIGNALS } from './catalogue.ts';

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
  /** The caller's own signals, named custom.<name> in rules. */
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
  now: number;
}

const MAX_ID = 200;
const bounded = (value: string | undefined) => (value === undefined || value === '' ? undefined : value.slice(0, MAX_ID));

function ageHours(created: RiskInput['accountCreatedAt'], now: number): number | undefined {
  if (created === undefined) return undefined;
  const at = created instanceof Date ? created.getTime() : typeof created === 'number' ? created : Date.parse(created);
  return Number.isFinite(at) ? Math.max(0, (now - at) / 3_600_000) : undefined;
}

export interface Extracted {
  signals: Signals;
  ip: IpShape | undefined;
}

/** Reused by every decision: the counts of one key, written by hit and copied into the signals at once. */
const counts = [0, 0, 0];

export function extractSignals(input: RiskInput, context: SignalContext): Extracted {
  const ip = input.ip === undefined ? undefined : ipShape(input.ip);
  const email = input.email === undefined ? undefined : emailShape(input.email);
  const deviceId = bounded(input.deviceId);
  const accountId = bounded(input.accountId);
  const signals: Signals = {
    ip: ip?.address,
    ip_prefix: ip?.prefix,
    ip_version: ip?.version,
    ip_private: ip?.private,
    device_id: deviceId,
    device_present: deviceId !== undefined,
    user_agent_class: userAgentClass(input.userAgent),
    email_domain: email?.domain,
    email_disposable: email === undefined ? undefined : domainListed(email.domain, context.disposableDomains) || domainListed(email.domain, context.extraDisposableDomains),
    email_aliased: email?.aliased,
    email_digit_run: email?.digitRun,
    email_fingerprint: email?.fingerprint,
    account_id: accountId,
    account_age_hours: ageHours(input.accountCreatedAt, context.now),
    amount: typeof input.amount === 'number' && Number.isFinite(input.amount) ? input.amount : undefined,
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
  };
  // In VELOCITY_KEYS order: ip, subnet, device, account, email.
  const keys = [ip?.address, ip?.prefix, deviceId, accountId, email?.fingerprint];
  const maps = context.counters.scope(context.counterScope, VELOCITY_KEYS.length);
  for (let k = 0; k < VELOCITY_KEYS.length; k++) {
    const key = keys[k];
    if (key === undefined) continue;
    context.counters.hit(maps[k]!, key, context.now, counts);
    for (let w = 0; w < 3; w++) signals[VELOCITY_SIGNALS[k * 3 + w]!] = counts[w];
  }
  if (input.custom) {
    for (const [name, value] of Object.entries(input.custom)) {
      if (typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) signals[`custom.${name}`] = value;
    }
  }
  return { signals, ip };
}
