// Every problem the flash-sales module answers, named once. A rush answers most of them thousands of
// times a second, so they are plain constructors with no work beyond the detail string.
import { problemMaker } from '../../kernel/http/problem.ts';
import { challengeRequired, riskDenied, tooManyRequests, tryAgain, unauthorized } from '../../kernel/http/problems.ts';
import { invalidTimeProblem } from '../events/problems.ts';

export const flashSalesProblemCodes = [
  'sale_not_found',
  'sale_not_started',
  'sale_ended',
  'sale_cancelled',
  'sale_closed',
  'sold_out',
  'limit_reached',
  'account_too_new',
  'variant_not_in_sale',
  'ticket_not_found',
  'invalid_window',
  'ends_in_past',
  'ends_too_late',
  'duplicate_variant',
  'variant_not_published',
] as const;

const problem = problemMaker(flashSalesProblemCodes);

// Buying.
export const flashLoginNeeded = () =>
  unauthorized('Log in at POST /store/auth/login and send "Authorization: Bearer <token>" to take part in a flash sale.');
export const atCapacity = () => tooManyRequests('This server is at capacity for flash-sale purchases; try again in a second.', 1);
export const purchaseUnconfirmed = (ticketId: string) =>
  tryAgain(
    `Your purchase could not be confirmed. Look at GET /store/flash-sales/tickets/${ticketId} in a few seconds before trying again.`,
    5,
    { ticketId },
  );
export const shopSaleNotFound = (saleId: string) => problem(404, 'sale_not_found', `This shop has no flash sale ${saleId}.`);
export const platformSaleNotFound = (saleId: string) => problem(404, 'sale_not_found', `This platform has no flash sale ${saleId}.`);
export const saleNotStarted = (name: string, startsAt: string) =>
  problem(409, 'sale_not_started', `The sale "${name}" starts at ${startsAt}; try again then.`, { startsAt });
export const saleEnded = (name: string) => problem(409, 'sale_ended', `The sale "${name}" has ended.`);
export const saleClosedMeanwhile = (name: string) => problem(409, 'sale_ended', `The sale "${name}" has closed.`);
export const saleCancelled = (name: string) => problem(409, 'sale_cancelled', `The sale "${name}" was cancelled.`);
export const soldOut = (name: string) => problem(409, 'sold_out', `The sale "${name}" is sold out for this item.`);
export const soldOutForNow = (name: string, wait: number) =>
  problem(
    409,
    'sold_out',
    `The sale "${name}" is sold out for this item. Unpaid orders may release units; try again in ${wait} seconds.`,
    { retryAfter: wait },
    { 'retry-after': String(wait) },
  );
export const variantNotInSale = (variantId: string, name: string) =>
  problem(400, 'variant_not_in_sale', `Variant ${variantId} is not part of the sale "${name}".`);
export const limitReached = (limit: number | null) =>
  problem(409, 'limit_reached', `The sale allows ${limit} unit(s) per customer.`, { limit });
export const limitHeld = (limit: number | null) =>
  problem(409, 'limit_reached', `You already hold the ${limit ?? 0} unit(s) the sale allows per customer.`, { limit });
export const accountTooNew = (name: string, hours: number | null) =>
  problem(403, 'account_too_new', `The sale "${name}" is open to accounts at least ${hours} hours old.`);
export const purchaseRiskDenied = (reason: string | undefined) => riskDenied(reason ?? 'This purchase was refused by the shop’s fraud checks.');
export const purchaseChallenge = (reason: string | undefined, challenge: unknown) => challengeRequired(reason ?? 'Complete the challenge, then try again.', challenge);
export const ticketNotFound = (ticketId: string) =>
  problem(404, 'ticket_not_found', `You have no flash-sale ticket ${ticketId}. A ticket shows up a moment after the purchase answered 202.`);

// Scheduling.
export const notADateTime = (field: string, value: string) => invalidTimeProblem(`${field} "${value}" is not a date-time.`);
export const invalidWindow = () => problem(400, 'invalid_window', 'startsAt must be before endsAt.');
export const endsInPast = () => problem(400, 'ends_in_past', 'endsAt is in the past; a sale must end in the future.');
export const endsTooLate = (hours: number) =>
  problem(400, 'ends_too_late', `A sale must end within ${hours} hours of being scheduled (its stock is held until then).`);
export const duplicateVariant = (variantId: string | undefined) =>
  problem(400, 'duplicate_variant', `Variant ${variantId} is listed twice; give each variant once with its total quantity.`);
export const variantNotPublished = (variantIds: string[]) =>
  problem(422, 'variant_not_published', `Variant ${variantIds.join(', ')} belongs to a product that is not published; publish it first.`, {
    variantIds,
  });
export const saleClosed = (saleId: string, status: string) => problem(409, 'sale_closed', `Flash sale ${saleId} is already ${status}.`);
