// The platform this storefront page belongs to. Souk writes it into the page's head when it serves
// index.html (src/storefront/serve.ts), so it is known before the first render; a page opened without it
// (the Vite dev server) asks /store/platform instead.
import type { components } from '../../sdk/index.ts';
import { api, unwrap } from './api.ts';

export type StorefrontTheme = components['schemas']['StorefrontTheme'];

export interface ShopPlatform {
  slug: string;
  currencies: string[];
  locales: string[];
  storefront: StorefrontTheme;
}

export function platformFromPage(): ShopPlatform | undefined {
  const text = document.getElementById('souk-platform')?.textContent;
  return text ? (JSON.parse(text) as ShopPlatform) : undefined;
}

export async function loadPlatform(): Promise<ShopPlatform> {
  const fromPage = platformFromPage();
  if (fromPage) return fromPage;
  const platform = unwrap(await api.GET('/store/platform'));
  const root = document.documentElement.style;
  for (const [name, value] of Object.entries(platform.storefront.colors)) root.setProperty(`--${name === 'background' ? 'bg' : name}`, value);
  document.title = platform.storefront.name;
  return platform;
}
