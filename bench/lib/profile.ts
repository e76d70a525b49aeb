// An in-process CPU profile for a benchmark server, through the inspector: Node refuses --cpu-prof in
// NODE_OPTIONS, and the bench starts its servers with a fixed command line.
import { Session } from 'node:inspector/promises';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Starts profiling when dir is set; the returned function writes <dir>/<pid>.cpuprofile (a no-op otherwise). */
export async function startCpuProfile(dir: string | undefined): Promise<() => Promise<void>> {
  if (!dir) return async () => undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, `${process.pid}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  };
}
