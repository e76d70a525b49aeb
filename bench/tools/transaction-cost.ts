// CPU per transaction of the PostgreSQL driver layer (kernel/db/postgres.ts), this checkout's against
// another's (`--against <checkout>`, e.g. a `git worktree add` of main): blocks of the same two-statement
// transaction (insert … returning, update, commit) alternate between the two, one pooled connection each,
// so that whatever else runs on the machine weighs on both alike. Prints, per side, this process's CPU
// (the driver's JavaScript and socket calls), its backend's CPU (read from /proc) and the wall time.
//   DATABASE_URL=postgres://root@127.0.0.1:5432/test node --import tsx bench/tools/transaction-cost.ts --against /tmp/main-old [--blocks 10] [--per-block 400]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import type { Database } from '../../src/kernel/db/types.ts';
import { openPostgres } from '../../src/kernel/db/postgres.ts';
import { createTempPostgres } from '../../test/harness.ts';

const { values: args } = parseArgs({
  options: { against: { type: 'string' }, blocks: { type: 'string', default: '10' }, 'per-block': { type: 'string', default: '400' } },
});
if (!process.env.DATABASE_URL || !args.against) throw new Error('needs DATABASE_URL and --against <checkout>');
const blocks = Number(args.blocks);
const perBlock = Number(args['per-block']);

/** CPU ms of a process so far (utime + stime, USER_HZ 100). */
function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

interface Side {
  name: string;
  db: Database;
  backend: number;
  souk: number;
  database: number;
  wall: number;
}

const temp = await createTempPostgres();
const other = (await import(resolve(args.against, 'src/kernel/db/postgres.ts'))) as { openPostgres: typeof openPostgres };
const sides: Side[] = [];
try {
  for (const [name, open] of [['this checkout', openPostgres], [args.against, other.openPostgres]] as const) {
    const db = await open(temp.url, 1);
    const [row] = await db.query<{ pid: number }>('select pg_backend_pid() as pid');
    sides.push({ name, db, backend: row!.pid, souk: 0, database: 0, wall: 0 });
  }
  await sides[0]!.db.script('create table cost_t (id bigserial primary key, v int not null)');
  const transaction = (db: Database, i: number) =>
    db.transaction(async (tx) => {
      const [row] = await tx.query<{ id: number }>('insert into cost_t (v) values ($1) returning id', [i]);
      await tx.execute('update cost_t set v = v + 1 where id = $1', [row!.id]);
    });
  // Warm-up: statements prepared, JIT warm, on both sides.
  for (const side of sides) for (let i = 0; i < 200; i += 1) await transaction(side.db, i);
  for (let block = 0; block < blocks; block += 1) {
    for (const side of block % 2 === 0 ? sides : [...sides].reverse()) {
      const cpu = process.cpuUsage();
      const database = processCpuMs(side.backend);
      const started = performance.now();
      for (let i = 0; i < perBlock; i += 1) await transaction(side.db, i);
      side.wall += performance.now() - started;
      const used = process.cpuUsage(cpu);
      side.souk += (used.user + used.system) / 1000;
      side.database += processCpuMs(side.backend) - database;
    }
  }
  const n = blocks * perBlock;
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`${n} transactions per side (insert … returning, update, commit), ${new Date().toISOString()}, load average ${load}`);
  console.log('side                               Souk µs/tx  backend µs/tx  wall µs/tx');
  for (const s of sides) {
    console.log(`${s.name.padEnd(34)} ${(s.souk * 1000 / n).toFixed(0).padStart(10)} ${(s.database * 1000 / n).toFixed(0).padStart(14)} ${(s.wall * 1000 / n).toFixed(0).padStart(11)}`);
  }
} finally {
  for (const side of sides) await side.db.close();
  await temp.drop();
}
