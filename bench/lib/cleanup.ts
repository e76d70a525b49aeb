// Everything a benchmark starts (child processes, scratch databases) registers how to undo it here, and
// the runner unwinds the stack in reverse order on success, on error, on SIGINT/SIGTERM and on its
// overall deadline, so a failed or interrupted run leaves nothing behind.

type Undo = () => Promise<void> | void;

export class CleanupStack {
  private readonly steps: { label: string; undo: Undo }[] = [];
  private running: Promise<void> | undefined;

  /** Registers an undo step; the returned function runs it early (and removes it from the stack). */
  add(label: string, undo: Undo): () => Promise<void> {
    const step = { label, undo };
    this.steps.push(step);
    return async () => {
      const index = this.steps.indexOf(step);
      if (index === -1) return;
      this.steps.splice(index, 1);
      await step.undo();
    };
  }

  /** Runs every remaining step, newest first; a failing step is reported and does not stop the others. */
  runAll(): Promise<void> {
    this.running ??= (async () => {
      while (this.steps.length > 0) {
        const step = this.steps.pop();
        if (!step) break;
        try {
          await step.undo();
        } catch (error) {
          console.error(`cleanup "${step.label}" failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    })();
    return this.running;
  }
}
