// Database spans: the Database seam every module goes through, wrapped while tracing is on, so both
// engines (PGlite in process, PostgreSQL through pg) get the same client spans without the pg driver's
// require hook or an OpenTelemetry context manager. A statement's parent is the current trace's span
// (kernel/trace.ts): the request or the event handler; inside a transaction, the transaction's span.
// Not wrapped at all while tracing is off (createSouk checks tracingOn()), so that costs nothing.
import { SpanKind, type Attributes } from '@opentelemetry/api';
import { inChildSpan } from '../otel.ts';
import { currentTrace } from '../trace.ts';
import type { Database, Queryable } from './types.ts';

/** Statement text kept on a span: parameters are never recorded ($1, $2 stay placeholders). */
const MAX_QUERY_TEXT = 2000;

/** The statement's first keyword (select, insert, with …), upper-cased: the span's name, as the semantic conventions ask. */
export function operationOf(text: string): string {
  const match = /^\s*(?:--[^\n]*\n\s*|\/\*[\s\S]*?\*\/\s*)*([A-Za-z]+)/.exec(text);
  return match ? match[1]!.toUpperCase() : 'SQL';
}

function statementAttributes(engine: Database['kind'], text: string, operation: string): Attributes {
  return {
    'db.system.name': 'postgresql',
    'db.operation.name': operation,
    'db.query.text': text.length > MAX_QUERY_TEXT ? text.slice(0, MAX_QUERY_TEXT) : text,
    'souk.db.engine': engine,
  };
}

function traced(engine: Database['kind'], q: Queryable, parentOf: () => string | undefined): Queryable {
  const statement = <T>(text: string, run: () => Promise<T>): Promise<T> => {
    const operation = operationOf(text);
    return inChildSpan(operation, SpanKind.CLIENT, statementAttributes(engine, text, operation), run, parentOf());
  };
  return {
    query: (text, params) => statement(text, () => q.query(text, params)),
    execute: (text, params) => statement(text, () => q.execute(text, params)),
    script: (sql) => statement(sql, () => q.script(sql)),
    // Held rows get their span when their statement goes out at commit, still below the transaction's.
    ...(q.atCommit ? { atCommit: (write, row) => q.atCommit!(write, row, statement) } : {}),
    // One span for the last statement's batch; the held rows' statement in it gets its own below it.
    ...(q.queryThenCommit ? { queryThenCommit: (text, params) => statement(text, () => q.queryThenCommit!(text, params)) } : {}),
  };
}

/** The same database, with a span per statement and per transaction whenever a trace is current. */
export function tracedDatabase(db: Database): Database {
  const outside = traced(db.kind, db, () => currentTrace()?.traceparent);
  return {
    kind: db.kind,
    ...outside,
    transaction: (fn) =>
      inChildSpan('transaction', SpanKind.CLIENT, { 'db.system.name': 'postgresql', 'souk.db.engine': db.kind }, (span) =>
        // Opened outside a trace (an event loop's batch), a transaction's statements still join the trace
        // current when each runs: the handler's consumer span, entered after the transaction began.
        db.transaction((tx) => fn(traced(db.kind, tx, span === undefined ? () => currentTrace()?.traceparent : () => span))),
      currentTrace()?.traceparent),
    ...(db.listen ? { listen: db.listen.bind(db) } : {}),
    close: () => db.close(),
  };
}
