// TypeBox schemas of the catalog's HTTP surface: what clients may send (validated by Fastify before a
// handler runs) and what they get back (documented in OpenAPI, serialised by fast-json-stringify).
// Limits here are the first line against absurd input; rules that need the platform or the database
// (currencies, option values, SKU uniqueness) live in rules.ts and the services.
import { Type, type Static, type TSchema } from 'typebox';

/** Upper bound for any amount in minor units: far above any real price, far below 2^53. */
export const MAX_AMOUNT = 1_000_000_000_000;
export const MAX_BULK_PRODUCTS = 500;

const Text = (maxLength: number, extra: Record<string, unknown> = {}) => Type.String({ maxLength, ...extra });

export const Handle = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: '^[a-z0-9]+(?:-[a-z0-9]+)*$',
  description: 'URL-safe name, unique per platform: lower-case letters, digits and single dashes.',
});
export const Sku = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^\\S(?:.*\\S)?$',
  description: 'Stock keeping unit, unique per platform; no leading or trailing spaces.',
});
export const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code, e.g. CNY' });
const LOCALE_PATTERN = '^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$';
export const Locale = Type.String({ pattern: LOCALE_PATTERN, maxLength: 35, description: 'BCP 47 tag, e.g. zh-CN' });
const Amount = Type.Integer({ minimum: 0, maximum: MAX_AMOUNT, description: 'Integer minor units (fen, cents)' });
// Nullable inputs use a type list rather than anyOf: with Fastify's type coercion on, anyOf would turn
// null into 0 or "" in its first branch, while a type list leaves a value alone when it already fits.
const NullableAmount = Type.Unsafe<number | null>({
  type: ['integer', 'null'],
  minimum: 0,
  maximum: MAX_AMOUNT,
  description: 'Integer minor units, or null for none',
});
const NullableRef = Type.Unsafe<string | null>({
  type: ['string', 'null'],
  minLength: 1,
  maxLength: 200,
  description: 'Parent category id or handle; null for a top-level category',
});
const ProductStatus = Type.Union([Type.Literal('draft'), Type.Literal('published'), Type.Literal('archived')]);
const ImageUrl = Type.String({
  minLength: 2,
  maxLength: 2000,
  pattern: '^(?:https?://|/)\\S+$',
  description: 'An absolute http(s) URL or a path on this server',
});
const Attributes = Type.Record(Type.String({ minLength: 1, maxLength: 100 }), Type.Unknown(), {
  maxProperties: 100,
  description: 'Free-form attributes (material, brand, …); storefront filters match them by containment.',
});
const OptionDefinition = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    values: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1, maxItems: 100, uniqueItems: true }),
  },
  { additionalProperties: false },
);
const VariantOptions = Type.Record(Type.String({ minLength: 1, maxLength: 100 }), Type.String({ minLength: 1, maxLength: 100 }), {
  maxProperties: 10,
  description: 'Option name → value, e.g. { "colour": "red", "size": "M" }',
});

const TextTranslation = Type.Object(
  { title: Type.Optional(Text(500)), description: Type.Optional(Text(20_000)) },
  { additionalProperties: false },
);
const ProductTranslations = Type.Record(Type.String({ pattern: LOCALE_PATTERN }), TextTranslation, {
  additionalProperties: false,
  maxProperties: 50,
  description: 'Per-locale title/description, e.g. { "en": { "title": "…" } }',
});
const CategoryTranslation = Type.Object(
  { name: Type.Optional(Text(200)), description: Type.Optional(Text(5_000)) },
  { additionalProperties: false },
);
const CategoryTranslations = Type.Record(Type.String({ pattern: LOCALE_PATTERN }), CategoryTranslation, {
  additionalProperties: false,
  maxProperties: 50,
});

// ---- inputs ----

export const PriceInput = Type.Object(
  {
    currency: Currency,
    amount: Amount,
    compareAtAmount: Type.Optional(NullableAmount),
  },
  { title: 'PriceInput', additionalProperties: false },
);

