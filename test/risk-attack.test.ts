// The scripted bonus-hunter attack of issue 14 against a running Souk (in-process Fastify through
// app.inject, each actor with its own client address): 1,000 fresh accounts from 20 IPs and 30 devices
// with throwaway and aliased mailboxes race for a new-customer coupon and a flash sale, interleaved with
// 500 ordinary shoppers on their own IP and device, under the default policies. Goals: at least 95 % of
// the farm's coupon redemptions and flash-sale wins stopped (deny, challenge not solved, review), at
// most 1 % of the shoppers affected. The confusion table is printed. The benchmark runs the same crowd
// over HTTP against a listening server: `npm run bench -- risk --attack`.
//
// Size: the full attack on PostgreSQL; on PGlite (one connection, every request in turn) the same attack
// five times smaller with the same density (200 accounts on 4 IPs and 6 devices, 100 shoppers), which
// keeps the suite's time reasonable. Both must meet the same goals.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { eachDatabase, type TestEnv } from './harness.ts';
import { FULL_ATTACK, scaledAttack } from '../bench/risk-attack/actors.ts';
import { ATTACK_GOALS, attackTables, summarise } from '../bench/risk-attack/report.ts';
import { setupTargetShop } from '../bench/risk-attack/shop.ts';
import { runAttack, type Send } from '../bench/risk-attack/simulate.ts';
import { renderText } from '../bench/lib/table.ts';

eachDatabase('the scripted bonus-hunter attack', (env: TestEnv) => {
  it('stops at least 95 % of the farm and affects at most 1 % of ordinary shoppers', { timeout: 600_000 }, async () => {
    const send: Send = async (r) => {
      const res = await env.app.inject({ method: r.method, url: r.url, headers: r.headers ?? {}, ...(r.payload === undefined ? {} : { payload: r.payload as object }), remoteAddress: r.ip ?? '127.0.0.1' });
      return { status: res.statusCode, body: res.body.length > 0 ? (res.json() as Record<string, unknown>) : {} };
    };
    const shape = env.engine === 'postgres' ? FULL_ATTACK : scaledAttack(5);
    const shop = await setupTargetShop(send, env.ownerToken, `attack-${randomBytes(3).toString('hex')}`, shape.attackers + shape.shoppers);
    const run = await runAttack(send, shop, shape, 8);
    const summary = summarise(run.results);
    console.log(`\n${env.engine}: ${run.results.length} visits in ${run.seconds.toFixed(1)} s\n${attackTables(run.results).map(renderText).join('\n\n')}\n`);
    assert.deepEqual(summary.errors.slice(0, 10), [], 'every answer is a success or a risk answer');
    assert.ok(summary.couponStopped >= ATTACK_GOALS.attackerStopped, `coupon redemptions stopped: ${summary.couponStopped}`);
    assert.ok(summary.saleStopped >= ATTACK_GOALS.attackerStopped, `flash-sale wins stopped: ${summary.saleStopped}`);
    assert.ok(summary.shoppersAffected <= ATTACK_GOALS.shopperAffected, `shoppers affected: ${summary.shoppersAffected}`);
  });
});
