// Interruption at random moments: SIGINT and SIGTERM at uniformly random moments in the first 5 s of a run
// (from process start-up, the first 500 ms included, to the middle of a multi-family run: the isolation
// baseline, conformance checks that create containers over raw HTTP, and a --require'd step file that keeps
// labelled containers, networks and volumes alive), on Docker and Podman, serial and --parallel 2. Every run
// must exit 130/143, leave nothing labelled with its run id and no process of the run (workers, reaper)
// alive, and unlabelled objects started before the runs survive. The one exception to the exit code: a
// signal sent before keelhaul's first line of code had run (the process had not yet renamed itself
// "keelhaul ...") ends it by node's own default handler; such runs are accepted only then, and counted.
//
// The run id is passed in (--run-id), so a run is found even when the signal came before it printed anything.
// The schedule is seeded (KEELHAUL_RELIABILITY_SEED replays one) and printed. KEELHAUL_INTERRUPT_RUNS is the
// number of runs per signal (default 50, the issue's figure: 104 runs with the 4 mid-run ones, about 2.5 minutes here),
// spread evenly over the four engine/mode cells; KEELHAUL_INTERRUPT_CONCURRENCY runs that many at once
// (default 3: they share the engines like any concurrent runs do, isolated by their run ids, and the load
// makes start-up slower, which puts more signals into it).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, DOCKER, PODMAN, project, reachable } from '../helpers/keelhaul.js';
import {
  BASELINE, HARDENING_OPTIONS, NOTHING, RAW_CREATES, RAW_CREATE_TAGS, SLEEPER_STEPS, bystander, createForeign, hasStackTrace, leftovers, missingForeign,
  processesGone, removeForeign, rng, sleeperFeature, testRunId, type Foreign,
} from './reliability-helpers.js';

const SEED = Number(process.env.KEELHAUL_RELIABILITY_SEED ?? Math.floor(Date.now() / 1000) % 100_000);
const RUNS_PER_SIGNAL = Number(process.env.KEELHAUL_INTERRUPT_RUNS ?? 50);
const CONCURRENCY = Number(process.env.KEELHAUL_INTERRUPT_CONCURRENCY ?? 3);
const WINDOW_MS = 5_000;
// Hardening options too: their probes run ahead of them (the probe plan, support/probe-plan.ts), so
// a signal also lands while the plan's own containers are alive.
const SELECTION = ['--tags', `@ISO-01 or @ISO-02 or @HARD-03-ROOT or @HARD-03-SYS or @HARD-06-UTS or @reliability or ${RAW_CREATE_TAGS}`, '--require', 'steps/sleepers.mjs'];

function workload(): string {
  // Sleepers first and last, the isolation baseline and the raw-HTTP creates between them.
  return project({
    'features/1-reliability/sleepers.feature': sleeperFeature(2, 600),
    'features/2-isolation/baseline.feature': BASELINE,
    'features/2-hardening/options.feature': HARDENING_OPTIONS,
    ...RAW_CREATES,
    'features/3-reliability/sleepers.feature': sleeperFeature(2, 600).replace('Feature: labelled sleepers', 'Feature: more labelled sleepers').replace(/sleeper <n>/, 'late sleeper <n>'),
    'steps/sleepers.mjs': SLEEPER_STEPS,
  });
}

interface Interrupted {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  summary?: any;
  signalledAfterMs: number;
  exitAfterSignalMs: number;
  /** keelhaul's first line of code had run when the signal was sent (it renamed itself: /proc/<pid>/comm is "keelhaul ..."). */
  armed: boolean;
}

