// Phone numbers and shipping addresses, normalised so that one household or one SIM behind many spellings
// counts as one: a phone read with libphonenumber-js (E.164, the shipping country as the default region),
// an address folded to lower case, plain letters and digits, with the usual abbreviations unified.
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/min';
import { RecentCache } from './recent-cache.ts';

export interface PhoneShape {
  /** E.164 when the number parses, else its digits. */
  fingerprint: string;
  valid: boolean;
  country: string | undefined;
}

/**
 * Parsing costs tens of microseconds: results are kept per (number, region), bounded like the UA cache.
 * The engine parses only for policies that read phone or address signals (plan.ts).
 */
const phones = new RecentCache<PhoneShape | undefined>(10_000);
const addresses = new RecentCache<string | undefined>(10_000);

export function phoneShape(raw: string, defaultCountry?: string): PhoneShape | undefined {
  return phones.get(`${defaultCountry ?? ''}|${raw}`, () => parsePhone(raw, defaultCountry));
}

function parsePhone(raw: string, defaultCountry?: string): PhoneShape | undefined {
  const text = raw.slice(0, 64);
  const digits = text.replace(/\D/g, '');
  if (digits.length < 5) return undefined;
  let parsed;
  try {
    parsed = parsePhoneNumberFromString(text, /^[A-Z]{2}$/.test(defaultCountry ?? '') ? (defaultCountry as CountryCode) : undefined);
  } catch {
    parsed = undefined;
  }
  if (!parsed) return { fingerprint: digits, valid: false, country: undefined };
  return { fingerprint: parsed.number, valid: parsed.isValid(), country: parsed.country };
}

/** Words an address writes several ways, each mapped to one spelling. */
const ABBREVIATIONS: Readonly<Record<string, string>> = {
  street: 'st', str: 'st', strasse: 'st', road: 'rd', avenue: 'ave', av: 'ave', boulevard: 'blvd', drive: 'dr', lane: 'ln',
  court: 'ct', place: 'pl', square: 'sq', highway: 'hwy', apartment: 'apt', suite: 'ste', unit: 'apt', flat: 'apt', floor: 'fl',
  building: 'bldg', north: 'n', south: 's', east: 'e', west: 'w', number: 'no', nr: 'no',
};

/** The address as a key: accents and punctuation dropped, words abbreviated one way, "#" read as apt. */
export function addressFingerprint(raw: string): string | undefined {
  return addresses.get(raw, foldAddress);
}

function foldAddress(raw: string): string | undefined {
  const words = raw
    .slice(0, 500)
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/#/g, ' apt ')
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== '')
    .map((w) => ABBREVIATIONS[w] ?? w);
  return words.length === 0 ? undefined : words.join(' ');
}
