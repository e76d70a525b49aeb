// The module lifecycle without a database: dependency order, reverse stop, cycles refused at boot, and a
// module that never stops not holding up the others past the deadline.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { ModuleContext, SoukModule } from './context.ts';
import { ModuleLifecycle, orderModules } from './lifecycle.ts';

const ctx = {} as ModuleContext;
const log = pino({ level: 'silent' });

/** A module that records its lifecycle calls in `calls`. */
function fake(name: string, calls: string[], extra: Partial<SoukModule<{ name: string }>> = {}): SoukModule<{ name: string }> {
  return {
    name,
    core: false,
    description: name,
    migrationsDir: new URL('file:///nowhere/'),
    tenantTables: [],
    createRuntime: () => {
      calls.push(`create ${name}`);
      return { name };
    },
    start: (_ctx, runtime) => {
      calls.push(`start ${runtime.name}`);
    },
    stop: (_ctx, runtime) => {
      calls.push(`stop ${runtime.name}`);
    },
    routes: () => undefined,
    ...extra,
  };
}

describe('module lifecycle', () => {
  it('orders by dependsOn, keeping the given order where nothing forces a change', () => {
    const m = (name: string, dependsOn?: string[]) => ({ name, dependsOn });
    const ordered = orderModules([m('orders', ['cart', 'payments']), m('catalog'), m('cart', ['catalog']), m('payments'), m('webhooks')]);
    assert.deepEqual(ordered.map((x) => x.name), ['catalog', 'cart', 'payments', 'orders', 'webhooks']);
    assert.deepEqual(orderModules([m('a'), m('b'), m('c')]).map((x) => x.name), ['a', 'b', 'c']);
  });

  it('refuses a dependency cycle and an unknown dependency at boot, naming them', () => {
    const m = (name: string, dependsOn?: string[]) => ({ name, dependsOn });
    assert.throws(() => orderModules([m('a', ['b']), m('b', ['c']), m('c', ['a'])]), /module dependency cycle: a → b → c → a/);
    assert.throws(() => orderModules([m('a', ['a'])]), /cycle: a → a/);
    assert.throws(() => orderModules([m('a', ['ghost'])]), /"a" depends on "ghost", which is not in this build/);
    assert.throws(() => new ModuleLifecycle([fake('x', [], { dependsOn: ['y'] }), fake('y', [], { dependsOn: ['x'] })], ctx, { shutdownTimeoutMs: 100, log }), /cycle/);
  });

  it('creates runtimes and starts in dependency order, stops in reverse, and hands each its runtime', async () => {
    const calls: string[] = [];
    const cart = fake('cart', calls, { dependsOn: ['catalog'] });
    const catalog = fake('catalog', calls);
    const lifecycle = new ModuleLifecycle([cart, catalog, fake('plain', calls, { createRuntime: undefined, start: undefined, stop: undefined })], ctx, { shutdownTimeoutMs: 1000, log });
    await lifecycle.createRuntimes();
    await lifecycle.start();
    await lifecycle.stop();
    await lifecycle.stop();
    assert.deepEqual(calls, ['create catalog', 'create cart', 'start catalog', 'start cart', 'stop cart', 'stop catalog']);
    assert.deepEqual(lifecycle.runtimeOf(cart), { name: 'cart' });
    assert.throws(() => lifecycle.runtimeOf(fake('elsewhere', [])), /"elsewhere" is not running/);
  });

  it('stops the modules already started when one fails to start', async () => {
    const calls: string[] = [];
    const broken = fake('broken', calls, {
      start: () => {
        throw new Error('no broker');
      },
    });
    const lifecycle = new ModuleLifecycle([fake('first', calls), broken, fake('never', calls)], ctx, { shutdownTimeoutMs: 1000, log });
    await lifecycle.createRuntimes();
    await assert.rejects(lifecycle.start(), /no broker/);
    assert.deepEqual(calls, ['create first', 'create broken', 'create never', 'start first', 'stop first']);
  });

  it('a module that never stops is skipped at the deadline; the others still stop, and one that throws does not stop the rest', async () => {
    const calls: string[] = [];
    const warnings: string[] = [];
    const recording = pino({ level: 'warn' }, { write: (line: string) => void warnings.push((JSON.parse(line) as { msg: string; module: string }).module) });
    const stuck = fake('stuck', calls, { stop: () => new Promise<void>(() => undefined) });
    const failing = fake('failing', calls, {
      stop: () => {
        throw new Error('boom');
      },
    });
    const lifecycle = new ModuleLifecycle([fake('base', calls), stuck, failing], ctx, { shutdownTimeoutMs: 50, log: recording });
    await lifecycle.createRuntimes();
    await lifecycle.start();
    const started = Date.now();
    // The deadline timer does not hold the process open (a shutdown may end sooner): something else must here.
    const keepAlive = setInterval(() => undefined, 1000);
    await lifecycle.stop().finally(() => clearInterval(keepAlive));
    const took = Date.now() - started;
    assert.ok(took >= 45 && took < 1000, `stop took ${took} ms`);
    assert.deepEqual(calls.filter((c) => c.startsWith('stop')), ['stop base']);
    assert.deepEqual(warnings, ['failing', 'stuck']);
  });
});
