// Webhook settings. Process-wide ones come from the environment (read once, when the module starts);
// a platform may tune its own delivery policy in settings.webhooks, checked by platformSettingsSchema.
import { Type, type Static } from 'typebox';
import { positiveIntEnv } from '../../kernel/env.ts';

export interface WebhookEnvSettings {
  /** How long one POST may take, from connect to the last byte read (SOUK_WEBHOOK_TIMEOUT_MS). */
  timeoutMs: number;
  /** Attempts before a delivery is marked dead (SOUK_WEBHOOK_MAX_ATTEMPTS). */
  maxAttempts: number;
  /** First retry delay; each next one is retryFactor times longer, up to retryMaxMs. */
  retryInitialMs: number;
  retryMaxMs: number;
  retryFactor: number;
  /** POSTs in flight at once in this process (SOUK_WEBHOOK_CONCURRENCY). */
  concurrency: number;
  /** POSTs in flight at once to one endpoint from this process (SOUK_WEBHOOK_ENDPOINT_CONCURRENCY). */
  endpointConcurrency: number;
  /** How often every platform is checked for due deliveries another node may have queued (SOUK_WEBHOOK_POLL_MS). */
  pollMs: number;
  /** Let endpoints point at loopback and private networks (SOUK_WEBHOOK_ALLOW_PRIVATE, default off). */
  allowPrivateTargets: boolean;
  /** Finished deliveries (and their attempts) older than this are deleted (SOUK_WEBHOOK_RETENTION_DAYS). */
  retentionDays: number;
}

export const WEBHOOK_ENV = {
  timeoutMs: 'SOUK_WEBHOOK_TIMEOUT_MS',
  maxAttempts: 'SOUK_WEBHOOK_MAX_ATTEMPTS',
  retryInitialMs: 'SOUK_WEBHOOK_RETRY_INITIAL_MS',
  retryMaxMs: 'SOUK_WEBHOOK_RETRY_MAX_MS',
  concurrency: 'SOUK_WEBHOOK_CONCURRENCY',
  endpointConcurrency: 'SOUK_WEBHOOK_ENDPOINT_CONCURRENCY',
  pollMs: 'SOUK_WEBHOOK_POLL_MS',
  allowPrivateTargets: 'SOUK_WEBHOOK_ALLOW_PRIVATE',
  retentionDays: 'SOUK_WEBHOOK_RETENTION_DAYS',
} as const;

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  return !['0', 'false', 'no', 'off'].includes(raw.toLowerCase());
}

export function loadWebhookEnv(env: NodeJS.ProcessEnv = process.env): WebhookEnvSettings {
  return {
    timeoutMs: positiveIntEnv(env, WEBHOOK_ENV.timeoutMs, 10_000),
    maxAttempts: positiveIntEnv(env, WEBHOOK_ENV.maxAttempts, 10),
    retryInitialMs: positiveIntEnv(env, WEBHOOK_ENV.retryInitialMs, 10_000),
    retryMaxMs: positiveIntEnv(env, WEBHOOK_ENV.retryMaxMs, 6 * 3600_000),
    // 10 s, 1 min, 6 min, 36 min, 3.6 h, then every 6 h: ten attempts span about a day.
    retryFactor: 6,
    concurrency: positiveIntEnv(env, WEBHOOK_ENV.concurrency, 16),
    endpointConcurrency: positiveIntEnv(env, WEBHOOK_ENV.endpointConcurrency, 4),
    pollMs: positiveIntEnv(env, WEBHOOK_ENV.pollMs, 2_000),
    // Off by default: a platform admin must not make the server POST into its own network. Tests and the
    // demo, whose receivers listen on 127.0.0.1, opt in. Metadata addresses stay refused either way.
    allowPrivateTargets: flag(env, WEBHOOK_ENV.allowPrivateTargets, false),
    retentionDays: positiveIntEnv(env, WEBHOOK_ENV.retentionDays, 30),
  };
}

/** settings.webhooks of a platform: its own delivery policy, each field overriding the process default. */
export const platformSettingsSchema = Type.Object(
  {
    timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 60_000, description: 'Per-attempt timeout' })),
    maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 25, description: 'Attempts before a delivery is dead' })),
    retryInitialMs: Type.Optional(Type.Integer({ minimum: 50, maximum: 86_400_000, description: 'Delay before the first retry' })),
    retryMaxMs: Type.Optional(Type.Integer({ minimum: 50, maximum: 7 * 86_400_000, description: 'Longest delay between attempts' })),
    retryFactor: Type.Optional(Type.Number({ minimum: 1, maximum: 20, description: 'Each retry waits this many times longer' })),
  },
  { additionalProperties: false },
);
export type PlatformWebhookSettings = Static<typeof platformSettingsSchema>;

export interface DeliveryPolicy {
  timeoutMs: number;
  maxAttempts: number;
  retryInitialMs: number;
  retryMaxMs: number;
  retryFactor: number;
}

/** The policy for one platform: its settings.webhooks (already validated when saved) over the process defaults. */
export function deliveryPolicy(defaults: WebhookEnvSettings, platformSettings: Record<string, unknown> | undefined): DeliveryPolicy {
  const own = (platformSettings?.webhooks ?? {}) as PlatformWebhookSettings;
  return {
    timeoutMs: own.timeoutMs ?? defaults.timeoutMs,
    maxAttempts: own.maxAttempts ?? defaults.maxAttempts,
    retryInitialMs: own.retryInitialMs ?? defaults.retryInitialMs,
    retryMaxMs: Math.max(own.retryMaxMs ?? defaults.retryMaxMs, own.retryInitialMs ?? defaults.retryInitialMs),
    retryFactor: own.retryFactor ?? defaults.retryFactor,
  };
}

/**
 * Delay before the attempt after `failedAttempt` (1-based, counted since the last replay), with ±10%
 * jitter so a burst of failures against one receiver does not come back as a burst. A Retry-After the
 * receiver sent is honoured when it asks for longer, within the cap.
 */
export function retryDelayMs(policy: DeliveryPolicy, failedAttempt: number, retryAfterMs?: number): number {
  const base = Math.min(policy.retryMaxMs, policy.retryInitialMs * policy.retryFactor ** Math.max(0, failedAttempt - 1));
  const jittered = Math.round(base * (0.9 + Math.random() * 0.2));
  return Math.min(policy.retryMaxMs, Math.max(jittered, retryAfterMs ?? 0));
}
