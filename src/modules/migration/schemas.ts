// TypeBox shapes of the migration routes: import jobs, their refused rows, and the export's query.
import { Type, type Static } from 'typebox';

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);
// The same lists as IMPORT_FORMATS (import/run.ts) and EXPORT_KINDS (export/lines.ts), as literal unions.
const ImportFormat = Type.Union([Type.Literal('shopify-products'), Type.Literal('shopify-customers'), Type.Literal('woocommerce'), Type.Literal('jsonl')]);
const ExportKind = Type.Union([Type.Literal('settings'), Type.Literal('products'), Type.Literal('customers'), Type.Literal('coupons'), Type.Literal('orders')]);

const Counts = Type.Object({ created: Type.Integer(), updated: Type.Integer(), unchanged: Type.Integer() });

export const ImportCounts = Type.Object(
  {
    products: Counts,
    variants: Counts,
    categories: Counts,
    customers: Counts,
    coupons: Counts,
    orders: Counts,
    stock: Type.Object({ set: Type.Integer(), unchanged: Type.Integer() }),
    refused: Type.Integer({ description: 'Products, customers, categories, coupons or orders refused; each has an entry in errors' }),
    skipped: Type.Integer({ description: 'Records of kinds an import does not write (the settings line of a Souk export)' }),
  },
  { title: 'ImportCounts' },
);

export const ImportErrorEntry = Type.Object(
  {
    firstRow: Type.Integer({ description: 'Row in the file (the CSV header is row 1; JSON lines: the line)' }),
    lastRow: Type.Integer({ description: 'Last row of the same product (a Shopify product spans several)' }),
    key: Nullable(Type.String({ description: 'The handle, SKU or email the rows are about' })),
    reason: Type.String(),
  },
  { title: 'ImportError' },
);

const jobFields = {
  id: Type.String(),
  format: ImportFormat,
  dryRun: Type.Boolean(),
  status: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('failed')]),
  fileName: Nullable(Type.String()),
  progress: Type.Object({
    bytesDone: Type.Integer(),
    bytesTotal: Type.Integer(),
    rowsDone: Type.Integer({ description: 'The last row read so far' }),
    percent: Type.Integer({ minimum: 0, maximum: 100 }),
  }),
  counts: ImportCounts,
  errorsTotal: Type.Integer(),
  failure: Nullable(Type.String({ description: 'Why the job stopped, when it failed' })),
  createdBy: Type.String(),
  createdAt: Type.String(),
  startedAt: Nullable(Type.String()),
  finishedAt: Nullable(Type.String()),
};

export const ImportJobSummary = Type.Object(jobFields, { title: 'ImportJobSummary' });
export const ImportJob = Type.Object(
  { ...jobFields, errors: Type.Array(ImportErrorEntry, { description: 'The first 100 refused rows; all of them on the errors route' }) },
  { title: 'ImportJob' },
);
export const ImportJobList = Type.Object({ items: Type.Array(ImportJobSummary) });
export const ImportErrorPage = Type.Object({
  items: Type.Array(Type.Object({ seq: Type.Integer(), ...ImportErrorEntry.properties })),
  nextAfter: Type.Union([Type.Integer(), Type.Null()], { description: 'Pass as after for the next page; null at the end' }),
});

export const PlatformParams = Type.Object({ platform: Type.String() });
export const JobParams = Type.Object({ platform: Type.String(), jobId: Type.String({ format: 'uuid' }) });

export const ImportQuery = Type.Object(
  {
    format: ImportFormat,
    dryRun: Type.Optional(Type.Boolean({ description: 'Count what would be created, updated and refused; write nothing' })),
    fileName: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Shown with the job' })),
  },
  { additionalProperties: false },
);

export const ErrorsQuery = Type.Object(
  {
    after: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'The seq of the last entry already read' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000 })),
  },
  { additionalProperties: false },
);

export const ExportQuery = Type.Object(
  {
    format: Type.Union([Type.Literal('jsonl'), Type.Literal('csv')]),
    kind: Type.Optional(ExportKind),
  },
  { additionalProperties: false },
);

export type ImportJob = Static<typeof ImportJob>;
export type ImportJobSummary = Static<typeof ImportJobSummary>;
