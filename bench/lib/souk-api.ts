// The few Souk API calls benchmarks need for setup: admin login, creating platforms and products, and
// discovering what the storefront serves. Setup goes through the public API, like a real operator.
import { httpJson, httpRequest, UnexpectedStatusError } from './http.ts';

/** How a storefront request names its platform. */
export type PlatformSelector = { host: string } | { publishableKey: string };

export function selectorHeaders(selector: PlatformSelector): Record<string, string> {
  return 'host' in selector ? { host: selector.host } : { 'x-publishable-key': selector.publishableKey };
}

export interface AdminSession {
  baseUrl: string;
  token: string;
}

export async function adminLogin(baseUrl: string, email: string, password: string): Promise<AdminSession> {
  const body = await httpJson<{ token?: unknown }>(`${baseUrl}/admin/auth/login`, { method: 'POST', json: { email, password } });
  if (typeof body.token !== 'string') throw new Error('POST /admin/auth/login returned no token');
  return { baseUrl, token: body.token };
}

function bearer(session: AdminSession): Record<string, string> {
  return { authorization: `Bearer ${session.token}` };
}

export interface PlatformInput {
  slug: string;
  name: string;
  hosts: string[];
  defaultCurrency: string;
  defaultLocale: string;
  modules: string[];
}

export interface CreatedPlatform {
  platform: { id: string; slug: string; hosts: string[] };
  publishableKey: string;
}

export async function createPlatform(session: AdminSession, input: PlatformInput): Promise<CreatedPlatform> {
  return httpJson<CreatedPlatform>(`${session.baseUrl}/admin/platforms`, {
    method: 'POST',
    headers: bearer(session),
    json: input,
    expectedStatus: 201,
  });
}

/** A published product whose variants differ by one "size" option, all at one price. */
export interface SizedProduct {
  handle: string;
  title: string;
  sizes: string[];
  /** Variant SKUs are `${skuPrefix}-${size}`. */
  skuPrefix: string;
  currency: string;
  amount: number;
}

/** POSTs the product; returns its variant ids in the order of `sizes`. */
export async function createSizedProduct(session: AdminSession, platformSlug: string, product: SizedProduct, timeoutMs?: number): Promise<string[]> {
  const { handle, title, sizes, skuPrefix, currency, amount } = product;
  const created = await httpJson<{ variants: { id: string }[] }>(`${session.baseUrl}/admin/platforms/${platformSlug}/products`, {
    method: 'POST',
    headers: bearer(session),
    expectedStatus: 201,
    json: {
      handle,
      title,
      status: 'published',
      options: [{ name: 'size', values: sizes }],
      variants: sizes.map((size) => ({ sku: `${skuPrefix}-${size}`, options: { size }, prices: [{ currency, amount }] })),
    },
    timeoutMs,
  });
  return created.variants.map((v) => v.id);
}

/** Sets a variant's stock on hand through the inventory API. */
export async function setStock(session: AdminSession, platformSlug: string, variantId: string, onHand: number): Promise<void> {
  await httpJson(`${session.baseUrl}/admin/platforms/${platformSlug}/inventory/levels/${variantId}`, {
    method: 'PUT',
    headers: bearer(session),
    json: { onHand, reason: 'bench stock' },
  });
}

/** A product as POST …/products and …/products/bulk take it (see ProductInput in the catalog schemas). */
export interface ProductInput {
  handle: string;
  title: string;
  status?: 'draft' | 'published' | 'archived';
  [field: string]: unknown;
}

interface AdminVariantView {
  sku: string;
  title: string;
  options: Record<string, string>;
  position: number;
  prices: { currency: string; amount: number; compareAtAmount: number | null }[];
}

export interface AdminProductView {
  handle: string;
  status: string;
  title: string;
  description: string;
  translations: Record<string, unknown>;
  options: unknown[];
  images: string[];
  tags: string[];
  attributes: Record<string, unknown>;
  variants: AdminVariantView[];
}

