// What the customer actually paid for each line of an order, and for some of its units: the amount a
// refund by line returns. The order's totals are the truth (tax was computed once on the whole order,
// see kernel/money.ts); this only divides them, so the parts always add up to the total exactly:
//
//   1. the order's discount is split over the lines in proportion to their line totals;
//   2. the order's tax is split over each line's net (line total − its discount) and the shipping;
//   3. a line's share = net + tax share (prices exclude tax) or net (prices include it: the tax is inside);
//      the shipping's share = shipping + its tax share (or shipping alone when included).
//
// Each split is by largest remainder: every part gets the floor of its exact share, and the units left
// over go one each to the parts with the largest remainders (the earlier line first on a tie). So the
// line shares and the shipping share sum to the order total, to the minor unit.
//
// Units: of a line with share P and Q units, the first k units refunded return round_half_up(P·k/Q);
// a later refund that brings the line to k' units returns round_half_up(P·k'/Q) − round_half_up(P·k/Q).
// One unit at a time or all at once, the amounts of a line's Q units sum to P exactly (the last unit
// takes what rounding left), and refunding every unit of every line plus the shipping returns the total.
import type { RefundableOrder } from '../orders/service.ts';

export interface LineShare {
  lineId: string;
  quantity: number;
  /** What the customer paid for all units of the line: net of discount, with its tax when prices exclude it. */
  share: number;
  discount: number;
  tax: number;
}

export interface OrderShares {
  lines: LineShare[];
  /** What the customer paid for shipping, with its tax share when prices exclude tax. */
  shipping: number;
}

/**
 * total split in proportion to weights by largest remainder (ties to the earlier index). The parts sum
 * to total exactly. With no weight at all, the parts are weighted equally.
 */
export function allocateByLargestRemainder(total: bigint, weights: readonly bigint[]): bigint[] {
  if (weights.length === 0) return [];
  const weightSum = weights.reduce((a, b) => a + b, 0n);
  const effective = weightSum === 0n ? weights.map(() => 1n) : weights;
  const sum = weightSum === 0n ? BigInt(weights.length) : weightSum;
  const parts = effective.map((w) => (total * w) / sum);
  let left = total - parts.reduce((a, b) => a + b, 0n);
  const byRemainder = effective
    .map((w, index) => ({ index, remainder: (total * w) % sum }))
    .sort((a, b) => (a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1));
  for (const { index } of byRemainder) {
    if (left === 0n) break;
    parts[index]! += 1n;
    left -= 1n;
  }
  return parts;
}

export function orderShares(order: Pick<RefundableOrder, 'totals' | 'lines'>): OrderShares {
  const { totals, lines } = order;
  const lineTotals = lines.map((l) => BigInt(l.lineTotal));
  const discounts = allocateByLargestRemainder(BigInt(totals.discount), lineTotals);
  const nets = lineTotals.map((total, i) => total - discounts[i]!);
  const taxes = allocateByLargestRemainder(BigInt(totals.tax), [...nets, BigInt(totals.shipping)]);
  const withTax = (amount: bigint, tax: bigint) => Number(totals.taxIncluded ? amount : amount + tax);
  const shares: OrderShares = {
    lines: lines.map((line, i) => ({
      lineId: line.id,
      quantity: line.quantity,
      share: withTax(nets[i]!, taxes[i]!),
      discount: Number(discounts[i]!),
      tax: Number(taxes[i]!),
    })),
    shipping: withTax(BigInt(totals.shipping), taxes[lines.length]!),
  };
  const sum = shares.lines.reduce((a, l) => a + l.share, shares.shipping);
  // Orders are written with total = subtotal − discount + shipping (+ tax); anything else is a bug upstream.
  if (sum !== totals.total) throw new Error(`order shares sum to ${sum}, not the order total ${totals.total}`);
  return shares;
}

/** What `units` more units of a line return when `refunded` of its units were refunded before. */
export function unitsAmount(line: Pick<LineShare, 'share' | 'quantity'>, refunded: number, units: number): number {
  const upTo = (k: number) => Number((2n * BigInt(line.share) * BigInt(k) + BigInt(line.quantity)) / (2n * BigInt(line.quantity)));
  return upTo(refunded + units) - upTo(refunded);
}
