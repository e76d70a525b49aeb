// The rollout part of the policy API, registered inside admin.ts's owner-only scope: start a rollout plan,
// read rollouts with their decisions and the current step's samples, and the manual overrides (promote,
// pause, resume, abort). Bad input is a 400 and a wrong state a 409; neither changes anything.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Database } from '../kernel/db/types.ts';
import { summarise } from './controller.ts';
import { invalidRolloutId, invalidRolloutInput, rolloutAlreadyOpen, rolloutNotFound, rolloutStateConflict } from './problems.ts';
import { checkPlan, getRollout, listDecisions, listRollouts, openRollout, startRollout, transition, withRolloutLock, type Action, type Rollout, type TransitionResult } from './rollouts.ts';
import { loadWindow } from './samples.ts';

export interface RolloutRouteDeps {
  db: Database;
  trackNames: () => string[];
  /** After a committed transition: reload the policy, log it, count it. */
  applied: (result: TransitionResult) => Promise<void>;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Which states each manual action may start from. */
const ALLOWED: Record<Exclude<Action, 'rollback' | 'hold'>, readonly Rollout['state'][]> = {
  promote: ['running', 'paused'],
  pause: ['running'],
  resume: ['paused'],
  abort: ['running', 'paused'],
};
const DONE: Record<keyof typeof ALLOWED, string> = { promote: 'promoted', pause: 'paused', resume: 'resumed', abort: 'aborted' };

export function registerRolloutRoutes(app: FastifyInstance, deps: RolloutRouteDeps, who: (request: FastifyRequest) => string): void {
  const idParam = (raw: string): number | 'current' => {
    if (raw === 'current') return raw;
    const id = Number(raw);
    if (!/^\d{1,15}$/.test(raw) || !Number.isSafeInteger(id) || id < 1) throw invalidRolloutId(raw);
    return id;
  };
  const reasonOf = (body: unknown): string | undefined => {
    if (body === undefined || body === null) return undefined;
    if (!isRecord(body)) throw invalidRolloutInput('body', 'must be an object (or empty)');
    for (const key of Object.keys(body)) if (key !== 'reason') throw invalidRolloutInput(key, 'is not a field here (only reason)');
    if (body.reason === undefined) return undefined;
    if (typeof body.reason !== 'string' || body.reason.length > 500) throw invalidRolloutInput('reason', 'must be a string of at most 500 characters');
    return body.reason;
  };
  const find = async (db: Parameters<typeof getRollout>[0], raw: string) => {
    const id = idParam(raw);
    const found = id === 'current' ? await openRollout(db) : await getRollout(db, id);
    if (!found) throw rolloutNotFound(id);
    return found;
  };

  app.get('/_gateway/rollouts', async () => ({ rollouts: await listRollouts(deps.db) }));

  app.post('/_gateway/rollouts', async (request, reply) => {
    const body = isRecord(request.body) ? request.body : undefined;
    if (!body) throw invalidRolloutInput('body', 'must be an object with a plan');
    for (const key of Object.keys(body)) if (key !== 'plan') throw invalidRolloutInput(key, 'is not a field here (only plan)');
    const checked = checkPlan(body.plan, deps.trackNames());
    if (!('plan' in checked)) throw invalidRolloutInput(checked.path, checked.message);
    const result = await withRolloutLock(deps.db, async (tx) => {
      const open = await openRollout(tx);
      if (open) throw rolloutAlreadyOpen(open.id, open.state);
      return startRollout(tx, checked.plan, who(request));
    });
    await deps.applied(result);
    return reply.code(201).send(result);
  });

  app.get<{ Params: { id: string } }>('/_gateway/rollouts/:id', async (request) => {
    const rollout = await find(deps.db, request.params.id);
    const window = rollout.windowId === null ? new Map() : await loadWindow(deps.db, rollout.windowId);
    return {
      rollout,
      samples: { canary: summarise(window.get(rollout.plan.canaryTrack)), stable: summarise(window.get(rollout.plan.stableTrack)) },
      decisions: await listDecisions(deps.db, rollout.id),
    };
  });

  for (const action of Object.keys(ALLOWED) as (keyof typeof ALLOWED)[]) {
    app.post<{ Params: { id: string } }>(`/_gateway/rollouts/:id/${action}`, async (request) => {
      idParam(request.params.id);
      const reason = reasonOf(request.body) ?? `${DONE[action]} by hand`;
      const result = await withRolloutLock(deps.db, async (tx) => {
        const rollout = await find(tx, request.params.id);
        if (!ALLOWED[action].includes(rollout.state)) throw rolloutStateConflict(rollout.id, rollout.state, DONE[action]);
        return transition(tx, rollout, action, who(request), reason);
      });
      await deps.applied(result);
      return result;
    });
  }
}
