// Thousands of logged-in customers for a benchmark, fast: registering them over HTTP would hash
// thousands of passwords (argon2, tens of ms each), so one customer is registered through the accounts
// service (a real password hash) and the others are written straight into the tables with that hash and
// a session each. Returns their ids and bearer tokens.
import { randomBytes } from 'node:crypto';
import type { Souk } from '../../src/server.ts';
import { newId, sha256 } from '../../src/kernel/ids.ts';
import { registerCustomer } from '../../src/modules/accounts/index.ts';

let seeded = 0;
export async function seedCustomers(souk: Souk, platformId: string, count: number): Promise<{ id: string; token: string }[]> {
  const pdb = souk.ctx.platformDb(platformId);
  seeded += 1;
  const tag = `${seeded}-${randomBytes(3).toString('hex')}`;
  const first = await registerCustomer(pdb, { email: `buyer-${tag}-0@bench.souk`, password: `bench-${randomBytes(6).toString('hex')}` }, 24 * 3600);
  const hash = (await pdb.maybeOne<{ password_hash: string }>('select password_hash from customers where platform_id = $1 and id = $2', [first.customer.id]))!.password_hash;
  const ids = Array.from({ length: Math.max(0, count - 1) }, () => newId());
  const tokens = ids.map(() => `sc_${randomBytes(18).toString('hex')}`);
  for (let from = 0; from < ids.length; from += 1000) {
    const chunk = ids.slice(from, from + 1000);
    await pdb.execute(
      `insert into customers (platform_id, id, email, password_hash) select $1, t.id, 'buyer-' || $3 || '-' || ($4::int + t.n) || '@bench.souk', $5
       from unnest($2::uuid[]) with ordinality as t(id, n)`,
      [chunk, tag, from, hash],
    );
    await pdb.execute(
      `insert into customer_sessions (platform_id, id, customer_id, token_hash, expires_at)
       select $1, t.sid, t.cid, t.th, now() + interval '1 day' from unnest($2::uuid[], $3::uuid[], $4::text[]) as t(sid, cid, th)`,
      [chunk.map(() => newId()), chunk, tokens.slice(from, from + 1000).map(sha256)],
    );
  }
  return [{ id: first.customer.id, token: first.token }, ...ids.map((id, i) => ({ id, token: tokens[i]! }))];
}
