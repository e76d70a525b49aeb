// `souk risk …`: a platform's risk policies, shadow policies, lists, stored decisions and backtests,
// through a running server's admin API (policies are compiled and cached inside the server, and a change
// there reaches its other nodes at once).
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { BacktestReport } from '../modules/risk/backtest.ts';
import { ApiClient, defaultServerUrl, option, serverUrl } from './api-client.ts';

export const riskUsage = (): string => `Usage:
  souk risk policy show [--point P]                 current policies (all points, or one in full)
  souk risk policy set <file> --point P [--note N]  store a new version from a JSON or YAML document
  souk risk policy versions --point P               who changed what, newest first
  souk risk policy rollback --point P [--to N]      make version N current again (default: the one before)
  souk risk shadow show | set <file> --point P | clear --point P
                                                    a draft run beside the live policy, recorded, never deciding
  souk risk lists [show]                            block, allow and disposable lists
  souk risk lists set <block|allow|disposable> <file>          replace a list (JSON or YAML array of {kind, value, note?})
  souk risk lists add|remove <list> <ip|device|email_domain|account> <value> [--note N]
  souk risk decisions [--account A] [--ip IP] [--device D] [--point P] [--action A] [--limit N]
  souk risk decision <id>                           one stored decision, explained
  souk risk backtest <file> --point P --since <ISO time> [--until <ISO time>]
                                                    how many stored decisions the draft would change, by rule
Points: signup login coupon checkout flash_sale payment live_chat live_gift.
All take --platform SLUG (optional when one platform has the risk module) and --url URL (default
${defaultServerUrl()}); they use SOUK_API_KEY, the session saved by \`souk login\`, or
SOUK_ADMIN_EMAIL/SOUK_ADMIN_PASSWORD (logging in once).`;

interface Fired {
  rule: string;
  score: number;
  action?: string;
}
interface PolicyVersion {
  point: string;
  version: number;
  document: { rules: { id: string }[]; thresholds: number[]; actions: string[] };
  changedBy: string | null;
  note: string | null;
  changedAt: string | null;
}
interface Entry {
  kind: string;
  value: string;
  note?: string;
}
interface StoredDecision {
  id: string;
  point: string;
  action: string;
  level: number;
  score: number;
  fired: Fired[];
  listed?: { list: string; kind: string };
  decidedAt: string;
  input: Record<string, unknown>;
  shadow?: { action: string };
}

const json = (value: unknown) => console.log(JSON.stringify(value, null, 2));

function readDocument(file: string): unknown {
  const text = readFileSync(file, 'utf8');
  return file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
}

/** The platform's slug: --platform, else the only platform with the risk module on. */
async function platformOf(api: ApiClient, args: string[]): Promise<string> {
  const given = option(args, '--platform');
  if (given) return given;
  const { items } = (await api.call('GET', '/admin/platforms')) as { items: { slug: string; modules: string[] }[] };
  const withRisk = items.filter((p) => p.modules.includes('risk')).map((p) => p.slug);
  if (withRisk.length === 1) return withRisk[0]!;
  throw new Error(withRisk.length === 0 ? 'No platform has the risk module on.' : `Several platforms have the risk module (${withRisk.join(', ')}): name one with --platform.`);
}

function needPoint(args: string[]): string {
  const point = option(args, '--point');
  if (!point) throw new UsageError('--point is needed');
  return point;
}

class UsageError extends Error {}

/** The words of the command line that are not options (--name value) or flags (--json). */
function positional(args: string[]): string[] {
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (!args[i]!.startsWith('--')) words.push(args[i]!);
    else if (args[i] !== '--json') i++;
  }
  return words;
}

const decisionLine = (d: StoredDecision) =>
  `${d.decidedAt}  ${d.id}  ${d.point.padEnd(10)} ${d.action.padEnd(9)} level ${d.level} score ${d.score}` +
  (d.listed ? `  (${d.listed.list} list: ${d.listed.kind})` : d.fired.length > 0 ? `  ${d.fired.map((f) => `${f.rule}${f.action ? `→${f.action}` : `+${f.score}`}`).join(' ')}` : '') +
  (d.shadow ? `  [shadow: ${d.shadow.action}]` : '');

