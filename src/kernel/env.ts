// Reading settings from the environment, once, when Souk starts (kernel/config.ts and
// kernel/module-settings.ts, and the CLI).

/** A positive integer from env[name], or fallback when unset or empty; anything else stops the start. */
export function positiveIntEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}