function commOf(pid: number | undefined): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** Spawn keelhaul and send `signal` `delayMs` after the anchor: the spawn, or the first sleeper container running. */
function interruptRun(args: string[], cwd: string, signal: NodeJS.Signals, delayMs: number, anchor: 'spawn' | 'mid-run' = 'spawn'): Promise<Interrupted> {
  const reportsDir = join(cwd, 'reports');
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [BIN, ...args, '--reports', reportsDir], { cwd, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let signalledAt = 0;
    let armed = false;
    let timer: NodeJS.Timeout | undefined;
    const fire = () => {
      timer = setTimeout(() => {
        armed = commOf(child.pid).startsWith('keelhaul');
        signalledAt = Date.now();
        child.kill(signal);
      }, delayMs);
    };
    if (anchor === 'spawn') fire();
    child.stdout.resume();
    child.stderr.on('data', (d) => {
      stderr += d;
      if (anchor === 'mid-run' && !timer && /sleepers: \S+ container \w+ started/.test(stderr)) fire();
    });
    const guard = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`no exit in 120 s\n${stderr}`)); }, 120_000);
    child.on('close', (exitCode, sig) => {
      clearTimeout(guard);
      clearTimeout(timer);
      const ended = Date.now();
      const summaryPath = join(reportsDir, 'summary.json');
      const summary = existsSync(summaryPath) ? JSON.parse(readFileSync(summaryPath, 'utf8')) : undefined;
      resolve({
        exitCode, signal: sig, stderr, summary, armed,
        signalledAfterMs: signalledAt ? signalledAt - started : -1, exitAfterSignalMs: signalledAt ? ended - signalledAt : -1,
      });
    });
  });
}

const CELLS = [
  { engine: 'docker', host: DOCKER, parallel: false },
  { engine: 'docker', host: DOCKER, parallel: true },
  { engine: 'podman', host: PODMAN, parallel: false },
  { engine: 'podman', host: PODMAN, parallel: true },
] as const;

