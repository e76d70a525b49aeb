// The event bus a module sees: emit and schedule inside its transaction, subscribe handlers. Behind it
// run the relay (outbox → transport), the timer poller, the consumers and the retention janitor, in the
// processes that have the worker role.
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../kernel/config.ts';
import type { PlatformDirectory } from '../../kernel/context.ts';
import type { Database, Queryable } from '../../kernel/db/types.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { newId } from '../../kernel/ids.ts';
import { deliverDueRetries, type DeliveryDeps } from './consumer-loop.ts';
import type { RunTransaction } from './deliver.ts';
import type { EventMetrics } from './metrics.ts';
import { cancelTimer, emitEvent, emitEvents, outboxWrite, scheduleEvent, scheduleEvents } from './outbox.ts';
import { fireDueTimers, outboxBacklog, pruneLog, type EventKind, type RelayExtras, type RelayNotice } from './relay.ts';
import { IdleBackoff, pause, WakeSignal, type ConsumerRunner, type Transport } from './transport.ts';
import { matchesType, type BatchedEvent, type EmitOptions, type EventHandler, type SubscribeOptions, type Subscription } from './types.ts';

/** The NOTIFY channel on which a node's relay tells the others what it moved (embedded transport on PostgreSQL). */
const RELAYED_CHANNEL = 'souk_events_relayed';
/** A NOTIFY payload must stay under 8,000 bytes; a batch of more kinds than fit wakes every consumer. */
const NOTICE_MAX_CHARS = 7_500;
// How long idle loops sleep at most. What is emitted, relayed, scheduled or parked on this node (and, on
// PostgreSQL, emitted or relayed by any node) wakes them at once, so these bound only what nothing
// announces: timers and retries written by other nodes, rows written to the outbox by hand, a wake-up
// that came before its commit, and a consumer's move past events it does not take.
const RELAY_IDLE_MAX_MS = 5_000;
const TIMERS_IDLE_MAX_MS = 5_000;
const RETRIES_IDLE_MAX_MS = 5_000;
const JANITOR_EVERY_MS = 30_000;

export interface EventBusDeps {
  config: Config;
  db: Database;
  transaction: RunTransaction;
  metrics: EventMetrics;
  log: FastifyBaseLogger;
  /** Where subscriptions with forModule look up whether a platform has the module on. */
  platforms?: Pick<PlatformDirectory, 'byId'>;
}

export class EventBus {
  private readonly subscriptions = new Map<string, Subscription>();
  /** Each consumer's own wake-up: a relay wakes only the consumers of the kinds it moved. */
  private readonly consumerWakes = new Map<string, WakeSignal>();
  private readonly runners: ConsumerRunner[] = [];
  private readonly relayWake = new WakeSignal();
  private readonly timersWake = new WakeSignal();
  private readonly retriesWake = new WakeSignal();
  private readonly janitorWake = new WakeSignal();
  private transport: Transport | undefined;
  private running = false;
  private relayWakeScheduled = false;
  private loops: Promise<void>[] = [];
  private readonly loopWakes: WakeSignal[] = [this.relayWake, this.timersWake, this.retriesWake, this.janitorWake];
  /** Wake-ups planned for timers and parked retries falling due soon, cleared on stop. */
  private readonly dueWakes = new Set<NodeJS.Timeout>();
  private stopListening: (() => Promise<void>) | undefined;
  /** Tells this node's own relay notices from other nodes'. */
  private readonly nodeId = newId();

  constructor(private readonly deps: EventBusDeps) {}

  /**
   * The NOTIFY a relay on PostgreSQL sends with each batch, so the consumers of other nodes wake for what
   * concerns them (see start()).
   */
  readonly relayNotice: RelayNotice = {
    channel: RELAYED_CHANNEL,
    payload: (kinds) => {
      const full = JSON.stringify({ node: this.nodeId, kinds: kinds.map((k) => [k.type, k.platformId]) });
      return full.length <= NOTICE_MAX_CHARS ? full : JSON.stringify({ node: this.nodeId });
    },
  };

  /** This bus's outbox rows held by transactions: once they are committed, the relay may look. */
  private readonly outbox = outboxWrite(() => this.wakeRelaySoon());

