// `souk import <file> --platform SLUG --format F [--dry-run] [--report FILE] [--url URL]`: brings a
// Shopify or WooCommerce export (or a Souk JSON lines export) into a platform, with a progress bar.
// Without --url it works on the database directly (like `souk platform apply`); with --url it uploads
// the file to a running server as an import job and follows the job.
import { createReadStream, createWriteStream, statSync, type WriteStream } from 'node:fs';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import cliProgress from 'cli-progress';
import { stringify } from 'csv-stringify/sync';
import { createSouk } from '../server.ts';
import { loadConfig } from '../kernel/config.ts';
import { HttpProblem } from '../kernel/http/problem.ts';
import { countingBytes, IMPORT_FORMATS, isImportFormat, runImport, type ImportCounts, type ImportError, type ImportFormat } from '../modules/migration/index.ts';
import { ApiClient, option } from './api-client.ts';
import { announceDatabase } from './database-target.ts';

export const importUsage = (): string => `Usage:
  souk import <file> --platform SLUG --format FORMAT [--dry-run] [--report FILE] [--url URL] [--yes]

Formats: ${IMPORT_FORMATS.join(', ')}
  shopify-products   Shopify's product CSV export (several rows per product)
  shopify-customers  Shopify's customer CSV export
  woocommerce        WooCommerce's product CSV export (simple and variable products)
  jsonl              Souk's own JSON lines (souk export --format jsonl)

Products are matched by handle and variants by SKU, customers by email, coupons by code and orders
(jsonl only, imported as history: no stock moves, no events) by number: running the same file again
changes nothing. --dry-run counts what would be created, updated and refused and writes nothing.
--report FILE writes every refused row (row numbers, handle/SKU/email, reason) as CSV.
Without --url the command opens the database itself (DATABASE_URL, else SOUK_DATA_DIR; --yes allows
creating an empty embedded one); while a server holds the embedded database, add --url to upload the
file to it as an import job.`;

interface Report {
  write(error: ImportError): void;
  close(): Promise<void>;
  count: number;
  first: ImportError[];
}

function openReport(file: string | undefined): Report {
  const stream: WriteStream | undefined = file ? createWriteStream(file) : undefined;
  stream?.write(stringify([['first_row', 'last_row', 'key', 'reason']]));
  const report: Report = {
    count: 0,
    first: [],
    write(error) {
      report.count += 1;
      if (report.first.length < 20) report.first.push(error);
      stream?.write(stringify([[error.firstRow, error.lastRow, error.key ?? '', error.reason]]));
    },
    close: () => new Promise<void>((resolve, reject) => (stream ? stream.end((error?: Error | null) => (error ? reject(error) : resolve())) : resolve())),
  };
  return report;
}

function progressBar(total: number): { update(done: number, counts: ImportCounts, rows: number): void; stop(): void } {
  if (!process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: '{bar} {percentage}% | row {rows} | {created} new, {updated} updated, {refused} refused | {eta_formatted} left',
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { rows: 0, created: 0, updated: 0, refused: 0 });
  return {
    update: (done, counts, rows) =>
      bar.update(done, {
        rows,
        created: counts.products.created + counts.customers.created + counts.coupons.created + counts.orders.created,
        updated: counts.products.updated + counts.customers.updated + counts.coupons.updated,
        refused: counts.refused,
      }),
    stop: () => bar.stop(),
  };
}

function printSummary(counts: ImportCounts, rows: number, dryRun: boolean, report: Report, reportFile: string | undefined): void {
  const c = (x: { created: number; updated: number; unchanged: number }) => `${x.created} created, ${x.updated} updated, ${x.unchanged} unchanged`;
  console.log(`${dryRun ? 'Dry run (nothing written): would import' : 'Imported'} ${rows > 0 ? `rows up to ${rows}` : 'nothing'}:`);
  if (counts.products.created + counts.products.updated + counts.products.unchanged > 0) {
    console.log(`  products:   ${c(counts.products)}`);
    console.log(`  variants:   ${c(counts.variants)}`);
    console.log(`  stock:      ${counts.stock.set} set, ${counts.stock.unchanged} already right`);
  }
  if (counts.categories.created + counts.categories.updated + counts.categories.unchanged > 0) console.log(`  categories: ${c(counts.categories)}`);
  if (counts.customers.created + counts.customers.updated + counts.customers.unchanged > 0) console.log(`  customers:  ${c(counts.customers)}`);
  if (counts.coupons.created + counts.coupons.updated + counts.coupons.unchanged > 0) console.log(`  coupons:    ${c(counts.coupons)}`);
  if (counts.orders.created + counts.orders.unchanged > 0) console.log(`  orders:     ${counts.orders.created} created, ${counts.orders.unchanged} already there`);
  if (counts.skipped > 0) console.log(`  skipped:    ${counts.skipped} records this import does not write (the platform's settings)`);
  console.log(`  refused:    ${counts.refused}${counts.refused > 0 ? (reportFile ? ` (every one in ${reportFile})` : ' (add --report FILE for all of them)') : ''}`);
  for (const e of report.first) console.log(`    row ${e.firstRow}${e.lastRow !== e.firstRow ? `-${e.lastRow}` : ''}${e.key ? ` (${e.key})` : ''}: ${e.reason}`);
  if (report.count > report.first.length) console.log(`    … and ${report.count - report.first.length} more`);
}

