// The served OpenAPI document is valid OpenAPI 3.1 (checked by @apidevtools/swagger-parser, a maintained
// validator) and complete enough for generated clients: every operation has an id, summary, description
// and tag; the shared schemas are named components; every error answer is a Problem with its codes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import SwaggerParser from '@apidevtools/swagger-parser';
import { startTestSouk, type StartedSouk } from './harness.ts';

type Operation = {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }>; 'x-problem-codes'?: string[] }>;
};
type Document = {
  openapi: string;
  servers?: Array<{ url: string }>;
  tags?: Array<{ name: string; description?: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
};

// The names generated clients should get for the shapes they use most.
const NAMED_COMPONENTS = [
  'Problem', 'Platform', 'Customer', 'Product', 'Variant', 'Category', 'StoreProduct', 'Cart', 'CartLine', 'Order', 'OrderLine',
  'Payment', 'Refund', 'Coupon', 'FlashSale', 'Ticket', 'Event', 'Webhook', 'WebhookDelivery', 'InventoryLevel', 'Reservation',
];

describe('the OpenAPI document', () => {
  let started: StartedSouk;
  let document: Document;
  const operations: Array<[string, Operation]> = [];

  before(async () => {
    started = await startTestSouk('pglite', { publicUrl: 'https://shop.example.test' });
    const res = await started.souk.app.inject({ url: '/openapi.json' });
    assert.equal(res.statusCode, 200, res.body);
    document = res.json<Document>();
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) operations.push([`${method.toUpperCase()} ${path}`, operation]);
    }
  });
  after(() => started?.close());

  it('is valid OpenAPI 3.1 with every $ref resolving', async () => {
    assert.equal(document.openapi, '3.1.0');
    // validate() dereferences in place: give it a copy.
    await SwaggerParser.validate(structuredClone(document) as never);
  });

  it('gives every operation a unique camelCase id, a summary, a description and a tag', () => {
    const seen = new Map<string, string>();
    for (const [key, operation] of operations) {
      const id = operation.operationId ?? '';
      assert.match(id, /^[a-z][A-Za-z0-9]+$/, `${key}: operationId "${id}"`);
      assert.equal(seen.get(id), undefined, `${key} and ${seen.get(id)} share the operationId ${id}`);
      seen.set(id, key);
      assert.ok(operation.summary?.trim(), `${key} has no summary`);
      assert.ok(operation.description && operation.description.length > 20, `${key} has no description`);
      assert.ok(operation.tags && operation.tags.length > 0, `${key} has no tag`);
    }
  });

  it('names the servers, security schemes and tags', () => {
    assert.deepEqual(document.servers?.map((s) => s.url), ['https://shop.example.test']);
    assert.deepEqual(Object.keys(document.components.securitySchemes ?? {}).sort(), ['adminBearer', 'customerBearer', 'publishableKey']);
    const described = new Set((document.tags ?? []).filter((t) => t.description).map((t) => t.name));
    for (const [key, operation] of operations) {
      for (const tag of operation.tags ?? []) assert.ok(described.has(tag), `${key}: tag "${tag}" has no description`);
    }
  });

  it('has the shared schemas as named components', () => {
    for (const name of NAMED_COMPONENTS) assert.ok(document.components.schemas[name], `no component ${name}`);
  });

  it('answers every error with a Problem and lists its codes', () => {
    for (const [key, operation] of operations) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) < 400) continue;
        assert.equal(response.content?.['application/problem+json']?.schema?.$ref, '#/components/schemas/Problem', `${key} ${status}`);
      }
      const codes = (operation as { 'x-problem-codes'?: Record<string, string[]> })['x-problem-codes'];
      if (/^\w+ \/(store|admin)\//.test(key)) assert.ok(codes && Object.keys(codes).length > 0, `${key} lists no problem codes`);
    }
  });

  it('describes the body of an upload its handler reads itself (multipart, a binary file part)', () => {
    const upload = document.paths['/admin/platforms/{platform}/products/{productId}/videos']!.post as Operation & {
      requestBody?: { required?: boolean; content: Record<string, { schema: { required?: string[]; properties: Record<string, { format?: string }> }; encoding?: Record<string, { contentType: string }> }> };
    };
    assert.equal(upload.requestBody?.required, true);
    const form = upload.requestBody!.content['multipart/form-data']!;
    assert.deepEqual(Object.keys(upload.requestBody!.content), ['multipart/form-data']);
    assert.deepEqual(form.schema.required, ['file']);
    assert.equal(form.schema.properties.file!.format, 'binary');
    assert.match(form.encoding!.file!.contentType, /video\/mp4/);
  });
});