  /** Records an event in the caller's transaction (outbox). */
  async emit(tx: Queryable | PlatformDb, type: string, payload: unknown, options?: EmitOptions): Promise<string> {
    const id = await emitEvent(tx, type, payload, options, this.outbox);
    // A held row wakes the relay after its commit (this.outbox); one written at once, now.
    if (!tx.atCommit) this.wakeRelaySoon();
    return id;
  }

  /** Records a batch of one platform's events with one statement in the caller's transaction. */
  async emitMany(tx: PlatformDb, events: readonly BatchedEvent[]): Promise<string[]> {
    // Always held (see emitEvents): this.outbox wakes the relay once they are committed.
    return emitEvents(tx, events, this.outbox);
  }

  /**
   * Events were committed (or, written at once, will be in a moment); let the relay look soon rather than
   * at its next poll. One timer serves a whole burst of emits. A node without the worker role has no relay: on PostgreSQL
   * it tells the workers instead, at most once per poll interval.
   */
  private wakeRelaySoon(): void {
    if (this.relayWakeScheduled) return;
    this.relayWakeScheduled = true;
    const local = this.running;
    const { db, config } = this.deps;
    if (!local && (db.kind !== 'postgres' || !this.transport)) return void (this.relayWakeScheduled = false);
    setTimeout(() => {
      if (local) {
        this.relayWakeScheduled = false;
        this.relayWake.wake();
        return;
      }
      db.execute('select pg_notify($1, $2)', [RELAYED_CHANNEL, JSON.stringify({ node: this.nodeId, outbox: true })])
        .catch((error: unknown) => this.deps.log.warn({ err: error }, 'could not wake the relay on the worker nodes'))
        .finally(() => setTimeout(() => (this.relayWakeScheduled = false), config.eventsPollMs).unref());
    }, 1).unref();
  }

  async schedule(tx: Queryable | PlatformDb, at: Date, type: string, payload: unknown, options?: EmitOptions): Promise<string> {
    const id = await scheduleEvent(tx, at, type, payload, options);
    this.wakeAt(this.timersWake, at);
    return id;
  }

  /** Several durable timers of one platform with one statement in the caller's transaction. */
  async scheduleMany(tx: PlatformDb, timers: readonly (BatchedEvent & { at: Date })[]): Promise<string[]> {
    const ids = await scheduleEvents(tx, timers);
    for (const timer of timers) this.wakeAt(this.timersWake, timer.at);
    return ids;
  }

  /**
   * Wakes a loop when something falls due sooner than its longest idle sleep (later ones it finds on its
   * own). A little after `at`, so a timer written in a transaction still committing is there.
   */
  private wakeAt(wake: WakeSignal, at: Date): void {
    if (!this.running) return;
    const ms = at.getTime() - Date.now() + 5;
    if (ms >= TIMERS_IDLE_MAX_MS) return;
    const timer = setTimeout(() => {
      this.dueWakes.delete(timer);
      wake.wake();
    }, Math.max(0, ms));
    timer.unref();
    this.dueWakes.add(timer);
  }

  /** A handler failed and its event was parked until `dueAt` (called by the transports' delivery). */
  retryParked(dueAt: Date): void {
    this.wakeAt(this.retriesWake, dueAt);
  }

  /** A dead letter was put back for its consumer on this node: look at once. */
  retryRequeued(): void {
    this.retriesWake.wake();
  }

  cancelTimer(tx: Queryable | PlatformDb, timerId: string): Promise<boolean> {
    return cancelTimer(tx, timerId);
  }

