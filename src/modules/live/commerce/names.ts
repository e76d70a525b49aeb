// How a customer is named to a room. Purchase notices always mask ("W***": enough to feel real, not
// enough to find the buyer); gifts show the display name a customer chose, masked when there is none.
import type { Customer } from '../../accounts/customer-service.ts';

export function maskedName(customer: Pick<Customer, 'name' | 'email'>): string {
  const first = [...(customer.name.trim() || customer.email)][0] ?? 'V';
  return `${first.toUpperCase()}***`;
}

export function shownName(customer: Pick<Customer, 'name' | 'email'>): string {
  return customer.name.trim().slice(0, 100) || maskedName(customer);
}
