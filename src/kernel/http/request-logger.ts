// The per-request logger, made on first use. Fastify asks for a child logger on every request; a pino
// child serializes its bindings (reqId, trace_id, span_id) when it is made, which cost ~5% of a cache-hit read at
// levels where the request never logs. This one holds the bindings and makes the real pino child only
// when a line at an enabled level is written (or a child/level is asked for), so every line still
// carries the request id and the trace id.
import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'fastify/types/logger.js';
import type { LevelWithSilentOrString } from 'pino';
import { kTraceBound } from '../log-trace.ts';

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

interface ParentLogger extends FastifyBaseLogger {
  isLevelEnabled?(level: string): boolean;
}

export class RequestLogger implements FastifyBaseLogger {
  private real: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: ParentLogger,
    /** Fastify's bindings (the request id); trace_id and span_id are added when the child is made. */
    private readonly bindings: Bindings,
    /** The request's span (its server span while tracing is on). */
    private readonly traceparent: string,
    private readonly options: ChildLoggerOptions,
  ) {}

  private materialize(): FastifyBaseLogger {
    if (this.real === undefined) {
      // The request's traceparent is one Souk made (00-<32 hex>-<16 hex>-<2 hex>): slice it, no parse.
      const child = this.parent.child({ ...this.bindings, trace_id: this.traceparent.slice(3, 35), span_id: this.traceparent.slice(36, 52) }, this.options);
      (child as unknown as { [kTraceBound]: boolean })[kTraceBound] = true;
      this.real = child;
    }
    return this.real;
  }

  private enabled(level: Level): boolean {
    // Made already, or a route with its own logLevel: the real child decides.
    if (this.real !== undefined || this.options.level !== undefined) return true;
    // A parent without isLevelEnabled (not pino) gets the child made and decides itself.
    return this.parent.isLevelEnabled === undefined || this.parent.isLevelEnabled(level);
  }

  get level(): LevelWithSilentOrString {
    return this.real === undefined ? this.parent.level : this.real.level;
  }

  set level(level: LevelWithSilentOrString) {
    this.materialize().level = level;
  }

  isLevelEnabled(level: string): boolean {
    const target = (this.real ?? this.parent) as ParentLogger;
    return target.isLevelEnabled === undefined || target.isLevelEnabled(level);
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.materialize().child(bindings, options);
  }

  // Prototype methods, not per-instance closures: nothing is allocated per request beyond this object.
  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.write('error', args);
  }
  warn(...args: unknown[]): void {
    this.write('warn', args);
  }
  info(...args: unknown[]): void {
    this.write('info', args);
  }
  debug(...args: unknown[]): void {
    this.write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.write('trace', args);
  }
  silent(): void {}

  private write(level: Level, args: unknown[]): void {
    if (!this.enabled(level)) return;
    (this.materialize()[level] as (...a: unknown[]) => void)(...args);
  }
}
