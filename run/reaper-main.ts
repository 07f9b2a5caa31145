// The reaper process (see run/reaper.ts): started detached by `keelhaul run`, reading a pipe from it.
//   "done"                    the run swept itself: exit 0, touching nothing.
//   end of the pipe, no done  keelhaul died without sweeping: wait (bounded) until no process of the
//                             run is left (parallel workers stop by themselves once their coordinator is
//                             gone, after their creates in flight have been answered), remove what
//                             carries keelhaul.run=<id> (run/sweep.ts, which lists by that label only),
//                             look once more for a create that landed late, say what it did in the
//                             reports folder's reaper.log, exit. Within 10 s of keelhaul's death.
// It loads nothing of the platform client until it has work: a run that ends normally pays for a
// bare node process only.
import { appendFileSync, readFileSync, readdirSync } from 'node:fs';
import { resolveConnection } from '../adapters/platform/connection.js';

const DEADLINE_MS = 10_000;

function flag(name: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] ?? '' : '';
}

const runId = flag('run');
const target = flag('target');
const apiVersion = flag('api-version');
const logPath = flag('log');
const keelhaul = process.ppid;

// Without a run id the label filter would match every run's objects: refuse.
if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(runId) || !/^\d+\.\d+$/.test(apiVersion)) {
  process.exit(2);
}
// Resolved now, with keelhaul's environment (DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH) and
// its certificates read into memory, as keelhaul resolved it.
const connection = resolveConnection({ target: target || undefined });

function log(line: string): void {
  if (!logPath) return;
  try {
    appendFileSync(logPath, `${new Date().toISOString()} ${line}\n`);
  } catch {
    // nowhere to say it: the work matters more
  }
}

/** Processes of the run still alive (workers, a keelhaul that had not quite gone): KEELHAUL_RUN in their environment. */
function othersOfRun(): number[] {
  const mark = `KEELHAUL_RUN=${runId}`;
  const found: number[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid);
  } catch {
    return found; // no /proc: do not wait
  }
  for (const pid of entries) {
    try {
      if (!readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(mark)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2))) found.push(Number(pid));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function reap(): Promise<never> {
  const started = Date.now();
  setTimeout(() => { log(`run ${runId}: gave up after ${DEADLINE_MS} ms`); process.exit(1); }, DEADLINE_MS).unref();
  log(`run ${runId}: keelhaul (pid ${keelhaul}) ended without sweeping; removing what carries keelhaul.run=${runId} on ${connection.url}`);
  while (othersOfRun().length > 0 && Date.now() - started < 6_000) await pause(100);
  const { PlatformClient } = await import('../adapters/platform/docker-client.js');
  const { sweep } = await import('./sweep.js');
  const client = new PlatformClient(connection, apiVersion, runId);
  const removed = { containers: 0, networks: 0, volumes: 0 };
  const failures: string[] = [];
  for (const wait of [0, 500]) {
    await pause(wait);
    try {
      const result = await sweep(client, runId);
      for (const kind of ['containers', 'networks', 'volumes'] as const) removed[kind] += result.removed[kind];
      failures.push(...result.failures);
    } catch (error) {
      failures.push(String((error as Error)?.message ?? error));
    }
  }
  log(`run ${runId}: removed ${removed.containers} container(s), ${removed.networks} network(s), ${removed.volumes} volume(s) in ${Date.now() - started} ms${failures.length ? `; could not remove: ${failures.join('; ')}` : ''}`);
  process.exit(failures.length > 0 ? 1 : 0);
}

let said = '';
let reaping = false;
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  said += chunk;
  if (said.includes('done')) process.exit(0);
});
const gone = () => {
  if (reaping || said.includes('done')) return;
  reaping = true;
  void reap();
};
process.stdin.on('end', gone);
process.stdin.on('close', gone);
process.stdin.on('error', gone);
