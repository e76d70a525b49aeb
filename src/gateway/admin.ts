// The runtime policy API, served by the gateway itself under /_gateway/ (never proxied). It lives here and
// not on the API's admin surface because it must work when the tracks it steers are down or broken (that
// is when an operator rolls back), and because no commerce process needs to know about tracks. Callers are
// Souk owners, vouched for by the Souk API (GET /admin/auth/me on the auth upstream, cached 30 s), or hold
// the gateway's own token (SOUK_GATEWAY_TOKEN). Platform admins get 403: routing spans all platforms.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { request as undiciRequest } from 'undici';
import type { Database } from '../kernel/db/types.ts';
import { compilePolicy, type Decide, type DecideOptions } from './decide.ts';
import { checkPolicy, type PolicyDocument } from './policy.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { Tracks } from './pools.ts';
import {
  authUnavailable,
  invalidDryRun,
  invalidPolicy,
  invalidPolicyVersion,
  metricsTokenNeeded,
  nothingToRollBack,
  ownerOnly,
  policyVersionNotFound,
  unauthorized,
} from './problems.ts';
import { isHttpProblem } from '../kernel/http/problem.ts';
import { registerRolloutRoutes } from './admin-rollouts.ts';
import { openRollout, listRollouts, type TransitionResult } from './rollouts.ts';
import { activate, currentActivation, getVersion, listActivations, listVersions, rollbackTarget, storeVersion, type Activation } from './store.ts';

export interface AdminDeps {
  db: Database;
  tracks: Tracks;
  adminToken?: string;
  authUrl?: string;
  decideOptions: DecideOptions;
  /** The policy this node runs now, and its activation. */
  current: () => { decide: Decide; document: PolicyDocument; activation?: Activation };
  /** Reloads the current policy at once (after this node changed it). */
  refresh: () => Promise<void>;
  metrics: GatewayMetrics;
  /** When set, /_gateway/metrics needs "Authorization: Bearer <token>" (SOUK_METRICS_TOKEN). */
  metricsToken?: string;
  /** After a rollout transition committed (admin-rollouts.ts): reload, log, count. */
  rolloutApplied: (result: TransitionResult) => Promise<void>;
  /** Whether this node holds the rollout lease now. */
  rolloutLeader: () => boolean;
}

