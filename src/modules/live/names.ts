// How a customer is shown in a room: its display name, or a masked stand-in.
import type { Customer } from '../accounts/customer-service.ts';

/** "W***" from a customer without a display name: enough to tell posters apart, not enough to find them. */
export function authorName(customer: Customer): string {
  const name = customer.name.trim();
  if (name) return name.slice(0, 100);
  return `${(customer.email[0] ?? 'V').toUpperCase()}***`;
}
