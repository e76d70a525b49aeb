// Money: integer minor units (cents, fen) everywhere, one documented ceiling, exact arithmetic.
//
// Amounts are JS numbers on the way in and out (JSON has no bigint) and bigint columns in the database,
// read back as numbers. A number is exact only up to 2^53 − 1, so every amount an order can carry is kept
// at or below MAX_MONEY (10^15 minor units: ten trillion dollars, far above any real basket and 9× below
// 2^53). Carts and checkout refuse anything larger with 422 money_limit_exceeded before an order exists,
// so every sum the server later makes (paid, refunded, captured) stays exact too. Products of amounts
// (amount × rate, line price × quantity) can still pass 2^53 before they are divided or checked, so they
// are computed in BigInt.
import { Type } from 'typebox';
import type { HttpProblem } from './http/problem.ts';
import { moneyLimitExceeded as moneyLimitProblem } from './http/problems.ts';

/** The largest amount (minor units) a cart, an order, a payment or a refund may carry. */
export const MAX_MONEY = 1_000_000_000_000_000;
const MAX_MONEY_BIG = BigInt(MAX_MONEY);

/** A request field holding an amount: a whole number of minor units from 0 to MAX_MONEY. */
export const MoneyAmount = (options: { minimum?: number; description?: string } = {}) =>
  Type.Integer({ minimum: options.minimum ?? 0, maximum: MAX_MONEY, description: options.description ?? 'Integer minor units (cents, fen)' });

/** a × b / d rounded half up (0.5 → 1), for a, b ≥ 0 and d > 0; exact at any size. */
export function mulDivRoundHalfUp(a: number | bigint, b: number | bigint, d: number | bigint): number {
  const D = BigInt(d);
  return Number((2n * BigInt(a) * BigInt(b) + D) / (2n * D));
}

export function moneyLimitExceeded(what: string, amount: number | bigint, currency?: string): HttpProblem {
  const unit = currency ? ` minor units of ${currency}` : ' minor units';
  return moneyLimitProblem(what, amount, unit, MAX_MONEY);
}

/** Throws 422 money_limit_exceeded when amount is above MAX_MONEY. */
export function assertMoneyWithinLimit(what: string, amount: number | bigint, currency?: string): void {
  const exceeds = typeof amount === 'bigint' ? amount > MAX_MONEY_BIG : !(amount <= MAX_MONEY);
  if (exceeds) throw moneyLimitExceeded(what, amount, currency);
}

/** A non-negative decimal as an exact fraction: value = units / 10^scale, scale as small as possible. */
export interface ExactDecimal {
  units: bigint;
  scale: number;
}

const DECIMAL = /^(\d+)(?:\.(\d*))?(?:e([+-]?\d{1,3}))?$/i;

/**
 * Reads a non-negative decimal exactly from its text (a number is read from its shortest round-trip text,
 * so 8.875 is 8875/1000, not the binary double nearest to it). Null for anything else (negative, NaN,
 * Infinity, not a number).
 */
export function exactDecimal(value: number | string): ExactDecimal | null {
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  const match = DECIMAL.exec(String(value).trim());
  if (!match) return null;
  const [, whole, fraction = '', exponent = '0'] = match;
  let digits = `${whole}${fraction}`;
  let scale = fraction.length - Number(exponent);
  if (scale < 0) {
    digits += '0'.repeat(-scale);
    scale = 0;
  }
  let units = BigInt(digits);
  while (scale > 0 && units % 10n === 0n) {
    units /= 10n;
    scale -= 1;
  }
  return { units, scale };
}

/** units / 10^scale expressed over 10^to, rounded half up when it has more decimals than that. */
export function rescaleHalfUp(decimal: ExactDecimal, to: number): bigint {
  if (decimal.scale <= to) return decimal.units * 10n ** BigInt(to - decimal.scale);
  const d = 10n ** BigInt(decimal.scale - to);
  return (2n * decimal.units + d) / (2n * d);
}