async function policy(api: ApiClient, base: string, args: string[]): Promise<number> {
  const [, action = 'show', file] = positional(args);
  if (action === 'show') {
    const point = option(args, '--point');
    if (point) json(await api.call('GET', `${base}/policies/${encodeURIComponent(point)}`));
    else {
      const { items } = (await api.call('GET', `${base}/policies`)) as { items: PolicyVersion[] };
      for (const p of items) {
        console.log(`${p.point.padEnd(11)} v${p.version}  ${p.document.rules.length} rules  thresholds ${p.document.thresholds.join('/')}  ${p.version === 0 ? 'built-in default' : `by ${p.changedBy} at ${p.changedAt}${p.note ? ` (${p.note})` : ''}`}`);
      }
    }
    return 0;
  }
  const point = encodeURIComponent(needPoint(args));
  if (action === 'set' && file) {
    const note = option(args, '--note');
    const stored = (await api.call('PUT', `${base}/policies/${point}`, { document: readDocument(file), ...(note ? { note } : {}) })) as PolicyVersion;
    console.log(`${stored.point}: version ${stored.version} stored and in force.`);
    return 0;
  }
  if (action === 'versions') {
    const { items } = (await api.call('GET', `${base}/policies/${point}/versions`)) as { items: PolicyVersion[] };
    for (const v of items) console.log(`v${v.version}  ${v.document.rules.length} rules  ${v.version === 0 ? 'built-in default' : `${v.changedAt}  ${v.changedBy}${v.note ? `  ${v.note}` : ''}`}`);
    return 0;
  }
  if (action === 'rollback') {
    const to = option(args, '--to');
    let version: number;
    if (to !== undefined) version = Number(to);
    else {
      const { items } = (await api.call('GET', `${base}/policies/${point}/versions?limit=2`)) as { items: PolicyVersion[] };
      if (items.length < 2) throw new Error(`The ${point} policy has no earlier version to roll back to.`);
      version = items[1]!.version;
    }
    const stored = (await api.call('POST', `${base}/policies/${point}/rollback`, { version })) as PolicyVersion;
    console.log(`${stored.point}: version ${stored.version} stored, holding version ${version}'s document.`);
    return 0;
  }
  throw new UsageError(`unknown policy command "${action}"`);
}

async function shadow(api: ApiClient, base: string, args: string[]): Promise<number> {
  const [, action = 'show', file] = positional(args);
  if (action === 'show') {
    const { items } = (await api.call('GET', `${base}/shadow`)) as { items: { point: string; setBy: string; setAt: string; note: string | null; document: PolicyVersion['document'] }[] };
    for (const s of items) console.log(`${s.point.padEnd(11)} ${s.document.rules.length} rules  by ${s.setBy} at ${s.setAt}${s.note ? ` (${s.note})` : ''}`);
    if (items.length === 0) console.log('No shadow policies.');
    return 0;
  }
  const point = encodeURIComponent(needPoint(args));
  if (action === 'set' && file) {
    const note = option(args, '--note');
    await api.call('PUT', `${base}/shadow/${point}`, { document: readDocument(file), ...(note ? { note } : {}) });
    console.log(`${point}: the draft runs in shadow; decisions record what it would have done.`);
    return 0;
  }
  if (action === 'clear') {
    await api.call('DELETE', `${base}/shadow/${point}`);
    console.log(`${point}: shadow policy cleared.`);
    return 0;
  }
  throw new UsageError(`unknown shadow command "${action}"`);
}

