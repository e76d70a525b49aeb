// Who may see a storefront order: the customer who placed it (their session), or whoever holds the
// order's access token (a guest, from the checkout answer). Anyone else gets the same 404 as for an
// order that does not exist, so order ids cannot be probed.
import type { FastifyRequest } from 'fastify';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { isUuid } from '../../kernel/ids.ts';
import { customerByToken, type Customer } from '../accounts/customer-service.ts';
import { orderTokenMatches } from './access-token.ts';
import { readOrderRow, type OrderRow } from './read.ts';
import { customerSessionInvalid, orderNotVisible } from './problems.ts';
import { bearerToken } from '../../kernel/http/bearer.ts';

export const ORDER_TOKEN_HEADER = 'x-order-token';

/** The customer of the request's bearer token; undefined without one; 401 for a token that is not valid. */
export async function optionalCustomer(pdb: PlatformDb, request: FastifyRequest): Promise<Customer | undefined> {
  if (request.headers.authorization === undefined) return undefined;
  const token = bearerToken(request);
  const customer = token ? await customerByToken(pdb, token) : undefined;
  if (!customer) throw customerSessionInvalid();
  return customer;
}

export async function authorizeOrderAccess(pdb: PlatformDb, request: FastifyRequest, orderId: string): Promise<OrderRow> {
  const missing = orderNotVisible(orderId, ORDER_TOKEN_HEADER);
  if (!isUuid(orderId)) throw missing;
  const customer = await optionalCustomer(pdb, request);
  const row = await readOrderRow(pdb, orderId.toLowerCase());
  if (!row) throw missing;
  if (customer && row.customer_id === customer.id) return row;
  const token = request.headers[ORDER_TOKEN_HEADER];
  if (typeof token === 'string' && orderTokenMatches(token, row.access_token_hash)) return row;
  throw missing;
}
