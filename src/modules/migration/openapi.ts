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
  'POST /admin/db/move': {
    operationId: 'startDatabaseMove',
    description:
      'Moves the embedded (PGlite) database this server holds to an empty PostgreSQL database while the shop keeps selling: change tracking, a copy table by table, a catch-up by key, then a short write freeze (the server\'s statements wait in the process) with the final catch-up and the verification of row counts and checksums per table and platform. ' +
      'When everything matches the server carries on against PostgreSQL without a restart, the embedded database refuses writes from then on, and the data directory notes the new database (moved-to.json) so the next start uses it. ' +
      'On a difference nothing is switched. A move stopped by a crash or restart resumes when posted again with the same target. Answers 202 with the move to follow with GET.',
    problems: { 409: ['database_move_not_embedded', 'database_move_running'], 422: ['database_move_target_refused'] },
  },
  'GET /admin/db/move': {
    operationId: 'getDatabaseMove',
    description: 'The move this server runs or ran since it started: status (running, switched, differs, failed, aborted), phase and counts, the mover\'s latest log lines, and when it ended the verification report with the freeze\'s length.',
    problems: { 404: ['database_move_not_found'] },
  },
  'DELETE /admin/db/move': {
    operationId: 'stopDatabaseMove',
    description: 'Stops the running move and removes its change tracking from the embedded database (drop the target before moving again); with no move running, removes the change tracking a stopped move left behind.',
    problems: { 409: ['database_move_not_embedded'] },
  },
};
