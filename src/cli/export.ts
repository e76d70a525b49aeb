// `souk export --platform SLUG --format jsonl|csv [--kind K] [--out FILE] [--url URL]`: a platform's
// products, customers, coupons, orders and settings, streamed to a file (or standard output), directly
// from the database or, with --url, from a running server's admin API.
import { createWriteStream } from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createSouk } from '../server.ts';
import { loadConfig } from '../kernel/config.ts';
import { EXPORT_KINDS, exportCsv, exportJsonLines, isExportKind, type ExportKind } from '../modules/migration/index.ts';
import { ApiClient, option } from './api-client.ts';
import { announceDatabase } from './database-target.ts';

export const exportUsage = (): string => `Usage:
  souk export --platform SLUG --format jsonl|csv [--kind KIND] [--out FILE] [--url URL] [--yes]

Kinds: ${EXPORT_KINDS.join(', ')}. JSON lines hold every kind (or the one named); a CSV file holds one
kind (products and customers in Shopify's layouts, which \`souk import\` reads back). Without --out the
export goes to standard output. Without --url the command opens the database itself; while a server
holds the embedded database, add --url.`;

function sink(out: string | undefined): Writable {
  return out ? createWriteStream(out) : process.stdout;
}

export async function exportCommand(args: string[]): Promise<number> {
  if (args[0] === 'help' || args.includes('--help')) {
    console.log(exportUsage());
    return 0;
  }
  const slug = option(args, '--platform');
  const format = option(args, '--format');
  const kind = option(args, '--kind');
  if (!slug || (format !== 'jsonl' && format !== 'csv') || (kind !== undefined && !isExportKind(kind)) || (format === 'csv' && !kind)) {
    console.error(`${format === 'csv' && !kind ? 'A CSV export needs --kind. ' : ''}\n${exportUsage()}`);
    return 2;
  }
  const out = option(args, '--out');
  const url = option(args, '--url')?.replace(/\/+$/, '');
  if (url) {
    const api = new ApiClient(url);
    await api.announce();
    const path = `/admin/platforms/${encodeURIComponent(slug)}/migration/export?${new URLSearchParams({ format, ...(kind ? { kind } : {}) })}`;
    const res = await ApiClient.ensureOk(await api.fetch('GET', path), `GET ${path}`);
    await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>), sink(out));
    if (out) console.error(`souk: exported to ${out}`);
    return 0;
  }
  if (!announceDatabase(loadConfig(), args, 'export')) return 2;
  const souk = await createSouk({ logger: false, config: { seedDemo: false, platformRefreshMs: 0, eventsWorker: false } });
  try {
    const platform = souk.ctx.platforms.bySlug(slug) ?? souk.ctx.platforms.byId(slug);
    if (!platform) {
      console.error(`There is no platform "${slug}" (souk platform list shows them).`);
      return 1;
    }
    const source = { deps: souk.ctx, platform, pdb: souk.ctx.platformDb(platform.id) };
    const lines = format === 'jsonl' ? exportJsonLines(source, kind ? [kind as ExportKind] : EXPORT_KINDS) : exportCsv(source, kind as ExportKind);
    await pipeline(Readable.from(lines), sink(out));
    if (out) console.error(`souk: exported ${platform.slug} to ${out}`);
    return 0;
  } finally {
    await souk.close();
  }
}
