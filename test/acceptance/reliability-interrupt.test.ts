// Interruption at random moments: SIGINT and SIGTERM land anywhere from process start-up to the middle of
// a multi-family run (the shipped isolation baseline plus a --require'd step file that keeps labelled
// containers, networks and volumes alive). Every run must exit 130/143 and leave nothing labelled with
// its run id; foreign objects survive. After SIGKILL nothing can clean up, so the next run warns about
// the dead run's leftovers and `keelhaul clean --run <id>` removes them.
// The schedule is seeded (KEELHAUL_RELIABILITY_SEED replays one) and logged.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, DOCKER, PODMAN, project, reachable, runKeelhaul, type KeelhaulResult } from '../helpers/keelhaul.js';
import {
  BASELINE, NOTHING, SLEEPER_STEPS, createForeign, leftovers, missingForeign, removeForeign, rng, runIdOf, sleeperFeature, type Foreign,
} from './reliability-helpers.js';

const SEED = Number(process.env.KEELHAUL_RELIABILITY_SEED ?? Math.floor(Date.now() / 1000) % 100_000);
const RUNS = Number(process.env.KEELHAUL_RELIABILITY_RUNS ?? 20);
const SELECTION = ['--tags', '@ISO-01 or @ISO-02 or @reliability', '--require', 'steps/sleepers.mjs'];

function workload(): string {
  // Sleepers first and last, the isolation baseline between them: a signal 0.3-3 s after the first
  // sleeper container lands among labelled containers, networks, volumes and probe containers alike.
  return project({
    'features/1-reliability/sleepers.feature': sleeperFeature(2, 600),
    'features/2-isolation/baseline.feature': BASELINE,
    'features/3-reliability/sleepers.feature': sleeperFeature(2, 600).replace('Feature: labelled sleepers', 'Feature: more labelled sleepers').replace(/sleeper <n>/, 'late sleeper <n>'),
    'steps/sleepers.mjs': SLEEPER_STEPS,
  });
}

interface Interrupted extends KeelhaulResult { signalledAfterMs: number; exitAfterSignalMs: number }

/** Spawn keelhaul and send `signal` `delayMs` after the anchor (spawn, or the first sleeper container). */
function interruptRun(args: string[], cwd: string, signal: NodeJS.Signals, anchor: 'spawn' | 'mid-run', delayMs: number): Promise<Interrupted> {
  const reportsDir = join(cwd, 'reports');
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [BIN, ...args, '--reports', reportsDir], { cwd, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let signalledAt = 0;
    let timer: NodeJS.Timeout | undefined;
    const fire = () => {
      timer = setTimeout(() => { signalledAt = Date.now(); child.kill(signal); }, delayMs);
    };
    if (anchor === 'spawn') fire();
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => {
      stderr += d;
      if (anchor === 'mid-run' && !timer && /sleepers: \S+ container \w+ started/.test(stderr)) fire();
    });
    const guard = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`no exit in 120 s\n${stdout}\n${stderr}`)); }, 120_000);
    child.on('close', (exitCode, sig) => {
      clearTimeout(guard);
      clearTimeout(timer);
      const ended = Date.now();
      const summaryPath = join(reportsDir, 'summary.json');
      const summary = existsSync(summaryPath) ? JSON.parse(readFileSync(summaryPath, 'utf8')) : undefined;
      resolve({
        exitCode, signal: sig, stdout, stderr, reportsDir, summary,
        signalledAfterMs: signalledAt ? signalledAt - started : -1, exitAfterSignalMs: signalledAt ? ended - signalledAt : -1,
      });
    });
  });
}

