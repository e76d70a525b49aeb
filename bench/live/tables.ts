// The live benchmark's tables: per part (one room, many rooms, two nodes) each target's medians across
// rounds beside the bare ws ceiling of the same run, and the targets with a verdict.
import { median, round } from '../lib/stats.ts';
import type { Cell, Table } from '../lib/table.ts';
import type { TargetResult } from './measure.ts';

export interface PartRuns {
  part: string;
  title: string;
  /** Target label → one result per round. */
  runs: Map<string, TargetResult[]>;
  /** The label of the ceiling these targets are read against. */
  ceiling: string;
}

export const med = (runs: TargetResult[], pick: (r: TargetResult) => number): number => median(runs.map(pick));
const pct = (value: number): string => (Number.isFinite(value) ? `${round(value * 100, 1)}%` : '–');
const ratio = (value: number): string => (Number.isFinite(value) ? `${round(value, 2)}×` : '–');

export function partTable(part: PartRuns, ceiling: TargetResult[] | undefined): Table {
  const ceilingDps = ceiling ? med(ceiling, (r) => r.deliveriesPerSecond) : Number.NaN;
  const ceilingCpu = ceiling ? med(ceiling, (r) => r.cpu.serverMsPer1000Deliveries) : Number.NaN;
  const rows: Cell[][] = [...part.runs.entries()].map(([label, runs]) => {
    const m = (pick: (r: TargetResult) => number) => med(runs, pick);
    return [
      label,
      m((r) => r.connect.connected),
      m((r) => r.deliveriesPerSecond),
      pct(m((r) => r.deliveriesPerSecond) / ceilingDps),
      m((r) => r.latency.chat.p50Ms),
      m((r) => r.latency.chat.p99Ms),
      m((r) => r.latency.high.p50Ms),
      m((r) => r.latency.high.p99Ms),
      pct(m((r) => r.chatDeliveredShare)),
      m((r) => r.received.missedReported),
      m((r) => r.received.highMissing),
      m((r) => r.memory.kibPerConnection),
      `${round(m((r) => r.cpu.server.serverPercent), 0)}%`,
      m((r) => r.cpu.serverMsPer1000Deliveries),
      ratio(m((r) => r.cpu.serverMsPer1000Deliveries) / ceilingCpu),
      `${round(m((r) => r.cpu.load.serverPercent), 0)}%`,
      `${round(m((r) => r.cpu.server.otherPercent), 0)}%`,
    ];
  });
  return {
    title: part.title,
    columns: [
      'target',
      'viewers',
      'deliveries/s',
      'vs ceiling',
      'chat p50 ms',
      'chat p99 ms',
      'high p50 ms',
      'high p99 ms',
      'chat delivered',
      'missed (told)',
      'high lost',
      'KiB/idle conn',
      'CPU server',
      'CPU ms/1k deliveries',
      'CPU/delivery vs ceiling',
      'CPU load',
      'CPU other',
    ],
    rows,
  };
}

export interface Verdict {
  target: string;
  goal: string;
  measured: string;
  met: boolean | undefined;
}

/** The targets, read on the one-room part (10,000 viewers on one node) against its ceiling. */
/** High-priority messages over every Souk run: sent, accepted by the server in time, and accepted but not received by a viewer. */
export interface HighTotals {
  sent: number;
  accepted: number;
  lost: number;
}

export function verdicts(souk: TargetResult[] | undefined, ceiling: TargetResult[] | undefined, high: HighTotals): Verdict[] {
  if (!souk || !ceiling) return [];
  // A kind with no samples (nothing of it arrived, or none accepted) is left out here and shows in the part's table.
  const p99s = [med(souk, (r) => r.latency.chat.p99Ms), med(souk, (r) => r.latency.high.p99Ms)].filter(Number.isFinite);
  const p99 = p99s.length > 0 ? Math.max(...p99s) : Number.NaN;
  const share = med(souk, (r) => r.deliveriesPerSecond) / med(ceiling, (r) => r.deliveriesPerSecond);
  const kib = med(souk, (r) => r.memory.kibPerConnection);
  const viewers = med(souk, (r) => r.connect.connected);
  return [
    { target: `p99 delivery at ${viewers.toLocaleString('en-US')} viewers (chat and high, the larger)`, goal: '< 400 ms', measured: `${p99} ms`, met: p99 < 400 },
    { target: 'deliveries vs the bare ws ceiling', goal: '≥ 50 %', measured: pct(share), met: share >= 0.5 },
    { target: 'memory per idle connection (server RSS delta)', goal: '< 20 KB', measured: `${kib} KiB`, met: kib * 1.024 < 20 },
    {
      target: 'high-priority messages lost (every Souk run): not accepted in time, or accepted and not received',
      goal: '0',
      measured: `${high.sent - high.accepted} of ${high.sent} not accepted, ${high.lost} viewer deliveries missing`,
      met: high.accepted === high.sent && high.lost === 0,
    },
  ];
}

export function verdictTable(rows: Verdict[]): Table {
  return {
    title: 'Targets of issue 13 (one room on one node vs the bare ws ceiling; high-priority loss over all parts)',
    columns: ['target', 'goal', 'measured', 'met'],
    rows: rows.map((v) => [v.target, v.goal, v.measured, v.met === undefined ? '–' : v.met ? 'yes' : 'NO']),
  };
}
