// Shopify's customer CSV ("Export customers"): one row per customer. Souk keeps a customer's email and
// name; addresses, phone, marketing consent, totals, notes and tags are not stored (no columns for them
// yet). Imported customers have no password: they cannot sign in until they register or reset it.
import type { CsvLayout, CsvRecord } from './csv-source.ts';
import { refused, type ImportItem } from './items.ts';
import { cell } from './text.ts';

export const SHOPIFY_CUSTOMER_COLUMNS = [
  'First Name', 'Last Name', 'Email', 'Accepts Email Marketing', 'Default Address Company', 'Default Address Address1',
  'Default Address Address2', 'Default Address City', 'Default Address Province Code', 'Default Address Country Code',
  'Default Address Zip', 'Default Address Phone', 'Phone', 'Accepts SMS Marketing', 'Total Spent', 'Total Orders',
  'Note', 'Tax Exempt', 'Tags',
] as const;

export const shopifyCustomersLayout: CsvLayout = {
  label: 'Shopify customer CSV',
  required: ['First Name', 'Last Name', 'Email'],
  known: SHOPIFY_CUSTOMER_COLUMNS,
};

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}\.[^\s@]{1,63}$/;
const MAX_NAME = 200;

export async function* shopifyCustomers(records: AsyncIterable<CsvRecord>): AsyncGenerator<ImportItem> {
  for await (const { row, cells } of records) {
    const rows = { first: row, last: row };
    const email = cell(cells, 'Email')?.trim();
    if (!email) {
      yield refused(rows, null, 'Email is empty (Souk customers are known by their email)');
      continue;
    }
    if (!EMAIL.test(email) || email.length > 320) {
      yield refused(rows, email, `Email "${email}" is not an email address`);
      continue;
    }
    const name = [cell(cells, 'First Name')?.trim(), cell(cells, 'Last Name')?.trim()].filter(Boolean).join(' ');
    if (name.length > MAX_NAME) {
      yield refused(rows, email, `the name is longer than ${MAX_NAME} characters`);
      continue;
    }
    yield { kind: 'customer', rows, customer: { email: email.toLowerCase(), name } };
  }
}
