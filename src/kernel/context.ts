// What the kernel hands every module: configuration, the database (guarded for tenancy), the platform
// directory, the admin authenticator, logger and metrics registry. Modules depend on these shapes only.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Config } from './config.ts';
import type { Database, Queryable } from './db/types.ts';
import type { PlatformDb, TxScope } from './db/scoped.ts';
import type { OperationDocs } from './http/openapi-problems.ts';

export interface Platform {
  id: string;
  slug: string;
  name: string;
  /** Host names (no port) the storefront answers on for this platform. */
  hosts: string[];
  defaultCurrency: string;
  /** Currencies prices may be set in; the default currency is always first. */
  currencies: string[];
  defaultLocale: string;
  locales: string[];
  /** Optional modules switched on for this platform (core modules are always on). */
  modules: string[];
  settings: Record<string, unknown>;
  status: 'active' | 'disabled';
  createdAt: string;
  updatedAt: string;
}

export type AdminRole = 'owner' | 'platform_admin' | 'support';

export interface AdminPrincipal {
  kind: 'admin_user' | 'api_key';
  id: string;
  label: string;
  role: AdminRole;
  /** 'all' for owners; otherwise the platforms this principal may see. */
  platformIds: string[] | 'all';
}

export interface PlatformDirectory {
  byHost(host: string): Platform | undefined;
  byPublishableKey(key: string): Platform | undefined;
  byId(id: string): Platform | undefined;
  bySlug(slug: string): Platform | undefined;
  all(): Platform[];
  /** Re-reads platforms from the database (on another node's change). */
  reload(): Promise<void>;
  /** After a committed platform write on this node: re-reads here and tells the other nodes to. */
  changed(): Promise<void>;
}

/**
 * One event of a batch (emitMany, scheduleMany). trace: the emitting request's currentTrace(), captured
 * when it queued (a batch that serves many requests); without the key, the current trace, as emit uses.
 */
export interface BatchedEventInput {
  type: string;
  payload: unknown;
  key?: string | null;
  trace?: { traceparent: string; causedBy: string | null } | undefined;
}

/** The event backbone as modules use it (implemented by the events module's EventBus). */
export interface EventsApi {
  /** Records an event in the caller's transaction; delivered at least once after commit. Returns its id. */
  emit(tx: Queryable | PlatformDb, type: string, payload: unknown, options?: { key?: string | null; platformId?: string | null }): Promise<string>;
  /**
   * Records a batch of one platform's events with one statement (for callers that group many requests into
   * one transaction). Pass each request's currentTrace() as trace, captured when it queued. Ids in order.
   */
  emitMany(tx: PlatformDb, events: readonly BatchedEventInput[]): Promise<string[]>;
  /** A durable timer: emits the event at `at`, once, surviving restarts. Returns the timer id. */
  schedule(tx: Queryable | PlatformDb, at: Date, type: string, payload: unknown, options?: { key?: string | null; platformId?: string | null }): Promise<string>;
  /** Several durable timers of one platform with one statement (see emitMany). Timer ids in order. */
  scheduleMany(tx: PlatformDb, timers: readonly (BatchedEventInput & { at: Date })[]): Promise<string[]>;
  cancelTimer(tx: Queryable | PlatformDb, timerId: string): Promise<boolean>;
  subscribe(
    consumer: string,
    types: string[],
    handler: (event: DeliveredEventView, tx: TxScope) => Promise<void>,
    options?: {
      ordered?: boolean;
      maxAttempts?: number;
      backoff?: { initialMs?: number; maxMs?: number; factor?: number };
      /** Events this returns false for are passed over without a handler call or an inbox row. */
      accepts?: (event: DeliveredEventView) => boolean;
    },
  ): void;
}

export interface DeliveredEventView {
  id: string;
  type: string;
  platformId: string | null;
  key: string | null;
  payload: unknown;
  emittedAt: string;
  traceparent: string | null;
  causedBy: string | null;
  attempt: number;
  offset: number;
}

export interface ModuleContext {
  config: Config;
  /** The database for non-platform tables; platform tables need platformDb(). */
  db: Database;
  platformDb(platformId: string): PlatformDb;
  /** A transaction across system tables and any platform's tables (event handlers, cross-cutting jobs). */
  transaction<T>(fn: (tx: TxScope) => Promise<T>): Promise<T>;
  platforms: PlatformDirectory;
  events: EventsApi;
  log: FastifyBaseLogger;
  metrics: Registry;
}

export interface SoukModule {
  name: string;
  /** Core modules are always on; optional ones are enabled per platform in its metadata. */
  core: boolean;
  description: string;
  /** Folder of versioned `NNNN_name.sql` migrations, applied in file-name order. */
  migrationsDir: URL;
  /** Tables that carry platform_id and must only be reached through platformDb(). */
  tenantTables: string[];
  /**
   * JSON schema for this module's entry in a platform's `settings` (settings[module.name]).
   * Checked when a platform is created or updated.
   */
  settingsSchema?: Record<string, unknown>;
  routes(app: FastifyInstance, ctx: ModuleContext): Promise<void> | void;
  /** Operation ids, descriptions and problem codes of this module's routes, for the OpenAPI document. */
  openapi?: OperationDocs;
  /** Subscribes the module's event handlers (ctx.events.subscribe); called once before the bus starts. */
  subscribe?(ctx: ModuleContext): void;
}
