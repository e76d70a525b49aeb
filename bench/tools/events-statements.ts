// Counts the database work behind each event: statements (a transaction adds begin and commit) and
// transactions per event, split into emit, relay, delivery and the rest, for N events emitted one per
// transaction by 8 concurrent clients and handled by one consumer. PostgreSQL only (a scratch database
// is created and dropped); JetStream when NATS_URL is set and --transport=jetstream (a scratch stream).
// Also prints the rows inserted and deleted per event from pg_stat_user_tables, and the CPU per event of
// this process (Souk and the emitting clients) and of the scratch database's backends (from /proc; the
// WAL writer and other shared PostgreSQL processes are not in it).
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test NATS_URL=nats://127.0.0.1:4222 \
//     node --import tsx bench/tools/events-statements.ts --transport=jetstream --events=2000 [--per-tx=1]
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Database } from '../../src/kernel/db/types.ts';
import { countedDatabase } from '../lib/counted-db.ts';
import { openPostgres } from '../../src/kernel/db/postgres.ts';
import { createSouk } from '../../src/server.ts';
import { createTempPostgres, testConfig } from '../../test/harness.ts';
import { deleteStream } from '../events/jetstream-admin.ts';

const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const transport = arg('transport', 'embedded') as 'embedded' | 'jetstream';
const total = Number(arg('events', '2000'));
const perTx = Number(arg('per-tx', '1'));
/**
 * --backlog: the events are emitted first, with the bus stopped, then the bus starts and drains them; the
 * counts and CPU are those of the relay and the deliveries alone, at full batches.
 */
const backlog = process.argv.includes('--backlog');
if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL must point at a PostgreSQL server (a scratch database is made there)');

/** The statements of each part, by the first words of their text. */
const counts = new Map<string, number>();
let part = 'other';
const count = (text: string) => {
  const key = `${part}: ${text.replace(/\s+/g, ' ').trim().slice(0, 70)}`;
  counts.set(key, (counts.get(key) ?? 0) + 1);
};
/** A transaction's end counts for the part that began it, whatever ran in between. */
const note = (text: string) => {
  count(text);
  if (text !== 'begin') return undefined;
  const mine = part;
  return (end: string) => {
    part = mine;
    count(end);
  };
};

/** The caller's stack, deep enough to see the bus function behind the statement (other errors keep the default depth). */
function callerStack(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 50;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  return stack;
}

/** Which part of the bus a statement belongs to, from the stack of its caller. */
function partOf(stack: string): string {
  if (stack.includes('emitTransaction')) return 'emit';
  if (stack.includes('relayOutbox')) return 'relay';
  if (stack.includes('deliverBatch') || stack.includes('tick')) return 'deliver';
  return 'other';
}

const temp = await createTempPostgres();
const raw = await openPostgres(temp.url, 10);
const base = countedDatabase(raw, note);
// The part is read from the call stack at the moment the statement is issued.
const database: Database = {
  ...base,
  query: (text, params) => ((part = partOf(callerStack())), base.query(text, params)),
  execute: (text, params) => ((part = partOf(callerStack())), base.execute(text, params)),
  transaction: (fn) => {
    part = partOf(callerStack());
    const mine = part;
    return base.transaction((tx) =>
      fn({
        query: (text, params) => ((part = mine), tx.query(text, params)),
        execute: (text, params) => ((part = mine), tx.execute(text, params)),
        script: (sql) => ((part = mine), tx.script(sql)),
      }),
    );
  },
};
const tag = randomBytes(4).toString('hex');
const stream = `SOUK_COUNT_${tag.toUpperCase()}`;
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const souk = await createSouk({
  database,
  logger: false,
  config: {
    ...testConfig,
    seedDemo: false,
    databaseUrl: temp.url,
    eventsWorker: !backlog,
    eventsTransport: transport,
    ...(transport === 'jetstream' ? { natsUrl, natsStream: stream, natsSubjectPrefix: `souk_count.${tag}` } : {}),
  },
});
const platformId = randomUUID();
let handled = 0;
souk.events.subscribe('count.events', ['count.*'], async () => {
  handled += 1;
});
// The module consumers on the bus (webhooks and others) see these events too; their work counts as well.
const stats = () =>
  raw.query<{ relname: string; ins: number; del: number }>(
    `select relname, n_tup_ins::int as ins, n_tup_del::int as del from pg_stat_user_tables where relname like 'event\\_%'`,
  );
