// The console's one API client: the typed SDK (sdk/) against the origin that served the page, with the
// signed-in admin's bearer token read on every request. The token lives in sessionStorage: closing the tab
// signs out, and nothing outlives the browser session.
import { createSoukClient, unwrap, SoukProblemError, type components } from '../../sdk/index.ts';

export type Order = components['schemas']['Order'];
export type Product = components['schemas']['Product'];
export type Platform = components['schemas']['Platform'];
export type Variant = components['schemas']['Variant'];
export type EventView = components['schemas']['Event'];
export { unwrap, SoukProblemError };

const TOKEN_KEY = 'souk.console.token';

export function getToken(): string | undefined {
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function setToken(token: string | undefined): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export const api = createSoukClient({ baseUrl: location.origin, token: getToken });

/** The message to show for a failed call: the API's problem `detail` when it sent one. */
export function problemMessage(error: unknown): string {
  if (error instanceof SoukProblemError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
