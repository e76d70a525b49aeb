// Every problem the accounts module answers, named once. Wrong credentials and missing sessions are the
// kernel's 401 unauthorized, worded here.
import { problemMaker } from '../../kernel/http/problem.ts';
import { tooManyRequests, unauthorized } from '../../kernel/http/problems.ts';

export const accountsProblemCodes = [
  'email_taken',
  'admin_user_not_found',
  'api_key_not_found',
  'customer_not_found',
  'unknown_platform',
  'platforms_required',
  'password_token_invalid',
] as const;

const problem = problemMaker(accountsProblemCodes);

export const wrongCredentials = () => unauthorized('The email or password is not right.');
export const customerLoginNeeded = () => unauthorized('Log in at POST /store/auth/login and send "Authorization: Bearer <token>".');
export const tooManyLoginAttempts = (wait: number) =>
  tooManyRequests(`Too many attempts from this address; try again in ${wait} seconds.`, wait);

export const adminEmailTaken = (email: string) => problem(409, 'email_taken', `An admin user with email ${email} already exists.`);
export const customerEmailTaken = () =>
  problem(409, 'email_taken', 'An account with this email already exists on this shop; log in instead.');
export const adminUserNotFound = (id: string) => problem(404, 'admin_user_not_found', `There is no admin user ${id}.`);
export const apiKeyNotFound = (id: string) => problem(404, 'api_key_not_found', `There is no API key ${id}.`);
export const customerNotFound = (customerId: string) => problem(404, 'customer_not_found', `This platform has no customer ${customerId}.`);
export const unknownPlatforms = (ids: readonly string[]) => problem(400, 'unknown_platform', `No platform has id ${ids.join(', ')}.`);
export const passwordTokenInvalid = () =>
  problem(400, 'password_token_invalid', 'This password link is not valid: it was used already, it expired, or a newer one was sent. Ask the shop for a new one.');
export const platformsRequired = () =>
  problem(400, 'platforms_required', 'A key that is not an owner key must name at least one platform in platformIds.');
