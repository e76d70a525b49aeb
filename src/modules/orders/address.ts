// What "an address we can ship to" means at checkout. The cart stores any address its schema accepts
// (a shopper fills it in step by step); an order that will be delivered must have the parts a carrier
// cannot do without. Pickup methods (`delivery: false`) need none.
import { shippingAddressRequired } from './problems.ts';

/** The fields a delivered order's address must have; `name` is firstName or lastName (either will do). */
export const REQUIRED_ADDRESS_FIELDS = ['name', 'line1', 'city', 'postalCode', 'country'] as const;

const filled = (value: unknown): boolean => typeof value === 'string' && value.trim() !== '';

/** The required fields the address lacks, in REQUIRED_ADDRESS_FIELDS order; all of them for no address. */
export function missingAddressFields(address: Record<string, unknown> | null): string[] {
  if (address === null) return [...REQUIRED_ADDRESS_FIELDS];
  return REQUIRED_ADDRESS_FIELDS.filter((field) =>
    field === 'name' ? !filled(address['firstName']) && !filled(address['lastName']) : !filled(address[field]),
  );
}

/** 422 shipping_address_required unless the address is complete enough to deliver to. */
export function assertDeliverableAddress(address: Record<string, unknown> | null): void {
  const missing = missingAddressFields(address);
  if (missing.length === 0) return;
  const what = address === null ? 'no shipping address' : `a shipping address without ${missing.join(', ')}`;
  throw shippingAddressRequired(what, missing);
}
