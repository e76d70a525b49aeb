// `npm run bench -- <scenario> [flags]`: runs one benchmark scenario, prints its tables and writes
// bench/results/<scenario>-<timestamp>.json. Every child process and scratch database the scenario
// creates is removed at the end, also on error, Ctrl+C and the overall deadline (--max-minutes).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CleanupStack } from './lib/cleanup.ts';
import { closeHttpAgent } from './lib/http.ts';
import { describeMachine, machineSummary } from './lib/machine.ts';
import { killAllNow } from './lib/processes.ts';
import { writeResultFile } from './lib/results.ts';
import type { CommonOptions, Scenario } from './lib/scenario.ts';
import type { Engine } from './lib/servers.ts';
import { renderMarkdown, renderText } from './lib/table.ts';
import { scenarios } from './scenarios/index.ts';

const COMMON_FLAGS = {
  duration: { type: 'string', default: '10' },
  connections: { type: 'string', default: '50' },
  rounds: { type: 'string', default: '1' },
  warmup: { type: 'string', default: '3' },
  'quiet-wait': { type: 'string', default: '60' },
  engines: { type: 'string', default: 'embedded,postgres' },
  'pg-admin-url': { type: 'string', default: process.env.BENCH_PG_ADMIN_URL ?? 'postgres://root@127.0.0.1:5432/test' },
  'souk-env': { type: 'string', default: '' },
  'max-minutes': { type: 'string', default: '90' },
  markdown: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} satisfies ParseArgsConfig['options'];

function usage(scenario?: Scenario): string {
  const lines = [
    'Usage: npm run bench -- <scenario> [flags]',
    '',
    'Scenarios:',
    ...Object.entries(scenarios).map(([name, s]) => `  ${name.padEnd(12)} ${s.summary}`),
    '',
    'Flags:',
    '  --duration <s>        measured seconds per target and round (default 10)',
    '  --connections <n>     concurrent keep-alive connections (default 50)',
    '  --rounds <n>          rounds per target, alternating targets; medians are reported (default 1)',
    '  --warmup <s>          unmeasured seconds per target before the first round (default 3; 0 = none)',
    '  --quiet-wait <s>      before each run, wait up to this long for other processes to leave the CPU (default 60; 0 = no wait)',
    '  --engines <list>      embedded,postgres (default both; postgres is skipped if unreachable)',
    '  --pg-admin-url <url>  admin connection for the scratch database (default postgres://root@127.0.0.1:5432/test)',
    '  --souk-env <list>     extra Souk environment, KEY=VALUE,… (e.g. SOUK_CATALOG_CACHE_TTL_MS=0)',
    '  --max-minutes <n>     abort and clean up after this long (default 90)',
    '  --markdown            also print the tables as Markdown (for docs/benchmarks.md)',
  ];
  if (scenario?.flags) lines.push('', `Flags of ${scenario.name}:`);
  for (const [name, flag] of Object.entries(scenario?.flags ?? {})) {
    lines.push(`  --${(flag.switch ? name : `${name} <n>`).padEnd(26)}${flag.description}${flag.switch ? "" : ` (default ${flag.default})`}`);
  }
  return lines.join('\n');
}

function positiveNumber(name: string, raw: string, integer: boolean): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`--${name} must be a non-negative ${integer ? 'integer' : 'number'}, got "${raw}"`);
  }
  return value;
}