  subscribe(consumer: string, types: readonly string[], handler: EventHandler, options: SubscribeOptions = {}): void {
    if (!/^[a-z][a-z0-9_.-]{0,99}$/.test(consumer)) throw new Error(`Consumer name "${consumer}" must be lower-case letters, digits, dots, dashes or underscores.`);
    if (this.subscriptions.has(consumer)) throw new Error(`Consumer "${consumer}" is already subscribed.`);
    const { config } = this.deps;
    const sub: Subscription = {
      consumer,
      types,
      handler,
      ordered: options.ordered ?? false,
      maxAttempts: options.maxAttempts ?? config.eventsMaxAttempts,
      backoff: { initialMs: config.eventsRetryInitialMs, maxMs: config.eventsRetryMaxMs, factor: 2, ...options.backoff },
    };
    const wantsPlatform = this.platformFilter(options.forModule);
    if (wantsPlatform) sub.wantsPlatform = wantsPlatform;
    const { accepts } = options;
    if (wantsPlatform || accepts) sub.accepts = (event) => (wantsPlatform?.(event.platformId) ?? true) && (accepts?.(event) ?? true);
    this.subscriptions.set(consumer, sub);
    this.consumerWakes.set(consumer, new WakeSignal());
    if (this.running && this.transport) this.runners.push(this.transport.startConsumer(sub, this.consumerWakes.get(consumer)!));
  }

  /** forModule's test: the event's platform has the module on. */
  private platformFilter(forModule: string | undefined): Subscription['wantsPlatform'] {
    if (forModule === undefined) return undefined;
    const { platforms } = this.deps;
    if (!platforms) throw new Error(`forModule "${forModule}" needs an event bus that knows the platforms`);
    return (platformId) => platformId !== null && platforms.byId(platformId)?.modules.includes(forModule) === true;
  }

  /** Whether the subscription takes any of the kinds (its types, and forModule's platforms). */
  private static takes(sub: Subscription, kinds: readonly EventKind[]): boolean {
    return kinds.some((k) => matchesType(sub.types, k.type) && (sub.wantsPlatform?.(k.platformId) ?? true));
  }

  /** Wakes the consumers that take one of the kinds (all of them without a list). */
  private wakeConsumers(kinds: readonly EventKind[] | undefined): void {
    for (const [consumer, wake] of this.consumerWakes) {
      if (kinds === undefined || EventBus.takes(this.subscriptions.get(consumer)!, kinds)) wake.wake();
    }
  }

  /**
   * The bus's part of each embedded relay: on PostgreSQL the NOTIFY for the other nodes, and the consumers
   * of this node that take nothing of a batch (the relay moves them past it; see RelayExtras).
   */
  relayExtras(notify: boolean): RelayExtras {
    return {
      ...(notify ? { notice: this.relayNotice } : {}),
      notTaking: (kinds) => [...this.subscriptions.values()].filter((sub) => !EventBus.takes(sub, kinds)).map((sub) => sub.consumer),
    };
  }

  /** Another node's notice: wake this node's consumers of what its relay moved, or those it replayed. */
  private onRelayNotice(payload: string): void {
    let notice: { node?: string; kinds?: [string, string | null][]; consumers?: string[]; outbox?: boolean };
    try {
      notice = JSON.parse(payload) as typeof notice;
    } catch {
      notice = {};
    }
    if (notice.node === this.nodeId) return;
    if (notice.outbox) {
      this.relayWake.wake();
      return;
    }
    if (notice.consumers) {
      for (const consumer of notice.consumers) this.consumerWakes.get(consumer)?.wake();
      return;
    }
    this.wakeConsumers(notice.kinds?.map(([type, platformId]) => ({ type, platformId })));
  }

  /** Moves a consumer back (see Transport.replay) and wakes it, on this node and, on PostgreSQL, on the others. */
  async replay(sub: Subscription, from: { offset?: number; since?: Date }): Promise<{ fromOffset: number }> {
    const transport = this.requireTransport();
    const result = await transport.replay(sub, from);
    this.consumerWakes.get(sub.consumer)?.wake();
    if (transport.kind === 'embedded' && this.deps.db.kind === 'postgres') {
      await this.deps.db.execute('select pg_notify($1, $2)', [RELAYED_CHANNEL, JSON.stringify({ node: this.nodeId, consumers: [sub.consumer] })]);
    }
    return result;
  }

  subscription(consumer: string): Subscription | undefined {
    return this.subscriptions.get(consumer);
  }

  consumers(): string[] {
    return [...this.subscriptions.keys()];
  }

  get transportKind(): Transport['kind'] | undefined {
    return this.transport?.kind;
  }

  requireTransport(): Transport {
    if (!this.transport) throw new Error('The event bus has no transport yet');
    return this.transport;
  }

