// souk start | migrate | platform | import | export | db | events | flash-sale | live | media | risk | secrets | gateway | canary | login | logout | help
// Each command's module is imported only when it runs, so `souk --help` loads none of the server.
import { defaultServerUrl } from './api-client.ts';

const usage = (): string => `Usage: souk <command>

  start [--allow-private-webhooks]   run the server (migrates, seeds the demo on an empty database)
  migrate [--status] [--yes]         apply pending database migrations, or list them
  platform apply <file> [--url URL]  create or update a platform from a YAML or JSON metadata file
  platform list [--url URL]          list platforms
  import <file> --platform P --format F   import a Shopify / WooCommerce export or Souk JSON lines (souk import help)
  export --platform P --format jsonl|csv  export a platform's products, customers, coupons, orders, settings
  db move --to URL --mode full-stop  move the stopped shop's database to an empty PostgreSQL, verified (souk db help)
  events …                           dead letters, replay, consumers, an event's chain (souk events help)
  flash-sale reconcile <id>          rebuild a sale's stock gate from its tickets if they differ
  live watch <roomId>                join a live room as a viewer and print it (--token to chat too)
  media config [--out FILE]          the nginx-rtmp configuration for live ingest, HLS and recordings (souk media help)
  risk …                             policies, shadow, lists, decisions, backtests (souk risk help)
  secrets generate-key|status|rotate the key sealing stored secrets: a new one, what it seals, re-seal after a change
  gateway                            run the canary gateway in front of API tracks (souk gateway help)
  canary …                           routing policies of the gateway: set, status, rollback, dry-run (souk canary help)
  login [--url URL] / logout         save an admin session for --url commands / end and delete it
  help                               this text (every command also takes help or --help)

Commands without --url work on the database directly (DATABASE_URL, else embedded PGlite in
SOUK_DATA_DIR); while a server holds the embedded database, add --url ${defaultServerUrl()} to go
through its API (logged in with \`souk login\`, SOUK_API_KEY, or SOUK_ADMIN_EMAIL and SOUK_ADMIN_PASSWORD).
Each command's first line (on stderr) names the database or server it talks to.
Settings come from environment variables; see the README and .env.example.`;

const [command, ...rest] = process.argv.slice(2);

async function run(): Promise<number> {
  switch (command) {
    case 'start':
      return (await import('./start.ts')).startCommand(rest);
    case 'migrate':
      return (await import('./migrate.ts')).migrateCommand(rest);
    case 'platform':
      return (await import('./platform.ts')).platformCommand(rest);
    case 'import':
      return (await import('./import.ts')).importCommand(rest);
    case 'export':
      return (await import('./export.ts')).exportCommand(rest);
    case 'db':
      return (await import('./db.ts')).dbCommand(rest);
    case 'events':
      return (await import('./events.ts')).eventsCommand(rest);
    case 'flash-sale':
      return (await import('./flash-sale.ts')).flashSaleCommand(rest);
    case 'live':
      return (await import('./live.ts')).liveCommand(rest);
    case 'media':
      return (await import('./media.ts')).mediaCommand(rest);
    case 'risk':
      return (await import('./risk.ts')).riskCommand(rest);
    case 'secrets':
      return (await import('./secrets.ts')).secretsCommand(rest);
    case 'gateway':
      return (await import('./gateway.ts')).gatewayCommand(rest);
    case 'canary':
      return (await import('./canary.ts')).canaryCommand(rest);
    case 'login':
      return (await import('./session.ts')).loginCommand(rest);
    case 'logout':
      return (await import('./session.ts')).logoutCommand(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(usage());
      return 0;
    default:
      console.error(`Unknown command "${command}".\n\n${usage()}`);
      return 2;
  }
}

run().then(
  (code) => {
    if (code !== 0 || (command !== 'start' && command !== 'gateway')) process.exit(code);
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
