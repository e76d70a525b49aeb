// Parsing of scenario flags (string-valued, see ScenarioFlag), shared so every scenario words its
// errors alike.

/** The flag as a positive integer; throws naming the flag otherwise. */
export function positive(flags: Record<string, string>, name: string): number {
  const value = Number(flags[name]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, got "${flags[name]}"`);
  return value;
}
