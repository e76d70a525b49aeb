// A policy compiled to one decision function: request facts in, a track out. Nothing here does I/O, so a
// dry-run through the policy API runs exactly the code the proxy runs.
import { createHash } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import { UAParser } from 'ua-parser-js';
import { parseRange, type Condition, type PolicyDocument } from './policy.ts';

/** What the gateway knows about a request when it picks a track. */
export interface RequestFacts {
  method: string;
  /** Path with query string, as on the request line. */
  url: string;
  /** Lower-case header names. */
  headers: Record<string, string | string[] | undefined>;
  /** The client's address (after trusted proxies). */
  ip: string;
  now?: number;
}

export interface Decision {
  track: string;
  /** The rule that chose the track, `default` for the weighted split, or `sticky:<rule>` for a kept cookie. */
  reason: string;
  /** The sticky cookie value to set, when it should change. */
  setSticky?: string;
}

export const STICKY_COOKIE = 'souk_track';

export interface DecideOptions {
  /** A header an edge in front of the gateway sets to the signed-in customer's id (trusted), if any. */
  customerHeader?: string;
  /** Picks a number in [0, 1) for random percentages and the weighted split (tests pass a seeded one). */
  random?: () => number;
}

interface Client {
  os: string;
  device: string;
  app: string;
}

const clientCache = new Map<string, Client>();
/** Device, OS and app of a user agent (ua-parser-js), kept for the last few thousand distinct agents. */
export function clientOf(userAgent: string): Client {
  const cached = clientCache.get(userAgent);
  if (cached) return cached;
  const result = new UAParser(userAgent).getResult();
  const osName = (result.os.name ?? '').toLowerCase();
  const os = osName === 'ios' ? 'ios' : osName === 'android' ? 'android' : osName === 'harmonyos' ? 'harmonyos' : osName === 'windows' ? 'windows' : osName === 'mac os' || osName === 'macos' ? 'macos' : osName === 'linux' || osName === 'ubuntu' || osName === 'debian' || osName === 'fedora' ? 'linux' : 'other';
  const device = result.device.type === 'mobile' ? 'mobile' : result.device.type === 'tablet' ? 'tablet' : 'desktop';
  // WeChat's mini programs run in its web view and add "miniProgram" (Android) or MiniProgramEnv to the agent.
  const app = /miniprogram/i.test(userAgent) ? 'wechat-miniprogram' : /MicroMessenger/i.test(userAgent) ? 'wechat' : 'none';
  const client = { os, device, app };
  if (clientCache.size >= 5000) clientCache.clear();
  clientCache.set(userAgent, client);
  return client;
}

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

export function cookieValue(header: string | string[] | undefined, name: string): string | undefined {
  const text = Array.isArray(header) ? header.join('; ') : header;
  if (!text) return undefined;
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      const raw = part.slice(eq + 1).trim();
      try {
        return decodeURIComponent(raw);
      } catch {
        return raw;
      }
    }
  }
  return undefined;
}

/** A number in [0, 100) fixed by the key and salt: the customer's bucket for customerPercent. */
export function bucketOf(key: string, salt = ''): number {
  const digest = createHash('sha256').update(`${salt}:${key}`).digest();
  return (digest.readUInt32BE(0) / 2 ** 32) * 100;
}

/** The signed-in customer's key: the trusted header if configured and present, else the bearer token. */
export function customerKey(headers: RequestFacts['headers'], customerHeader?: string): string | undefined {
  if (customerHeader) {
    const value = first(headers[customerHeader]);
    if (value) return `id:${value}`;
  }
  const auth = first(headers.authorization);
  if (auth && /^bearer\s+\S/i.test(auth)) return `token:${auth.slice(7).trim()}`;
  return undefined;
}

/** The part of a sticky cookie that ties it to one version of a rule (or of the default split). */
export const fingerprint = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 10);

type Test = (facts: RequestFacts, memo: Memo) => boolean;
interface Memo {
  client?: Client;
  query?: URLSearchParams;
  address?: ipaddr.IPv4 | ipaddr.IPv6 | null;
}

function addressOf(facts: RequestFacts, memo: Memo): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (memo.address !== undefined) return memo.address;
  try {
    const parsed = ipaddr.parse(facts.ip);
    memo.address = parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress() ? (parsed as ipaddr.IPv6).toIPv4Address() : parsed;
  } catch {
    memo.address = null;
  }
  return memo.address;
}

function matchesNamed(actual: string | undefined, values: string[] | undefined): boolean {
  if (actual === undefined) return false;
  return values === undefined || values.includes(actual);
}

