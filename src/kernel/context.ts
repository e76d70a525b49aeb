// What the kernel hands every module: configuration, the database (guarded for tenancy), the platform
// directory, the admin authenticator, logger and metrics registry. Modules depend on these shapes only.
import type { DatabaseSwitch } from './db/swappable.ts';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { TSchema } from 'typebox';
import type { Config } from './config.ts';
import type { Database, Queryable } from './db/types.ts';
import type { PlatformDb, TxScope } from './db/scoped.ts';
import type { SealedColumn } from './sealed-columns.ts';
import type { OperationDocs } from './http/openapi-problems.ts';
import type { RiskGate } from './risk-gate.ts';

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

/**
 * host: a live-commerce host of some platforms. It may call only routes that let hosts in (config.hostRole,
 * the live rooms) and, there, only the rooms it hosts or moderates; every other admin route answers 403.
 */
export type AdminRole = 'owner' | 'platform_admin' | 'support' | 'host';

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
 * The event catalogue: event type → payload type. Empty here so the kernel names no module: each module
 * declares its own map in its events.ts and src/modules/events-catalogue.ts merges them all into this one.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface SoukEvents {}

/** The name of an event in the catalogue. */
export type SoukEventType = keyof SoukEvents & string;

/** A subscription to many types at once: "*" or a prefix ending in ".*" ("order.*"). Payloads arrive as unknown. */
export type EventPattern = '*' | `${string}.*`;

/**
 * One event of a batch (emitMany, scheduleMany). trace: the emitting request's currentTrace(), captured
 * when it queued (a batch that serves many requests); without the key, the current trace, as emit uses.
 */
export interface BatchedEventInput<T extends string = string, P = unknown> {
  type: T;
  payload: P;
  key?: string | null;
  trace?: { traceparent: string; causedBy: string | null } | undefined;
}

/** A batched event of the catalogue: its payload checked against its type. */
export type SoukBatchedEvent = { [T in SoukEventType]: BatchedEventInput<T, SoukEvents[T]> }[SoukEventType];

export interface EmitOptionsView {
  key?: string | null;
  platformId?: string | null;
}

export interface SubscribeOptionsView<E> {
  ordered?: boolean;
  maxAttempts?: number;
  backoff?: { initialMs?: number; maxMs?: number; factor?: number };
  /** Events this returns false for are passed over without a handler call or an inbox row. */
  accepts?: (event: E) => boolean;
  /**
   * Only events of platforms that have this optional module on reach the handler (events with no
   * platform never do); the others are passed over like a false from accepts.
   */
  forModule?: string;
}

/**
 * The event backbone as modules use it (implemented by the events module's EventBus). Types and payloads
 * are checked against the catalogue (SoukEvents); the bus itself also takes names outside it (tests, replay).
 */
export interface EventsApi {
  /** Records an event in the caller's transaction; delivered at least once after commit. Returns its id. */
  emit<K extends SoukEventType>(tx: Queryable | PlatformDb, type: K, payload: SoukEvents[K], options?: EmitOptionsView): Promise<string>;
  /**
   * Records a batch of one platform's events with one statement (for callers that group many requests into
   * one transaction). Pass each request's currentTrace() as trace, captured when it queued. Ids in order.
   */
  emitMany(tx: PlatformDb, events: readonly SoukBatchedEvent[]): Promise<string[]>;
  /** A durable timer: emits the event at `at`, once, surviving restarts. Returns the timer id. */
  schedule<K extends SoukEventType>(tx: Queryable | PlatformDb, at: Date, type: K, payload: SoukEvents[K], options?: EmitOptionsView): Promise<string>;
  /** Several durable timers of one platform with one statement (see emitMany). Timer ids in order. */
  scheduleMany(tx: PlatformDb, timers: readonly (SoukBatchedEvent & { at: Date })[]): Promise<string[]>;
  cancelTimer(tx: Queryable | PlatformDb, timerId: string): Promise<boolean>;
  /** Handles the catalogue's types K: the handler sees each event's payload typed by its type. */
  subscribe<K extends SoukEventType>(
    consumer: string,
    types: readonly K[],
    handler: (event: SoukDeliveredEvent<K>, tx: TxScope) => Promise<void>,
    options?: SubscribeOptionsView<SoukDeliveredEvent<K>>,
  ): void;
  /** Handles every type matching the patterns ("*", "order.*"): payloads are unknown. */
  subscribe(
    consumer: string,
    types: readonly EventPattern[],
    handler: (event: DeliveredEventView, tx: TxScope) => Promise<void>,
    options?: SubscribeOptionsView<DeliveredEventView>,
  ): void;
}