const sameText = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function registerAdminRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const owners = new Map<string, { who: string; until: number }>();

  async function ownerOf(request: FastifyRequest): Promise<string> {
    const auth = request.headers.authorization;
    if (!auth || !/^bearer\s+\S/i.test(auth)) throw unauthorized('Send Authorization: Bearer <token> (a Souk owner credential or SOUK_GATEWAY_TOKEN).');
    const token = auth.slice(7).trim();
    if (deps.adminToken && sameText(token, deps.adminToken)) return 'gateway-token';
    const cached = owners.get(token);
    if (cached && cached.until > Date.now()) return cached.who;
    if (!deps.authUrl) throw unauthorized('The token is not the gateway token and no Souk API is configured to check owner credentials.');
    let answer: { statusCode: number; body: { json(): Promise<unknown>; dump(): Promise<void> } };
    try {
      answer = await undiciRequest(`${deps.authUrl.replace(/\/+$/, '')}/admin/auth/me`, { headers: { authorization: auth }, headersTimeout: 3000, bodyTimeout: 3000 });
    } catch (error) {
      throw authUnavailable((error as Error).message);
    }
    if (answer.statusCode !== 200) {
      await answer.body.dump();
      throw unauthorized('The token is not valid.');
    }
    const me = (await answer.body.json()) as { role?: string; label?: string; id?: string };
    if (me.role !== 'owner') throw ownerOnly('Only owners may change or read routing policies: they route every platform.');
    const who = me.label || me.id || 'owner';
    owners.set(token, { who, until: Date.now() + 30_000 });
    return who;
  }

  const tracks = () => deps.tracks.names();
  const documentOf = (body: unknown): PolicyDocument => {
    const document = isRecord(body) ? body.document : undefined;
    const fault = checkPolicy(document, tracks());
    if (fault) throw invalidPolicy(fault.path, fault.message);
    return document as PolicyDocument;
  };
  const versionParam = (raw: string): number => {
    const version = Number(raw);
    if (!Number.isInteger(version) || version < 1 || version > 2 ** 31 - 1) throw invalidPolicyVersion(raw);
    return version;
  };

  app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply: FastifyReply) => {
    if (isHttpProblem(error)) {
      for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
      return reply.code(error.status).type('application/problem+json').send(error.toBody());
    }
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    return reply.code(status).type('application/problem+json').send({ type: 'about:blank', title: status === 500 ? 'Internal error' : 'Bad request', status, detail: error.message });
  });

  app.get('/_gateway/healthz', async () => ({ status: 'ok' }));

  // Prometheus scrapes this with the metrics token (like the API's /metrics), not an owner session.
  app.get('/_gateway/metrics', async (request, reply) => {
    if (deps.metricsToken) {
      const auth = request.headers.authorization ?? '';
      if (!/^bearer\s+\S/i.test(auth) || !sameText(auth.slice(7).trim(), deps.metricsToken)) throw metricsTokenNeeded();
    }
    return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  app.register(async (secured) => {
    secured.addHook('onRequest', async (request) => {
      (request as FastifyRequest & { owner?: string }).owner = await ownerOf(request);
    });
    const who = (request: FastifyRequest) => (request as FastifyRequest & { owner?: string }).owner ?? 'unknown';

    secured.get('/_gateway/status', async () => {
      const { activation } = deps.current();
      // The open rollout, else the last one (how it ended), with the controller's last word on it.
      const rollout = (await openRollout(deps.db)) ?? (await listRollouts(deps.db, 1))[0] ?? null;
      return {
        activeVersion: activation?.version ?? null,
        activation: activation ?? null,
        tracks: deps.tracks.view(),
        stats: Object.fromEntries(deps.metrics.counts),
        rollout,
        rolloutLeader: deps.rolloutLeader(),
      };
    });

    registerRolloutRoutes(secured, { db: deps.db, trackNames: tracks, applied: deps.rolloutApplied }, who);

    secured.post('/_gateway/policies/validate', async (request) => {
      documentOf(request.body);
      return { valid: true };
    });

    secured.post('/_gateway/policies', async (request, reply) => {
      const document = documentOf(request.body);
      const body = request.body as Record<string, unknown>;
      const note = typeof body.note === 'string' ? body.note.slice(0, 500) : undefined;
      const stored = await storeVersion(deps.db, document, who(request), note);
      let activation: Activation | undefined;
      if (body.activate === true) {
        activation = await activate(deps.db, stored.version, who(request), 'activate');
        await deps.refresh();
      }
      return reply.code(201).send({ ...stored, activation: activation ?? null });
    });

    secured.get('/_gateway/policies', async () => {
      const [versions, activations] = await Promise.all([listVersions(deps.db), listActivations(deps.db)]);
      return { activeVersion: activations[0]?.version ?? null, versions, activations };
    });

    secured.get<{ Params: { version: string } }>('/_gateway/policies/:version', async (request) => {
      const found = await getVersion(deps.db, versionParam(request.params.version));
      if (!found) throw policyVersionNotFound(request.params.version);
      return found;
    });

    secured.post<{ Params: { version: string } }>('/_gateway/policies/:version/activate', async (request) => {
      const version = versionParam(request.params.version);
      const found = await getVersion(deps.db, version);
      if (!found) throw policyVersionNotFound(version);
      // A stored version was valid for the tracks of the node that stored it; check it against this node's.
      const fault = checkPolicy(found.document, tracks());
      if (fault) throw invalidPolicy(fault.path, fault.message);
      const activation = await activate(deps.db, version, who(request), 'activate');
      await deps.refresh();
      return activation;
    });

    secured.post('/_gateway/policies/rollback', async (request) => {
      const body = isRecord(request.body) ? request.body : {};
      const to = body.to === undefined ? undefined : versionParam(String(body.to));
      const target = await rollbackTarget(deps.db, to);
      if (target === undefined) throw nothingToRollBack(to);
      const activation = await activate(deps.db, target, who(request), 'rollback');
      await deps.refresh();
      return activation;
    });

    secured.post('/_gateway/dry-run', async (request) => {
      const body = isRecord(request.body) ? request.body : {};
      const headers: Record<string, string> = {};
      if (body.headers !== undefined) {
        if (!isRecord(body.headers)) throw invalidDryRun('headers must be an object of header name to string value.');
        for (const [name, value] of Object.entries(body.headers)) {
          if (typeof value !== 'string') throw invalidDryRun(`headers.${name} must be a string.`);
          headers[name.toLowerCase()] = value;
        }
      }
      const url = body.path === undefined ? '/' : body.path;
      const ip = body.ip === undefined ? '127.0.0.1' : body.ip;
      const method = body.method === undefined ? 'GET' : body.method;
      if (typeof url !== 'string' || !url.startsWith('/')) throw invalidDryRun('path must be a string starting with /.');
      if (typeof ip !== 'string') throw invalidDryRun('ip must be a string.');
      if (typeof method !== 'string') throw invalidDryRun('method must be a string.');
      let decide = deps.current().decide;
      let version: number | null = deps.current().activation?.version ?? null;
      if (body.document !== undefined) {
        decide = compilePolicy(documentOf(body), deps.decideOptions);
        version = null;
      } else if (body.version !== undefined) {
        const found = await getVersion(deps.db, versionParam(String(body.version)));
        if (!found) throw policyVersionNotFound(String(body.version));
        decide = compilePolicy(found.document, deps.decideOptions);
        version = found.version;
      }
      const decision = decide({ method: method.toUpperCase(), url, headers, ip });
      return { version, track: decision.track, reason: decision.reason, sticky: decision.setSticky ?? null };
    });
  });
}

export async function loadActive(db: Database): Promise<{ activation: Activation; document: PolicyDocument } | undefined> {
  const activation = await currentActivation(db);
  if (!activation) return undefined;
  const version = await getVersion(db, activation.version);
  return version ? { activation, document: version.document } : undefined;
}
