// The event backbone's vocabulary, shared by both transports.
import type { TxScope } from '../../kernel/db/scoped.ts';
import type { DeliveredEventView } from '../../kernel/context.ts';

/** An event as a handler receives it (the kernel's view of it, with the payload typed by the caller). */
export type DeliveredEvent<P = unknown> = DeliveredEventView<string, P>;

/** Runs inside a database transaction with the consumer's inbox row; tx.platform(id) reaches platform tables. Throw to retry. */
export type EventHandler = (event: DeliveredEvent, tx: TxScope) => Promise<void>;

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  factor: number;
}

export interface Subscription {
  /** Durable consumer name: positions, inbox rows and dead letters are kept under it. */
  consumer: string;
  /** Event types handled: exact names, prefixes ending in ".*" ("order.*"), or "*" for all. */
  types: readonly string[];
  handler: EventHandler;
  /** Deliver strictly in log order: a failing event holds back the ones after it until it succeeds or dies. */
  ordered: boolean;
  /** Attempts before the event goes to the dead-letter store. */
  maxAttempts: number;
  backoff: BackoffPolicy;
  /** Events this returns false for are passed over: no handler call, no inbox row, the position moves on. */
  accepts?: (event: DeliveredEvent) => boolean;
  /** forModule's part of accepts, which needs only the platform: relays of other platforms do not wake the consumer. */
  wantsPlatform?: (platformId: string | null) => boolean;
}

export interface SubscribeOptions {
  ordered?: boolean;
  maxAttempts?: number;
  backoff?: Partial<BackoffPolicy>;
  /**
   * A cheap in-memory test, for consumers that subscribe broadly but act on few events (webhooks takes
   * every type but only for platforms that use it): skipped events cost no inbox row.
   */
  accepts?: (event: DeliveredEvent) => boolean;
  /** Only events of platforms with this optional module on reach the handler (see EventBus.subscribe). */
  forModule?: string;
}

export interface EmitOptions {
  key?: string | null;
  /** Defaults to the PlatformDb's platform when emitting through one. */
  platformId?: string | null;
  /** Overrides the cause taken from the handler being run. */
  causedBy?: string | null;
}

/** One event of a batch written by emitMany / scheduleMany (declared with the kernel's EventsApi). */
export type { BatchedEventInput as BatchedEvent } from '../../kernel/context.ts';

export function matchesType(patterns: readonly string[], type: string): boolean {
  return patterns.some((p) => p === '*' || p === type || (p.endsWith('.*') && type.startsWith(p.slice(0, -1))));
}

export function backoffDelay(policy: BackoffPolicy, attempt: number): number {
  // attempt is the one that just failed (1-based); jitter of ±20% spreads retries of a burst.
  const base = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

export interface EventRow {
  id: string;
  platform_id: string | null;
  type: string;
  key: string | null;
  payload: unknown;
  traceparent: string | null;
  caused_by: string | null;
  emitted_at: Date;
}

export function toDelivered(row: EventRow, offset: number, attempt: number): DeliveredEvent {
  return {
    id: row.id,
    type: row.type,
    platformId: row.platform_id,
    key: row.key,
    payload: row.payload,
    emittedAt: row.emitted_at instanceof Date ? row.emitted_at.toISOString() : String(row.emitted_at),
    traceparent: row.traceparent,
    causedBy: row.caused_by,
    attempt,
    offset,
  };
}
