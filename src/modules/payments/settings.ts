// Payments constants. The process-wide settings (the sandbox secret, the refund sweep) come from the
// kernel config as ctx.config.payments (kernel/module-settings.ts).
export const MODULE_NAME = 'payments';

/** Webhook timestamps further than this from now (either way) are refused: a captured request cannot be replayed later. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;
/** How long one process may hold a refund while it calls the provider. */
export const REFUND_CLAIM_SECONDS = 60;
