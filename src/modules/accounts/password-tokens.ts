// Setting a customer's password with a one-time token: how imported customers (who arrive without a
// password) get in, and how a shop lets a customer who forgot theirs choose a new one. A platform admin
// issues the token for a customer (POST /admin/platforms/:platform/customers/:customerId/password-token)
// and sends it the way the shop mails its customers; the customer sends it back with a new password
// (POST /store/customers/password), which signs them in and ends their other sessions. Only the token's
// hash is stored; it works once, until it expires, and issuing a new one voids the older ones.
import { newId, newSecret, sha256 } from '../../kernel/ids.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { hashPassword } from './passwords.ts';
import { customerNotFound, passwordTokenInvalid } from './problems.ts';
import { customerView, startSession, type CustomerRow } from './customer-service.ts';

export interface IssuedPasswordToken {
  customerId: string;
  email: string;
  /** Shown once: only its hash is kept. */
  token: string;
  expiresAt: string;
  /** Whether the customer has a password already (false: an imported account that was never signed in to). */
  hasPassword: boolean;
}

export async function issuePasswordToken(pdb: PlatformDb, customerId: string, ttlSeconds: number): Promise<IssuedPasswordToken> {
  return pdb.transaction(async (tx) => {
    const customer = await tx.maybeOne<CustomerRow>('select * from customers where platform_id = $1 and id = $2 for update', [customerId]);
    if (!customer) throw customerNotFound(customerId);
    await tx.execute('update customer_password_tokens set used_at = now() where platform_id = $1 and customer_id = $2 and used_at is null', [customerId]);
    const token = newSecret('pt');
    const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
    await tx.execute('insert into customer_password_tokens (platform_id, id, customer_id, token_hash, expires_at) values ($1, $2, $3, $4, $5)', [
      newId(),
      customerId,
      sha256(token),
      expiresAt,
    ]);
    return { customerId, email: customer.email, token, expiresAt: expiresAt.toISOString(), hasPassword: customer.password_hash !== '' };
  });
}

/** Spends the token: sets the password, ends the customer's other sessions, and starts a new one. */
export async function setPasswordWithToken(pdb: PlatformDb, token: string, password: string, sessionTtlSeconds: number) {
  const passwordHash = await hashPassword(password);
  return pdb.transaction(async (tx) => {
    const [spent] = await tx.query<{ customer_id: string }>(
      `update customer_password_tokens set used_at = now()
       where platform_id = $1 and token_hash = $2 and used_at is null and expires_at > now() returning customer_id`,
      [sha256(token)],
    );
    if (!spent) throw passwordTokenInvalid();
    const [row] = await tx.query<CustomerRow>('update customers set password_hash = $2 where platform_id = $1 and id = $3 returning *', [passwordHash, spent.customer_id]);
    await tx.execute('update customer_sessions set revoked_at = now() where platform_id = $1 and customer_id = $2 and revoked_at is null', [spent.customer_id]);
    return { customer: customerView(row!), ...(await startSession(tx, spent.customer_id, sessionTtlSeconds)) };
  });
}
