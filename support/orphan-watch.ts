// A keelhaul process whose parent went away (it was re-parented: a supervisor signalled only its
// direct child, `npx keelhaul` killed, the coordinator of a parallel run SIGKILLed) stops as on
// SIGTERM: it sends SIGTERM to itself, so whichever handler owns that signal at the moment (the
// CLI's early one, the run's sweep in run/run.ts, a parallel worker's in support/hooks.ts) does
// what it does for a SIGTERM. One watch for the main process and the workers alike.
const WATCHING = Symbol.for('keelhaul.orphan-watch');

/** Poll the parent pid (getppid is a system call: cheap), and for a forked worker its IPC channel too. */
export function stopWhenOrphaned(intervalMs = 200): void {
  const g = globalThis as Record<symbol, unknown>;
  if (g[WATCHING]) return;
  g[WATCHING] = true;
  const parent = process.ppid;
  let fired = false;
  const orphaned = () => {
    if (fired) return;
    fired = true;
    clearInterval(timer);
    process.stderr.write(`keelhaul: the process that started keelhaul (pid ${parent}) is gone: stopping as on SIGTERM\n`);
    process.kill(process.pid, 'SIGTERM');
  };
  // Started by init (ppid 1, e.g. a container's entrypoint): there is no parent that could go away.
  const timer = setInterval(() => { if (process.ppid !== parent) orphaned(); }, intervalMs);
  timer.unref();
  if (parent <= 1) clearInterval(timer);
  if (process.channel) process.once('disconnect', orphaned);
}