describe('interruption at random moments', () => {
  const foreign = new Map<string, Foreign>();
  const bystanders = new Map<string, string>();

  before(async () => {
    for (const host of [DOCKER, PODMAN]) {
      assert.ok(await reachable(host), `no engine at ${host}`);
      foreign.set(host, await createForeign(host, `rel-int-${process.pid}`));
      bystanders.set(host, await bystander(host, `rel-int-bystander-${process.pid}`));
    }
  });

  after(async () => {
    for (const [host, f] of foreign) {
      const missing = await missingForeign(host, { ...f, containers: [...f.containers, bystanders.get(host)!] });
      await removeForeign(host, { ...f, containers: [...f.containers, bystanders.get(host)!] });
      assert.deepEqual(missing, [], `${host}: unlabelled objects survive interrupted runs`);
    }
  });

  test(`${RUNS_PER_SIGNAL} SIGINT + ${RUNS_PER_SIGNAL} SIGTERM runs at seeded random moments in the first ${WINDOW_MS} ms (seed ${SEED}), Docker and Podman, serial and --parallel 2: exit 130/143, nothing labelled left, no process of the run alive`, { timeout: 1_800_000 }, async () => {
    const random = rng(SEED);
    const plan = Array.from({ length: 2 * RUNS_PER_SIGNAL }, (_, i) => ({
      i,
      signal: (i % 2 === 0 ? 'SIGINT' : 'SIGTERM') as NodeJS.Signals,
      cell: CELLS[Math.floor(i / 2) % CELLS.length]!,
      delayMs: Math.floor(random() * WINDOW_MS),
      anchor: 'spawn' as 'spawn' | 'mid-run',
    }));
    // On a loaded machine a run may not reach its scenarios within 5 s: one run per cell besides, signalled
    // 0-1.5 s after its first labelled container runs (creates, probes and clean-ups in flight).
    for (const [k, cell] of CELLS.entries()) {
      plan.push({ i: plan.length, signal: k % 2 === 0 ? 'SIGTERM' : 'SIGINT', cell, delayMs: Math.floor(random() * 1_500), anchor: 'mid-run' });
    }
    console.log(`seed ${SEED}: ${plan.length} runs (${2 * RUNS_PER_SIGNAL} at uniformly random moments, ${CELLS.length} mid-run), ${CONCURRENCY} at a time`);
    const failures: string[] = [];
    const figures: Array<{ signal: string; exitAfterSignalMs: number; phase: string; byItsSignal: boolean }> = [];
    const queue = [...plan];
    const lane = async () => {
      for (let p = queue.shift(); p; p = queue.shift()) {
        const runId = testRunId(`int${p.i}`);
        const args = ['run', 'features', '--target', p.cell.host, '--run-id', runId, ...SELECTION, ...(p.cell.parallel ? ['--parallel', '2'] : [])];
        const r = await interruptRun(args, workload(), p.signal, p.delayMs, p.anchor);
        const expected = p.signal === 'SIGINT' ? 130 : 143;
        const left = await leftovers(p.cell.host, runId);
        // The reaper leaves once keelhaul has said "done"; give it a moment to read it.
        const alive = await processesGone(runId, 5_000);
        const phase = !r.armed ? 'node start-up'
          : /had not reached the platform/.test(r.stderr) ? 'before the platform'
            : /sleepers: \S+ container/.test(r.stderr) ? 'mid-run (labelled objects alive)'
              : /: removed \d+ container/.test(r.stderr) ? 'first scenarios (objects swept)' : 'preflight';
        // Before the first line of keelhaul's code runs, node's own default handler ends the process by the
        // signal: no code of any kind has run, so nothing can exist; an interrupted shell reports it as 130/143.
        const byItsSignal = r.exitCode === null && r.signal === p.signal;
        const swept = /: removed (\d+) container\(s\), (\d+) network\(s\), (\d+) volume/.exec(r.stderr);
        const line = `run ${p.i} ${p.cell.engine}${p.cell.parallel ? ' --parallel 2' : ''}: ${p.signal} at +${r.signalledAfterMs} ms${p.anchor === 'mid-run' ? ` (${p.delayMs} ms after the first sleeper)` : ''} (${phase}${swept ? `, swept ${swept[1]}/${swept[2]}/${swept[3]}` : ''}): ${byItsSignal ? `ended by ${r.signal}` : `exit ${r.exitCode}`} ${r.exitAfterSignalMs} ms after the signal; run ${runId}; left ${JSON.stringify(left)}; alive ${alive.length}`;
        console.log(line);
        figures.push({ signal: p.signal, exitAfterSignalMs: r.exitAfterSignalMs, phase, byItsSignal });
        if (r.exitCode !== expected && !(byItsSignal && !r.armed && r.stderr === '')) failures.push(`${line}\n${r.stderr}`);
        if (JSON.stringify(left) !== JSON.stringify(NOTHING)) failures.push(`${line}: labelled objects left`);
        if (alive.length > 0) failures.push(`${line}: still alive: ${JSON.stringify(alive)}`);
        if (r.summary && r.summary.exitCode !== expected) failures.push(`${line}: summary.json says exit ${r.summary.exitCode}`);
        if (hasStackTrace(r.stderr)) failures.push(`${line}: stack trace\n${r.stderr}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, lane));
    for (const signal of ['SIGINT', 'SIGTERM']) {
      const mine = figures.filter((f) => f.signal === signal);
      const byPhase = mine.reduce<Record<string, number>>((acc, f) => ({ ...acc, [f.phase]: (acc[f.phase] ?? 0) + 1 }), {});
      console.log(`${signal}: ${mine.length} runs; phases ${JSON.stringify(byPhase)}; slowest exit ${Math.max(...mine.map((f) => f.exitAfterSignalMs))} ms after the signal; ${mine.filter((f) => f.byItsSignal).length} ended by the signal during node's own start-up`);
    }
    console.log(`${figures.length - failures.length} of ${figures.length} runs clean (seed ${SEED})`);
    assert.deepEqual(failures, []);
    assert.ok(figures.some((f) => f.phase.startsWith('mid-run')), 'at least one signal landed mid-run');
    assert.ok(Math.max(...figures.map((f) => f.exitAfterSignalMs)) < 35_000, 'exit within the 30 s clean-up deadline');
  });
});
