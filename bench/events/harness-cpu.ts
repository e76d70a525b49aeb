// CPU and event-loop watch for the events bench, whose Souk runs inside the harness process: the
// harness's own CPU vs everything else, and the longest timer stall. Separate as a measuring instrument.
import { startCpuWatch } from '../lib/cpu.ts';
import { round } from '../lib/stats.ts';

/** CPU of this process (Souk + emitters + harness) and of everything else (PostgreSQL, nats-server, others), % of one core. */
export interface CpuReading {
  harnessPercent: number;
  otherPercent: number;
  /**
   * Longest time a 20 ms interval timer of this process waited beyond its period, ms: how long the event
   * loop was kept from timers (and so from I/O such as HTTP requests) during the phase.
   */
  maxTimerStallMs: number;
}

export function cpuWatch(cores: number): () => CpuReading {
  const stop = startCpuWatch(process.pid);
  let beat = performance.now();
  let stall = 0;
  const heartbeat = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - beat - 20);
    beat = now;
  }, 20);
  return () => {
    const cpu = stop();
    clearInterval(heartbeat);
    stall = Math.max(stall, performance.now() - beat - 20);
    const machineOfOneCore = cpu.machinePercent * cores;
    return {
      harnessPercent: cpu.serverPercent,
      otherPercent: round(Math.max(0, machineOfOneCore - cpu.serverPercent), 0),
      maxTimerStallMs: round(Math.max(0, stall), 0),
    };
  };
}