describe('interruption at random moments', () => {
  let foreign: Foreign;
  const figures: Array<{ phase: string; exitAfterSignalMs: number }> = [];

  before(async () => {
    assert.ok(await reachable(DOCKER), `Docker is not reachable at ${DOCKER}`);
    foreign = await createForeign(DOCKER, `rel-int-${process.pid}`);
  });

  after(async () => {
    const missing = await missingForeign(DOCKER, foreign);
    await removeForeign(DOCKER, foreign);
    assert.deepEqual(missing, [], 'foreign objects survive interrupted runs');
  });

  test(`${RUNS} runs on Docker, SIGINT/SIGTERM at seeded random moments (seed ${SEED}): exit 130/143, nothing left`, { timeout: 600_000 }, async () => {
    const random = rng(SEED);
    const plan = Array.from({ length: RUNS }, (_, i) => ({
      i,
      signal: (i % 2 === 0 ? 'SIGINT' : 'SIGTERM') as NodeJS.Signals,
      anchor: (random() < 0.5 ? 'spawn' : 'mid-run') as 'spawn' | 'mid-run',
      delayMs: Math.round(300 + random() * 2700),
      // Every fourth run with two worker processes: the coordinator sweeps what the workers created.
      parallel: i % 4 === 3,
    }));
    const failures: string[] = [];
    const startupDeaths: number[] = [];
    // Two at a time: the engine is shared anyway, and this keeps the 20 runs near a minute.
    const queue = [...plan];
    const worker = async () => {
      for (let p = queue.shift(); p; p = queue.shift()) {
        const cwd = workload();
        const r = await interruptRun(['run', 'features', '--target', DOCKER, ...SELECTION, ...(p.parallel ? ['--parallel', '2'] : [])], cwd, p.signal, p.anchor, p.delayMs);
        const runId = runIdOf(r);
        const expected = p.signal === 'SIGINT' ? 130 : 143;
        const phase = !runId ? 'before a run existed'
          : /had not reached the platform/.test(r.stderr) ? 'before the platform was reached'
            : /sleepers: \S+ container/.test(r.stderr) ? 'mid-run (labelled objects alive)' : 'after preflight';
        const left = runId ? await leftovers(DOCKER, runId) : NOTHING;
        const line = `run ${p.i}${p.parallel ? ' (--parallel 2)' : ''}: ${p.signal} ${p.delayMs} ms after ${p.anchor} (at +${r.signalledAfterMs} ms, ${phase}): exit ${r.exitCode}${r.signal ? ` by ${r.signal}` : ''} ${r.exitAfterSignalMs} ms after the signal; run ${runId ?? '-'}; left ${JSON.stringify(left)}`;
        console.log(line);
        figures.push({ phase, exitAfterSignalMs: r.exitAfterSignalMs });
        // A signal that lands while node itself is still starting (before any keelhaul code runs) kills
        // the process by that signal: shells and tini report it as 128+n = 130/143 all the same.
        const diedBySignalBeforeKeelhaul = r.exitCode === null && r.signal === p.signal && !runId && r.stderr === '';
        if (diedBySignalBeforeKeelhaul) startupDeaths.push(r.signalledAfterMs);
        else if (r.exitCode !== expected) failures.push(`${line}\n${r.stderr}`);
        if (JSON.stringify(left) !== JSON.stringify(NOTHING)) failures.push(`${line}: labelled objects left`);
        if (!runId && /sleepers:/.test(r.stderr)) failures.push(`${line}: objects were created but no run id was reported`);
        if (r.summary && r.summary.exitCode !== expected) failures.push(`${line}: summary.json says exit ${r.summary.exitCode}`);
        if (/\n\s+at .+:\d+:\d+/.test(r.stderr)) failures.push(`${line}: stack trace\n${r.stderr}`);
      }
    };
    await Promise.all([worker(), worker()]);
    const max = Math.max(...figures.map((f) => f.exitAfterSignalMs));
    const byPhase = figures.reduce<Record<string, number>>((acc, f) => ({ ...acc, [f.phase]: (acc[f.phase] ?? 0) + 1 }), {});
    console.log(`interrupted runs: ${figures.length - failures.length}/${figures.length} clean; phases ${JSON.stringify(byPhase)}; max time from signal to exit ${max} ms; ${startupDeaths.length} signal(s) landed during node's start-up${startupDeaths.length ? ` (at +${startupDeaths.join(', +')} ms)` : ''} and ended the process by the signal`);
    assert.deepEqual(failures, []);
    assert.ok(figures.some((f) => f.phase.startsWith('mid-run')), 'at least one signal landed mid-run');
    assert.ok(max < 35_000, `exit within the 30 s clean-up deadline (max ${max} ms)`);
  });

  test('Podman: SIGTERM mid-run sweeps containers, networks and volumes', { timeout: 180_000 }, async (t) => {
    if (!(await reachable(PODMAN))) return t.skip(`Podman is not reachable at ${PODMAN}`);
    for (const signal of ['SIGTERM'] as const) {
      const r = await interruptRun(['run', 'features', '--target', PODMAN, ...SELECTION], workload(), signal, 'mid-run', 400);
      const runId = runIdOf(r);
      assert.equal(r.exitCode, signal === 'SIGINT' ? 130 : 143, r.stderr);
      assert.ok(runId, r.stderr);
      assert.deepEqual(await leftovers(PODMAN, runId), NOTHING);
      console.log(`podman ${signal}: exit ${r.exitCode} ${r.exitAfterSignalMs} ms after the signal`);
    }
  });

  test('after SIGKILL: the next run warns about the dead run, `clean --run` removes its objects and nothing else', { timeout: 180_000 }, async () => {
    const cwd = workload();
    const killed = await interruptRun(['run', 'features', '--target', DOCKER, ...SELECTION], cwd, 'SIGKILL', 'mid-run', 300);
    assert.equal(killed.signal, 'SIGKILL');
    const deadRun = runIdOf(killed);
    assert.ok(deadRun, killed.stderr);
    const left = await leftovers(DOCKER, deadRun);
    assert.ok(left.containers.length > 0, `a SIGKILLed run leaves its labelled containers: ${JSON.stringify(left)}`);

    const next = await runKeelhaul(['run', 'features', '--target', DOCKER, '--tags', '@ISO-02', '--reports', 'next'], { cwd });
    assert.equal(next.exitCode, 0, next.stderr);
    assert.match(next.stderr, new RegExp(`containers of other keelhaul runs are on this platform: .*${deadRun} \\(\\d+\\).*keelhaul clean`));
    assert.deepEqual(await leftovers(DOCKER, deadRun), left, 'a run never removes another run\'s objects');

    const cleaned = await runKeelhaul(['clean', '--target', DOCKER, '--run', deadRun], { cwd });
    assert.equal(cleaned.exitCode, 0, cleaned.stdout + cleaned.stderr);
    assert.match(cleaned.stdout, new RegExp(`removed ${left.containers.length} container\\(s\\), ${left.networks.length} network\\(s\\), ${left.volumes.length} volume\\(s\\) labelled by run ${deadRun}`));
    assert.deepEqual(await leftovers(DOCKER, deadRun), NOTHING);
    assert.deepEqual(await missingForeign(DOCKER, foreign), []);
  });
});