  /** Attaches the transport; with `work`, also runs relay, timers, retries, consumers and pruning in this process. */
  async start(transport: Transport, work: boolean): Promise<void> {
    this.transport = transport;
    if (!work) return;
    this.running = true;
    const { config, db, log } = this.deps;
    for (const sub of this.subscriptions.values()) this.runners.push(transport.startConsumer(sub, this.consumerWakes.get(sub.consumer)!));
    if (db.listen) {
      // Missed notices (a lost connection) mean anything may have been emitted or relayed meanwhile.
      this.stopListening = await db.listen(RELAYED_CHANNEL, (payload) => this.onRelayNotice(payload), () => {
        this.relayWake.wake();
        this.wakeConsumers(undefined);
      });
    }
    this.loops.push(this.loop('relay', this.relayWake, async () => {
      const relayed = await transport.relay(config.eventsBatchSize);
      if (relayed.moved > 0) {
        this.deps.metrics.published.inc({ transport: transport.kind }, relayed.moved);
        this.wakeConsumers(relayed.kinds);
      }
      // Locked out by another node's relay, which may have read the outbox before this node's rows committed.
      return relayed.moved > 0 || relayed.lockedOut;
    }, RELAY_IDLE_MAX_MS));
    this.loops.push(this.loop('timers', this.timersWake, async () => {
      const fired = await fireDueTimers(db, 500);
      if (fired > 0) this.relayWake.wake();
      return fired > 0;
    }, TIMERS_IDLE_MAX_MS));
    const retryDeps: DeliveryDeps = {
      db,
      transaction: this.deps.transaction,
      metrics: this.deps.metrics,
      onError: (error, context) => log.warn({ err: error, ...context }, 'event delivery error'),
      onParked: (dueAt) => this.retryParked(dueAt),
    };
    this.loops.push(this.loop('retries', this.retriesWake, async () => (await deliverDueRetries(retryDeps, this.subscriptions)) > 0, RETRIES_IDLE_MAX_MS));
    this.loops.push(this.loop('janitor', this.janitorWake, async () => {
      await pruneLog(db, config.eventsRetentionHours * 3600_000);
      this.deps.metrics.outboxBacklog.set(await outboxBacklog(db));
      for (const [consumer, lag] of await transport.lags([...this.subscriptions.keys()])) this.deps.metrics.consumerLag.set({ consumer }, lag);
      return false;
    }, JANITOR_EVERY_MS, JANITOR_EVERY_MS));
  }

  /**
   * Runs step until stop(); when a step finds nothing to do, sleeps from pollMs (or minMs) doubling up to
   * idleMaxMs (default SOUK_EVENTS_IDLE_MAX_MS), unless woken.
   */
  private async loop(name: string, wake: WakeSignal, step: () => Promise<boolean>, idleMaxMs?: number, minMs?: number): Promise<void> {
    const { eventsPollMs, eventsIdleMaxMs } = this.deps.config;
    const first = minMs ?? eventsPollMs;
    const idle = new IdleBackoff(first, Math.max(idleMaxMs ?? eventsIdleMaxMs, first));
    while (this.running) {
      let busy = false;
      try {
        busy = await step();
      } catch (error) {
        this.deps.log.warn({ err: error, loop: name }, 'event loop step failed');
      }
      await pause(idle, wake, busy, () => this.running);
    }
  }

  /** Runs the relay until the outbox is empty (tests, shutdown). */
  async drainOutbox(): Promise<void> {
    const transport = this.requireTransport();
    for (;;) {
      const relayed = await transport.relay(this.deps.config.eventsBatchSize);
      if (relayed.moved === 0) return;
      this.wakeConsumers(relayed.kinds);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const timer of this.dueWakes) clearTimeout(timer);
    this.dueWakes.clear();
    await this.stopListening?.();
    this.stopListening = undefined;
    for (const wake of this.loopWakes) wake.wake();
    for (const wake of this.consumerWakes.values()) wake.wake();
    await Promise.all(this.runners.splice(0).map((r) => r.stop()));
    await Promise.all(this.loops.splice(0));
    await this.transport?.close();
  }
}
