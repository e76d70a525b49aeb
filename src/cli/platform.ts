// `souk platform apply <file>` and `souk platform list`, directly on the database or, with --url,
// through a running server's admin API (needed while that server holds the embedded database).
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { createSouk } from '../server.ts';
import { applyPlatform } from '../modules/platforms/service.ts';
import { HttpProblem } from '../kernel/http/problem.ts';
import { loadConfig } from '../kernel/config.ts';
import { ApiClient, option } from './api-client.ts';
import { announceDatabase } from './database-target.ts';

export const PLATFORM_USAGE = `Usage:
  souk platform apply <file.yaml|file.json> [--url URL] [--yes]
  souk platform list [--url URL] [--yes]
With --url, through a running server's admin API (needed while it holds the embedded database); without,
on the database directly (DATABASE_URL or SOUK_DATA_DIR). --yes allows creating a new embedded database.`;

/** The direct-database path: say which database, and refuse to create an empty one without --yes. */
function directConfigAllowed(args: string[], command: string): boolean {
  return announceDatabase(loadConfig(), args, command);
}

function readMetadata(file: string): unknown {
  const text = readFileSync(file, 'utf8');
  return file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
}

function report(result: { action: string; platform: { slug: string; hosts: string[] }; publishableKey?: string }): void {
  console.log(`${result.action}: platform ${result.platform.slug} (hosts: ${result.platform.hosts.join(', ') || 'none'})`);
  if (result.publishableKey) console.log(`publishable key (shown once): ${result.publishableKey}`);
}

export async function platformCommand(args: string[]): Promise<number> {
  const [sub, file] = args;
  const url = option(args, '--url')?.replace(/\/+$/, '');
  const api = url ? new ApiClient(url) : undefined;
  if (sub === 'help' || args.includes('--help')) {
    console.log(PLATFORM_USAGE);
    return 0;
  }
  if (sub === 'apply' && file && !file.startsWith('--')) {
    const metadata = readMetadata(file);
    if (api) {
      await api.announce();
      report((await api.call('PUT', '/admin/platforms', metadata)) as Parameters<typeof report>[0]);
      return 0;
    }
    if (!directConfigAllowed(args, 'platform apply')) return 2;
    const souk = await createSouk({ logger: false, config: { seedDemo: false, platformRefreshMs: 0 } });
    try {
      report(await applyPlatform({ db: souk.ctx.db, directory: souk.ctx.platforms, events: souk.ctx.events, modules: souk.modules }, metadata));
      return 0;
    } catch (error) {
      if (error instanceof HttpProblem) {
        console.error(`Cannot apply ${file}: ${error.detail}`);
        return 1;
      }
      throw error;
    } finally {
      await souk.close();
    }
  }
  if (sub === 'list') {
    type Row = { slug: string; name: string; status: string; defaultCurrency: string; hosts: string[]; modules: string[] };
    let platforms: Row[];
    if (api) {
      await api.announce();
      platforms = ((await api.call('GET', '/admin/platforms')) as { items: Row[] }).items;
    } else {
      if (!directConfigAllowed(args, 'platform list')) return 2;
      const souk = await createSouk({ logger: false, config: { seedDemo: false, platformRefreshMs: 0 } });
      platforms = souk.ctx.platforms.all();
      await souk.close();
    }
    for (const p of platforms) {
      console.log(`${p.slug.padEnd(24)} ${p.status.padEnd(9)} ${p.defaultCurrency}  ${p.name}  hosts=${p.hosts.join(',') || '-'}  modules=${p.modules.join(',') || '-'}`);
    }
    if (platforms.length === 0) console.log('No platforms yet.');
    return 0;
  }
  console.error(PLATFORM_USAGE);
  return 2;
}
