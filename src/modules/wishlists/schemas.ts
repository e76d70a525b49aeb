// Request and response shapes of the wishlist routes (TypeBox: validation, serialisation and OpenAPI).
import { Type } from 'typebox';
import { StoreProductSchema } from '../catalog/index.ts';

export const ProductParams = Type.Object({ productId: Type.String({ format: 'uuid' }) });

export const WishlistItem = Type.Object(
  {
    productId: Type.String({ format: 'uuid' }),
    addedAt: Type.String({ format: 'date-time' }),
    product: Type.Union([StoreProductSchema, Type.Null()], { description: 'The product as the storefront shows it; null once it is no longer published' }),
  },
  { title: 'WishlistItem' },
);

export const Wishlist = Type.Object({ items: Type.Array(WishlistItem) }, { title: 'Wishlist' });

export const MostWishedQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) }, { additionalProperties: false });

export const MostWishedList = Type.Object(
  { items: Type.Array(Type.Object({ productId: Type.String({ format: 'uuid' }), customers: Type.Integer({ minimum: 1 }) })) },
  { title: 'MostWishedList' },
);
