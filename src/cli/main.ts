// souk start | migrate | platform apply <file> | platform list | help
import { startCommand } from './start.ts';
import { migrateCommand } from './migrate.ts';
import { platformCommand } from './platform.ts';
import { eventsCommand } from './events.ts';
import { flashSaleCommand } from './flash-sale.ts';

const USAGE = `Usage: souk <command>

  start                       run the server (migrates, seeds the demo on an empty database)
  migrate [--status]          apply pending database migrations, or list them
  platform apply <file>       create or update a platform from a YAML or JSON metadata file
  platform list               list platforms
  events …                    dead letters, replay, consumers, an event's chain (souk events help)
  flash-sale reconcile <id>   rebuild a sale's stock gate from its tickets if they differ
  help                        this text

platform commands work on the database directly; while a server holds the embedded database, add
--url http://localhost:3000 (with SOUK_API_KEY, or SOUK_ADMIN_EMAIL and SOUK_ADMIN_PASSWORD) to go through its API.
Settings come from environment variables; see the README.`;

const [command, ...rest] = process.argv.slice(2);

async function run(): Promise<number> {
  switch (command) {
    case 'start':
      return startCommand(rest);
    case 'migrate':
      return migrateCommand(rest);
    case 'platform':
      return platformCommand(rest);
    case 'events':
      return eventsCommand(rest);
    case 'flash-sale':
      return flashSaleCommand(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    default:
      console.error(`Unknown command "${command}".\n\n${USAGE}`);
      return 2;
  }
}

run().then(
  (code) => {
    if (code !== 0 || command !== 'start') process.exit(code);
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
