// The event bus a module sees: emit and schedule inside its transaction, subscribe handlers. Behind it
// run the relay (outbox → transport), the timer poller, the consumers and the retention janitor, in the
// processes that have the worker role.
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../kernel/config.ts';
import type { PlatformDirectory } from '../../kernel/context.ts';
import type { Database, Queryable } from '../../kernel/db/types.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import type { RunTransaction } from './deliver.ts';
import type { EventMetrics } from './metrics.ts';
import { cancelTimer, emitEvent, emitEvents, scheduleEvent, scheduleEvents } from './outbox.ts';
import { fireDueTimers, outboxBacklog, pruneLog } from './relay.ts';
import { IdleBackoff, pause, WakeSignal, type ConsumerRunner, type Transport } from './transport.ts';
import type { BatchedEvent, EmitOptions, EventHandler, SubscribeOptions, Subscription } from './types.ts';

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
  private readonly runners: ConsumerRunner[] = [];
  private readonly relayWake = new WakeSignal();
  private readonly consumerWake = new WakeSignal();
  private transport: Transport | undefined;
  private running = false;
  private relayWakeScheduled = false;
  private loops: Promise<void>[] = [];
  private readonly loopWakes: WakeSignal[] = [this.relayWake];

  constructor(private readonly deps: EventBusDeps) {}

  /** Records an event in the caller's transaction (outbox). */
  async emit(tx: Queryable | PlatformDb, type: string, payload: unknown, options?: EmitOptions): Promise<string> {
    const id = await emitEvent(tx, type, payload, options);
    this.wakeRelaySoon();
    return id;
  }

  /** Records a batch of one platform's events with one statement in the caller's transaction. */
  async emitMany(tx: PlatformDb, events: readonly BatchedEvent[]): Promise<string[]> {
    const ids = await emitEvents(tx, events);
    if (ids.length > 0) this.wakeRelaySoon();
    return ids;
  }

  /** The caller's transaction commits in a moment; let the relay look soon rather than at its next poll. One timer serves a whole burst of emits. */
  private wakeRelaySoon(): void {
    if (this.relayWakeScheduled) return;
    this.relayWakeScheduled = true;
    setTimeout(() => {
      this.relayWakeScheduled = false;
      this.relayWake.wake();
    }, 1).unref();
  }

  schedule(tx: Queryable | PlatformDb, at: Date, type: string, payload: unknown, options?: EmitOptions): Promise<string> {
    return scheduleEvent(tx, at, type, payload, options);
  }

  /** Several durable timers of one platform with one statement in the caller's transaction. */
  scheduleMany(tx: PlatformDb, timers: readonly (BatchedEvent & { at: Date })[]): Promise<string[]> {
    return scheduleEvents(tx, timers);
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
    const accepts = this.acceptsFor(options);
    if (accepts) sub.accepts = accepts;
    this.subscriptions.set(consumer, sub);
    if (this.running && this.transport) this.runners.push(this.transport.startConsumer(sub, this.consumerWake));
  }

  /** The subscription's filter: its own accepts test, after forModule's check that the platform has the module on. */
  private acceptsFor({ accepts, forModule }: SubscribeOptions): Subscription['accepts'] {
    if (forModule === undefined) return accepts;
    const { platforms } = this.deps;
    if (!platforms) throw new Error(`forModule "${forModule}" needs an event bus that knows the platforms`);
    return (event) => {
      const on = event.platformId !== null && platforms.byId(event.platformId)?.modules.includes(forModule) === true;
      return on && (accepts?.(event) ?? true);
    };
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

  /** Attaches the transport; with `work`, also runs relay, timers, consumers and pruning in this process. */
  async start(transport: Transport, work: boolean): Promise<void> {
    this.transport = transport;
    if (!work) return;
    this.running = true;
    for (const sub of this.subscriptions.values()) this.runners.push(transport.startConsumer(sub, this.consumerWake));
    this.loops.push(this.loop('relay', this.relayWake, async () => {
      const moved = await transport.relay(this.deps.config.eventsBatchSize);
      if (moved > 0) {
        this.deps.metrics.published.inc({ transport: transport.kind }, moved);
        this.consumerWake.wake();
      }
      return moved > 0;
    }));
    this.loops.push(this.loop('timers', this.newWake(), async () => (await fireDueTimers(this.deps.db, 500)) > 0, 4));
    this.loops.push(this.loop('janitor', this.newWake(), async () => {
      await pruneLog(this.deps.db, this.deps.config.eventsRetentionHours * 3600_000);
      this.deps.metrics.outboxBacklog.set(await outboxBacklog(this.deps.db));
      for (const consumer of this.subscriptions.keys()) this.deps.metrics.consumerLag.set({ consumer }, await transport.lag(consumer));
      return false;
    }, 200));
  }

  private newWake(): WakeSignal {
    const wake = new WakeSignal();
    this.loopWakes.push(wake);
    return wake;
  }

  /** Runs step until stop(); when a step finds nothing to do, sleeps pollMs × slower, backing off while idle. */
  private async loop(name: string, wake: WakeSignal, step: () => Promise<boolean>, slower = 1): Promise<void> {
    const { eventsPollMs, eventsIdleMaxMs } = this.deps.config;
    const idle = new IdleBackoff(eventsPollMs * slower, Math.max(eventsIdleMaxMs, eventsPollMs * slower));
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
    while ((await transport.relay(this.deps.config.eventsBatchSize)) > 0) this.consumerWake.wake();
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const wake of this.loopWakes) wake.wake();
    await Promise.all(this.runners.splice(0).map((r) => r.stop()));
    await Promise.all(this.loops.splice(0));
    await this.transport?.close();
  }
}
