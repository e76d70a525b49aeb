// Several held statements (one per kind of held row) as one statement: all but the last become
// data-modifying CTEs in front of it. PostgreSQL runs them all on one snapshot; each kind only inserts
// (two kinds may insert into one table, as the module-level outbox write and a bus's own do), so none
// needs to see another's rows. One statement is what rides with the commit
// (pipelined-begin.ts), so a transaction holding outbox rows and timers still commits in one round trip.

/** One statement and its positional parameters. */
export interface Statement {
  text: string;
  params: unknown[];
}

/** `$n` placeholders moved up by `offset` (held statements use `$n` for nothing else, see CommitWrite). */
const shifted = (text: string, offset: number) => (offset === 0 ? text : text.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`));

/** The statements as one, in order: `with held_1 as (first), held_2 as (second) last`. */
export function mergeStatements(statements: readonly Statement[]): Statement {
  if (statements.length === 1) return statements[0]!;
  const params: unknown[] = [];
  const texts = statements.map((statement) => {
    const text = shifted(statement.text, params.length);
    params.push(...statement.params);
    return text;
  });
  const last = texts.pop()!;
  return { text: `with ${texts.map((text, index) => `held_${index + 1} as (${text})`).join(', ')}\n${last}`, params };
}
