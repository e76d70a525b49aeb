// Every problem the gateway's policy API (/_gateway/*) answers, named once. Sign-in and owner refusals
// reuse the kernel's unauthorized and owner_only codes through its constructors.
import { problemMaker } from '../kernel/http/problem.ts';

export { metricsTokenNeeded, ownerOnly, unauthorized } from '../kernel/http/problems.ts';

export const gatewayProblemCodes = [
  'gateway_auth_unavailable',
  'invalid_policy',
  'invalid_policy_version',
  'policy_version_not_found',
  'nothing_to_roll_back',
  'invalid_dry_run',
  'invalid_rollout_input',
  'invalid_rollout_id',
  'rollout_not_found',
  'rollout_already_open',
  'rollout_state_conflict',
] as const;

const problem = problemMaker(gatewayProblemCodes);

export const authUnavailable = (reason: string) =>
  problem(503, 'gateway_auth_unavailable', `The Souk API that checks owner credentials did not answer (${reason}).`);
export const invalidPolicy = (path: string, message: string) => problem(400, 'invalid_policy', `${path}: ${message}`, { path });
export const invalidPolicyVersion = (raw: string) => problem(400, 'invalid_policy_version', `"${raw}" is not a policy version number.`);
export const policyVersionNotFound = (version: number | string) => problem(404, 'policy_version_not_found', `No policy version ${version}.`);
export const nothingToRollBack = (to: number | undefined) =>
  problem(409, 'nothing_to_roll_back', to === undefined ? 'No earlier version was ever active.' : `No policy version ${to}.`);
export const invalidDryRun = (detail: string) => problem(400, 'invalid_dry_run', detail);
export const invalidRolloutInput = (path: string, message: string) => problem(400, 'invalid_rollout_input', `${path}: ${message}`, { path });
export const invalidRolloutId = (raw: string) => problem(400, 'invalid_rollout_id', `"${raw}" is not a rollout id (a number, or "current").`);
export const rolloutNotFound = (id: number | string) =>
  problem(404, 'rollout_not_found', id === 'current' ? 'No rollout is running or paused.' : `No rollout ${id}.`);
export const rolloutAlreadyOpen = (id: number, state: string) =>
  problem(409, 'rollout_already_open', `Rollout ${id} is ${state}: finish it first (souk canary promote, or abort).`, { rolloutId: id });
export const rolloutStateConflict = (id: number, state: string, action: string) =>
  problem(409, 'rollout_state_conflict', `Rollout ${id} is ${state}; it cannot be ${action}.`, { rolloutId: id, state });
