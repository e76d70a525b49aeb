// Every problem the platforms module answers, named once. invalid_settings and invalid_platform carry the
// schema validator's own message, so they take the detail.
import { problemMaker } from '../../kernel/http/problem.ts';
import { ownerOnly } from '../../kernel/http/problems.ts';

export const platformsProblemCodes = [
  'invalid_platform',
  'invalid_settings',
  'invalid_slug',
  'unknown_module',
  'slug_taken',
  'host_taken',
  'key_not_found',
] as const;

const problem = problemMaker(platformsProblemCodes);

export const invalidPlatform = (detail: string) => problem(400, 'invalid_platform', detail);
export const invalidSettings = (detail: string) => problem(400, 'invalid_settings', detail);
export const notOptionalModule = (name: string, optional: readonly string[]) =>
  problem(400, 'unknown_module', `"${name}" is not an optional module; choose from: ${optional.join(', ') || 'none'}.`);
export const settingsForNoModule = (name: string) => problem(400, 'unknown_module', `settings.${name} names no module.`);
export const slugLooksLikeId = (slug: string) =>
  problem(400, 'invalid_slug', `The slug "${slug}" has the shape of a platform id; choose a slug that is not a UUID, e.g. "souk-cn".`);
export const slugTaken = (slug: string) => problem(409, 'slug_taken', `A platform with slug "${slug}" already exists.`);
export const hostTaken = (hosts: readonly string[]) =>
  problem(409, 'host_taken', `Host ${hosts.join(', ')} already belongs to another platform.`);
export const publishableKeyNotFound = (keyId: string) => problem(404, 'key_not_found', `Platform has no publishable key ${keyId}.`);
export const ownerOnlyHosts = () => ownerOnly('Only an owner can change which hosts a platform answers on.');
