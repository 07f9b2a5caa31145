// When keelhaul cannot clean up itself.
// - Parent death: a supervisor that signals only its direct child (some CI agents, `npx`): the shell that
//   started keelhaul is killed, keelhaul is re-parented, and must stop by itself as on SIGTERM (sweep, exit
//   143, summary written), workers included.
// - SIGKILL: nothing in keelhaul's process can run. The reaper, a detached watchdog started with the run,
//   sees keelhaul's end of its pipe close without "done" and removes what carries the run's label within
//   10 s, then exits. No `keelhaul clean` here. Unlabelled containers started before the run survive.
// - A machine that died (keelhaul and its reaper both killed): the next run warns about the dead run's
//   leftovers, and `keelhaul clean --run <id>` removes them, nothing else.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, DOCKER, PODMAN, containerExists, project, reachable, removeContainer, runKeelhaul } from '../helpers/keelhaul.js';
import {
  BASELINE, NOTHING, SLEEPER_STEPS, bystander, labelGone, leftovers, processesGone, processesOfRun, sleeperFeature, testRunId,
} from './reliability-helpers.js';

const SELECTION = ['--tags', '@ISO-01 or @ISO-02 or @reliability', '--require', 'steps/sleepers.mjs'];
const STARTED = /sleepers: \S+ container \w+ started/;

function workload(): string {
  // Sleepers long enough that a run killed mid-way still has labelled containers, networks and volumes alive.
  return project({
    'features/1-reliability/sleepers.feature': sleeperFeature(3, 3_000),
    'features/2-isolation/baseline.feature': BASELINE,
    'steps/sleepers.mjs': SLEEPER_STEPS,
  });
}

interface Watched { child: ChildProcess; output: () => string; closed: Promise<void>; started: Promise<void> }

/** Spawn `command args`, collect its output, and resolve `started` once a sleeper container runs. */
function watch(command: string, args: string[], cwd: string): Watched {
  const child = spawn(command, args, { cwd, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  let markStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => { markStarted = resolve; });
  const onData = (d: Buffer) => {
    text += d;
    if (STARTED.test(text)) markStarted();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  // The pipes close when every process holding them (keelhaul and its workers, not the reaper) is gone.
  const closed = new Promise<void>((resolve) => {
    let open = 2;
    const one = () => { if (--open === 0) resolve(); };
    child.stdout!.on('close', one);
    child.stderr!.on('close', one);
  });
  return { child, output: () => text, closed, started };
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([promise, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms); })])
    .finally(() => clearTimeout(timer));
}

const CASES = [
  { engine: 'docker', host: DOCKER, parallel: false },
  { engine: 'docker', host: DOCKER, parallel: true },
  { engine: 'podman', host: PODMAN, parallel: false },
] as const;

