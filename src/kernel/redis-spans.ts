// Redis spans (flash-sale gate, rate limits, risk velocity): a client span per command while tracing is
// on, child of the current trace's span (kernel/trace.ts). ioredis' own diagnostics channel fires when a
// command is written, which with auto-pipelining is a later tick in whichever caller's context opened
// the batch, so its parent would be wrong under load; wrapping the command methods where Souk calls them
// keeps the caller's parent. Installed only while tracing is on (kernel/redis.ts), so off costs nothing.
import { SpanKind } from '@opentelemetry/api';
import type { Redis } from 'ioredis';
import { inChildSpan } from './otel.ts';

type Method = (...args: unknown[]) => unknown;

function wrap(client: Redis, method: string, span: string, attributes: Record<string, string>): void {
  const target = client as unknown as Record<string, Method>;
  const original = target[method];
  if (typeof original !== 'function') return;
  target[method] = function (this: unknown, ...args: unknown[]) {
    // A pipeline copies the client's script functions onto itself: queued there, nothing is sent yet.
    if (this !== client) return original.apply(this, args);
    return inChildSpan(span, SpanKind.CLIENT, attributes, () => Promise.resolve(original.apply(this, args)));
  };
}

/** Wraps this client's commands, and the scripts later defined on it (defineCommand), with spans. */
export function traceRedisCommands(client: Redis): void {
  const base = { 'db.system.name': 'redis' };
  for (const command of client.getBuiltinCommands()) {
    const operation = command.toUpperCase();
    wrap(client, command, operation, { ...base, 'db.operation.name': operation });
  }
  const defineCommand = client.defineCommand.bind(client);
  client.defineCommand = (name, definition) => {
    defineCommand(name, definition);
    // A script runs as EVALSHA (EVAL the first time a connection meets it).
    wrap(client, name, `EVALSHA ${name}`, { ...base, 'db.operation.name': 'EVALSHA', 'db.stored_procedure.name': name });
  };
}
