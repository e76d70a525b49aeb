// `souk canary …`: the gateway's runtime policy API from the command line. It talks to a gateway
// (--gateway URL, else $SOUK_GATEWAY_URL, else http://localhost:8080) with SOUK_GATEWAY_TOKEN or an owner's
// SOUK_API_KEY (the gateway has the Souk API check it).
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { option } from './api-client.ts';
import { nginxIngressExport, nginxIngressYaml } from '../gateway/export-nginx.ts';
import type { PolicyDocument } from '../gateway/policy.ts';

export const canaryUsage = (): string => `Usage:
  souk canary status                         active version, tracks and upstream health, request counts
  souk canary validate <file>                check a JSON or YAML policy document (nothing is stored)
  souk canary set <file> [--note N] [--no-activate]
                                             store a new version and (by default) make it active
  souk canary versions                       stored versions and activations: who and when
  souk canary activate <version>             make a stored version active
  souk canary rollback [--to N]              make the version active before the current one active again
  souk canary dry-run [--method M] [--path P] [--ip IP] [--ua UA] [--header name:value]… [--version N]
                                             which track a request would go to, and by which rule
  souk canary rollout <plan-file>            start an automated rollout (steps, minimum time and samples,
                                             thresholds); the gateway promotes, holds or rolls back by itself
  souk canary rollouts                       recent rollouts and how they ended
  souk canary promote|pause|resume|abort [--rollout ID] [--reason R]
                                             override the open rollout by hand (abort rolls back)
  souk canary export --format nginx-ingress [--version N | --file F] [--stable T] [--canary T]
                                             the policy as NGINX ingress canary annotations, or the rules
                                             that cannot be expressed so (--file needs no gateway)
All take --gateway URL (default $SOUK_GATEWAY_URL or http://localhost:8080); the credential is
SOUK_GATEWAY_TOKEN, else SOUK_API_KEY (a Souk owner key). A rollout plan, in JSON or YAML:
  steps: [{ weight: 5, minDurationSeconds: 300, minSamples: 500 }, { weight: 25, minDurationSeconds: 600 }, { weight: 100 }]
  thresholds: { maxErrorRateIncrease: 0.01, alpha: 0.01, maxMedianLatencyRatio: 1.5 }   # the defaults
  canaryTrack: canary   stableTrack: stable                                              # the defaults`;

class UsageError extends Error {}

function readDocument(file: string): unknown {
  const text = readFileSync(file, 'utf8');
  return file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
}

function gatewayUrl(args: string[]): string {
  return (option(args, '--gateway') ?? (process.env.SOUK_GATEWAY_URL || 'http://localhost:8080')).replace(/\/+$/, '');
}

