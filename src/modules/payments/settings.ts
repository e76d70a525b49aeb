// Process-wide payments settings, read from the environment once when the module starts.
export const MODULE_NAME = 'payments';

export const PAYMENTS_ENV = {
  /** The sandbox's webhook signing secret; when unset one is generated and stored on first use. */
  sandboxSecret: 'SOUK_SANDBOX_WEBHOOK_SECRET',
  /** How often pending refunds whose process died are picked up again (milliseconds). */
  refundSweepMs: 'SOUK_PAYMENTS_REFUND_SWEEP_MS',
} as const;

export interface PaymentsEnvSettings {
  sandboxSecret: string | undefined;
  refundSweepMs: number;
}

export function loadPaymentsEnv(env: NodeJS.ProcessEnv = process.env): PaymentsEnvSettings {
  const raw = env[PAYMENTS_ENV.refundSweepMs];
  const sweep = raw === undefined || raw === '' ? 5_000 : Number(raw);
  if (!Number.isSafeInteger(sweep) || sweep < 50) throw new Error(`${PAYMENTS_ENV.refundSweepMs} must be an integer of at least 50, got "${raw}"`);
  const secret = env[PAYMENTS_ENV.sandboxSecret];
  if (secret !== undefined && secret !== '' && secret.length < 16) throw new Error(`${PAYMENTS_ENV.sandboxSecret} must be at least 16 characters`);
  return { sandboxSecret: secret || undefined, refundSweepMs: sweep };
}

/** Webhook timestamps further than this from now (either way) are refused: a captured request cannot be replayed later. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;
/** How long one process may hold a refund while it calls the provider. */
export const REFUND_CLAIM_SECONDS = 60;
