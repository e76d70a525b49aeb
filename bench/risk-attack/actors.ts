// The people of the scripted bonus-hunter attack (issue 14, Tests): a farm of fresh accounts behind few
// IPs and devices with throwaway and aliased mailboxes, and ordinary shoppers, each on their own IP and
// device with an everyday address. Everything is drawn from a seeded generator, so a run is repeatable.

import { prng } from '../../test/prng.ts';

export type ActorKind = 'attacker' | 'shopper';

export interface Actor {
  kind: ActorKind;
  /** Position within its kind (0-based). */
  index: number;
  email: string;
  ip: string;
  deviceId: string;
  userAgent: string;
}

export interface AttackShape {
  attackers: number;
  attackerIps: number;
  attackerDevices: number;
  shoppers: number;
  seed: number;
}

export const FULL_ATTACK: AttackShape = { attackers: 1000, attackerIps: 20, attackerDevices: 30, shoppers: 500, seed: 14 };

/** The same attack made `divisor` times smaller, keeping accounts per IP and per device (the farm's density). */
export function scaledAttack(divisor: number): AttackShape {
  const part = (n: number) => Math.max(1, Math.round(n / divisor));
  return { ...FULL_ATTACK, attackers: part(FULL_ATTACK.attackers), attackerIps: part(FULL_ATTACK.attackerIps), attackerDevices: part(FULL_ATTACK.attackerDevices), shoppers: part(FULL_ATTACK.shoppers) };
}

const BROWSERS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
];
/** What a farm's tooling sends when it does not bother to pretend. */
const SCRIPTS = ['python-requests/2.32.3', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36', 'okhttp/4.12.0'];
const THROWAWAY = ['mailinator.com', 'guerrillamail.com', '10minutemail.com', 'maildrop.cc', 'getnada.com', 'dispostable.com'];
const FIRST = ['anna', 'ben', 'chloe', 'david', 'emma', 'felix', 'grace', 'hugo', 'ines', 'jonas', 'karla', 'leon', 'mia', 'noah', 'olga', 'paul', 'rosa', 'sami', 'tara', 'yusuf'];
const LAST = ['schmidt', 'meyer', 'garcia', 'rossi', 'dubois', 'novak', 'kowalski', 'jensen', 'silva', 'tanaka', 'okafor', 'haddad', 'nguyen', 'murphy', 'ivanova'];
const EVERYDAY = ['gmail.com', 'outlook.com', 'yahoo.com', 'web.de', 'proton.me', 'icloud.com', 'gmx.net'];

const pick = <T>(rand: () => number, list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
const hex = (rand: () => number, length: number) => Array.from({ length }, () => Math.floor(rand() * 16).toString(16)).join('');

/**
 * The farm: accounts spread over `attackerIps` rented addresses (five per /24, a proxy provider's
 * blocks) and `attackerDevices` devices. Mailboxes: four in ten throwaway domains with numbered names,
 * four in ten plus-tag aliases of eight Gmail boxes, two in ten dotted spellings of those boxes. Seven in
 * ten requests claim a real browser; the rest are scripts or headless.
 */
export function attackers(shape: AttackShape, rand: () => number): Actor[] {
  const ips = Array.from({ length: shape.attackerIps }, (_, i) => `45.134.${20 + Math.floor(i / 5)}.${10 + (i % 5) * 17}`);
  const devices = Array.from({ length: shape.attackerDevices }, () => `${hex(rand, 8)}-${hex(rand, 4)}-${hex(rand, 4)}-${hex(rand, 12)}`);
  const boxes = Array.from({ length: 8 }, (_, i) => `dealhunter${['x', 'q', 'z', 'k', 'v', 'j', 'w', 'y'][i]}`);
  return Array.from({ length: shape.attackers }, (_, index) => {
    const kind = rand();
    let email: string;
    if (kind < 0.4) email = `${pick(rand, ['shop', 'deal', 'promo', 'user'])}${10_000 + Math.floor(rand() * 90_000)}@${pick(rand, THROWAWAY)}`;
    else if (kind < 0.8) email = `${pick(rand, boxes)}+${index}@gmail.com`;
    else {
      // Dots Gmail ignores, placed after the letters the account's index picks (distinct per account).
      const box = pick(rand, boxes);
      const pattern = (index % ((1 << (box.length - 1)) - 1)) + 1;
      email = `${[...box].map((c, i) => (i > 0 && pattern & (1 << (i - 1)) ? `.${c}` : c)).join('')}@gmail.com`;
    }
    return { kind: 'attacker', index, email, ip: pick(rand, ips), deviceId: pick(rand, devices), userAgent: rand() < 0.7 ? pick(rand, BROWSERS) : pick(rand, SCRIPTS) };
  });
}

/** Ordinary shoppers: their own address (each in its own /24) and device, a name-like mailbox, a browser. */
export function shoppers(shape: AttackShape, rand: () => number): Actor[] {
  return Array.from({ length: shape.shoppers }, (_, index) => {
    const first = pick(rand, FIRST);
    const last = pick(rand, LAST);
    const style = rand();
    // Some people put a dot or a birth year in their address; Gmail's dots count as an alias signal.
    const local = style < 0.4 ? `${first}.${last}` : style < 0.7 ? `${first}${last}` : style < 0.9 ? `${first}.${last}${70 + Math.floor(rand() * 30)}` : `${first[0]}${last}${1960 + Math.floor(rand() * 45)}`;
    return {
      kind: 'shopper',
      index,
      // Two letters from the index keep the addresses unique without adding a digit run.
      email: `${local}${String.fromCharCode(97 + (index % 26), 97 + (Math.floor(index / 26) % 26))}@${pick(rand, EVERYDAY)}`,
      ip: `${81 + (index % 100)}.${10 + Math.floor(index / 100)}.${Math.floor(rand() * 256)}.${1 + Math.floor(rand() * 254)}`,
      deviceId: `${hex(rand, 8)}-${hex(rand, 4)}-${hex(rand, 4)}-${hex(rand, 12)}`,
      userAgent: pick(rand, BROWSERS),
    };
  });
}

/** Both crowds in one seeded shuffle: attackers and shoppers arrive mixed, as on a real launch. */
export function crowd(shape: AttackShape): Actor[] {
  const rand = prng(shape.seed);
  const all = [...attackers(shape, rand), ...shoppers(shape, rand)];
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all;
}