export const VariantInput = Type.Object(
  {
    sku: Sku,
    title: Type.Optional(Text(200)),
    options: Type.Optional(VariantOptions),
    prices: Type.Optional(Type.Array(PriceInput, { maxItems: 20 })),
    position: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
  },
  { title: 'VariantInput', additionalProperties: false },
);

export const VariantPatch = Type.Object(
  {
    sku: Type.Optional(Sku),
    title: Type.Optional(Text(200)),
    options: Type.Optional(VariantOptions),
    prices: Type.Optional(Type.Array(PriceInput, { maxItems: 20, description: 'Replaces all prices of the variant' })),
    position: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
  },
  { title: 'VariantPatch', additionalProperties: false, minProperties: 1 },
);

const productFields = {
  title: Type.String({ minLength: 1, maxLength: 500 }),
  description: Type.Optional(Text(20_000)),
  status: Type.Optional(ProductStatus),
  translations: Type.Optional(ProductTranslations),
  options: Type.Optional(Type.Array(OptionDefinition, { maxItems: 10 })),
  images: Type.Optional(Type.Array(ImageUrl, { maxItems: 50 })),
  tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 50 })),
  attributes: Type.Optional(Attributes),
  categories: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 20, description: 'Category ids or handles' }),
  ),
};

export const ProductInput = Type.Object(
  {
    handle: Handle,
    ...productFields,
    variants: Type.Optional(Type.Array(VariantInput, { maxItems: 100 })),
  },
  { title: 'ProductInput', additionalProperties: false },
);

export const ProductPatch = Type.Object(
  {
    handle: Type.Optional(Handle),
    ...productFields,
    title: Type.Optional(productFields.title),
  },
  { title: 'ProductPatch', additionalProperties: false, minProperties: 1 },
);

export const CategoryInput = Type.Object(
  {
    handle: Handle,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Text(5_000)),
    parent: Type.Optional(NullableRef),
    position: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
    translations: Type.Optional(CategoryTranslations),
  },
  { title: 'CategoryInput', additionalProperties: false },
);

export const CategoryPatch = Type.Object(
  {
    handle: Type.Optional(Handle),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    description: Type.Optional(Text(5_000)),
    parent: Type.Optional(NullableRef),
    position: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
    translations: Type.Optional(CategoryTranslations),
  },
  { title: 'CategoryPatch', additionalProperties: false, minProperties: 1 },
);

export const BulkInput = Type.Object(
  {
    categories: Type.Optional(
      Type.Array(CategoryInput, { maxItems: 500, description: 'Upserted by handle, in order: a parent must come before its children or exist already' }),
    ),
    products: Type.Array(ProductInput, {
      maxItems: MAX_BULK_PRODUCTS,
      description: 'Upserted by handle; variants by SKU. Fields left out keep their current value.',
    }),
  },
  { title: 'BulkProductsInput', additionalProperties: false },
);

export type PriceInput = Static<typeof PriceInput>;
export type VariantInput = Static<typeof VariantInput>;
export type VariantPatch = Static<typeof VariantPatch>;
export type ProductInput = Static<typeof ProductInput>;
export type ProductPatch = Static<typeof ProductPatch>;
export type CategoryInput = Static<typeof CategoryInput>;
export type CategoryPatch = Static<typeof CategoryPatch>;
export type BulkInput = Static<typeof BulkInput>;
export type ProductStatus = Static<typeof ProductStatus>;
export type ProductTranslations = Static<typeof ProductTranslations>;
export type CategoryTranslations = Static<typeof CategoryTranslations>;
export type OptionDefinition = Static<typeof OptionDefinition>;

// ---- query strings and params ----

// relevance is the default when q is given (newest otherwise); without q it orders like newest.
export const SORTS = ['newest', 'price_asc', 'price_desc', 'title', 'relevance'] as const;
export type Sort = (typeof SORTS)[number];

