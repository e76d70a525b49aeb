// Every problem the wishlists module answers, named once.
import { problemMaker } from '../../kernel/http/problem.ts';

export const wishlistsProblemCodes = ['wishlist_product_not_found', 'wishlist_full'] as const;

const problem = problemMaker(wishlistsProblemCodes);

export const productNotWishable = (productId: string) =>
  problem(404, 'wishlist_product_not_found', `This platform sells no published product ${productId}.`);
export const wishlistFull = (limit: number) =>
  problem(409, 'wishlist_full', `A wishlist holds at most ${limit} products; remove one first.`, { limit });
