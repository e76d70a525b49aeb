// Where a webhook may be sent. URLs are http(s) without credentials or fragment. When private targets
// are not allowed (SOUK_WEBHOOK_ALLOW_PRIVATE=0, the production setting), loopback, private, link-local
// and other non-public addresses are refused: literally in the URL when the endpoint is saved, and
// after DNS resolution before every attempt (a name may point anywhere, and may change).
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { badRequest } from '../../kernel/http/problem.ts';

const nonPublic = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  nonPublic.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  nonPublic.addSubnet(network, prefix, 'ipv6');
}

/** True for addresses a webhook must not reach when private targets are off. */
export function isNonPublicAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return isNonPublicAddress(mapped[1]!);
  const family = isIP(address);
  if (family === 4) return nonPublic.check(address, 'ipv4');
  if (family === 6) return nonPublic.check(address, 'ipv6');
  return true;
}

function bareHost(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

const isLocalName = (host: string) => host === 'localhost' || host.endsWith('.localhost');

/** Parses and checks an endpoint URL; returns it normalised, or throws a 400 that says what is wrong. */
export function checkEndpointUrl(raw: string, allowPrivateTargets: boolean): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badRequest('invalid_url', `"${raw.slice(0, 200)}" is not an absolute URL; give one such as https://example.com/hooks/souk.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw badRequest('invalid_url', `Webhook URLs must use http or https, not "${url.protocol.replace(/:$/, '')}".`);
  }
  if (url.username || url.password) {
    throw badRequest('invalid_url', 'Webhook URLs may not carry a user name or password; check the x-souk-signature header instead.');
  }
  if (url.hash) throw badRequest('invalid_url', 'Webhook URLs may not have a #fragment (it is never sent to the receiver).');
  const host = bareHost(url);
  if (!host) throw badRequest('invalid_url', 'The webhook URL has no host name.');
  if (!allowPrivateTargets && (isLocalName(host) || (isIP(host) !== 0 && isNonPublicAddress(host)))) {
    throw badRequest('private_target', `Webhooks may not be sent to ${host}: loopback and private addresses are blocked on this server.`);
  }
  return url.toString();
}

/** Before an attempt: the error to record when the host resolves to a blocked address, else undefined. */
export async function blockedTargetReason(rawUrl: string, allowPrivateTargets: boolean): Promise<string | undefined> {
  if (allowPrivateTargets) return undefined;
  const host = bareHost(new URL(rawUrl));
  if (isLocalName(host)) return `blocked: ${host} is a local name`;
  if (isIP(host) !== 0) return isNonPublicAddress(host) ? `blocked: ${host} is not a public address` : undefined;
  let addresses: { address: string }[];
  try {
    addresses = await lookup(host, { all: true, verbatim: true });
  } catch (error) {
    return `DNS lookup of ${host} failed: ${(error as NodeJS.ErrnoException).code ?? String(error)}`;
  }
  const blocked = addresses.find((a) => isNonPublicAddress(a.address));
  return blocked ? `blocked: ${host} resolves to ${blocked.address}, which is not a public address` : undefined;
}
