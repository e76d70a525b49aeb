// Admin routes (/admin/platforms/:platform/…): the catalogue of one platform in every status, with
// writes. The kernel hook has already authenticated the principal, kept support read-only and set
// request.platform; handlers validate, call a service and return its result.
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { ModuleContext } from '../../kernel/context.ts';
import { adminRouteKit } from '../../kernel/http/route-kit.ts';
import { errorResponses } from '../../kernel/http/schemas.ts';
import { platformOf } from '../../kernel/http/tenancy.ts';
import { createCategory, deleteCategory, getCategory, listCategories, updateCategory } from './categories.ts';
import {
  addVariant,
  archiveProduct,
  bulkUpsertProducts,
  createProduct,
  deleteVariant,
  getAdminProduct,
  listAdminProducts,
  updateProduct,
  updateVariant,
} from './products.ts';
import {
  AdminCategory,
  AdminCategoryList,
  AdminProduct,
  AdminProductList,
  AdminProductsQuery,
  AdminVariant,
  BulkInput,
  BulkResult,
  CategoryInput,
  CategoryParams,
  CategoryPatch,
  PlatformParams,
  ProductInput,
  ProductParams,
  ProductPatch,
  VariantInput,
  VariantParams,
  VariantPatch,
} from './schemas.ts';
import { categoryNotFound, productNotFound } from './problems.ts';

const errors = errorResponses(400, 401, 403, 404, 409);
const base = '/admin/platforms/:platform';

export function adminRoutes(app: FastifyInstance, ctx: ModuleContext): void {
  const { r, doc, pdbOf } = adminRouteKit(app, ctx, 'catalog');

  r.get(
    `${base}/products`,
    {
      schema: doc('List products in every status, newest first', {
        params: PlatformParams,
        querystring: AdminProductsQuery,
        response: { 200: AdminProductList, ...errors },
      }),
    },
    async (request) => listAdminProducts(pdbOf(request), request.query),
  );

  r.post(
    `${base}/products`,
    {
      schema: doc('Create a product with its variants and prices', {
        params: PlatformParams,
        body: ProductInput,
        response: { 201: AdminProduct, ...errors },
      }),
    },
    async (request, reply) => {
      const product = await createProduct(ctx.events, pdbOf(request), platformOf(request), request.body);
      return reply.code(201).send(product);
    },
  );

  r.post(
    `${base}/products/bulk`,
    {
      schema: doc('Upsert up to 500 products (by handle, variants by SKU) and their categories in one transaction', {
        params: PlatformParams,
        body: BulkInput,
        response: { 200: BulkResult, ...errors },
      }),
    },
    async (request) => bulkUpsertProducts(ctx.events, pdbOf(request), platformOf(request), request.body),
  );

  r.get(
    `${base}/products/:productId`,
    {
      schema: doc('One product', { params: ProductParams, response: { 200: AdminProduct, ...errors } }),
    },
    async (request) => {
      const product = await getAdminProduct(pdbOf(request), request.params.productId);
      if (!product) throw productNotFound(request.params.productId);
      return product;
    },
  );

  r.patch(
    `${base}/products/:productId`,
    {
      schema: doc('Change product fields; categories and translations given replace the current ones', {
        params: ProductParams,
        body: ProductPatch,
        response: { 200: AdminProduct, ...errors },
      }),
    },
    async (request) => updateProduct(ctx.events, pdbOf(request), platformOf(request), request.params.productId, request.body),
  );

  r.post(
    `${base}/products/:productId/archive`,
    {
      schema: doc('Archive a product (it leaves the storefront)', {
        params: ProductParams,
        response: { 200: AdminProduct, ...errors },
      }),
    },
    async (request) => archiveProduct(ctx.events, pdbOf(request), request.params.productId),
  );

  r.post(
    `${base}/products/:productId/variants`,
    {
      schema: doc('Add a variant', {
        params: ProductParams,
        body: VariantInput,
        response: { 201: AdminVariant, ...errors },
      }),
    },
    async (request, reply) => {
      const variant = await addVariant(pdbOf(request), platformOf(request), request.params.productId, request.body);
      return reply.code(201).send(variant);
    },
  );

  r.patch(
    `${base}/products/:productId/variants/:variantId`,
    {
      schema: doc('Change a variant; prices given replace all its prices', {
        params: VariantParams,
        body: VariantPatch,
        response: { 200: AdminVariant, ...errors },
      }),
    },
    async (request) =>
      updateVariant(pdbOf(request), platformOf(request), request.params.productId, request.params.variantId, request.body),
  );

  r.delete(
    `${base}/products/:productId/variants/:variantId`,
    {
      schema: doc('Delete a variant', { params: VariantParams, response: { 204: Type.Null(), ...errors } }),
    },
    async (request, reply) => {
      await deleteVariant(pdbOf(request), request.params.productId, request.params.variantId);
      return reply.code(204).send(null);
    },
  );

  r.get(
    `${base}/categories`,
    {
      schema: doc('All categories (flat, with parentId)', { params: PlatformParams, response: { 200: AdminCategoryList, ...errors } }),
    },
    async (request) => ({ items: await listCategories(pdbOf(request)), nextCursor: null }),
  );

  r.post(
    `${base}/categories`,
    {
      schema: doc('Create a category', {
        params: PlatformParams,
        body: CategoryInput,
        response: { 201: AdminCategory, ...errors },
      }),
    },
    async (request, reply) => reply.code(201).send(await createCategory(pdbOf(request), request.body)),
  );

  r.get(
    `${base}/categories/:categoryId`,
    {
      schema: doc('One category', { params: CategoryParams, response: { 200: AdminCategory, ...errors } }),
    },
    async (request) => {
      const category = await getCategory(pdbOf(request), request.params.categoryId);
      if (!category) throw categoryNotFound(request.params.categoryId);
      return category;
    },
  );

  r.patch(
    `${base}/categories/:categoryId`,
    {
      schema: doc('Change a category (rename, move under another parent, translations)', {
        params: CategoryParams,
        body: CategoryPatch,
        response: { 200: AdminCategory, ...errors },
      }),
    },
    async (request) => updateCategory(pdbOf(request), request.params.categoryId, request.body),
  );

  r.delete(
    `${base}/categories/:categoryId`,
    {
      schema: doc('Delete a category without sub-categories; its products stay, unlinked', {
        params: CategoryParams,
        response: { 204: Type.Null(), ...errors },
      }),
    },
    async (request, reply) => {
      await deleteCategory(pdbOf(request), request.params.categoryId);
      return reply.code(204).send(null);
    },
  );
}
