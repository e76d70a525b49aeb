// The gateway's settings, from environment variables (each documented in the README's gateway section and
// in docs/ARCHITECTURE.md). startGateway takes the same fields directly, so tests need no environment.
import path from 'node:path';
import { parseRange } from './policy.ts';

export interface GatewayOptions {
  /** Track name → upstream base URLs (http://host:port). `stable` is expected; any number more. */
  tracks: Record<string, string[]>;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Where a request goes when its track has no healthy upstream (default `stable`). */
  fallbackTrack?: string;
  /** PostgreSQL URL for stored policies; without it an embedded PGlite database in dataDir. */
  databaseUrl?: string;
  dataDir?: string;
  /** A static bearer token that may use the policy API (besides Souk owners). */
  adminToken?: string;
  /** Bearer token /_gateway/metrics needs (SOUK_METRICS_TOKEN, as for the API's /metrics); open when unset. */
  metricsToken?: string;
  /** The Souk API that vouches for owner credentials (GET /admin/auth/me); default the first stable upstream. */
  authUrl?: string;
  healthIntervalMs?: number;
  /** How long a failing upstream stays out before a health check may re-admit it. */
  ejectMs?: number;
  /** How often this node looks for a newly activated policy version. */
  pollMs?: number;
  /** Extra attempts on other upstreams for idempotent requests without a body. */
  retries?: number;
  /** Keep-alive connections the gateway opens to each upstream at most; requests beyond wait in the gateway. */
  upstreamConnections?: number;
  /** A header a trusted edge sets to the signed-in customer's id; without it the bearer token is hashed. */
  customerHeader?: string;
  /** Proxies (addresses or CIDR ranges) whose X-Forwarded-For is believed for the client's address. */
  trustedProxies?: string[];
  /** Milliseconds to wait for an upstream's response headers. */
  upstreamTimeoutMs?: number;
  /** How often the rollout controller (on the node holding the lease) judges the open rollout. */
  rolloutTickMs?: number;
  /** How often this node writes its latency samples and counts for the judge. */
  sampleFlushMs?: number;
  /** Latencies kept per track and analysis window on each node (a uniform reservoir). */
  sampleReservoir?: number;
}

/** `stable=http://a:3000,http://b:3000;canary=http://c:3000` → { stable: [...], canary: [...] }. */
export function parseTracks(text: string): Record<string, string[]> {
  const tracks: Record<string, string[]> = {};
  for (const part of text.split(';').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    const name = part.slice(0, eq).trim();
    if (eq <= 0 || !/^[a-z][a-z0-9-]{0,31}$/.test(name)) throw new Error(`SOUK_GATEWAY_TRACKS: "${part}" is not name=url[,url…] (names are lower-case letters, digits and -)`);
    const urls = part.slice(eq + 1).split(',').map((u) => u.trim()).filter(Boolean);
    for (const url of urls) {
      const parsed = new URL(url);
      if (parsed.protocol !== 'http:') throw new Error(`SOUK_GATEWAY_TRACKS: upstream ${url} must be http:// (TLS ends at the gateway or before it)`);
    }
    if (urls.length === 0) throw new Error(`SOUK_GATEWAY_TRACKS: track "${name}" has no upstream`);
    tracks[name] = urls;
  }
  if (Object.keys(tracks).length === 0) throw new Error('SOUK_GATEWAY_TRACKS is empty: name at least one track, e.g. stable=http://127.0.0.1:3000');
  return tracks;
}

/**
 * Connections per upstream by default. A storefront read costs an API process well under a millisecond,
 * so a few dozen connections keep it busy; more only spread the same requests over more sockets, which
 * cost the gateway and the API CPU per request (docs/benchmarks.md, "Canary gateway (issue 19)").
 */
export const UPSTREAM_CONNECTIONS = 32;

const int = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number, got "${raw}"`);
  return value;
};

const positive = (name: string, fallback: number): number => {
  const value = int(name, fallback);
  if (value === 0) throw new Error(`${name} must be above 0`);
  return value;
};

/** Reads the gateway's settings from the environment. */
export function gatewayOptionsFromEnv(env = process.env): GatewayOptions {
  const tracks = env.SOUK_GATEWAY_TRACKS;
  if (!tracks) throw new Error('SOUK_GATEWAY_TRACKS is not set: e.g. SOUK_GATEWAY_TRACKS="stable=http://127.0.0.1:3001;canary=http://127.0.0.1:3002"');
  const trusted = (env.SOUK_GATEWAY_TRUSTED_PROXIES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const range of trusted) if (!parseRange(range)) throw new Error(`SOUK_GATEWAY_TRUSTED_PROXIES: "${range}" is not an address or CIDR range`);
  return {
    tracks: parseTracks(tracks),
    host: env.SOUK_GATEWAY_HOST || '0.0.0.0',
    port: int('SOUK_GATEWAY_PORT', 8080),
    fallbackTrack: env.SOUK_GATEWAY_FALLBACK_TRACK || 'stable',
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: path.resolve(env.SOUK_GATEWAY_DATA_DIR || './data-gateway'),
    adminToken: env.SOUK_GATEWAY_TOKEN || undefined,
    metricsToken: env.SOUK_METRICS_TOKEN || undefined,
    authUrl: env.SOUK_GATEWAY_AUTH_URL || undefined,
    healthIntervalMs: int('SOUK_GATEWAY_HEALTH_INTERVAL_MS', 1000),
    ejectMs: int('SOUK_GATEWAY_EJECT_MS', 5000),
    pollMs: int('SOUK_GATEWAY_POLL_MS', 250),
    retries: int('SOUK_GATEWAY_RETRIES', 2),
    upstreamConnections: positive('SOUK_GATEWAY_UPSTREAM_CONNECTIONS', UPSTREAM_CONNECTIONS),
    customerHeader: env.SOUK_GATEWAY_CUSTOMER_HEADER?.toLowerCase() || undefined,
    trustedProxies: trusted,
    upstreamTimeoutMs: int('SOUK_GATEWAY_UPSTREAM_TIMEOUT_MS', 30_000),
    rolloutTickMs: positive('SOUK_GATEWAY_ROLLOUT_TICK_MS', 1000),
    sampleFlushMs: positive('SOUK_GATEWAY_SAMPLE_FLUSH_MS', 1000),
    sampleReservoir: positive('SOUK_GATEWAY_SAMPLE_RESERVOIR', 1000),
  };
}
