// Login throttling that a stranger cannot turn against the account's owner. A hard lock per account
// (the old rule: ten wrong passwords and the account is shut for everyone, the right password included)
// lets anyone lock out any admin. Instead the keys an attacker spends are their own:
// - per client IP (SOUK_LOGIN_LIMIT_PER_IP, shared by admin login, customer login and sign-up), so one
//   address cannot spray many accounts;
// - per (account, client IP) pair (SOUK_LOGIN_LIMIT_PER_ACCOUNT), so one address cannot guess one
//   account's password for long;
// - per account, only as a slow-down: past ACCOUNT_BUDGET_FACTOR times the pair budget (an attack from
//   many addresses), each address gets UNDER_ATTACK_TRIES more attempts on that account per window.
//   An address that has not tried yet (the owner's) still gets in; nothing locks the account itself.
// All windows are fixed windows in the shared limiter (memory, or Redis across nodes), and every attempt
// counts, so a burst of parallel attempts cannot slip past a count that is only updated after the fact.
// A refusal is a 429 with Retry-After; the window of a key that keeps being hit does not grow, but the
// attacker's own keys are the only ones that run out.
import type { Config } from '../../kernel/config.ts';
import type { RateLimiter } from '../../kernel/rate-limit.ts';
import { tooManyLoginAttempts } from './problems.ts';

/** The per-account budget, in multiples of the per-pair budget, before the account counts as under attack. */
export const ACCOUNT_BUDGET_FACTOR = 5;
/** Attempts per address per window on an account under attack. */
export const UNDER_ATTACK_TRIES = 3;

type LoginLimits = Pick<Config, 'loginRateLimitPerIp' | 'loginRateLimitPerAccount' | 'loginRateLimitWindowSeconds'>;

const refuse = tooManyLoginAttempts;

/** The per-IP budget alone: sign-up spends it too, so creating accounts does not bypass login limits. */
export async function throttleByIp(limiter: RateLimiter, limits: LoginLimits, ip: string): Promise<void> {
  const wait = await limiter.hit(`auth:ip:${ip}`, limits.loginRateLimitPerIp, limits.loginRateLimitWindowSeconds);
  if (wait > 0) throw refuse(wait);
}

/**
 * Counts one login attempt for `account` (already scoped: admin email, or platform id and customer email)
 * from `ip`; throws 429 when this address has spent its budget.
 */
export async function throttleLogin(limiter: RateLimiter, limits: LoginLimits, account: string, ip: string): Promise<void> {
  const window = limits.loginRateLimitWindowSeconds;
  await throttleByIp(limiter, limits, ip);
  const pairWait = await limiter.hit(`login:pair:${account}:${ip}`, limits.loginRateLimitPerAccount, window);
  if (pairWait > 0) throw refuse(pairWait);
  const accountWait = await limiter.hit(`login:account:${account}`, limits.loginRateLimitPerAccount * ACCOUNT_BUDGET_FACTOR, window);
  if (accountWait > 0) {
    // Under attack from many addresses: a few tries per address, counted only from now on.
    const wait = await limiter.hit(`login:attacked:${account}:${ip}`, UNDER_ATTACK_TRIES, window);
    if (wait > 0) throw refuse(wait);
  }
}