const LocaleQuery = Type.Optional(Type.String({ maxLength: 35, description: 'Falls back to Accept-Language, then the platform default' }));
const CurrencyQuery = Type.Optional(Type.String({ maxLength: 3, description: 'One of the platform currencies; default: its default currency' }));

export const StoreProductsQuery = Type.Object({
  category: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Category handle or id; includes sub-categories' })),
  minPrice: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_AMOUNT })),
  maxPrice: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_AMOUNT })),
  attribute: Type.Optional(
    Type.Array(Type.String({ minLength: 3, maxLength: 400 }), {
      maxItems: 20,
      description: 'key:value; repeat or comma-separate. Different keys must all match; values of one key are alternatives.',
    }),
  ),
  q: Type.Optional(
    Type.String({
      maxLength: 200,
      description:
        'Search: every word must start a word of a title (any language), a tag, the description or a SKU ("dres" finds dresses); Chinese matches by adjacent characters. Ranked by where the words appear unless a sort is given.',
    }),
  ),
  sort: Type.Optional(
    Type.Union(SORTS.map((s) => Type.Literal(s)), {
      description: 'Default: relevance when q is given (title and whole-word matches first), else newest. An explicit sort wins.',
    }),
  ),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  cursor: Type.Optional(Type.String({ maxLength: 1000 })),
  locale: LocaleQuery,
  currency: CurrencyQuery,
});
export type StoreProductsQuery = Static<typeof StoreProductsQuery>;

export const LocaleCurrencyQuery = Type.Object({ locale: LocaleQuery, currency: CurrencyQuery });
export type LocaleCurrencyQuery = Static<typeof LocaleCurrencyQuery>;
export const LocaleQueryOnly = Type.Object({ locale: LocaleQuery });

