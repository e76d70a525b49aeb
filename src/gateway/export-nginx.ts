// A routing policy as NGINX ingress canary annotations (ingress-nginx's canary Ingress: by header, by
// cookie, by weight), for clusters that would rather let the ingress split traffic than run the gateway.
// Only what those annotations mean exactly is exported; anything else is refused with the rules that
// cannot be expressed and why, never approximated.
import type { Condition, PolicyDocument } from './policy.ts';

const PREFIX = 'nginx.ingress.kubernetes.io/';

export interface ExportTracks {
  stable: string;
  canary: string;
}

export type NginxExport = { ok: true; annotations: Record<string, string>; notes: string[] } | { ok: false; refusals: string[] };

/** The condition kinds NGINX cannot route by, and why, for the refusal message. */
function unsupportedKind(when: Condition): string | undefined {
  const kind = Object.keys(when)[0]!;
  const why: Record<string, string> = {
    os: 'the operating system comes from the user agent',
    device: 'the device type comes from the user agent',
    app: 'the in-app browser comes from the user agent',
    ip: 'source addresses (IP/CIDR)',
    query: 'query parameters',
    host: 'the host is the Ingress rule itself, not a canary condition',
    customerPercent: 'a hash of the signed-in customer',
    randomPercent: 'a random share inside a rule (only the default split maps to canary-weight)',
    time: 'time windows',
    all: 'combinations (all/any/not)',
    any: 'combinations (all/any/not)',
    not: 'combinations (all/any/not)',
  };
  return why[kind] === undefined ? undefined : `${kind}: ${why[kind]} cannot be expressed by NGINX ingress canary annotations`;
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function nginxIngressExport(document: PolicyDocument, tracks: ExportTracks = { stable: 'stable', canary: 'canary' }): NginxExport {
  const refusals: string[] = [];
  const notes: string[] = [];
  const annotations: Record<string, string> = { [`${PREFIX}canary`]: 'true' };
  let header: string | undefined;
  let cookie: string | undefined;
  for (const rule of document.rules) {
    const refuse = (why: string) => refusals.push(`rule "${rule.id}": ${why}`);
    if (rule.track !== tracks.canary) {
      refuse(`routes to "${rule.track}"; NGINX canary rules only send traffic to the canary (${tracks.canary})`);
      continue;
    }
    const kind = unsupportedKind(rule.when);
    if (kind) {
      refuse(kind);
      continue;
    }
    if ('header' in rule.when) {
      const { name, values } = rule.when.header;
      if (header !== undefined) refuse(`a second header rule; NGINX has one canary-by-header (already "${header}")`);
      else if (!values) refuse(`header "${name}" with any value; NGINX needs the values that send a request to the canary`);
      else {
        header = name;
        annotations[`${PREFIX}canary-by-header`] = name;
        if (values.length === 1) annotations[`${PREFIX}canary-by-header-value`] = values[0]!;
        else annotations[`${PREFIX}canary-by-header-pattern`] = `^(${values.map(escapeRegex).join('|')})$`;
      }
    } else if ('cookie' in rule.when) {
      const { name, values } = rule.when.cookie;
      if (cookie !== undefined) refuse(`a second cookie rule; NGINX has one canary-by-cookie (already "${cookie}")`);
      else if (!values || values.length !== 1 || values[0] !== 'always') refuse(`cookie "${name}" must have exactly the value "always": that is the only cookie value NGINX sends to the canary`);
      else {
        cookie = name;
        annotations[`${PREFIX}canary-by-cookie`] = name;
      }
    }
  }
  const others = Object.keys(document.default).filter((track) => track !== tracks.stable && track !== tracks.canary && document.default[track]! > 0);
  if (others.length > 0) refusals.push(`default split: track${others.length > 1 ? 's' : ''} ${others.map((t) => `"${t}"`).join(', ')}; NGINX splits between one stable and one canary backend`);
  const stable = document.default[tracks.stable] ?? 0;
  const canary = document.default[tracks.canary] ?? 0;
  const percent = (canary / (stable + canary || 1)) * 100;
  if (Number.isInteger(percent)) annotations[`${PREFIX}canary-weight`] = String(percent);
  else if (Number.isInteger(stable) && Number.isInteger(canary)) {
    annotations[`${PREFIX}canary-weight`] = String(canary);
    annotations[`${PREFIX}canary-weight-total`] = String(stable + canary);
  } else refusals.push(`default split: ${canary} to ${stable} is not a whole-number weight`);
  if (refusals.length > 0) return { ok: false, refusals };
  if (document.sticky !== false && percent > 0 && percent < 100) notes.push('NGINX picks by weight on every request: a client is not kept on its track as the gateway\'s sticky cookie does.');
  if (header !== undefined && cookie !== undefined) notes.push('NGINX checks the header before the cookie, and both before the weight.');
  return { ok: true, annotations, notes };
}

/** The annotations as a YAML fragment to put on the canary Ingress, with the notes as comments. */
export function nginxIngressYaml(result: Extract<NginxExport, { ok: true }>, source: string): string {
  const lines = [
    `# NGINX ingress canary annotations for ${source}. Put them on a second Ingress with the same host and`,
    '# path as the main one, whose backend is the canary Service (ingress-nginx canary rules).',
    ...result.notes.map((note) => `# Note: ${note}`),
    'metadata:',
    '  annotations:',
    ...Object.entries(result.annotations).map(([name, value]) => `    ${name}: ${JSON.stringify(value)}`),
  ];
  return `${lines.join('\n')}\n`;
}
