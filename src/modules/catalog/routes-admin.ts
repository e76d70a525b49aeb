// Admin routes (/admin/platforms/:platform/…): the catalogue of one platform in every status, with
// writes. The kernel hook has already authenticated the principal, kept support read-only and set
// request.platform; handlers validate, call a service and return its result.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ModuleContext } from '../../kernel/context.ts';
import { problemSchema, type ProblemBody } from '../../kernel/http/problem.ts';
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

const Problem = Type.Unsafe<ProblemBody>(problemSchema);
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem };
const tags = ['catalog'];
const security = [{ adminBearer: [] }];
const base = '/admin/platforms/:platform';

export function adminRoutes(app: FastifyInstance, ctx: ModuleContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const db = (request: Parameters<typeof platformOf>[0]) => ctx.platformDb(platformOf(request).id);

  r.get(
    `${base}/products`,
    {
      schema: {
        tags,
        security,
        summary: 'List products in every status, newest first',
        params: PlatformParams,
        querystring: AdminProductsQuery,
        response: { 200: AdminProductList, ...errors },
      },
    },
    async (request) => listAdminProducts(db(request), request.query),
  );

  r.post(
    `${base}/products`,
    {
      schema: {
        tags,
        security,
        summary: 'Create a product with its variants and prices',
        params: PlatformParams,
        body: ProductInput,
        response: { 201: AdminProduct, ...errors },
      },
    },
    async (request, reply) => {
      const product = await createProduct(ctx.events, db(request), platformOf(request), request.body);
      return reply.code(201).send(product);
    },
  );

  r.post(
    `${base}/products/bulk`,
    {
      schema: {
        tags,
        security,
        summary: 'Upsert up to 500 products (by handle, variants by SKU) and their categories in one transaction',
        params: PlatformParams,
        body: BulkInput,
        response: { 200: BulkResult, ...errors },
      },
    },
    async (request) => bulkUpsertProducts(ctx.events, db(request), platformOf(request), request.body),
  );

  r.get(
    `${base}/products/:productId`,
    {
      schema: { tags, security, summary: 'One product', params: ProductParams, response: { 200: AdminProduct, ...errors } },
    },
    async (request) => {
      const product = await getAdminProduct(db(request), request.params.productId);
      if (!product) throw productNotFound(request.params.productId);
      return product;
    },
  );

  r.patch(
    `${base}/products/:productId`,
    {
      schema: {
        tags,
        security,
        summary: 'Change product fields; categories and translations given replace the current ones',
        params: ProductParams,
        body: ProductPatch,
        response: { 200: AdminProduct, ...errors },
      },
    },
    async (request) => updateProduct(ctx.events, db(request), platformOf(request), request.params.productId, request.body),
  );

  r.post(
    `${base}/products/:productId/archive`,
    {
      schema: {
        tags,
        security,
        summary: 'Archive a product (it leaves the storefront)',
        params: ProductParams,
        response: { 200: AdminProduct, ...errors },
      },
    },
    async (request) => archiveProduct(ctx.events, db(request), request.params.productId),
  );

  r.post(
    `${base}/products/:productId/variants`,
    {
      schema: {
        tags,
        security,
        summary: 'Add a variant',
        params: ProductParams,
        body: VariantInput,
        response: { 201: AdminVariant, ...errors },
      },
    },
    async (request, reply) => {
      const variant = await addVariant(db(request), platformOf(request), request.params.productId, request.body);
      return reply.code(201).send(variant);
    },
  );

  r.patch(
    `${base}/products/:productId/variants/:variantId`,
    {
      schema: {
        tags,
        security,
        summary: 'Change a variant; prices given replace all its prices',
        params: VariantParams,
        body: VariantPatch,
        response: { 200: AdminVariant, ...errors },
      },
    },
    async (request) =>
      updateVariant(db(request), platformOf(request), request.params.productId, request.params.variantId, request.body),
  );

  r.delete(
    `${base}/products/:productId/variants/:variantId`,
    {
      schema: { tags, security, summary: 'Delete a variant', params: VariantParams, response: { 204: Type.Null(), ...errors } },
    },
    async (request, reply) => {
      await deleteVariant(db(request), request.params.productId, request.params.variantId);
      return reply.code(204).send(null);
    },
  );

  r.get(
    `${base}/categories`,
    {
      schema: { tags, security, summary: 'All categories (flat, with parentId)', params: PlatformParams, response: { 200: AdminCategoryList, ...errors } },
    },
    async (request) => ({ items: await listCategories(db(request)), nextCursor: null }),
  );

  r.post(
    `${base}/categories`,
    {
      schema: {
        tags,
        security,
        summary: 'Create a category',
        params: PlatformParams,
        body: CategoryInput,
        response: { 201: AdminCategory, ...errors },
      },
    },
    async (request, reply) => reply.code(201).send(await createCategory(db(request), request.body)),
  );

  r.get(
    `${base}/categories/:categoryId`,
    {
      schema: { tags, security, summary: 'One category', params: CategoryParams, response: { 200: AdminCategory, ...errors } },
    },
    async (request) => {
      const category = await getCategory(db(request), request.params.categoryId);
      if (!category) throw categoryNotFound(request.params.categoryId);
      return category;
    },
  );

  r.patch(
    `${base}/categories/:categoryId`,
    {
      schema: {
        tags,
        security,
        summary: 'Change a category (rename, move under another parent, translations)',
        params: CategoryParams,
        body: CategoryPatch,
        response: { 200: AdminCategory, ...errors },
      },
    },
    async (request) => updateCategory(db(request), request.params.categoryId, request.body),
  );

  r.delete(
    `${base}/categories/:categoryId`,
    {
      schema: {
        tags,
        security,
        summary: 'Delete a category without sub-categories; its products stay, unlinked',
        params: CategoryParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await deleteCategory(db(request), request.params.categoryId);
      return reply.code(204).send(null);
    },
  );
}
