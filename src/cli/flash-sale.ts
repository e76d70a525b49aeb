// `souk flash-sale reconcile <saleId>`: compares a sale's stock gate with its tickets and rebuilds the gate
// if they differ. The in-process gate lives inside the server, so by default this goes through the
// running server's admin API (--url, default $SOUK_URL or http://localhost:$PORT). With REDIS_URL set and --direct,
// it works on the database and Redis itself (the gate is shared, so any process can rebuild it).
import { createSouk } from '../server.ts';
import { isUuid } from '../kernel/ids.ts';
import { HttpProblem } from '../kernel/http/problem.ts';
import { flashSalesModule, reconcileSale } from '../modules/flash-sales/index.ts';
import { ApiClient, defaultServerUrl, option, serverUrl } from './api-client.ts';
import { loadConfig } from '../kernel/config.ts';
import { announceDatabase } from './database-target.ts';

export const flashSaleUsage = (): string => `Usage:
  souk flash-sale reconcile <saleId> [--platform SLUG] [--url URL]   through a running server's admin API
  souk flash-sale reconcile <saleId> [--platform SLUG] --direct      on the database and Redis (REDIS_URL) directly
The server is --url (default ${defaultServerUrl()}); the CLI uses SOUK_API_KEY, the session saved by
\`souk login\`, or SOUK_ADMIN_EMAIL/SOUK_ADMIN_PASSWORD (logging in once). Without --platform, every
platform with the flash-sales module is searched for the sale.`;

interface Report {
  saleId: string;
  repaired: boolean;
  reason: string;
  lostUnitsReturned: number;
  activeUnits: number;
  pendingTickets: number;
  epoch: number;
  before: { remaining: Record<string, number> } | null;
  after: { remaining: Record<string, number> } | null;
}

function print(report: Report, platform: string): void {
  console.log(`Sale ${report.saleId} on ${platform}: ${report.repaired ? `gate rebuilt (${report.reason}), epoch ${report.epoch}` : `no rebuild (${report.reason})`}`);
  console.log(`  active units ${report.activeUnits}, tickets waiting for their order ${report.pendingTickets}, lost units returned ${report.lostUnitsReturned}`);
  console.log(`  gate remaining before: ${JSON.stringify(report.before?.remaining ?? null)}`);
  console.log(`  gate remaining after:  ${JSON.stringify(report.after?.remaining ?? null)}`);
}

async function viaServer(args: string[], saleId: string): Promise<number> {
  const api = new ApiClient(serverUrl(args));
  await api.announce();
  const viaApi = (method: string, path: string) => api.call(method, path);
  const given = option(args, '--platform');
  const candidates = given
    ? [given]
    : ((await viaApi('GET', '/admin/platforms')) as { items: Array<{ slug: string; modules: string[] }> }).items.filter((p) => p.modules.includes('flash-sales')).map((p) => p.slug);
  for (const slug of candidates) {
    const path = `/admin/platforms/${encodeURIComponent(slug)}/flash-sales/${saleId}`;
    try {
      await viaApi('GET', path);
    } catch (error) {
      if (!given && /\(404\)/.test((error as Error).message)) continue;
      throw error;
    }
    print((await viaApi('POST', `${path}/reconcile`)) as Report, slug);
    return 0;
  }
  console.error(`No platform${given ? ` "${given}"` : ''} has flash sale ${saleId}.`);
  return 1;
}

async function direct(args: string[], saleId: string): Promise<number> {
  if (!process.env.REDIS_URL) {
    console.error('--direct needs REDIS_URL: the in-process gate lives in the server; reconcile through it with --url instead.');
    return 2;
  }
  if (!announceDatabase(loadConfig(), args, 'flash-sale reconcile --direct')) return 2;
  // No event worker: this process only reconciles, it must not drain or run timers.
  const souk = await createSouk({ logger: false, config: { seedDemo: false, platformRefreshMs: 0, eventsWorker: false } });
  try {
    const given = option(args, '--platform');
    const platforms = souk.ctx.platforms.all().filter((p) => (given ? p.slug === given || p.id === given : p.modules.includes('flash-sales')));
    for (const platform of platforms) {
      try {
        print(await reconcileSale(souk.runtimeOf(flashSalesModule), souk.ctx.platformDb(platform.id), saleId), platform.slug);
        return 0;
      } catch (error) {
        if (error instanceof HttpProblem && error.status === 404) continue;
        throw error;
      }
    }
    console.error(`No platform${given ? ` "${given}"` : ''} has flash sale ${saleId}.`);
    return 1;
  } finally {
    await souk.close();
  }
}

export async function flashSaleCommand(args: string[]): Promise<number> {
  const [sub, saleId] = args;
  if (sub === undefined || sub === 'help' || args.includes('--help')) {
    console.log(flashSaleUsage());
    return 0;
  }
  if (sub !== 'reconcile' || !saleId || !isUuid(saleId)) {
    console.error(flashSaleUsage());
    return 2;
  }
  return args.includes('--direct') ? direct(args, saleId.toLowerCase()) : viaServer(args, saleId.toLowerCase());
}
