// Every problem the catalog module answers, named once. Modules built on the catalog (inventory, cart,
// promotions) answer currency_not_supported and variant_not_found through the constructors exported here.
import { problemMaker } from '../../kernel/http/problem.ts';
import { invalidCursorBecause } from '../../kernel/http/problems.ts';

export const catalogProblemCodes = [
  'product_not_found',
  'variant_not_found',
  'category_not_found',
  'image_not_found',
  'currency_not_supported',
  'duplicate_currency',
  'duplicate_handle',
  'duplicate_option',
  'duplicate_sku',
  'handle_taken',
  'sku_taken',
  'invalid_handle',
  'invalid_variant_options',
  'attributes_too_large',
  'title_required',
  'too_many_variants',
  'invalid_attribute_filter',
  'invalid_price_range',
  'unknown_category',
  'category_cycle',
  'category_has_children',
] as const;

const problem = problemMaker(catalogProblemCodes);

/** currency_not_supported: a currency the platform does not sell in; status, words and extras are the caller's. */
export const currencyNotSupportedProblem = (status: number, detail: string, extras?: Record<string, unknown>) =>
  problem(status, 'currency_not_supported', detail, extras);
export const currencyNotSold = (slug: string, requested: string, currencies: readonly string[]) =>
  currencyNotSupportedProblem(400, `Platform "${slug}" does not sell in ${requested}; use one of ${currencies.join(', ')}.`);
export const priceCurrencyNotSold = (sku: string, currency: string, slug: string, currencies: readonly string[]) =>
  currencyNotSupportedProblem(400, `SKU "${sku}" has a price in ${currency}, but platform "${slug}" sells only in ${currencies.join(', ')}.`);

// Products and variants.
export const productNotFound = (productId: string) => problem(404, 'product_not_found', `There is no product ${productId} on this platform.`);
export const publishedProductNotFound = (idOrHandle: string) =>
  problem(404, 'product_not_found', `There is no published product "${idOrHandle}".`);
/** 404 variant_not_found in the words of the module asking (inventory names only the variant). */
export const variantNotFoundProblem = (detail: string) => problem(404, 'variant_not_found', detail);
export const productHasNoVariant = (productId: string, variantId: string) =>
  variantNotFoundProblem(`Product ${productId} has no variant ${variantId}.`);
export const duplicateCurrency = (sku: string, currency: string) =>
  problem(400, 'duplicate_currency', `SKU "${sku}" has two prices in ${currency}; give one price per currency.`);
export const undefinedVariantOption = (sku: string, name: string, known: readonly string[]) =>
  problem(
    400,
    'invalid_variant_options',
    `SKU "${sku}" sets option "${name}", which the product does not define` +
      (known.length ? ` (it has ${known.join(', ')}).` : ' (it has no options; add them to the product first).'),
  );
export const unlistedOptionValue = (sku: string, name: string, value: string, values: readonly string[]) =>
  problem(400, 'invalid_variant_options', `SKU "${sku}" sets ${name} = "${value}", which is not one of the product's values (${values.join(', ')}).`);
export const duplicateOption = (handle: string, name: string) =>
  problem(400, 'duplicate_option', `Product "${handle}" defines option "${name}" twice.`);
export const attributesTooLarge = (handle: string, maxKiB: number) =>
  problem(400, 'attributes_too_large', `The attributes of "${handle}" exceed ${maxKiB} KiB.`);
export const handleLooksLikeId = (handle: string) =>
  problem(400, 'invalid_handle', `The handle "${handle}" looks like an id; choose a readable handle.`);
export const duplicateSku = (sku: string) =>
  problem(409, 'duplicate_sku', `SKU "${sku}" appears more than once in the request; each SKU must be unique per platform.`);
export const skuTaken = (sku: string, ownerHandle: string) =>
  problem(409, 'sku_taken', `SKU "${sku}" is already used by product "${ownerHandle}"; SKUs must be unique on a platform.`);
export const productHandleTaken = (handle: string) => problem(409, 'handle_taken', `A product with handle "${handle}" already exists.`);
export const importedHandleTaken = (handle: string) =>
  problem(409, 'handle_taken', `A product with handle "${handle}" already exists; choose another handle or update that product.`);
export const duplicateProductHandle = (handle: string) =>
  problem(409, 'duplicate_handle', `Product "${handle}" appears more than once in the request.`);
export const tooManyVariants = (max: number) =>
  problem(400, 'too_many_variants', `One request may carry at most ${max} variants; split the import.`);
export const titleRequired = (handle: string) => problem(400, 'title_required', `New product "${handle}" needs a title.`);
export const imageNotFound = (file: string) =>
  problem(404, 'image_not_found', `There is no demo image "${file}"; demo images are /static/img/<demo product handle>.svg or -2.svg.`);

// Categories.
export const categoryNotFound = (categoryId: string) => problem(404, 'category_not_found', `There is no category ${categoryId} on this platform.`);
export const unknownCategory = (ref: string) =>
  problem(400, 'unknown_category', `There is no category "${ref}" on this platform; create it first.`);
export const categoryOwnParent = () => problem(400, 'category_cycle', 'A category cannot be its own parent.');
export const categoryCycle = () => problem(400, 'category_cycle', 'The new parent is inside this category; moving it there would make a cycle.');
export const categoryHandleTaken = (handle: string) => problem(409, 'handle_taken', `A category with handle "${handle}" already exists.`);
export const categoryHasChildren = (childHandle: string) =>
  problem(409, 'category_has_children', `The category still has sub-categories (e.g. "${childHandle}"); move or delete them first.`);
export const duplicateCategoryHandle = (handle: string) =>
  problem(409, 'duplicate_handle', `Category "${handle}" appears twice in the request.`);

// Storefront search.
export const badAttributeFilter = (filter: string) =>
  problem(400, 'invalid_attribute_filter', `Attribute filter "${filter}" must look like key:value, e.g. material:cotton.`);
export const tooManyAttributeFilters = (max: number) =>
  problem(400, 'invalid_attribute_filter', `Filter on at most ${max} attributes at once.`);
export const invalidPriceRange = (min: number, max: number) =>
  problem(400, 'invalid_price_range', `minPrice (${min}) is above maxPrice (${max}).`);
export const cursorOfOtherSort = (cursorSort: string, sort: string) =>
  invalidCursorBecause(`This cursor belongs to sort "${cursorSort}", not "${sort}"; keep the same sort while paging.`);