describe('parent death, SIGKILL and the reaper', () => {
  const bystanders = new Map<string, string>();

  before(async () => {
    for (const host of [DOCKER, PODMAN]) {
      assert.ok(await reachable(host), `no engine at ${host}`);
      bystanders.set(host, await bystander(host, `rel-reaper-bystander-${process.pid}`));
    }
  });

  after(async () => {
    for (const [host, id] of bystanders) {
      const survived = await containerExists(host, id);
      await removeContainer(host, id);
      assert.ok(survived, `${host}: the unlabelled container started before the runs survives`);
    }
  });

  for (const { engine, host, parallel } of CASES) {
    const mode = parallel ? ' --parallel 2' : '';
    test(`${engine}${mode}: SIGTERM to the shell that started keelhaul only: keelhaul stops by itself, sweeps, exits`, { timeout: 120_000 }, async () => {
      const runId = testRunId('orphan');
      const cwd = workload();
      const args = ['run', 'features', '--target', host, '--run-id', runId, '--reports', join(cwd, 'reports'), ...SELECTION, ...(parallel ? ['--parallel', '2'] : [])];
      // `"$@"; ...`: a command after keelhaul's, so that sh waits for it instead of exec'ing it.
      const run = watch('sh', ['-c', '"$@"; echo "sh: keelhaul exited $?"', 'sh', process.execPath, BIN, ...args], cwd);
      await within(run.started, 60_000, `a sleeper container of ${runId}\n${run.output()}`);
      const [main] = processesOfRun(runId).filter((p) => p.ppid === run.child.pid);
      assert.ok(main, `keelhaul runs under the shell: ${JSON.stringify(processesOfRun(runId))}`);
      const killedAt = Date.now();
      run.child.kill('SIGTERM');
      await new Promise((r) => run.child.once('exit', r));
      assert.equal(run.child.signalCode, 'SIGTERM', 'the shell died by the signal');
      await within(run.closed, 40_000, `keelhaul ${main.pid} ending after its parent died\n${run.output()}`);
      const stoppedAfterMs = Date.now() - killedAt;
      const alive = await processesGone(runId, 5_000);
      assert.deepEqual(alive, [], 'no process of the run alive');
      assert.deepEqual(await leftovers(host, runId), NOTHING, 'nothing labelled with the run id');
      assert.match(run.output(), /keelhaul: the process that started keelhaul \(pid \d+\) is gone: stopping as on SIGTERM/);
      const summaryPath = join(cwd, 'reports', 'summary.json');
      assert.ok(existsSync(summaryPath), run.output());
      assert.equal(JSON.parse(readFileSync(summaryPath, 'utf8')).exitCode, 143, 'the run ended as on SIGTERM');
      console.log(`${engine}${mode}: parent killed, keelhaul stopped ${stoppedAfterMs} ms later`);
    });

    test(`${engine}${mode}: SIGKILL of keelhaul mid-run: the reaper removes the run's objects within 10 s, then exits`, { timeout: 120_000 }, async () => {
      const runId = testRunId('killed');
      const cwd = workload();
      const run = watch(process.execPath, [BIN, 'run', 'features', '--target', host, '--run-id', runId, '--reports', join(cwd, 'reports'), ...SELECTION, ...(parallel ? ['--parallel', '2'] : [])], cwd);
      await within(run.started, 60_000, `a sleeper container of ${runId}\n${run.output()}`);
      const before = await leftovers(host, runId);
      assert.ok(before.containers.length > 0 && before.networks.length > 0 && before.volumes.length > 0, `labelled objects alive before the kill: ${JSON.stringify(before)}`);
      const running = processesOfRun(runId);
      const killedAt = Date.now();
      run.child.kill('SIGKILL');
      const { left, afterMs } = await labelGone(host, runId, 15_000);
      assert.deepEqual(left, NOTHING, `nothing labelled ${runId} left ${afterMs} ms after the SIGKILL`);
      assert.ok(afterMs <= 10_000, `the reaper swept within 10 s (${afterMs} ms)`);
      assert.equal(running.filter((p) => /reaper/.test(p.cmd)).length, 1, `one reaper ran with the run: ${JSON.stringify(running)}`);
      const alive = await processesGone(runId, 10_000);
      assert.deepEqual(alive, [], 'the reaper (and any worker) has exited');
      assert.ok(await containerExists(host, bystanders.get(host)!), 'the unlabelled container is untouched');
      const log = join(cwd, 'reports', 'reaper.log');
      assert.ok(existsSync(log) && /removed \d+ container/.test(readFileSync(log, 'utf8')), `the reaper says what it did in reports/reaper.log`);
      console.log(`${engine}${mode}: SIGKILL, ${before.containers.length} container(s) ${before.networks.length} network(s) ${before.volumes.length} volume(s) alive; label empty ${afterMs} ms later, all processes gone ${Date.now() - killedAt} ms after the kill`);
    });
  }

  test('a run that ends normally: the reaper is told "done" and leaves without touching anything', { timeout: 120_000 }, async () => {
    const runId = testRunId('normal');
    const cwd = project({ 'features/baseline.feature': BASELINE });
    const r = await runKeelhaul(['run', 'features', '--target', DOCKER, '--run-id', runId, '--tags', '@ISO-02'], { cwd });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(await processesGone(runId, 3_000), [], 'the reaper exits with the run');
    assert.ok(!existsSync(join(cwd, 'reports', 'reaper.log')), 'the reaper had nothing to do');
  });

  test('a serial run that creates nothing starts no reaper (it starts with the first create)', { timeout: 120_000 }, async () => {
    const runId = testRunId('nothing');
    const cwd = project({
      'quiet.feature': 'Feature: quiet\n  Scenario: a step that creates nothing\n    Given the user waits a moment\n',
      'quiet-steps.mjs': "import { Given } from '@cucumber/cucumber';\nGiven('the user waits a moment', () => new Promise((r) => setTimeout(r, 2000)));\n",
    });
    const running = runKeelhaul(['run', 'quiet.feature', '--require', 'quiet-steps.mjs', '--target', DOCKER, '--run-id', runId], { cwd });
    let done = false;
    void running.finally(() => { done = true; });
    const seen = new Set<string>();
    let looks = 0;
    while (!done && looks < 200) {
      for (const p of processesOfRun(runId)) seen.add(p.cmd);
      looks++;
      await new Promise((r) => setTimeout(r, 50));
    }
    const r = await running;
    assert.equal(r.exitCode, 0, r.stderr);
    assert.ok(looks > 20, `the run was looked at ${looks} times only`);
    assert.ok([...seen].some((cmd) => /main\.js run/.test(cmd)), `keelhaul itself was seen: ${JSON.stringify([...seen])}`);
    assert.deepEqual([...seen].filter((cmd) => /reaper/.test(cmd)), [], 'a reaper was started for a run that created nothing');
  });

  test('a machine that died (keelhaul and its reaper killed): the next run warns, `clean --run` removes the dead run\'s objects', { timeout: 180_000 }, async () => {
    const runId = testRunId('dead');
    const cwd = workload();
    const run = watch(process.execPath, [BIN, 'run', 'features', '--target', DOCKER, '--run-id', runId, '--reports', join(cwd, 'reports'), ...SELECTION], cwd);
    await within(run.started, 60_000, `a sleeper container of ${runId}\n${run.output()}`);
    for (const p of processesOfRun(runId).filter((x) => /reaper/.test(x.cmd))) process.kill(p.pid, 'SIGKILL');
    run.child.kill('SIGKILL');
    await within(run.closed, 20_000, 'keelhaul gone');
    assert.deepEqual(await processesGone(runId, 5_000), []);
    const left = await leftovers(DOCKER, runId);
    assert.ok(left.containers.length > 0, `a run killed with its reaper leaves its labelled objects: ${JSON.stringify(left)}`);

    const next = await runKeelhaul(['run', 'features', '--target', DOCKER, '--tags', '@ISO-02', '--reports', 'next'], { cwd });
    assert.equal(next.exitCode, 0, next.stderr);
    assert.match(next.stderr, new RegExp(`containers of other keelhaul runs are on this platform: .*${runId} \\(\\d+\\).*keelhaul clean`));
    assert.deepEqual(await leftovers(DOCKER, runId), left, 'a run never removes another run\'s objects');

    const cleaned = await runKeelhaul(['clean', '--target', DOCKER, '--run', runId], { cwd });
    assert.equal(cleaned.exitCode, 0, cleaned.stdout + cleaned.stderr);
    assert.match(cleaned.stdout, new RegExp(`removed ${left.containers.length} container\\(s\\), ${left.networks.length} network\\(s\\), ${left.volumes.length} volume\\(s\\) labelled by run ${runId}`));
    assert.deepEqual(await leftovers(DOCKER, runId), NOTHING);
    assert.ok(await containerExists(DOCKER, bystanders.get(DOCKER)!));
  });
});
