// The module lifecycle: orders the modules by dependsOn, makes each one's runtime, starts them in that
// order and stops them in reverse. Stopping is bounded per module, because a shutdown that hangs on one
// stuck worker (a receiver that never answers, a lost Redis) would keep the process and its database
// lock alive until something kills it: a module that overruns is logged and left behind, and the others
// still stop.
import type { FastifyBaseLogger } from 'fastify';
import type { AnySoukModule, ModuleContext, SoukModule } from './context.ts';

/**
 * The modules in an order where each comes after the modules it depends on. Stable: modules keep their
 * given order unless a dependency forces one later. Throws at boot on an unknown name or a cycle.
 */
export function orderModules<M extends { name: string; dependsOn?: string[] }>(modules: readonly M[]): M[] {
  const byName = new Map(modules.map((m) => [m.name, m]));
  for (const m of modules) {
    for (const dep of m.dependsOn ?? []) {
      if (!byName.has(dep)) throw new Error(`module "${m.name}" depends on "${dep}", which is not in this build`);
    }
  }
  const ordered: M[] = [];
  const done = new Set<string>();
  const visiting: string[] = [];
  const visit = (m: M): void => {
    if (done.has(m.name)) return;
    const at = visiting.indexOf(m.name);
    if (at >= 0) throw new Error(`module dependency cycle: ${[...visiting.slice(at), m.name].join(' → ')}`);
    visiting.push(m.name);
    for (const dep of m.dependsOn ?? []) visit(byName.get(dep)!);
    visiting.pop();
    done.add(m.name);
    ordered.push(m);
  };
  for (const m of modules) visit(m);
  return ordered;
}

/** Resolves with the promise's outcome, or with 'timeout' after ms (the promise keeps running). */
async function within(promise: Promise<void>, ms: number): Promise<'done' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise.then(() => 'done' as const), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export class ModuleLifecycle {
  /** Dependency order: start walks it forwards, stop backwards. */
  readonly modules: readonly AnySoukModule[];
  private readonly runtimes = new Map<AnySoukModule, unknown>();
  private readonly started: AnySoukModule[] = [];

  constructor(
    modules: readonly AnySoukModule[],
    private readonly ctx: ModuleContext,
    private readonly options: { shutdownTimeoutMs: number; log: FastifyBaseLogger },
  ) {
    this.modules = orderModules(modules);
  }

  /** Makes every module's runtime (undefined for modules without one). */
  async createRuntimes(): Promise<void> {
    for (const m of this.modules) this.runtimes.set(m, m.createRuntime ? await m.createRuntime(this.ctx) : undefined);
  }

  /** The runtime of one module of this Souk; throws for a module it does not run. */
  runtimeOf<R>(module: SoukModule<R>): R {
    const key = module as AnySoukModule;
    if (!this.runtimes.has(key)) throw new Error(`module "${module.name}" is not running in this Souk`);
    return this.runtimes.get(key) as R;
  }

  /** Starts the modules in dependency order; if one fails, stops those already started and rethrows. */
  async start(): Promise<void> {
    for (const m of this.modules) {
      try {
        await m.start?.(this.ctx, this.runtimes.get(m));
      } catch (error) {
        await this.stop();
        throw error;
      }
      this.started.push(m);
    }
  }

  /**
   * Stops the started modules in reverse order, each within the shutdown timeout. A module that throws or
   * overruns is logged and skipped; the rest still stop. Safe to call twice (the second call does nothing).
   */
  async stop(): Promise<void> {
    const { shutdownTimeoutMs, log } = this.options;
    while (this.started.length > 0) {
      const m = this.started.pop()!;
      if (!m.stop) continue;
      const stopping = Promise.resolve().then(() => m.stop!(this.ctx, this.runtimes.get(m)));
      try {
        if ((await within(stopping, shutdownTimeoutMs)) === 'timeout') {
          log.warn({ module: m.name, timeoutMs: shutdownTimeoutMs }, 'module did not stop in time; shutdown goes on without it');
          stopping.catch((error: unknown) => log.warn({ err: error, module: m.name }, 'module stop failed after its deadline'));
        }
      } catch (error) {
        log.warn({ err: error, module: m.name }, 'module stop failed; shutdown goes on');
      }
    }
  }
}