async function call(args: string[], method: string, path: string, body?: unknown): Promise<unknown> {
  const token = process.env.SOUK_GATEWAY_TOKEN || process.env.SOUK_API_KEY;
  if (!token) throw new Error('Set SOUK_GATEWAY_TOKEN (the gateway\'s token) or SOUK_API_KEY (a Souk owner key).');
  const res = await fetch(`${gatewayUrl(args)}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const parsed: unknown = text ? JSON.parse(text) : null;
  if (!res.ok) throw new Error(`${res.status} ${(parsed as { detail?: string } | null)?.detail ?? text}`);
  return parsed;
}

const json = (value: unknown) => console.log(JSON.stringify(value, null, 2));

function headersOf(args: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    if (args[i] !== '--header') continue;
    const text = args[i + 1] ?? '';
    const colon = text.indexOf(':');
    if (colon <= 0) throw new UsageError(`--header takes name:value, got "${text}"`);
    headers[text.slice(0, colon).trim().toLowerCase()] = text.slice(colon + 1).trim();
  }
  const ua = option(args, '--ua');
  if (ua) headers['user-agent'] = ua;
  return headers;
}

/** `souk canary export`: the active (or a stored, or a file's) policy as NGINX ingress annotations. */
async function exportPolicy(args: string[]): Promise<number> {
  const format = option(args, '--format');
  if (format !== 'nginx-ingress') throw new UsageError(`export needs --format nginx-ingress${format ? ` (not "${format}")` : ''}`);
  const file = option(args, '--file');
  const version = option(args, '--version');
  if (version !== undefined && !/^\d+$/.test(version)) throw new UsageError('--version takes a version number');
  let document: PolicyDocument;
  let source: string;
  if (file) {
    document = readDocument(file) as PolicyDocument;
    source = file;
  } else {
    const listing = version === undefined ? ((await call(args, 'GET', '/_gateway/policies')) as { activeVersion: number | null }) : undefined;
    const wanted = version ?? listing?.activeVersion;
    if (wanted === null || wanted === undefined) throw new Error('No policy version is active: name one with --version, or a file with --file.');
    document = ((await call(args, 'GET', `/_gateway/policies/${wanted}`)) as { document: PolicyDocument }).document;
    source = `policy version ${wanted}`;
  }
  if (!document || !Array.isArray(document.rules) || typeof document.default !== 'object') throw new Error(`${source} is not a routing policy (rules and default)`);
  const result = nginxIngressExport(document, { stable: option(args, '--stable') ?? 'stable', canary: option(args, '--canary') ?? 'canary' });
  if (!result.ok) {
    console.error(`souk canary export: ${source} cannot be expressed as NGINX ingress canary annotations (header, cookie, weight):\n${result.refusals.map((r) => `  - ${r}`).join('\n')}\nRun the gateway role in front of the tracks instead (deploy/k8s/base/gateway.yaml).`);
    return 1;
  }
  process.stdout.write(nginxIngressYaml(result, source));
  return 0;
}

export async function canaryCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  try {
    switch (action) {
      case 'status': {
        const status = (await call(rest, 'GET', '/_gateway/status')) as { rollout?: { id: number } | null };
        // The open (or last) rollout's decisions and the current step's samples, with their reasons.
        const detail = status.rollout ? ((await call(rest, 'GET', `/_gateway/rollouts/${status.rollout.id}`)) as { samples: unknown; decisions: unknown[] }) : undefined;
        json(detail ? { ...status, rolloutSamples: detail.samples, rolloutDecisions: detail.decisions.slice(0, 10) } : status);
        return 0;
      }
      case 'rollout': {
        if (!rest[0]) throw new UsageError('rollout needs a plan file (JSON or YAML)');
        json(await call(rest, 'POST', '/_gateway/rollouts', { plan: readDocument(rest[0]) }));
        return 0;
      }
      case 'rollouts':
        json(await call(rest, 'GET', '/_gateway/rollouts'));
        return 0;
      case 'promote':
      case 'pause':
      case 'resume':
      case 'abort': {
        const id = option(rest, '--rollout') ?? 'current';
        if (id !== 'current' && !/^\d+$/.test(id)) throw new UsageError('--rollout takes a rollout id');
        const reason = option(rest, '--reason');
        json(await call(rest, 'POST', `/_gateway/rollouts/${id}/${action}`, reason === undefined ? {} : { reason }));
        return 0;
      }
      case 'export':
        return exportPolicy(rest);
      case 'validate': {
        if (!rest[0]) throw new UsageError('validate needs a file');
        json(await call(rest, 'POST', '/_gateway/policies/validate', { document: readDocument(rest[0]) }));
        return 0;
      }
      case 'set': {
        if (!rest[0]) throw new UsageError('set needs a file');
        const note = option(rest, '--note');
        json(await call(rest, 'POST', '/_gateway/policies', { document: readDocument(rest[0]), activate: !rest.includes('--no-activate'), ...(note ? { note } : {}) }));
        return 0;
      }
      case 'versions':
        json(await call(rest, 'GET', '/_gateway/policies'));
        return 0;
      case 'activate': {
        if (!rest[0] || !/^\d+$/.test(rest[0])) throw new UsageError('activate needs a version number');
        json(await call(rest, 'POST', `/_gateway/policies/${rest[0]}/activate`));
        return 0;
      }
      case 'rollback': {
        const to = option(rest, '--to');
        json(await call(rest, 'POST', '/_gateway/policies/rollback', to === undefined ? {} : { to: Number(to) }));
        return 0;
      }
      case 'dry-run': {
        const version = option(rest, '--version');
        json(await call(rest, 'POST', '/_gateway/dry-run', {
          method: option(rest, '--method') ?? 'GET',
          path: option(rest, '--path') ?? '/',
          ip: option(rest, '--ip') ?? '127.0.0.1',
          headers: headersOf(rest),
          ...(version ? { version: Number(version) } : {}),
        }));
        return 0;
      }
      case undefined:
      case 'help':
      case '--help':
        console.log(canaryUsage());
        return 0;
      default:
        throw new UsageError(`unknown canary command "${action}"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`souk canary: ${error.message}\n\n${canaryUsage()}`);
      return 2;
    }
    throw error;
  }
}
