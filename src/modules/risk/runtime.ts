// What the risk module keeps per running Souk: each platform's compiled policies and lists (loaded on
// first use, dropped when they change), the velocity counters, the decision recorder and, on PostgreSQL,
// the listener through which other nodes' policy and list changes arrive (NOTIFY is sent in the
// writing transaction, so it reaches the other nodes at commit, well within a second).
import type { ModuleContext } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { defaultPolicy } from './default-policy.ts';
import { activePolicy, platformRisk, type ActivePolicy, type PlatformRisk } from './engine.ts';
import { DECISION_POINTS, type DecisionPoint } from './policy.ts';
import { createRiskMetrics, type RiskMetrics } from './metrics.ts';
import { DecisionRecorder } from './recorder.ts';
import { SpentChallenges } from './challenge/pow.ts';
import { BUNDLED_DISPOSABLE_DOMAINS } from './signals/disposable-domains.ts';
import { SlidingCounters } from './signals/velocity.ts';
import { CounterSync } from './signals/velocity-redis.ts';
import { AccountLinks } from './signals/links.ts';
import { LinkSync } from './signals/links-redis.ts';
import { openGeoIp, type CountryOf } from './signals/geo.ts';
import { fillDeferredSignals } from './signals/extract.ts';
import { HistoryCache } from './history.ts';
import { closeRedis, openRedis, type RedisClient } from '../../kernel/redis.ts';
import { currentVersions, listEntries } from './store.ts';
import { shadowPolicies } from './shadow-store.ts';

/** The PostgreSQL channel on which nodes tell each other that a platform's risk policies or lists changed. */
export const RISK_CHANNEL = 'souk_risk_changed';
const SWEEP_MS = 60_000;

export class RiskRuntime {
  readonly counters = new SlidingCounters();
  /** Account order histories read for decisions (history.ts), cached for HISTORY_TTL_MS. */
  readonly history = new HistoryCache();
  /** Accounts seen per device, IP and address on this node (signals/links.ts). */
  readonly links = new AccountLinks();
  /** The IP's country, when SOUK_RISK_GEOIP_FILE names a MaxMind database (opened at start). */
  countryOf: CountryOf | undefined;
  readonly bundledDisposable: ReadonlySet<string> = new Set(BUNDLED_DISPOSABLE_DOMAINS);
  readonly recorder: DecisionRecorder;
  /** Challenge answers redeemed on this node: each passes once (challenge/pow.ts). */
  readonly spentChallenges = new SpentChallenges();
  readonly metrics: RiskMetrics;
  private readonly states = new Map<string, PlatformRisk>();
  private readonly loading = new Map<string, Promise<PlatformRisk>>();
  /** Bumped by every invalidation, so a load that started before it does not cache what it read. */
  private generation = 0;
  private unlisten: (() => Promise<void>) | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private redis: RedisClient | undefined;
  /** With REDIS_URL: sends this node's velocity hits to Redis every 100 ms and reads the cluster's back. */
  counterSync: CounterSync | undefined;
  /** With REDIS_URL: adds this node's account links to Redis sets and reads the cluster's counts back. */
  linkSync: LinkSync | undefined;

  constructor(private readonly ctx: Pick<ModuleContext, 'db' | 'platformDb' | 'log' | 'metrics' | 'config'>) {
    // Stored decisions get the signals their policy did not need filled in, off the decision path.
    this.recorder = new DecisionRecorder(ctx, (decision) => fillDeferredSignals(decision.input, decision.signals, this.countryOf));
    this.metrics = createRiskMetrics(ctx.metrics);
  }

  /** The platform's compiled state if it is loaded: the decision path's fast case, with no await. */
  loaded(platformId: string): PlatformRisk | undefined {
    return this.states.get(platformId);
  }

  /** The platform's compiled state, loading it once however many decisions ask at the same time. */
  stateOf(pdb: PlatformDb): PlatformRisk | Promise<PlatformRisk> {
    const ready = this.states.get(pdb.platformId);
    if (ready) return ready;
    let pending = this.loading.get(pdb.platformId);
    if (!pending) {
      const generation = this.generation;
      pending = loadState(pdb).then(
        (state) => {
          this.loading.delete(pdb.platformId);
          if (generation === this.generation) this.states.set(pdb.platformId, state);
          return state;
        },
        (error: unknown) => {
          this.loading.delete(pdb.platformId);
          throw error;
        },
      );
      this.loading.set(pdb.platformId, pending);
    }
    return pending;
  }

  /** Drops a platform's compiled state (all of them without an id): the next decision reloads it. */
  invalidate(platformId?: string): void {
    this.generation += 1;
    this.loading.clear();
    if (platformId === undefined) this.states.clear();
    else this.states.delete(platformId);
  }

  async start(): Promise<void> {
    this.recorder.start();
    if (this.ctx.config.riskGeoIpFile) {
      try {
        this.countryOf = await openGeoIp(this.ctx.config.riskGeoIpFile);
      } catch (error) {
        throw new Error(`SOUK_RISK_GEOIP_FILE ${this.ctx.config.riskGeoIpFile} cannot be read as a MaxMind database: ${(error as Error).message}`);
      }
    }
    if (this.ctx.config.redisUrl) {
      const log = this.ctx.log;
      let warned = 0;
      const onError = (error: unknown) => {
        // Once a minute at most: Redis being away shows on every sync.
        if (Date.now() - warned < 60_000) return;
        warned = Date.now();
        log.warn({ err: error }, 'risk velocity counters could not sync with Redis; each node counts its own meanwhile');
      };
      this.redis = await openRedis(this.ctx.config, { onError });
      this.counterSync = new CounterSync(this.counters, this.redis, { prefix: this.ctx.config.redisKeyPrefix, onError });
      this.counterSync.start();
      // Account links too: every node then reports the cluster's account counts (links-redis.ts).
      this.linkSync = new LinkSync(this.links, this.redis, { prefix: this.ctx.config.redisKeyPrefix, onError });
      this.linkSync.start();
    }
    this.sweeper = setInterval(() => {
      this.counters.sweep(Date.now());
      this.spentChallenges.sweep(Date.now());
    }, SWEEP_MS);
    this.sweeper.unref();
    const listen = this.ctx.db.listen;
    if (listen) this.unlisten = await listen.call(this.ctx.db, RISK_CHANNEL, (platformId) => this.invalidate(platformId || undefined), () => this.invalidate());
  }

  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    const unlisten = this.unlisten;
    this.unlisten = undefined;
    await unlisten?.();
    await this.recorder.stop();
    await this.counterSync?.stop();
    this.counterSync = undefined;
    await this.linkSync?.stop();
    this.linkSync = undefined;
    if (this.redis) await closeRedis(this.redis);
    this.redis = undefined;
    this.invalidate();
    this.counters.clear();
    this.links.clear();
    this.history.clear();
    this.spentChallenges.clear();
  }
}

async function loadState(pdb: PlatformDb): Promise<PlatformRisk> {
  const [stored, lists, shadows] = await Promise.all([currentVersions(pdb), listEntries(pdb), shadowPolicies(pdb)]);
  const policies = new Map<DecisionPoint, ActivePolicy>(DECISION_POINTS.map((point) => [point, activePolicy(0, defaultPolicy(point))]));
  for (const version of stored) {
    if ((DECISION_POINTS as readonly string[]).includes(version.point)) policies.set(version.point, activePolicy(version.version, version.document));
  }
  return platformRisk(pdb.platformId, policies, lists, new Map(shadows.map((s) => [s.point, s.document])));
}
