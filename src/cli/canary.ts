// `souk canary …`: the gateway's runtime policy API from the command line. It talks to a gateway
// (--gateway URL, else $SOUK_GATEWAY_URL, else http://localhost:8080) with SOUK_GATEWAY_TOKEN or an owner's
// SOUK_API_KEY (the gateway has the Souk API check it).
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { option } from './api-client.ts';

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
All take --gateway URL (default $SOUK_GATEWAY_URL or http://localhost:8080); the credential is
SOUK_GATEWAY_TOKEN, else SOUK_API_KEY (a Souk owner key).`;

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

export async function canaryCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  try {
    switch (action) {
      case 'status':
        json(await call(rest, 'GET', '/_gateway/status'));
        return 0;
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
