// Webhook settings. Process-wide ones come from the kernel config (ctx.config.webhooks, parsed from the
// environment in kernel/module-settings.ts); a platform may tune its own delivery policy in
// settings.webhooks, checked by platformSettingsSchema.
import { Type, type Static } from 'typebox';
import type { WebhookEnvSettings } from '../../kernel/module-settings.ts';

export type { WebhookEnvSettings } from '../../kernel/module-settings.ts';

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
