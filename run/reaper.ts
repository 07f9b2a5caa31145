// The reaper's keelhaul side (testcontainers' Ryuk, as a process of its own: run/reaper-main.ts).
// Started with every run before its first object is created; detached (its own session and process
// group), so that nothing aimed at keelhaul (a SIGKILL, an OOM kill, a signal to keelhaul's process
// group, the terminal going away) reaches it. It holds the read end of a pipe whose write end only
// keelhaul has: "done" on it means the run swept itself; the pipe closing without "done" means
// keelhaul died without sweeping, and the reaper removes what carries the run's label.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { oneLine } from '../judges/errors.js';

export interface Reaper {
  pid?: number;
  /** Tell the reaper the run has swept itself: it exits without touching anything. */
  release(): Promise<void>;
}

export interface ReaperOptions {
  runId: string;
  /** --target as given ('' when DOCKER_HOST or the local socket decide): the reaper resolves it as keelhaul did, same environment. */
  target: string;
  apiVersion: string;
  /** Where the reaper says what it did, if it has to do anything. */
  logPath: string;
  log: (line: string) => void;
}

const NO_REAPER: Reaper = { release: async () => undefined };

export function startReaper(options: ReaperOptions): Reaper {
  const entry = fileURLToPath(new URL('./reaper-main.js', import.meta.url));
  if (!existsSync(entry)) {
    options.log(`keelhaul: warning: no reaper (${entry} is missing): a SIGKILLed run would leave its objects to \`keelhaul clean\``);
    return NO_REAPER;
  }
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(process.execPath, [entry, '--run', options.runId, '--target', options.target, '--api-version', options.apiVersion, '--log', options.logPath], {
      detached: true, stdio: ['pipe', 'ignore', 'ignore'], env: process.env,
    });
  } catch (error) {
    options.log(`keelhaul: warning: the reaper did not start (${oneLine(error)}): a SIGKILLed run would leave its objects to \`keelhaul clean\``);
    return NO_REAPER;
  }
  child.on('error', (error) => options.log(`keelhaul: warning: the reaper did not start (${oneLine(error)})`));
  // Neither the reaper nor its pipe keeps keelhaul alive.
  child.stdin!.on('error', () => undefined);
  child.unref();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  let released: Promise<void> | undefined;
  return {
    pid: child.pid,
    release() {
      released ??= new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1_000);
        child.stdin!.end('done\n', () => { clearTimeout(timer); resolve(); });
      });
      return released;
    },
  };
}

/**
 * A reaper started on demand (`start`, idempotent): before that, nothing to release and no pid. A
 * serial run starts it from the first create of its process (adapters/platform/calls.ts
 * onFirstCreation): spawning it cost ~60 ms of a 0.7 s start-up on a run that creates nothing
 * (measured alternately, 9 runs each, 2 cores: 658-679 ms without against 717-749 ms with).
 */
export function onDemandReaper(start: () => Reaper): Reaper & { start(): void } {
  let started: Reaper | undefined;
  return {
    get pid() { return started?.pid; },
    start() { started ??= start(); },
    release() { return started?.release() ?? Promise.resolve(); },
  };
}