export async function adminProducts(session: AdminSession, platformSlug: string, limit: number): Promise<AdminProductView[]> {
  const body = await httpJson<{ items: AdminProductView[] }>(
    `${session.baseUrl}/admin/platforms/${encodeURIComponent(platformSlug)}/products?limit=${limit}&status=published`,
    { headers: bearer(session) },
  );
  return body.items;
}

/**
 * Turns an existing product into input for another platform: same content (so responses are the same
 * size), new handle and SKUs, prices only in `currency`, no categories (they do not exist there).
 */
export function copyProduct(source: AdminProductView, handle: string, skuPrefix: string, currency: string): ProductInput {
  return {
    handle,
    title: source.title,
    description: source.description,
    status: 'published',
    translations: source.translations,
    options: source.options,
    images: source.images,
    tags: source.tags,
    attributes: source.attributes,
    variants: source.variants.map((v, i) => ({
      sku: `${skuPrefix}-${i + 1}`,
      title: v.title,
      options: v.options,
      position: v.position,
      prices: v.prices.filter((p) => p.currency === currency).map((p) => ({ currency: p.currency, amount: p.amount, compareAtAmount: p.compareAtAmount })),
    })),
  };
}

export type ProductWriteMode = 'bulk' | 'single';

/**
 * Decides from the server's OpenAPI document how products can be created: the bulk endpoint when it is
 * there and takes a `products` array, otherwise one POST per product.
 */
export async function productWriteMode(baseUrl: string): Promise<ProductWriteMode> {
  const doc = await httpJson<{ paths?: Record<string, Record<string, unknown>> }>(`${baseUrl}/openapi.json`);
  const paths = doc.paths ?? {};
  const bulk = paths['/admin/platforms/{platform}/products/bulk']?.post as
    | { requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> } }
    | undefined;
  const schema = bulk?.requestBody?.content?.['application/json']?.schema;
  if (schema?.properties && 'products' in schema.properties) return 'bulk';
  if (paths['/admin/platforms/{platform}/products']?.post) return 'single';
  throw new Error('the server documents neither POST /admin/platforms/{platform}/products/bulk nor POST …/products');
}

export async function createProducts(session: AdminSession, platformSlug: string, products: ProductInput[], mode: ProductWriteMode): Promise<void> {
  const base = `${session.baseUrl}/admin/platforms/${encodeURIComponent(platformSlug)}/products`;
  if (mode === 'bulk') {
    const response = await httpRequest(`${base}/bulk`, { method: 'POST', headers: bearer(session), json: { products } });
    if (response.status < 200 || response.status >= 300) {
      throw new UnexpectedStatusError(`POST ${base}/bulk answered ${response.status}: ${response.text.slice(0, 500)}`, response.status, response.text);
    }
    return;
  }
  for (const product of products) {
    await httpJson(base, { method: 'POST', headers: bearer(session), json: product, expectedStatus: 201 });
  }
}

export interface StoreProductRef {
  id: string;
  handle: string;
}

/** The first page of a platform's storefront product list (ids and handles only). */
export async function storeProducts(baseUrl: string, selector: PlatformSelector, limit: number): Promise<StoreProductRef[]> {
  const body = await httpJson<{ items?: { id?: unknown; handle?: unknown }[] }>(`${baseUrl}/store/products?limit=${limit}`, {
    headers: selectorHeaders(selector),
  });
  return (body.items ?? []).flatMap((item) => (typeof item.id === 'string' && typeof item.handle === 'string' ? [{ id: item.id, handle: item.handle }] : []));
}

/** Counts a platform's published products by following the list's cursor (bounded by `maxPages`). */
export async function countStoreProducts(baseUrl: string, selector: PlatformSelector, maxPages = 50): Promise<number> {
  let count = 0;
  let cursor: string | null = null;
  for (let page = 0; page < maxPages; page++) {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const body: { items?: unknown[]; nextCursor?: string | null } = await httpJson(`${baseUrl}/store/products?limit=100${query}`, {
      headers: selectorHeaders(selector),
    });
    count += body.items?.length ?? 0;
    cursor = body.nextCursor ?? null;
    if (!cursor) break;
  }
  return count;
}
