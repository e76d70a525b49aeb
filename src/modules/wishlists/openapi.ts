// Operation ids, descriptions and problem codes of the wishlist routes, for the OpenAPI document.
import type { OperationDocs } from '../../kernel/http/openapi-problems.ts';

const item = '/store/wishlist/items/{productId}';

export const wishlistDocs: OperationDocs = {
  'GET /store/wishlist': {
    operationId: 'getWishlist',
    description: 'The logged-in customer\'s saved products, newest first, each with its storefront view in the requested locale and currency (null once the product is no longer published).',
    problems: { 400: ['currency_not_supported'], 401: ['unauthorized'] },
  },
  [`PUT ${item}`]: {
    operationId: 'addWishlistItem',
    description: 'Saves a published product to the logged-in customer\'s wishlist. Idempotent: saving a saved product changes nothing and emits no second wishlist.item_added. A wishlist holds at most 200 products.',
    problems: { 401: ['unauthorized'], 404: ['wishlist_product_not_found'], 409: ['wishlist_full'] },
  },
  [`DELETE ${item}`]: {
    operationId: 'removeWishlistItem',
    description: 'Removes a product from the logged-in customer\'s wishlist; 204 whether or not it was there.',
    problems: { 401: ['unauthorized'] },
  },
  'GET /admin/platforms/{platform}/wishlists/most-wished': {
    operationId: 'listMostWished',
    description: 'The products the most customers of this platform saved, with how many saved each.',
  },
};