async function direct(args: string[], file: string, slug: string, format: ImportFormat, dryRun: boolean, reportFile: string | undefined): Promise<number> {
  if (!announceDatabase(loadConfig(), args, 'import')) return 2;
  const souk = await createSouk({ logger: false, config: { seedDemo: false, platformRefreshMs: 0, eventsWorker: false } });
  const report = openReport(reportFile);
  try {
    const platform = souk.ctx.platforms.bySlug(slug) ?? souk.ctx.platforms.byId(slug);
    if (!platform) {
      console.error(`There is no platform "${slug}" (souk platform list shows them).`);
      return 1;
    }
    if (format !== 'shopify-customers' && !platform.modules.includes('catalog')) {
      console.error(`Platform ${platform.slug} has the catalog module off; a ${format} import writes products.`);
      return 1;
    }
    const total = statSync(file).size;
    const bar = progressBar(total);
    let bytes = 0;
    const input = countingBytes(createReadStream(file), (n) => (bytes = n));
    try {
      const summary = await runImport(
        { deps: souk.ctx, platform, pdb: souk.ctx.platformDb(platform.id), dryRun, actor: { id: 'system', label: 'souk import' }, reference: `import:${basename(file)}` },
        format,
        input,
        { onError: (error) => report.write(error), onProgress: ({ counts, rowsDone }) => bar.update(bytes, counts, rowsDone), progressEveryMs: 100 },
      );
      bar.update(total, summary.counts, summary.rowsDone);
      bar.stop();
      await report.close();
      printSummary(summary.counts, summary.rowsDone, dryRun, report, reportFile);
      return 0;
    } catch (error) {
      bar.stop();
      if (error instanceof HttpProblem) {
        console.error(`Cannot import ${file}: ${error.detail}`);
        return 2;
      }
      throw error;
    }
  } finally {
    await report.close().catch(() => undefined);
    await souk.close();
  }
}

interface JobView {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  progress: { bytesDone: number; bytesTotal: number; rowsDone: number };
  counts: ImportCounts;
  errorsTotal: number;
  failure: string | null;
}

async function viaServer(api: ApiClient, file: string, slug: string, format: ImportFormat, dryRun: boolean, reportFile: string | undefined): Promise<number> {
  await api.announce();
  const base = `/admin/platforms/${encodeURIComponent(slug)}/migration/imports`;
  const query = new URLSearchParams({ format, fileName: basename(file).slice(0, 200), ...(dryRun ? { dryRun: 'true' } : {}) });
  const started = await api.fetch('POST', `${base}?${query}`, {
    body: () => Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>,
    contentType: format === 'jsonl' ? 'application/x-ndjson' : 'text/csv',
  });
  if (started.status === 422 || started.status === 413) {
    const problem = (await started.json()) as { detail: string };
    console.error(`Cannot import ${file}: ${problem.detail}`);
    return 2;
  }
  let job = (await (await ApiClient.ensureOk(started, `POST ${base}`)).json()) as JobView;
  console.error(`souk: import job ${job.id}`);
  const bar = progressBar(job.progress.bytesTotal);
  while (job.status === 'queued' || job.status === 'running') {
    await new Promise((resolve) => setTimeout(resolve, 300));
    job = (await api.call('GET', `${base}/${job.id}`)) as JobView;
    bar.update(job.progress.bytesDone, job.counts, job.progress.rowsDone);
  }
  bar.stop();
  const report = openReport(reportFile);
  for (let after = 0; ; ) {
    const page = (await api.call('GET', `${base}/${job.id}/errors?after=${after}&limit=1000`)) as { items: (ImportError & { seq: number })[]; nextAfter: number | null };
    for (const error of page.items) report.write(error);
    if (page.nextAfter === null) break;
    after = page.nextAfter;
  }
  await report.close();
  if (job.status === 'failed') {
    console.error(`The import job failed: ${job.failure}`);
    printSummary(job.counts, job.progress.rowsDone, dryRun, report, reportFile);
    return 1;
  }
  printSummary(job.counts, job.progress.rowsDone, dryRun, report, reportFile);
  if (job.errorsTotal > report.count) console.log(`  (the server keeps the first ${report.count} of ${job.errorsTotal} refused rows)`);
  return 0;
}

export async function importCommand(args: string[]): Promise<number> {
  const [file] = args;
  if (file === undefined || file === 'help' || args.includes('--help')) {
    console.log(importUsage());
    return file === undefined ? 2 : 0;
  }
  const slug = option(args, '--platform');
  const format = option(args, '--format') ?? '';
  if (file.startsWith('--') || !slug || !isImportFormat(format)) {
    console.error(`${!slug ? '--platform is needed. ' : ''}${!isImportFormat(format) ? `--format must be one of ${IMPORT_FORMATS.join(', ')}. ` : ''}\n${importUsage()}`);
    return 2;
  }
  try {
    statSync(file);
  } catch {
    console.error(`Cannot read ${file}.`);
    return 2;
  }
  const dryRun = args.includes('--dry-run');
  const reportFile = option(args, '--report');
  const url = option(args, '--url')?.replace(/\/+$/, '');
  return url ? viaServer(new ApiClient(url), file, slug, format, dryRun, reportFile) : direct(args, file, slug, format, dryRun, reportFile);
}
