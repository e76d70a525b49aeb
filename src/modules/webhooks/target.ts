// Where a webhook may be sent. URLs are http(s) without credentials or fragment. A webhook is a POST the
// server makes on a tenant's say-so, so a target inside the server's own network would let a platform
// admin reach what only the server should (SSRF). Two tiers:
// - cloud metadata services (169.254.0.0/16, fd00:ec2::254, metadata.google.internal, ...) are refused
//   always: they hand out the host's credentials, and no receiver legitimately lives there;
// - every other non-public address (loopback, private, link-local, unique-local, CGNAT, unspecified,
//   multicast, documentation and other reserved ranges) is refused unless SOUK_WEBHOOK_ALLOW_PRIVATE=1,
//   the development opt-in.
// The check runs on the URL when the endpoint is saved, and again on every address the host resolves to
// just before each attempt (send.ts connects to the address that was checked, so a name that changes
// its answer between check and connect, DNS rebinding, cannot slip through).
import { lookup as dnsLookup } from 'node:dns';
import ipaddr from 'ipaddr.js';
import { notAbsoluteUrl, notHttpUrl, privateTarget, urlWithCredentials, urlWithFragment, urlWithoutHost } from './problems.ts';

/** Host names of metadata services (compared without a trailing dot, lower case). */
const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal', 'metadata.azure.internal']);

/** Metadata address ranges, refused even with the private opt-in. */
const METADATA_RANGES = [
  ipaddr.parseCIDR('169.254.0.0/16'), // AWS, GCP, Azure, OpenStack IMDS (169.254.169.254), ECS (169.254.170.2)
  ipaddr.parseCIDR('100.100.100.200/32'), // Alibaba Cloud
  ipaddr.parseCIDR('fd00:ec2::254/128'), // AWS IMDS over IPv6
  ipaddr.parseCIDR('fe80::a9fe:a9fe/128'), // link-local alias some clouds answer on
];

export type TargetVerdict = { ok: true } | { ok: false; metadata: boolean; reason: string };

const allowed: TargetVerdict = { ok: true };

/**
 * The addresses an IP stands for: itself, and an IPv4 carried inside an IPv6 form (::ffff:a.b.c.d,
 * NAT64 64:ff9b::/96, 6to4 2002::/16), so no encoding of an internal address passes as public.
 */
function facets(address: string): Array<ipaddr.IPv4 | ipaddr.IPv6> {
  const ip = ipaddr.process(address); // ::ffff:a.b.c.d becomes a.b.c.d
  const out: Array<ipaddr.IPv4 | ipaddr.IPv6> = [ip];
  if (ip.kind() === 'ipv6') {
    const bytes = ip.toByteArray();
    const range = ip.range();
    if (range === 'rfc6052' || range === 'rfc6145') out.push(ipaddr.fromByteArray(bytes.slice(12)));
    if (range === '6to4') out.push(ipaddr.fromByteArray(bytes.slice(2, 6)));
  }
  return out;
}

const isMetadataIp = (ip: ipaddr.IPv4 | ipaddr.IPv6) => METADATA_RANGES.some(([net, bits]) => net.kind() === ip.kind() && ip.match(net, bits));

/** The verdict on one IP address (any textual form ipaddr.js parses). Unparseable text is refused. */
export function checkAddress(address: string, allowPrivateTargets: boolean): TargetVerdict {
  if (!ipaddr.isValid(address)) return { ok: false, metadata: false, reason: `${address} is not an IP address` };
  const all = facets(address);
  if (all.some(isMetadataIp)) return { ok: false, metadata: true, reason: `${address} is a cloud metadata address` };
  if (allowPrivateTargets) return allowed;
  const inner = all.find((ip) => ip.range() !== 'unicast');
  return inner ? { ok: false, metadata: false, reason: `${address} is not a public address (${inner.range()})` } : allowed;
}

/** True for addresses a webhook must not reach when private targets are off. */
export function isNonPublicAddress(address: string): boolean {
  return !checkAddress(address, false).ok;
}

/** The host of a URL as compared here: no brackets, lower case, no trailing dot. */
function bareHost(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, '');
}

const isLocalName = (host: string) => host === 'localhost' || host.endsWith('.localhost');

/** The verdict on a URL's host before any DNS: literal addresses and names known to be internal. */
export function checkHost(host: string, allowPrivateTargets: boolean): TargetVerdict {
  if (METADATA_HOSTS.has(host)) return { ok: false, metadata: true, reason: `${host} is a cloud metadata host` };
  if (ipaddr.isValid(host)) return checkAddress(host, allowPrivateTargets);
  if (!allowPrivateTargets && isLocalName(host)) return { ok: false, metadata: false, reason: `${host} is a local name` };
  return allowed;
}

/** Parses and checks an endpoint URL; returns it normalised, or throws a 400/422 that says what is wrong. */
export function checkEndpointUrl(raw: string, allowPrivateTargets: boolean): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw notAbsoluteUrl(raw);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw notHttpUrl(url.protocol.replace(/:$/, ''));
  }
  if (url.username || url.password) {
    throw urlWithCredentials();
  }
  if (url.hash) throw urlWithFragment();
  // WHATWG URL parsing has already turned 2852039166, 0xa9fea9fe and 0251.0376.0251.0376 into 169.254.169.254.
  const host = bareHost(url);
  if (!host) throw urlWithoutHost();
  const verdict = checkHost(host, allowPrivateTargets);
  if (!verdict.ok) {
    throw privateTarget(host, verdict.reason, Boolean(verdict.metadata));
  }
  return url.toString();
}

/** An error a blocked lookup fails with; send.ts records its message as the attempt's error. */
export class BlockedTargetError extends Error {
  readonly code = 'ESOUKBLOCKED';
}

export type Resolve = (host: string) => Promise<Array<{ address: string; family: number }>>;

/** The system resolver (getaddrinfo), every address, in the order the system prefers. */
export const systemResolve: Resolve = (host) =>
  new Promise((resolve, reject) => dnsLookup(host, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))));

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | Array<{ address: string; family: number }>, family?: number) => void;

/**
 * A `lookup` for http.request: resolves the host, refuses the connection when any address is blocked
 * (a name with one public and one private answer is not trusted with either), and hands the checked
 * addresses to the socket, which connects to exactly those.
 */
export function checkingLookup(allowPrivateTargets: boolean, resolve: Resolve = systemResolve) {
  return (hostname: string, options: { all?: boolean } | number, callback: LookupCallback): void => {
    const host = hostname.toLowerCase().replace(/\.$/, '');
    const wantsAll = typeof options === 'object' && options.all === true;
    const named = checkHost(host, allowPrivateTargets);
    if (!named.ok) return callback(new BlockedTargetError(`blocked: ${named.reason}`), '');
    resolve(host).then(
      (addresses) => {
        if (addresses.length === 0) return callback(new BlockedTargetError(`DNS lookup of ${host} returned no address`), '');
        for (const { address } of addresses) {
          const verdict = checkAddress(address, allowPrivateTargets);
          if (!verdict.ok) return callback(new BlockedTargetError(`blocked: ${host} resolves to ${verdict.reason}`), '');
        }
        if (wantsAll) callback(null, addresses);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (error: NodeJS.ErrnoException) => {
        const failure = new Error(`DNS lookup of ${host} failed: ${error.code ?? error.message}`) as NodeJS.ErrnoException;
        failure.code = error.code;
        callback(failure, '');
      },
    );
  };
}
