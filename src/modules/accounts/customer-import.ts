// Customers brought in from another shop (the migration module's imports) and read out for exports.
// An imported customer is keyed by email (any case) and has no password: the empty hash never verifies,
// so the account cannot be signed in to until a password is set for it.
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { newId } from '../../kernel/ids.ts';
import { iso } from '../../kernel/cursor.ts';

export interface CustomerImport {
  email: string;
  name: string;
}

export interface CustomerImportCounts {
  created: number;
  updated: number;
  unchanged: number;
}

/** Creates customers by email, or updates the name of those that exist; one statement for the batch. */
export async function importCustomers(tx: PlatformDb, customers: readonly CustomerImport[]): Promise<CustomerImportCounts> {
  // One row per email: a statement cannot insert and then update the same row.
  const byEmail = new Map(customers.map((c) => [c.email.toLowerCase(), c]));
  if (byEmail.size === 0) return { created: 0, updated: 0, unchanged: 0 };
  const records = [...byEmail.values()].map((c) => ({ id: newId(), email: c.email, name: c.name }));
  const written = await tx.query<{ inserted: boolean }>(
    `insert into customers (platform_id, id, email, password_hash, name)
     select $1::uuid, r.id, r.email, '', r.name from jsonb_to_recordset($2::jsonb) as r(id uuid, email text, name text)
     on conflict (platform_id, lower(email)) do update set name = excluded.name
       where customers.name is distinct from excluded.name
     returning (xmax = 0) as inserted`,
    [JSON.stringify(records)],
  );
  const created = written.filter((r) => r.inserted).length;
  return { created, updated: written.length - created, unchanged: byEmail.size - written.length };
}

export interface ExportedCustomer {
  id: string;
  email: string;
  name: string;
  createdAt: string;
}

/** Every customer of the platform in id order, a page at a time (pass the last id back as after). */
export async function customersPage(pdb: PlatformDb, after: string | null, limit: number): Promise<ExportedCustomer[]> {
  return pdb.query<ExportedCustomer>(
    `select id, email, name, ${iso('created_at')} as "createdAt" from customers
     where platform_id = $1 and ($2::uuid is null or id > $2) order by id limit $3`,
    [after, limit],
  );
}

/** Customer ids by lower-cased email, for the emails that name a customer of this platform (imported orders). */
export async function customerIdsByEmail(pdb: PlatformDb, emails: readonly string[]): Promise<Map<string, string>> {
  const lowered = [...new Set(emails.map((e) => e.trim().toLowerCase()).filter(Boolean))];
  if (lowered.length === 0) return new Map();
  const rows = await pdb.query<{ id: string; email: string }>(
    'select id, lower(email) as email from customers where platform_id = $1 and lower(email) = any($2::text[])',
    [lowered],
  );
  return new Map(rows.map((r) => [r.email, r.id]));
}
