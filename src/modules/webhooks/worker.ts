// The delivery worker: finds due deliveries, sends them with bounded concurrency (in total and per
// endpoint, so one hanging receiver cannot hold every slot), records each attempt and schedules retries.
//
// It does not poll every platform all the time. A platform gets a look when this node queued something
// there (fan-out, test, replay), when one of its attempts finished (a slot and endpoint room freed up),
// when a retry this node scheduled falls due, and every SOUK_WEBHOOK_POLL_MS for work queued or left by
// other nodes (one indexed query per platform with the module on). Claims are row locks with skip
// locked plus a lease (locked_until), so any number of nodes can run this side by side.
import { Counter, Histogram, type Registry } from 'prom-client';
import type { ModuleContext } from '../../kernel/context.ts';
import { claimDue, pruneFinished, recordAttempt, releaseClaim, type ClaimedDelivery } from './queue.ts';
import { sendAttempt, type SendOutcome } from './send.ts';
import { deliveryPolicy, retryDelayMs, type DeliveryPolicy, type WebhookEnvSettings } from './settings.ts';

export const MODULE_NAME = 'webhooks';
const TICK_MS = 50;
/** A claim outlives the attempt's timeout by this much; only a crashed worker's claim ever expires. */
const LEASE_MARGIN_MS = 30_000;
const PRUNE_EVERY_MS = 3600_000;
const STOP_WAIT_MS = 5_000;

interface WorkerMetrics {
  attempts: Counter<'outcome'>;
  seconds: Histogram;
}