export interface DeliveredEventView<T extends string = string, P = unknown> {
  id: string;
  type: T;
  platformId: string | null;
  key: string | null;
  payload: P;
  emittedAt: string;
  traceparent: string | null;
  causedBy: string | null;
  /** 1 on first delivery, then 2, 3, … */
  attempt: number;
  /** Position in the transport: log seq (embedded) or stream sequence (JetStream). */
  offset: number;
}

/**
 * Sealing for secrets a module must read back (kernel/secret-box.ts), with the installation key. What
 * only needs comparing is hashed instead and never comes here.
 */
export interface SecretsApi {
  /** `v1.…` ciphertext of the text, with the current key. */
  seal(plaintext: string): string;
  /** The text back, from a value sealed with the current or the previous key; throws when it cannot. */
  open(sealed: string): string;
  /**
   * An HMAC-SHA256 (base64url) of the data under a key derived from the installation key for this
   * purpose: for short-lived tokens the server signs and checks itself (risk challenges). The current key only.
   */
  mac(purpose: string, data: string): string;
}

/** A delivered event of one of the catalogue's types K; checking event.type narrows its payload. */
export type SoukDeliveredEvent<K extends SoukEventType> = { [T in K]: DeliveredEventView<T, SoukEvents[T]> }[K];

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
  secrets: SecretsApi;
  /**
   * Another module's per-process runtime in this Souk, for a module service whose state is per process
   * (cart's strategies). Call it when the service is used, not at import: runtimes are made at boot.
   */
  runtimeOf<R>(module: SoukModule<R>): R;
  /**
   * The risk engine's gate for decision points (kernel/risk-gate.ts): modules that do not depend on the
   * risk module ask it here. Allows everything for a platform without the risk module.
   */
  riskGate: RiskGate;
  /**
   * Set when this process serves an embedded (PGlite) database: the switch a database move run inside
   * the server uses to pause statements and carry on against the new database (kernel/db/swappable.ts).
   * dataDir is undefined for an in-memory database; migrateTarget creates Souk's schema on a target.
   */
  embeddedDatabase?: { control: DatabaseSwitch; dataDir: string | undefined; migrateTarget(db: Database): Promise<void> };
}

/**
 * A module of Souk. R is the module's per-process runtime (caches, workers, connections): made once per
 * running Souk by createRuntime, handed to routes, subscribe, start and stop, and dropped with the Souk.
 * Nothing a module keeps per process lives anywhere else (no module-level maps or singletons), so two
 * Souks in one process (the tests) never share state and close() can stop everything it started.
 *
 * Boot: createRuntime (dependency order) → routes → app ready → start (dependency order) → subscribe →
 * event bus starts. close(): HTTP stops → stop (reverse order, each within SOUK_SHUTDOWN_TIMEOUT_MS) →
 * event bus stops → database closes. See kernel/lifecycle.ts.
 */
export interface SoukModule<R = void> {
  name: string;
  /** Core modules are always on; optional ones are enabled per platform in its metadata. */
  core: boolean;
  description: string;
  /** Folder of versioned `NNNN_name.sql` migrations, applied in file-name order. */
  migrationsDir: URL;
  /** Tables that carry platform_id and must only be reached through platformDb(). */
  tenantTables: string[];
  /** Columns holding values sealed with ctx.secrets: rotated by `souk secrets rotate` (kernel/sealed-columns.ts). */
  sealedColumns?: SealedColumn[];
  /**
   * TypeBox schema for this module's entry in a platform's `settings` (settings[module.name]).
   * Checked when a platform is created or updated.
   */
  settingsSchema?: TSchema;
  /** Names of modules that must be started before this one and stopped after it. */
  dependsOn?: string[];
  /** Builds this module's per-process runtime; nothing runs in the background yet (that is start). */
  createRuntime?(ctx: ModuleContext): R | Promise<R>;
  /** Starts the module's background work (workers, timers, listeners) once the app is ready. */
  start?(ctx: ModuleContext, runtime: R): Promise<void> | void;
  /** Stops what start began and releases the runtime's resources; bounded by SOUK_SHUTDOWN_TIMEOUT_MS. */
  stop?(ctx: ModuleContext, runtime: R): Promise<void> | void;
  routes(app: FastifyInstance, ctx: ModuleContext, runtime: R): Promise<void> | void;
  /** Operation ids, descriptions and problem codes of this module's routes, for the OpenAPI document. */
  openapi?: OperationDocs;
  /** Subscribes the module's event handlers (ctx.events.subscribe); called once before the bus starts. */
  subscribe?(ctx: ModuleContext, runtime: R): void;
}

/** A module of any runtime type, as lists of modules hold them (method parameters compare bivariantly). */
export type AnySoukModule = SoukModule<unknown>;
