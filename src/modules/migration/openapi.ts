// Operation ids, descriptions and problem codes of the migration routes, for the OpenAPI document.
import type { OperationDocs } from '../../kernel/http/openapi-problems.ts';

const base = '/admin/platforms/{platform}/migration';

export const migrationDocs: OperationDocs = {
  [`POST ${base}/imports`]: {
    operationId: 'startImport',
    description:
      'The body is the file itself, sent as it is (any content type, e.g. text/csv or application/x-ndjson; at most 512 MiB): a Shopify product or customer CSV export, a WooCommerce product CSV export, or Souk JSON lines. ' +
      'The file is checked first: one that is not UTF-8 CSV (or JSON lines), or lacks the format\'s columns, is refused with 422 naming the columns expected, and no job is made. ' +
      'Otherwise the answer is 202 with the job, which runs in the background: follow it with GET …/imports/{jobId}. Products are upserted by handle and variants by SKU, so running the same file again changes nothing; ' +
      'rows that cannot be imported are refused one product (or customer) at a time with their row numbers, and the other rows still import. dryRun=true counts what would be created, updated and refused and writes nothing.',
    problems: { 409: ['migration_module_disabled'], 413: ['import_file_too_large'], 422: ['import_not_csv', 'import_wrong_columns', 'import_malformed_csv', 'import_not_jsonl', 'import_empty_file'] },
  },
  [`GET ${base}/imports`]: {
    operationId: 'listImports',
    description: 'The 50 latest import jobs of the platform, newest first, with their status, progress and counts.',
  },
  [`GET ${base}/imports/{jobId}`]: {
    operationId: 'getImport',
    description: 'An import job: queued, running, succeeded or failed (a job whose node stopped reads as failed within two minutes); progress by bytes and rows; created, updated and unchanged counts; and the first 100 refused rows.',
    problems: { 404: ['import_job_not_found'] },
  },
  [`GET ${base}/imports/{jobId}/errors`]: {
    operationId: 'listImportErrors',
    description: 'Every refused row of an import job (up to 10,000 are kept; errorsTotal counts them all) with its row numbers, the handle, SKU or email it was about, and the reason, in the order they were found (a product the catalogue refused is reported when its batch is written), a page at a time.',
    problems: { 404: ['import_job_not_found'] },
  },
  [`GET ${base}/export`]: {
    operationId: 'exportPlatform',
    description:
      'Streams the platform. format=jsonl: one JSON object per line (settings, categories, products with prices and stock on hand, customers, coupons, orders; or only the kind asked for), which POST …/imports?format=jsonl reads back. ' +
      'format=csv needs a kind: products and customers in Shopify\'s CSV layouts (importable with format=shopify-products / shopify-customers), orders one row per order line, coupons one row per coupon, settings one row per setting.',
    problems: { 400: ['export_kind_needed'], 409: ['migration_module_disabled'] },
  },
};
