// Email shape signals. Bonus hunters mint many addresses that reach one mailbox (plus tags, Gmail's
// ignored dots) or use throwaway domains and numbered names (shop1023@…). The fingerprint folds the
// aliases away so velocity counts the mailbox, not the spelling.
import { RecentCache } from './recent-cache.ts';

/** Domains whose local part ignores dots, mapped to the canonical domain. */
const DOT_BLIND_DOMAINS: Readonly<Record<string, string>> = { 'gmail.com': 'gmail.com', 'googlemail.com': 'gmail.com' };

export interface EmailShape {
  domain: string;
  /** The mailbox the address reaches: plus tag dropped, dots dropped where the provider ignores them. */
  fingerprint: string;
  /** True when the address used a plus tag or ignored dots (it is an alias of the fingerprint). */
  aliased: boolean;
  /** Length of the longest run of digits in the local part. */
  digitRun: number;
}

function longestDigitRun(text: string): number {
  let best = 0;
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    run = c >= 48 && c <= 57 ? run + 1 : 0;
    if (run > best) best = run;
  }
  return best;
}

/** Customers decide again and again with the same address: its shape is kept (shared, never changed). */
const shapes = new RecentCache<EmailShape | undefined>(20_000);

/** The shape of an address, or undefined when it is not one (no single @, empty parts, too long). */
export function emailShape(raw: string): EmailShape | undefined {
  return raw.length > 320 ? undefined : shapes.get(raw, shapeOf);
}

function shapeOf(raw: string): EmailShape | undefined {
  const email = raw.trim().toLowerCase();
  const at = email.lastIndexOf('@');
  if (at <= 0 || at === email.length - 1 || email.indexOf('@') !== at) return undefined;
  const local = email.slice(0, at);
  let domain = email.slice(at + 1);
  const plus = local.indexOf('+');
  let folded = plus >= 0 ? local.slice(0, plus) : local;
  let aliased = plus >= 0;
  const canonical = DOT_BLIND_DOMAINS[domain];
  if (canonical !== undefined) {
    domain = canonical;
    const undotted = folded.replaceAll('.', '');
    if (undotted !== folded) aliased = true;
    folded = undotted;
  }
  return { domain, fingerprint: `${folded}@${domain}`, aliased, digitRun: longestDigitRun(folded) };
}

/** True when the domain or one of its parent domains is in the set. */
export function domainListed(domain: string, listed: ReadonlySet<string>): boolean {
  if (listed.size === 0) return false;
  let at = -1;
  do {
    if (listed.has(domain.slice(at + 1))) return true;
    at = domain.indexOf('.', at + 1);
  } while (at >= 0);
  return false;
}
