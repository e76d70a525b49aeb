// Statements built piece by piece (optional filters, patches, multi-row VALUES lists) number their
// placeholders here, so a value and its "$n" can never drift apart.

export interface SqlParams {
  /** The values, in placeholder order, to pass with the statement. */
  readonly params: unknown[];
  /** Appends a value and returns its placeholder ("$4"). */
  param(value: unknown): string;
}

/**
 * A parameter list starting with `fixed`. `bound` counts the parameters ahead of the list that the
 * connection binds itself: 1 on a PlatformDb (the platform id is always $1), 0 on a plain connection.
 */
export function sqlParams(fixed: readonly unknown[] = [], bound = 1): SqlParams {
  const params = [...fixed];
  return { params, param: (value) => `$${params.push(value) + bound}` };
}
