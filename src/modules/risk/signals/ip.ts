// IP signals: the address as ipaddr.js reads it (IPv4-mapped IPv6 unwrapped), and its network, /24 for
// IPv4 and /64 for IPv6: rented proxies and one household's devices share a network, not an address.
import ipaddr from 'ipaddr.js';
import { RecentCache } from './recent-cache.ts';

export interface IpShape {
  address: string;
  prefix: string;
  version: 4 | 6;
  /** Loopback, private, link-local and other non-public ranges. */
  private: boolean;
  parsed: ipaddr.IPv4 | ipaddr.IPv6;
}

/**
 * Parsing an address was a sixth of a decision's time; shoppers (and farms) come back from the same ones.
 * The shapes are shared between decisions and never changed.
 */
const shapes = new RecentCache<IpShape | undefined>(20_000);

export function ipShape(raw: string): IpShape | undefined {
  return raw.length > 64 ? undefined : shapes.get(raw, parseShape);
}

function parseShape(raw: string): IpShape | undefined {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(raw);
  } catch {
    return undefined;
  }
  if (parsed.kind() === 'ipv4') {
    const o = (parsed as ipaddr.IPv4).octets;
    return { address: parsed.toString(), prefix: `${o[0]}.${o[1]}.${o[2]}.0/24`, version: 4, private: parsed.range() !== 'unicast', parsed };
  }
  const parts = (parsed as ipaddr.IPv6).parts;
  const prefix = `${parts.slice(0, 4).map((p) => p.toString(16)).join(':')}::/64`;
  return { address: parsed.toString(), prefix, version: 6, private: parsed.range() !== 'unicast', parsed };
}
