// One import from start to end: open the file in its format (refusing a wrong file before anything is
// written), hand each item to the importer, report progress and refused rows as they happen.
import type { Platform } from '../../../kernel/context.ts';
import { openCsv, type CsvLayout } from './csv-source.ts';
import type { ImportItem } from './items.ts';
import { Importer, type ImportCounts, type ImportError, type ImportTarget } from './apply.ts';
import { shopifyCustomers, shopifyCustomersLayout } from './shopify-customers.ts';
import { shopifyProducts, shopifyProductsLayout } from './shopify-products.ts';
import { openSoukJsonl } from './souk-jsonl.ts';
import { woocommerceLayout, woocommerceProducts } from './woocommerce.ts';

export const IMPORT_FORMATS = ['shopify-products', 'shopify-customers', 'woocommerce', 'jsonl'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export const isImportFormat = (value: string): value is ImportFormat => (IMPORT_FORMATS as readonly string[]).includes(value);

/** The CSV columns of each CSV format (for docs and the sample files). */
export const CSV_LAYOUTS: Record<Exclude<ImportFormat, 'jsonl'>, CsvLayout> = {
  'shopify-products': shopifyProductsLayout,
  'shopify-customers': shopifyCustomersLayout,
  woocommerce: woocommerceLayout,
};

/** The optional module a format writes into (customers belong to the core accounts module). */
export function moduleNeeded(format: ImportFormat): string | undefined {
  return format === 'shopify-customers' ? undefined : 'catalog';
}

/** The file's items; throws a 422 problem before returning when the file is not of the format. */
export async function openImport(format: ImportFormat, input: AsyncIterable<Uint8Array>, platform: Platform): Promise<AsyncGenerator<ImportItem>> {
  switch (format) {
    case 'shopify-products':
      return shopifyProducts(await openCsv(input, shopifyProductsLayout), platform);
    case 'shopify-customers':
      return shopifyCustomers(await openCsv(input, shopifyCustomersLayout));
    case 'woocommerce':
      return woocommerceProducts(await openCsv(input, woocommerceLayout), platform);
    case 'jsonl':
      return openSoukJsonl(input);
  }
}

export interface ImportProgress {
  rowsDone: number;
  counts: ImportCounts;
}

export interface ImportHooks {
  onError(error: ImportError): Promise<void> | void;
  /** Called at most every progressEveryMs while items flow, and once at the end. */
  onProgress?(progress: ImportProgress): Promise<void> | void;
  progressEveryMs?: number;
}

export interface ImportSummary {
  dryRun: boolean;
  rowsDone: number;
  counts: ImportCounts;
}

/** Reads items as they stream and writes them; a wrong file throws before anything is written. */
export async function runImport(target: ImportTarget, format: ImportFormat, input: AsyncIterable<Uint8Array>, hooks: ImportHooks): Promise<ImportSummary> {
  const items = await openImport(format, input, target.platform);
  const importer = new Importer(target, hooks.onError);
  const every = hooks.progressEveryMs ?? 250;
  let reported = Date.now();
  for await (const item of items) {
    await importer.add(item);
    if (hooks.onProgress && Date.now() - reported >= every) {
      reported = Date.now();
      await hooks.onProgress({ rowsDone: importer.rowsDone, counts: importer.counts });
    }
  }
  await importer.finish();
  await hooks.onProgress?.({ rowsDone: importer.rowsDone, counts: importer.counts });
  return { dryRun: target.dryRun, rowsDone: importer.rowsDone, counts: importer.counts };
}

/** The same bytes, counted as they pass (progress by bytes read of a file of known size). */
export async function* countingBytes(input: AsyncIterable<Uint8Array>, onBytes: (total: number) => void): AsyncGenerator<Uint8Array> {
  let total = 0;
  for await (const chunk of input) {
    total += chunk.length;
    onBytes(total);
    yield chunk;
  }
}