function workerMetrics(registry: Registry): WorkerMetrics {
  const existing = registry.getSingleMetric('souk_webhook_attempts_total');
  const seconds = registry.getSingleMetric('souk_webhook_attempt_duration_seconds');
  if (existing && seconds) return { attempts: existing as Counter<'outcome'>, seconds: seconds as Histogram };
  const registers = [registry];
  return {
    attempts: new Counter({
      name: 'souk_webhook_attempts_total',
      help: 'Webhook delivery attempts by what became of the delivery (succeeded, failed and retried, dead)',
      labelNames: ['outcome'],
      registers,
    }),
    seconds: new Histogram({
      name: 'souk_webhook_attempt_duration_seconds',
      help: 'Time from the start of a webhook POST to its answer (or timeout)',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
  };
}

export class DeliveryWorker {
  /** Platform id → epoch ms from which it is worth claiming there. */
  private readonly hints = new Map<string, number>();
  /** Platforms whose last look filled every free slot: more may be due as soon as one frees up. */
  private readonly backlogged = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly perEndpoint = new Map<string, number>();
  private readonly stopping = new AbortController();
  private readonly metrics: WorkerMetrics;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private lastSweep = 0;
  private lastPrune = 0;

  constructor(
    private readonly ctx: ModuleContext,
    private readonly settings: WebhookEnvSettings,
  ) {
    this.metrics = workerMetrics(ctx.metrics);
  }

  start(): void {
    if (this.timer || this.stopping.signal.aborted) return;
    this.timer = setInterval(() => this.kick(), TICK_MS);
    this.timer.unref();
  }

  /** Asks for a look at the platform's queue now. */
  nudge(platformId: string): void {
    if (this.stopping.signal.aborted) return;
    this.hint(platformId, Date.now());
    setImmediate(() => this.kick());
  }

  /** Asks for a look at the platform's queue in `ms` (a retry falling due). */
  nudgeLater(platformId: string, ms: number): void {
    setTimeout(() => this.nudge(platformId), ms).unref();
  }

  private hint(platformId: string, atMs: number): void {
    const current = this.hints.get(platformId);
    if (current === undefined || atMs < current) this.hints.set(platformId, atMs);
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Stops claiming, aborts attempts in flight (their claims are handed back uncounted) and waits for them. */
  async stop(): Promise<void> {
    if (this.stopping.signal.aborted) return;
    this.stopping.abort();
    clearInterval(this.timer);
    const settle = Promise.allSettled([this.ticking, ...this.inFlight]);
    const timeout = new Promise((resolve) => setTimeout(resolve, STOP_WAIT_MS).unref());
    await Promise.race([settle, timeout]);
  }

  private kick(): void {
    if (this.ticking || this.stopping.signal.aborted) return;
    this.ticking = this.tick()
      .catch((error: unknown) => this.ctx.log.warn({ err: error }, 'webhook worker step failed'))
      .finally(() => {
        this.ticking = undefined;
      });
  }

  private enabledPlatformIds(): string[] {
    return this.ctx.platforms
      .all()
      .filter((p) => p.modules.includes(MODULE_NAME))
      .map((p) => p.id);
  }

  private async tick(): Promise<void> {
    const now = Date.now();
    if (now - this.lastSweep >= this.settings.pollMs) {
      this.lastSweep = now;
      for (const id of this.enabledPlatformIds()) this.hint(id, now);
      if (now - this.lastPrune >= PRUNE_EVERY_MS) {
        this.lastPrune = now;
        await this.prune();
      }
    }
    for (const [platformId, at] of [...this.hints]) {
      if (this.stopping.signal.aborted || this.freeSlots() === 0) return;
      if (at > Date.now()) continue;
      this.hints.delete(platformId);
      try {
        await this.checkPlatform(platformId);
      } catch (error) {
        // Most likely the database is away (restarting, or closing under us); look again later.
        this.hints.set(platformId, Date.now() + this.settings.pollMs);
        if (!this.stopping.signal.aborted) this.ctx.log.warn({ err: error, platformId }, 'webhook claim failed');
      }
    }
  }

  private freeSlots(): number {
    return Math.max(0, this.settings.concurrency - this.inFlight.size);
  }

  private async checkPlatform(platformId: string): Promise<void> {
    const platform = this.ctx.platforms.byId(platformId);
    if (!platform?.modules.includes(MODULE_NAME)) return;
    const policy = deliveryPolicy(this.settings, platform.settings);
    const pdb = this.ctx.platformDb(platformId);
    const limit = this.freeSlots();
    const endpointRoom = new Map<string, number>();
    for (const [endpointId, n] of this.perEndpoint) endpointRoom.set(endpointId, Math.max(0, this.settings.endpointConcurrency - n));
    const claimed = await claimDue(pdb, {
      limit,
      lockMs: policy.timeoutMs + LEASE_MARGIN_MS,
      endpointRoom,
      perEndpoint: this.settings.endpointConcurrency,
      open: (sealed) => this.ctx.secrets.open(sealed),
    });
    if (this.stopping.signal.aborted) {
      await Promise.allSettled(claimed.map((c) => releaseClaim(pdb, c)));
      return;
    }
    for (const delivery of claimed) this.launch(platformId, delivery, policy);
    // Slots ran out: more may be due. Come back when any slot frees up. (Work held back only by an
    // endpoint's limit is looked at again when one of that platform's attempts finishes.)
    if (claimed.length >= limit) this.backlogged.add(platformId);
  }

  private launch(platformId: string, delivery: ClaimedDelivery, policy: DeliveryPolicy): void {
    const endpointId = delivery.endpointId;
    this.perEndpoint.set(endpointId, (this.perEndpoint.get(endpointId) ?? 0) + 1);
    const attempt = this.attempt(platformId, delivery, policy)
      .catch((error: unknown) => this.ctx.log.warn({ err: error, platformId, deliveryId: delivery.id }, 'recording a webhook attempt failed'))
      .finally(() => {
        const left = (this.perEndpoint.get(endpointId) ?? 1) - 1;
        if (left > 0) this.perEndpoint.set(endpointId, left);
        else this.perEndpoint.delete(endpointId);
        this.inFlight.delete(attempt);
        // A slot is free: this platform and those with work left behind get the next look.
        this.nudge(platformId);
        for (const id of this.backlogged) this.nudge(id);
        this.backlogged.clear();
      });
    this.inFlight.add(attempt);
  }

  private async attempt(platformId: string, delivery: ClaimedDelivery, policy: DeliveryPolicy): Promise<void> {
    const pdb = this.ctx.platformDb(platformId);
    // An unreadable secret (SOUK_SECRET_KEY changed without SOUK_SECRET_KEY_PREVIOUS) fails the attempt
    // visibly in the attempt log, and it is retried like any failure once the key is put right.
    const outcome: SendOutcome = delivery.secretError !== undefined
      ? { ok: false, statusCode: null, latencyMs: 0, error: delivery.secretError, responseExcerpt: null }
      : await sendAttempt(delivery, {
        timeoutMs: policy.timeoutMs,
        stop: this.stopping.signal,
        allowPrivateTargets: this.settings.allowPrivateTargets,
      });
    if (delivery.secretError !== undefined) this.ctx.log.warn({ platformId, deliveryId: delivery.id }, delivery.secretError);
    if (outcome.abortedByStop) {
      await releaseClaim(pdb, delivery);
      return;
    }
    this.metrics.seconds.observe(outcome.latencyMs / 1000);
    const retryIn = outcome.ok || delivery.attemptInRound >= policy.maxAttempts ? null : retryDelayMs(policy, delivery.attemptInRound, outcome.retryAfterMs);
    const status = await recordAttempt(pdb, delivery, outcome, retryIn);
    this.metrics.attempts.inc({ outcome: status });
    if (retryIn !== null) this.nudgeLater(platformId, retryIn);
  }

  private async prune(): Promise<void> {
    for (const id of this.enabledPlatformIds()) {
      if (this.stopping.signal.aborted) return;
      try {
        await pruneFinished(this.ctx.platformDb(id), this.settings.retentionDays);
      } catch (error) {
        this.ctx.log.warn({ err: error, platformId: id }, 'pruning old webhook deliveries failed');
      }
    }
  }
}

/** What the webhooks module keeps per running Souk (tests start several in one process). */
export interface WebhooksRuntime {
  settings: WebhookEnvSettings;
  /** The delivery worker, when this process runs one (the worker role); started and stopped with the module. */
  worker: DeliveryWorker | undefined;
}

export function createWebhooksRuntime(ctx: ModuleContext): WebhooksRuntime {
  const settings = ctx.config.webhooks;
  return { settings, worker: ctx.config.eventsWorker ? new DeliveryWorker(ctx, settings) : undefined };
}
