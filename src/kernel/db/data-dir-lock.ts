// PGlite is one process's database: two processes opening the same directory would corrupt it. A pid
// file held while the database is open turns that mistake into a clear error.
import { openSync, readFileSync, unlinkSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock on dataDir or throws naming the process that has it; returns the release function. */
export function lockDataDir(dataDir: string): () => void {
  const file = join(dataDir, 'souk.pid');
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          unlinkSync(file);
        } catch {
          // already gone: nothing to release
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
        throw new Error(
          `Another Souk process (pid ${holder}) has the embedded database in ${dataDir} open. ` +
            'Stop it first, or run platform commands against it with --url http://localhost:PORT.',
        );
      }
      // The holder died without cleaning up (SIGKILL, power loss): the lock is stale.
      unlinkSync(file);
    }
  }
  throw new Error(`Could not lock ${dataDir}`);
}