function parseEnv(raw: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of raw.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--souk-env: "${pair}" is not KEY=VALUE`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

function parseEngines(raw: string): Engine[] {
  const engines = raw.split(',').map((e) => e.trim()).filter(Boolean);
  for (const engine of engines) {
    if (engine !== 'embedded' && engine !== 'postgres') throw new Error(`--engines: unknown engine "${engine}" (embedded, postgres)`);
  }
  return engines as Engine[];
}

async function main(argv: string[]): Promise<number> {
  // First pass: find the scenario name, so its own flags can join the strict second pass.
  const first = parseArgs({ args: argv, options: COMMON_FLAGS, strict: false, allowPositionals: true });
  const name = first.positionals[0];
  if (!name || first.values.help === true) {
    const entry = name ? scenarios[name] : undefined;
    console.log(usage(entry ? await entry.load() : undefined));
    return name || first.values.help === true ? 0 : 2;
  }
  const entry = scenarios[name];
  if (!entry) {
    console.error(`Unknown scenario "${name}".\n\n${usage()}`);
    return 2;
  }
  const scenario = await entry.load();
  const scenarioFlags: NonNullable<ParseArgsConfig['options']> = {};
  for (const [flag, spec] of Object.entries(scenario.flags ?? {})) {
    // A switch (--attack) takes no value; its flags entry is then "true" or "false".
    scenarioFlags[flag] = spec.switch ? { type: 'boolean', default: spec.default === 'true' } : { type: 'string', default: spec.default };
  }
  const { values } = parseArgs({ args: argv, options: { ...COMMON_FLAGS, ...scenarioFlags }, strict: true, allowPositionals: true });
  const str = (key: string) => String((values as Record<string, unknown>)[key]);

  const options: CommonOptions = {
    durationSeconds: positiveNumber('duration', str('duration'), false),
    connections: positiveNumber('connections', str('connections'), true),
    rounds: Math.max(1, positiveNumber('rounds', str('rounds'), true)),
    warmupSeconds: positiveNumber('warmup', str('warmup'), false),
    quietWaitSeconds: positiveNumber('quiet-wait', str('quiet-wait'), false),
    engines: parseEngines(str('engines')),
    pgAdminUrl: str('pg-admin-url'),
    soukEnv: parseEnv(str('souk-env')),
  };
  if (options.durationSeconds <= 0 || options.connections <= 0) throw new Error('--duration and --connections must be above 0');
  const flags: Record<string, string> = {};
  for (const flag of Object.keys(scenario.flags ?? {})) flags[flag] = str(flag);
  const maxMinutes = positiveNumber('max-minutes', str('max-minutes'), false);

  const cleanup = new CleanupStack();
  const machine = describeMachine();
  const startedAt = new Date();
  const command = `npm run bench -- ${argv.join(' ')}`;
  const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

  let interrupted = false;
  const abort = (reason: string, code: number) => {
    if (interrupted) {
      killAllNow();
      process.exit(code);
    }
    interrupted = true;
    console.error(`\n${reason}: cleaning up (again to force)…`);
    void cleanup.runAll().finally(() => {
      killAllNow();
      process.exit(code);
    });
  };
  process.on('SIGINT', () => abort('interrupted', 130));
  process.on('SIGTERM', () => abort('terminated', 143));
  process.on('exit', killAllNow);
  const deadline = setTimeout(() => abort(`deadline of ${maxMinutes} min reached`, 124), maxMinutes * 60_000);

  log(`bench ${name}: ${command}`);
  log(`machine: ${machineSummary(machine)}; the load generator runs on the same machine as the servers`);
  log(`settings: ${options.durationSeconds} s × ${options.rounds} round(s), ${options.connections} connections, warm-up ${options.warmupSeconds} s, engines ${options.engines.join(', ')}` +
      (Object.keys(options.soukEnv).length > 0 ? `, souk env ${JSON.stringify(options.soukEnv)}` : ''),
  );

  try {
    const report = await scenario.run({ options, flags, cleanup, machine, log });
    await cleanup.runAll();
    const finishedAt = new Date();
    console.log('');
    for (const table of report.tables) console.log(`${renderText(table)}\n`);
    if (report.notes.length > 0) console.log(`Notes:\n${report.notes.map((n) => `  - ${n}`).join('\n')}\n`);
    if (values.markdown === true) {
      for (const table of report.tables) console.log(`#### ${table.title}\n\n${renderMarkdown(table)}\n`);
    }
    const file = await writeResultFile(name, startedAt, {
      scenario: name,
      command,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      machine,
      options,
      flags,
      notes: report.notes,
      tables: report.tables,
      ...report.data,
    });
    log(`results written to ${file}`);
    return 0;
  } finally {
    clearTimeout(deadline);
    await cleanup.runAll();
    closeHttpAgent();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const isUsageError = error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS');
    if (isUsageError) console.error(`${error.message}\nSee: npm run bench -- --help`);
    else console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(isUsageError ? 2 : 1);
  },
);