function compileCondition(condition: Condition, options: DecideOptions): Test {
  if ('all' in condition) {
    const parts = condition.all.map((c) => compileCondition(c, options));
    return (f, m) => parts.every((p) => p(f, m));
  }
  if ('any' in condition) {
    const parts = condition.any.map((c) => compileCondition(c, options));
    return (f, m) => parts.some((p) => p(f, m));
  }
  if ('not' in condition) {
    const inner = compileCondition(condition.not, options);
    return (f, m) => !inner(f, m);
  }
  const client = (f: RequestFacts, m: Memo) => (m.client ??= clientOf(first(f.headers['user-agent']) ?? ''));
  if ('os' in condition) {
    const set = new Set<string>(condition.os);
    return (f, m) => set.has(client(f, m).os);
  }
  if ('device' in condition) {
    const set = new Set<string>(condition.device);
    return (f, m) => set.has(client(f, m).device);
  }
  if ('app' in condition) {
    const set = new Set<string>(condition.app);
    return (f, m) => set.has(client(f, m).app);
  }
  if ('ip' in condition) {
    const ranges = condition.ip.map((text) => parseRange(text)!);
    return (f, m) => {
      const address = addressOf(f, m);
      return address !== null && ranges.some(([range, bits]) => range.kind() === address.kind() && address.match(range, bits));
    };
  }
  if ('header' in condition) {
    const { name, values } = condition.header;
    const key = name.toLowerCase();
    return (f) => matchesNamed(first(f.headers[key]), values);
  }
  if ('cookie' in condition) {
    const { name, values } = condition.cookie;
    return (f) => matchesNamed(cookieValue(f.headers.cookie, name), values);
  }
  if ('query' in condition) {
    const { name, values } = condition.query;
    return (f, m) => {
      const q = f.url.indexOf('?');
      if (q < 0) return false;
      m.query ??= new URLSearchParams(f.url.slice(q + 1));
      return matchesNamed(m.query.get(name) ?? undefined, values);
    };
  }
  if ('host' in condition) {
    const patterns = condition.host.map((p) => p.toLowerCase());
    return (f) => {
      const full = (first(f.headers.host) ?? '').toLowerCase();
      const bare = full.replace(/:\d+$/, '');
      return patterns.some((p) => {
        const target = p.includes(':') ? full : bare;
        return p.startsWith('*.') ? target.endsWith(p.slice(1)) : target === p;
      });
    };
  }
  if ('customerPercent' in condition) {
    const { percent, salt } = condition.customerPercent;
    return (f) => {
      const key = customerKey(f.headers, options.customerHeader);
      return key !== undefined && bucketOf(key, salt) < percent;
    };
  }
  if ('randomPercent' in condition) {
    const percent = condition.randomPercent;
    const random = options.random ?? Math.random;
    return () => random() * 100 < percent;
  }
  const from = condition.time.from ? Date.parse(condition.time.from) : -Infinity;
  const to = condition.time.to ? Date.parse(condition.time.to) : Infinity;
  return (f) => {
    const now = f.now ?? Date.now();
    return now >= from && now < to;
  };
}

export type Decide = (facts: RequestFacts) => Decision;

/** Whether a condition depends on the clock: such a rule's clients are not kept by cookie past its window. */
function usesTime(condition: Condition): boolean {
  if ('all' in condition) return condition.all.some(usesTime);
  if ('any' in condition) return condition.any.some(usesTime);
  if ('not' in condition) return usesTime(condition.not);
  return 'time' in condition;
}

/**
 * Compiles a valid document (checkPolicy accepted it). The sticky cookie names the track, the rule that
 * chose it and a fingerprint of that rule: it is honoured while that rule is unchanged in the policy, so a
 * policy version that changes what the rule says moves its clients, and one that leaves it alone does not.
 */
export function compilePolicy(doc: PolicyDocument, options: DecideOptions = {}): Decide {
  const random = options.random ?? Math.random;
  const rules = doc.rules.map((rule) => ({ id: rule.id, track: rule.track, override: rule.override === true, timed: usesTime(rule.when), test: compileCondition(rule.when, options), print: fingerprint(rule) }));
  const split = Object.entries(doc.default).filter(([, weight]) => weight > 0);
  const total = split.reduce((sum, [, weight]) => sum + weight, 0);
  const defaultPrint = fingerprint(doc.default);
  const sticky = doc.sticky !== false;
  // Rules over a time window are left out: their clients must leave the track when the window closes.
  const prints = new Map<string, { track?: string; print: string }>(rules.filter((r) => !r.timed).map((r) => [r.id, { track: r.track, print: r.print }]));
  prints.set('default', { print: defaultPrint });
  const tracksOfDefault = new Set(split.map(([track]) => track));

  return (facts) => {
    const memo: Memo = {};
    const stickyValue = sticky ? cookieValue(facts.headers.cookie, STICKY_COOKIE) : undefined;
    const cookieOf = (track: string, reason: string, print: string) => {
      const value = `${track}~${reason}~${print}`;
      return sticky && value !== stickyValue ? value : undefined;
    };
    for (const rule of rules) {
      if (rule.override && rule.test(facts, memo)) return { track: rule.track, reason: rule.id };
    }
    if (stickyValue) {
      const [track, reason, print] = stickyValue.split('~');
      const known = reason === undefined ? undefined : prints.get(reason);
      if (track && known && known.print === print && (known.track === undefined ? tracksOfDefault.has(track) : known.track === track)) {
        return { track, reason: `sticky:${reason}` };
      }
    }
    for (const rule of rules) {
      if (!rule.override && rule.test(facts, memo)) return { track: rule.track, reason: rule.id, setSticky: rule.timed ? undefined : cookieOf(rule.track, rule.id, rule.print) };
    }
    let point = random() * total;
    let chosen = split[split.length - 1]![0];
    for (const [track, weight] of split) {
      if (point < weight) {
        chosen = track;
        break;
      }
      point -= weight;
    }
    return { track: chosen, reason: 'default', setSticky: cookieOf(chosen, 'default', defaultPrint) };
  };
}
