// Allow and block lists of a platform, and its extra disposable-email domains. A blocked request is
// denied before any rule runs; an allowed one is allowed (unless also blocked: block wins, so an entry
// on the allow list can never open a hole a block entry closed).
import ipaddr from 'ipaddr.js';
import { domainListed } from './signals/email.ts';
import type { IpShape } from './signals/ip.ts';
import type { Signals } from './signals/extract.ts';

export const LIST_NAMES = ['block', 'allow', 'disposable'] as const;
export type ListName = (typeof LIST_NAMES)[number];
export const ENTRY_KINDS = ['ip', 'device', 'email_domain', 'account'] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

export interface ListEntry {
  kind: EntryKind;
  value: string;
  note?: string;
}

export interface ListFault {
  path: string;
  message: string;
}

/** Why an entry cannot go on a list, or undefined. Values are normalised by normaliseEntry first. */
export function entryFault(list: ListName, entry: ListEntry, index: number): ListFault | undefined {
  const path = `entries.${index}.value`;
  if (list === 'disposable' && entry.kind !== 'email_domain') return { path: `entries.${index}.kind`, message: 'the disposable list holds email_domain entries only' };
  if (entry.kind === 'ip') {
    const ok = entry.value.includes('/') ? ipaddr.isValidCIDR(entry.value) : ipaddr.isValid(entry.value);
    if (!ok) return { path, message: `"${entry.value}" is not an IP address or CIDR range` };
  }
  if (entry.kind === 'email_domain' && !/^(?=.{1,253}$)([a-z0-9-]{1,63}\.)*[a-z0-9-]{1,63}$/.test(entry.value)) return { path, message: `"${entry.value}" is not a domain name` };
  return undefined;
}

export function normaliseEntry(entry: ListEntry): ListEntry {
  const value = entry.value.trim();
  return { ...entry, value: entry.kind === 'email_domain' || entry.kind === 'ip' ? value.toLowerCase() : value };
}

/** One list (block or allow), compiled for lookups: sets for exact values, parsed ranges for CIDRs. */
export class CompiledList {
  private readonly ips = new Set<string>();
  private readonly ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];
  private readonly values: Record<Exclude<EntryKind, 'ip'>, Set<string>> = { device: new Set(), email_domain: new Set(), account: new Set() };

  constructor(entries: readonly ListEntry[]) {
    for (const entry of entries) {
      if (entry.kind !== 'ip') this.values[entry.kind].add(entry.value);
      else if (entry.value.includes('/')) {
        const [range, bits] = ipaddr.parseCIDR(entry.value);
        // IPv4-mapped ranges are matched as the IPv4 range, as addresses are.
        this.ranges.push(range.kind() === 'ipv6' && (range as ipaddr.IPv6).isIPv4MappedAddress() ? [(range as ipaddr.IPv6).toIPv4Address(), Math.max(0, bits - 96)] : [range, bits]);
      } else this.ips.add(ipaddr.process(entry.value).toString());
    }
  }

  /** The kind of the first entry the request matches ("ip", "device", …), or undefined. */
  match(signals: Signals, ip: IpShape | undefined): EntryKind | undefined {
    if (ip && (this.ips.has(ip.address) || this.ranges.some(([range, bits]) => range.kind() === ip.parsed.kind() && ip.parsed.match(range, bits)))) return 'ip';
    if (typeof signals.device_id === 'string' && this.values.device.has(signals.device_id)) return 'device';
    if (typeof signals.account_id === 'string' && this.values.account.has(signals.account_id)) return 'account';
    if (typeof signals.email_domain === 'string' && domainListed(signals.email_domain, this.values.email_domain)) return 'email_domain';
    return undefined;
  }
}