/** CPU ms (user + system) of each backend connected to the scratch database, read from /proc. */
async function backendCpuMs(): Promise<Map<number, number>> {
  const pids = await raw.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database()');
  const cpu = new Map<number, number>();
  for (const { pid } of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Clock ticks of 10 ms (USER_HZ 100 on Linux).
    cpu.set(pid, (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) * 10);
  }
  return cpu;
}

/** CPU the backends used since `before` (a backend that ended in between is not counted). */
async function backendCpuSince(before: Map<number, number>): Promise<number> {
  let ms = 0;
  for (const [pid, now] of await backendCpuMs()) ms += now - (before.get(pid) ?? 0);
  return ms;
}

try {
  await new Promise((resolve) => setTimeout(resolve, 500));
  let emitted = 0;
  async function emitTransaction(): Promise<void> {
    await souk.ctx.transaction(async (tx) => {
      for (let k = 0; k < perTx; k++) await souk.events.emit(tx.platform(platformId), 'count.emitted', { k });
    });
  }
  const emitAll = () =>
    Promise.all(
      Array.from({ length: 8 }, async () => {
        while (emitted < total) {
          emitted += perTx;
          await emitTransaction();
        }
      }),
    );
  if (backlog) await emitAll();
  counts.clear();
  const before = await stats();
  const pgCpuBefore = await backendCpuMs();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  // For a CPU profile (--cpu-prof) of the busy part only: process time at the start and the end.
  console.log(`busy from ${process.uptime().toFixed(2)} s`);
  if (backlog) await souk.events.start(souk.events.requireTransport(), true);
  else await emitAll();
  while (handled < emitted) await new Promise((resolve) => setTimeout(resolve, 10));
  const seconds = (performance.now() - started) / 1000;
  console.log(`busy until ${process.uptime().toFixed(2)} s`);
  const cpu = process.cpuUsage(cpuBefore);
  const pgCpu = await backendCpuSince(pgCpuBefore);
  // pg_stat counters are sent at transaction end with a delay; give them a moment.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const after = await stats();
  console.log(`${transport}${backlog ? ', backlog drained' : ''}: ${emitted} events (${perTx}/tx) handled in ${seconds.toFixed(2)} s`);
  console.log(`  CPU per event: this process ${((cpu.user + cpu.system) / 1000 / emitted).toFixed(3)} ms, database backends ${(pgCpu / emitted).toFixed(3)} ms`);
  const byPart = new Map<string, number>();
  for (const [key, n] of counts) {
    const p = key.split(':')[0]!;
    byPart.set(p, (byPart.get(p) ?? 0) + n);
  }
  for (const [p, n] of byPart) console.log(`  ${p}: ${(n / emitted).toFixed(3)} statements per event`);
  console.log(`  all: ${([...counts.values()].reduce((a, b) => a + b, 0) / emitted).toFixed(3)} statements per event`);
  for (const [key, n] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`    ${(n / emitted).toFixed(3)}  ${key}`);
  for (const row of after) {
    const b = before.find((r) => r.relname === row.relname);
    const ins = row.ins - (b?.ins ?? 0);
    const del = row.del - (b?.del ?? 0);
    if (ins || del) console.log(`  ${row.relname}: ${(ins / emitted).toFixed(3)} rows inserted, ${(del / emitted).toFixed(3)} deleted per event`);
  }
} finally {
  await souk.close();
  await raw.close();
  await temp.drop();
  if (transport === 'jetstream') await deleteStream(natsUrl, stream);
}
