// CPU accounting around a measurement, to tell "the server is saturated" from "the load generator is":
// on a small machine both share the same cores. Linux /proc only; elsewhere the figures are NaN.
import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ; 100 on every mainstream Linux build

function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 overall, i.e. 11 and 12 after the name and state.
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return Number.NaN;
  }
}

/** CPU ticks of every PostgreSQL process (postmaster, backends, background workers) by pid. */
function postgresTicks(): Map<number, number> {
  const ticks = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return ticks;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== 'postgres') continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks.set(Number(entry), Number(fields[11]) + Number(fields[12]));
    } catch {
      // The process ended while we looked.
    }
  }
  return ticks;
}

/**
 * A reader of the CPU milliseconds used so far by the PostgreSQL backends connected to one database
 * (their process title names it): the statements of that database, without the WAL writer, the
 * checkpointer or other databases' clients, which is the figure that belongs to the measured run on a
 * server shared with other work. A backend that exits keeps the time last read for it, so the total
 * never goes back (only its CPU between the last reading and its exit is lost).
 */
export function databaseBackendsCpu(database: string): () => number {
  const seen = new Map<number, number>();
  const title = ` ${database} `;
  return () => {
    let entries: string[];
    try {
      entries = readdirSync('/proc');
    } catch {
      return Number.NaN;
    }
    for (const entry of entries) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== 'postgres') continue;
        if (!readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(title)) continue;
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        seen.set(Number(entry), Number(fields[11]) + Number(fields[12]));
      } catch {
        // The process ended while we looked.
      }
    }
    let ticks = 0;
    for (const t of seen.values()) ticks += t;
    return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
  };
}

/** Ticks PostgreSQL used between two readings; a backend started meanwhile counts whole. */
function postgresTicksSince(before: Map<number, number>): number {
  let total = 0;
  for (const [pid, now] of postgresTicks()) total += now - (before.get(pid) ?? 0);
  return total;
}

function systemTicks(): { busy: number; total: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const values = line.trim().split(/\s+/).slice(1).map(Number);
    const total = values.reduce((a, b) => a + b, 0);
    const idle = (values[3] ?? 0) + (values[4] ?? 0); // idle + iowait
    return { busy: total - idle, total };
  } catch {
    return { busy: Number.NaN, total: Number.NaN };
  }
}

export interface CpuUsage {
  /** CPU used by the server process (the sum over all of them when several were watched), in % of one core. */
  serverPercent: number;
  /** CPU used by this (load generator) process, in % of one core. */
  loadGeneratorPercent: number;
  /** Whole-machine utilisation, in % of all cores. */
  machinePercent: number;
  /**
   * Everything else on the machine, in % of one core: database server processes (PostgreSQL runs) and
   * whatever else happened to run (tests, builds). High values mean the figures are disturbed.
   */
  otherPercent: number;
  /**
   * PostgreSQL's processes on this machine (every database, so other work on the server counts too), in %
   * of one core; part of otherPercent. NaN where /proc is missing.
   */
  databasePercent: number;
}

/** CPU ticks of all the processes together. */
function sumTicks(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + processTicks(pid), 0);
}

/** CPU seconds the processes have used so far (user + system; NaN without /proc). */
export function cpuSecondsOf(pids: readonly number[]): number {
  return sumTicks([...pids]) / CLOCK_TICKS_PER_SECOND;
}

/**
 * Starts a CPU stopwatch; call the returned function when the measured interval ends. Several server
 * pids (e.g. Souk nodes sharing one database) count as one server: their CPU summed, none of it "other".
 */
export function startCpuWatch(serverPid: number | number[]): () => CpuUsage {
  const serverPids = typeof serverPid === 'number' ? [serverPid] : serverPid;
  const started = process.hrtime.bigint();
  const server = sumTicks(serverPids);
  const self = processTicks(process.pid);
  const machine = systemTicks();
  const postgres = postgresTicks();
  return () => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const serverTicks = sumTicks(serverPids) - server;
    const selfTicks = processTicks(process.pid) - self;
    const machineNow = systemTicks();
    const busyTicks = machineNow.busy - machine.busy;
    // /proc/stat counts ticks of every core; per-process ticks use the same USER_HZ clock.
    const ofOneCore = (ticks: number) => Math.round((ticks / CLOCK_TICKS_PER_SECOND / seconds) * 1000) / 10;
    return {
      serverPercent: ofOneCore(serverTicks),
      loadGeneratorPercent: ofOneCore(selfTicks),
      machinePercent: Math.round((busyTicks / (machineNow.total - machine.total)) * 1000) / 10,
      otherPercent: Math.max(0, ofOneCore(busyTicks - serverTicks - selfTicks)),
      databasePercent: postgres.size > 0 ? ofOneCore(postgresTicksSince(postgres)) : 0,
    };
  };
}

/** CPU used by everything on the machine during `ms` milliseconds, in % of one core. */
export async function machineBusyPercent(ms: number): Promise<number> {
  const before = systemTicks();
  const started = process.hrtime.bigint();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = systemTicks();
  // Divide by the time that really passed: a busy event loop (an in-process server working off a backlog)
  // can fire the timer seconds late, and dividing by `ms` then reads many cores' worth of use.
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return Math.round(((after.busy - before.busy) / CLOCK_TICKS_PER_SECOND / seconds) * 1000) / 10;
}
