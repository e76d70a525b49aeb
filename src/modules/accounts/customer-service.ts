// Customers of one platform: registration, login, sessions. Every statement goes through PlatformDb,
// so an account, a session or a token of one platform cannot be used on another.
import type { FastifyRequest } from 'fastify';
import { newId, newSecret, sha256 } from '../../kernel/ids.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { customerEmailTaken, customerLoginNeeded, customerNotFound, wrongCredentials } from './problems.ts';
import { bearerToken } from '../../kernel/http/bearer.ts';
import { rowsToFetch, takePage } from '../../kernel/page.ts';

export interface CustomerRow {
  id: string;
  email: string;
  password_hash: string;
  name: string;
  created_at: Date;
}

export interface Customer {
  id: string;
  email: string;
  name: string;
  createdAt: string;
}

export function customerView(row: CustomerRow): Customer {
  return { id: row.id, email: row.email, name: row.name, createdAt: row.created_at.toISOString() };
}

export async function startSession(pdb: PlatformDb, customerId: string, ttlSeconds: number) {
  const token = newSecret('sc');
  const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
  await pdb.execute(
    'insert into customer_sessions (platform_id, id, customer_id, token_hash, expires_at) values ($1, $2, $3, $4, $5)',
    [newId(), customerId, sha256(token), expiresAt],
  );
  return { token, expiresAt: expiresAt.toISOString() };
}

export async function registerCustomer(pdb: PlatformDb, input: { email: string; password: string; name?: string }, ttlSeconds: number) {
  const passwordHash = await hashPassword(input.password);
  return pdb.transaction(async (tx) => {
    const existing = await tx.query('select 1 from customers where platform_id = $1 and lower(email) = lower($2)', [input.email]);
    if (existing.length > 0) throw customerEmailTaken();
    const [row] = await tx.query<CustomerRow>(
      'insert into customers (platform_id, id, email, password_hash, name) values ($1, $2, $3, $4, $5) returning *',
      [newId(), input.email, passwordHash, input.name ?? ''],
    );
    const session = await startSession(tx, row!.id, ttlSeconds);
    return { customer: customerView(row!), ...session };
  });
}

export async function customerLogin(pdb: PlatformDb, email: string, password: string, ttlSeconds: number) {
  const row = await pdb.maybeOne<CustomerRow>('select * from customers where platform_id = $1 and lower(email) = lower($2)', [email]);
  const ok = await verifyPassword(row?.password_hash, password);
  if (!row || !ok) throw wrongCredentials();
  return { customer: customerView(row), ...(await startSession(pdb, row.id, ttlSeconds)) };
}

export async function customerByToken(pdb: PlatformDb, token: string): Promise<Customer | undefined> {
  return (await customersByTokens(pdb, [token])).get(token);
}

/**
 * The customers behind many bearer tokens with one query (a flash-sale node resolving a rush of first
 * requests). Tokens with no live session are absent from the map.
 */
export async function customersByTokens(pdb: PlatformDb, tokens: readonly string[]): Promise<Map<string, Customer>> {
  const found = new Map<string, Customer>();
  if (tokens.length === 0) return found;
  const tokenByHash = new Map(tokens.map((token) => [sha256(token), token]));
  const rows = await pdb.query<CustomerRow & { token_hash: string }>(
    `select c.*, s.token_hash from customer_sessions s join customers c on c.platform_id = $1 and c.id = s.customer_id
     where s.platform_id = $1 and s.token_hash = any($2::text[]) and s.revoked_at is null and s.expires_at > now()`,
    [[...tokenByHash.keys()]],
  );
  for (const row of rows) {
    const token = tokenByHash.get(row.token_hash);
    if (token !== undefined) found.set(token, customerView(row));
  }
  return found;
}

/** The customer behind the request's bearer token on the request's platform; 401 otherwise. */
export async function requireCustomer(pdb: PlatformDb, request: FastifyRequest): Promise<Customer> {
  const token = bearerToken(request);
  const customer = token ? await customerByToken(pdb, token) : undefined;
  if (!customer) throw customerLoginNeeded();
  return customer;
}

export async function revokeCustomerToken(pdb: PlatformDb, token: string): Promise<void> {
  await pdb.execute('update customer_sessions set revoked_at = now() where platform_id = $1 and token_hash = $2 and revoked_at is null', [
    sha256(token),
  ]);
}

export async function revokeCustomerSessions(pdb: PlatformDb, customerId: string): Promise<number> {
  await getCustomer(pdb, customerId);
  const { rowCount } = await pdb.execute(
    'update customer_sessions set revoked_at = now() where platform_id = $1 and customer_id = $2 and revoked_at is null',
    [customerId],
  );
  return rowCount;
}

export async function getCustomer(pdb: PlatformDb, customerId: string): Promise<Customer> {
  const row = await pdb.maybeOne<CustomerRow>('select * from customers where platform_id = $1 and id = $2', [customerId]);
  if (!row) throw customerNotFound(customerId);
  return customerView(row);
}

export async function updateCustomerName(pdb: PlatformDb, customerId: string, name: string): Promise<Customer> {
  const row = await pdb.maybeOne<CustomerRow>('update customers set name = $3 where platform_id = $1 and id = $2 returning *', [customerId, name]);
  if (!row) throw customerNotFound(customerId);
  return customerView(row);
}

export async function listCustomers(pdb: PlatformDb, options: { q?: string; limit: number; after?: string }) {
  const rows = await pdb.query<CustomerRow>(
    `select * from customers where platform_id = $1
       and ($2::text is null or email ilike '%' || $2 || '%')
       and ($3::uuid is null or id > $3)
     order by id limit $4`,
    [options.q ?? null, options.after ?? null, rowsToFetch(options.limit)],
  );
  // This list's cursor is the last customer's id itself.
  return takePage(rows, options.limit, customerView, (last) => last.id);
}