export const AdminProductsQuery = Type.Object({
  status: Type.Optional(ProductStatus),
  q: Type.Optional(Type.String({ maxLength: 200, description: 'Search, as in the storefront list, over products of every status' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  cursor: Type.Optional(Type.String({ maxLength: 1000 })),
});
export type AdminProductsQuery = Static<typeof AdminProductsQuery>;

export const PlatformParams = Type.Object({ platform: Type.String({ minLength: 1, maxLength: 200 }) });
export const ProductParams = Type.Object({ platform: Type.String(), productId: Type.String({ format: 'uuid' }) });
export const VariantParams = Type.Object({
  platform: Type.String(),
  productId: Type.String({ format: 'uuid' }),
  variantId: Type.String({ format: 'uuid' }),
});
export const CategoryParams = Type.Object({ platform: Type.String(), categoryId: Type.String({ format: 'uuid' }) });
export const IdOrHandleParams = Type.Object({ idOrHandle: Type.String({ minLength: 1, maxLength: 200 }) });

// ---- outputs ----

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const StoreVariant = Type.Object({
  id: Type.String(),
  sku: Type.String(),
  title: Type.String(),
  options: Type.Record(Type.String(), Type.String()),
  price: Nullable(Type.Integer({ description: 'In the response currency; null when the variant has no price in it' })),
  compareAtPrice: Nullable(Type.Integer()),
}, { title: 'StoreVariant' });

/** A product's video, made by the media module from an uploaded clip (H.264 MP4, HLS, a poster). */
export const ProductVideo = Type.Object({
  id: Type.String(),
  mp4Url: Type.String({ description: 'H.264/AAC MP4, served with range requests' }),
  hlsUrl: Type.String({ description: 'HLS master playlist (one or two sizes)' }),
  posterUrl: Type.String(),
  durationMs: Type.Integer(),
  width: Type.Integer(),
  height: Type.Integer(),
}, { title: 'ProductVideo' });
export type ProductVideo = Static<typeof ProductVideo>;

export const StoreProduct = Type.Object({
  id: Type.String(),
  handle: Type.String(),
  title: Type.String(),
  description: Type.String(),
  locale: Type.String(),
  currency: Type.String(),
  images: Type.Array(Type.String()),
  categories: Type.Array(Type.String(), { description: 'Category handles' }),
  options: Type.Array(OptionDefinition),
  tags: Type.Array(Type.String()),
  attributes: Type.Record(Type.String(), Type.Unknown()),
  video: Nullable(ProductVideo),
  priceRange: Nullable(Type.Object({ min: Type.Integer(), max: Type.Integer() })),
  variants: Type.Array(StoreVariant),
}, { title: 'StoreProduct' });

export const StoreProductList = Type.Object({ items: Type.Array(StoreProduct), nextCursor: Nullable(Type.String()) });

/** A category and its children, recursively (written by hand: a local $ref keeps the serializer happy). */
export const StoreCategoryTree = Type.Unsafe<{ items: StoreCategoryNode[] }>({
  type: 'object',
  required: ['items'],
  properties: { items: { type: 'array', items: { $ref: '#/$defs/categoryNode' } } },
  $defs: {
    categoryNode: {
      type: 'object',
      required: ['id', 'handle', 'name', 'description', 'parentId', 'children'],
      properties: {
        id: { type: 'string' },
        handle: { type: 'string' },
        name: { type: 'string' },
        description: { type: 'string' },
        parentId: { anyOf: [{ type: 'string' }, { type: 'null' }] },
        children: { type: 'array', items: { $ref: '#/$defs/categoryNode' } },
      },
    },
  },
});
export interface StoreCategoryNode {
  id: string;
  handle: string;
  name: string;
  description: string;
  parentId: string | null;
  children: StoreCategoryNode[];
}

const AdminPrice = Type.Object({ currency: Type.String(), amount: Type.Integer(), compareAtAmount: Nullable(Type.Integer()) });

export const AdminVariant = Type.Object({
  id: Type.String(),
  productId: Type.String(),
  sku: Type.String(),
  title: Type.String(),
  options: Type.Record(Type.String(), Type.String()),
  position: Type.Integer(),
  prices: Type.Array(AdminPrice),
  createdAt: Type.String(),
  updatedAt: Type.String(),
}, { title: 'Variant' });

export const AdminProduct = Type.Object({
  id: Type.String(),
  handle: Type.String(),
  status: ProductStatus,
  title: Type.String(),
  description: Type.String(),
  translations: Type.Record(Type.String(), TextTranslation),
  options: Type.Array(OptionDefinition),
  images: Type.Array(Type.String()),
  tags: Type.Array(Type.String()),
  attributes: Type.Record(Type.String(), Type.Unknown()),
  video: Nullable(ProductVideo),
  categories: Type.Array(Type.Object({ id: Type.String(), handle: Type.String() })),
  variants: Type.Array(AdminVariant),
  publishedAt: Nullable(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
}, { title: 'Product' });

export const AdminProductList = Type.Object({ items: Type.Array(AdminProduct), nextCursor: Nullable(Type.String()) });

export const AdminCategory = Type.Object({
  id: Type.String(),
  handle: Type.String(),
  name: Type.String(),
  description: Type.String(),
  parentId: Nullable(Type.String()),
  position: Type.Integer(),
  translations: Type.Record(Type.String(), CategoryTranslation),
  createdAt: Type.String(),
  updatedAt: Type.String(),
}, { title: 'Category' });
export const AdminCategoryList = Type.Object({ items: Type.Array(AdminCategory), nextCursor: Nullable(Type.String()) });

const Counts = Type.Object({ created: Type.Integer(), updated: Type.Integer(), unchanged: Type.Integer() });
export const BulkResult = Type.Object({ categories: Counts, products: Counts, variants: Counts }, { title: 'BulkProductsResult' });

export type StoreVariant = Static<typeof StoreVariant>;
export type StoreProduct = Static<typeof StoreProduct>;
export type AdminVariant = Static<typeof AdminVariant>;
export type AdminProduct = Static<typeof AdminProduct>;
export type AdminCategory = Static<typeof AdminCategory>;
export type BulkResult = Static<typeof BulkResult>;
