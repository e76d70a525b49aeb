// The gateway role: a reverse proxy in front of Souk API processes grouped into release tracks, routing
// each request by the active policy (policy.ts, decide.ts), with its policy API under /_gateway/
// (admin.ts). Each node records raw latency samples per policy activation (samples.ts) and runs the
// rollout controller, which acts only while it holds the lease (controller.ts, rollouts.ts). It is not
// a commerce module: it owns no platform data and loads none of the server.
import http from 'node:http';
import Fastify from 'fastify';
import { openDatabase } from '../kernel/db/open.ts';
import type { Database } from '../kernel/db/types.ts';
import { loadActive, registerAdminRoutes } from './admin.ts';
import { createGatewayMetrics } from './metrics.ts';
import { UPSTREAM_CONNECTIONS, type GatewayOptions } from './config.ts';
import { compilePolicy, type Decide, type DecideOptions } from './decide.ts';
import { checkPolicy, type PolicyDocument } from './policy.ts';
import { Tracks } from './pools.ts';
import { createProxy } from './proxy.ts';
import type { Activation } from './store.ts';
import { ensureGatewaySchema } from './schema.ts';
import { createSampleRecorder } from './samples.ts';
import { OPEN_STATES, type TransitionResult } from './rollouts.ts';
import { startController } from './controller.ts';

export type { GatewayOptions } from './config.ts';

export interface Gateway {
  url: string;
  close(): Promise<void>;
  /** The activation this node runs now (undefined: the built-in default, all to the fallback track). */
  activeVersion(): number | undefined;
}

/** Before any version is activated: everything to the fallback track. */
export const defaultPolicy = (fallback: string): PolicyDocument => ({ rules: [], default: { [fallback]: 100 } });

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const fallbackTrack = options.fallbackTrack ?? 'stable';
  if (!options.tracks[fallbackTrack]) throw new Error(`The fallback track "${fallbackTrack}" is not among the configured tracks (${Object.keys(options.tracks).join(', ')}).`);
  const tracks = new Tracks(options.tracks, options.ejectMs ?? 5000, options.upstreamConnections ?? UPSTREAM_CONNECTIONS);
  const decideOptions: DecideOptions = { customerHeader: options.customerHeader };
  const db: Database = await openDatabase({ databaseUrl: options.databaseUrl, dataDir: options.dataDir ?? './data-gateway', databasePoolSize: 2 });
  await ensureGatewaySchema(db);

  let current: { decide: Decide; document: PolicyDocument; activation?: Activation } = { decide: compilePolicy(defaultPolicy(fallbackTrack), decideOptions), document: defaultPolicy(fallbackTrack) };
  let refused: number | undefined;
  const refresh = async () => {
    const active = await loadActive(db);
    if (!active || active.activation.id === current.activation?.id) return;
    // A version stored by a node with other tracks may name one this node lacks: keep the running policy.
    const fault = checkPolicy(active.document, tracks.names());
    if (fault) {
      if (refused !== active.activation.id) console.error(`souk gateway: policy version ${active.activation.version} is not valid here (${fault.path}: ${fault.message}); keeping the one running`);
      refused = active.activation.id;
      return;
    }
    current = { decide: compilePolicy(active.document, decideOptions), document: active.document, activation: active.activation };
  };
  await refresh();
  let polling = false;
  const poller = setInterval(() => {
    if (polling) return;
    polling = true;
    refresh()
      .catch(() => undefined)
      .finally(() => {
        polling = false;
      });
  }, options.pollMs ?? 250);

  // Raw samples per analysis window (the active activation) for the rollout judge, written every flushMs.
  const samples = createSampleRecorder(options.sampleReservoir ?? 1000);
  const metrics = createGatewayMetrics({ samples, window: () => current.activation?.id });
  let flushing: Promise<void> | undefined;
  const flush = () => (flushing ??= samples.flush(db, current.activation?.id).catch((error: Error) => console.error(`souk gateway: writing samples: ${error.message}`)).finally(() => (flushing = undefined)));
  const flusher = setInterval(() => void flush(), options.sampleFlushMs ?? 1000);

  const rolloutApplied = async (result: TransitionResult) => {
    await refresh();
    const { rollout, decision } = result;
    metrics.rolloutDecision(decision.decision, rollout.step, rollout.weight, OPEN_STATES.includes(rollout.state));
    // One JSON line per decision, for whatever collects the gateway's output.
    console.log(JSON.stringify({ time: decision.decidedAt, msg: 'souk gateway: rollout decision', rollout: rollout.id, decision: decision.decision, state: rollout.state, step: decision.step + 1, weight: decision.weight, policyVersion: decision.policyVersion, by: decision.decidedBy, reason: decision.reason }));
  };
  const controller = startController({ db, node: samples.node, tickMs: options.rolloutTickMs ?? 1000, onTransition: rolloutApplied });
  const proxy = createProxy({
    tracks,
    decide: () => current.decide,
    fallbackTrack,
    retries: options.retries ?? 2,
    trustedProxies: options.trustedProxies ?? [],
    upstreamTimeoutMs: options.upstreamTimeoutMs ?? 30_000,
    metrics,
  });

  const app = Fastify({
    logger: false,
    bodyLimit: 512 * 1024,
    serverFactory: (handler) => {
      const server = http.createServer((req, res) => {
        if (req.url?.startsWith('/_gateway/')) handler(req, res);
        else proxy.handle(req, res);
      });
      server.on('upgrade', proxy.upgrade);
      server.keepAliveTimeout = 65_000;
      return server;
    },
  });
  registerAdminRoutes(app, {
    db,
    tracks,
    adminToken: options.adminToken,
    metricsToken: options.metricsToken,
    authUrl: options.authUrl ?? options.tracks[fallbackTrack]![0],
    decideOptions,
    current: () => current,
    refresh,
    metrics,
    rolloutApplied,
    rolloutLeader: () => controller.isLeader(),
  });
  await tracks.startHealthChecks(options.healthIntervalMs ?? 1000);
  const address = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  const url = address.replace('[::1]', '127.0.0.1').replace('0.0.0.0', '127.0.0.1');

  return {
    url,
    activeVersion: () => current.activation?.version,
    async close() {
      clearInterval(poller);
      clearInterval(flusher);
      await controller.stop();
      app.server.closeAllConnections();
      await app.close();
      await tracks.close();
      await flushing;
      await flush();
      await db.close();
    },
  };
}