async function lists(api: ApiClient, base: string, args: string[]): Promise<number> {
  const [, action = 'show', list, kind, value] = positional(args);
  const current = (await api.call('GET', `${base}/lists`)) as Record<string, Entry[]>;
  if (action === 'show') {
    for (const [name, entries] of Object.entries(current)) {
      console.log(`${name} (${entries.length})`);
      for (const e of entries) console.log(`  ${e.kind.padEnd(13)} ${e.value}${e.note ? `  # ${e.note}` : ''}`);
    }
    return 0;
  }
  if (!list || !(list in current)) throw new UsageError('name a list: block, allow or disposable');
  let entries: Entry[];
  if (action === 'set' && kind) entries = readDocument(kind) as Entry[];
  else if ((action === 'add' || action === 'remove') && kind && value) {
    const note = option(args, '--note');
    const others = current[list]!.filter((e) => !(e.kind === kind && e.value === value.trim().toLowerCase()) && !(e.kind === kind && e.value === value.trim()));
    entries = action === 'add' ? [...others, { kind, value, ...(note ? { note } : {}) }] : others;
    if (action === 'remove' && others.length === current[list]!.length) throw new Error(`The ${list} list has no ${kind} ${value}.`);
  } else throw new UsageError(`unknown lists command "${action}"`);
  const keep = entries.map(({ kind: k, value: v, note }) => ({ kind: k, value: v, ...(note ? { note } : {}) }));
  const { entries: after } = (await api.call('PUT', `${base}/lists/${encodeURIComponent(list)}`, { entries: keep })) as { entries: Entry[] };
  console.log(`${list}: ${after.length} entries, in force now.`);
  return 0;
}

async function decisions(api: ApiClient, base: string, args: string[]): Promise<number> {
  const query = new URLSearchParams();
  for (const [flag, name] of [['--account', 'accountId'], ['--ip', 'ip'], ['--device', 'deviceId'], ['--point', 'point'], ['--action', 'action'], ['--limit', 'limit']] as const) {
    const value = option(args, flag);
    if (value !== undefined) query.set(name, value);
  }
  const { items } = (await api.call('GET', `${base}/decisions?${query}`)) as { items: StoredDecision[] };
  for (const d of items) console.log(decisionLine(d));
  if (items.length === 0) console.log('No stored decisions match.');
  return 0;
}


async function backtest(api: ApiClient, base: string, args: string[]): Promise<number> {
  const file = positional(args)[1];
  const since = option(args, '--since');
  if (!file || !since) throw new UsageError('backtest needs a file and --since');
  const until = option(args, '--until');
  const body = { document: readDocument(file), since: new Date(since).toISOString(), ...(until ? { until: new Date(until).toISOString() } : {}) };
  const report = (await api.call('POST', `${base}/policies/${encodeURIComponent(needPoint(args))}/backtest`, body)) as BacktestReport;
  if (args.includes('--json')) {
    json(report);
    return 0;
  }
  console.log(`${report.changed} of ${report.examined} stored decisions would change action (${report.listed} decided by a list)${report.truncated ? '; the range held more, only the oldest were read' : ''}.`);
  const actions = ['allow', 'challenge', 'review', 'deny'] as const;
  console.log(`  before: ${actions.map((a) => `${a} ${report.before[a]}`).join(', ')}`);
  console.log(`  after:  ${actions.map((a) => `${a} ${report.after[a]}`).join(', ')}`);
  for (const t of report.transitions) console.log(`  ${t.from} → ${t.to}: ${t.count}`);
  console.log('  rule                          fired before  fired after  in changed');
  for (const r of report.rules) console.log(`  ${r.rule.padEnd(30)}${String(r.firedBefore).padStart(12)}${String(r.firedAfter).padStart(13)}${String(r.changedDecisions).padStart(12)}`);
  console.log('  (allows are stored as a sample: changes from allow are counted over that sample)');
  return 0;
}

export async function riskCommand(args: string[]): Promise<number> {
  const [sub] = args;
  if (sub === undefined || sub === 'help' || args.includes('--help')) {
    console.log(riskUsage());
    return 0;
  }
  const commands: Record<string, (api: ApiClient, base: string, args: string[]) => Promise<number>> = {
    policy,
    shadow,
    lists,
    decisions,
    backtest,
    decision: async (api, base, a) => {
      const id = positional(a)[1];
      if (!id) throw new UsageError('decision needs an id');
      json(await api.call('GET', `${base}/decisions/${encodeURIComponent(id)}`));
      return 0;
    },
  };
  const command = commands[sub];
  if (!command) {
    console.error(riskUsage());
    return 2;
  }
  const api = new ApiClient(serverUrl(args));
  try {
    await api.announce();
    const base = `/admin/platforms/${encodeURIComponent(await platformOf(api, args))}/risk`;
    return await command(api, base, args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}.\n\n${riskUsage()}`);
    return 2;
  }
}
