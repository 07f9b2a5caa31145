// Faults between keelhaul and a real engine (test/fixtures/fault-proxy): a reset mid-stream, a 500 on
// create, a stall past the call or container timeout, truncated JSON. No hang beyond the timeouts, the
// documented outcome (the scenario ends in `error` with a reason, exit 5; exit 4 when /version or /info
// fail at preflight), and the clean-up still reaches the real engine: nothing labelled with the run id is
// left there. Then hung containers: one that never exits, one whose PID 1 ignores SIGTERM, and a step
// stuck past its own timeout while its container runs: each ends at its timeout as `error` and is removed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DOCKER, PODMAN, project, reachable, runKeelhaul } from '../helpers/keelhaul.js';
import { startFaultProxy, type Fault, type FaultProxy } from '../fixtures/fault-proxy/proxy.js';
import { BASELINE, NOTHING, leftovers, runIdOf } from './reliability-helpers.js';

const UPSTREAM = DOCKER.replace(/^unix:\/\//, '');
const CONTAINER = '/containers/[0-9a-f]{12,64}';

interface FaultCase {
  name: string;
  faults: Fault[];
  args?: string[];
  env?: NodeJS.ProcessEnv;
  exit: number;
  /** For exit 5: the reason of the errored scenario; for exit 4: keelhaul's one line. */
  reason: RegExp;
  /** Upper bound on the whole run (ms), generous for a loaded machine but far below a hang. */
  withinMs: number;
}

const CASES: FaultCase[] = [
  { name: '500 on create', faults: [{ kind: 'status500', method: 'POST', path: /^\/containers\/create$/ }],
    exit: 5, reason: /^create container: the platform answered 500: fault-proxy: injected 500$/, withinMs: 45_000 },
  // Every logs read is cut (the runner's measurement reads logs first, as for the stall on start below).
  { name: 'connection reset mid-stream (container logs)', faults: [{ kind: 'reset', method: 'GET', path: new RegExp(`^${CONTAINER}/logs$`) }],
    env: { KEELHAUL_CALL_TIMEOUT_MS: '5000' }, exit: 5, reason: /connection to unix:\/\/\S+ lost mid-call: .*(ECONNRESET|socket hang up|aborted)|no answer from .* in time/, withinMs: 45_000 },
  // Every start stalls: the first container a run starts is the one that measures where keelhaul runs
  // (run/runner.ts), whose stall only leaves that measurement undecided; the scenario's must still end in error.
  { name: 'stall on start, past the call timeout', faults: [{ kind: 'stall', method: 'POST', path: new RegExp(`^${CONTAINER}/start$`) }],
    env: { KEELHAUL_CALL_TIMEOUT_MS: '3000' }, exit: 5, reason: /^start container: no answer from unix:\/\/\S+ in time$/, withinMs: 45_000 },
  { name: 'stall on wait, past the container timeout', faults: [{ kind: 'stall', method: 'POST', path: new RegExp(`^${CONTAINER}/wait$`) }],
    args: ['--container-timeout', '3000'], exit: 5, reason: /^the probe container did not finish in time$/, withinMs: 45_000 },
  { name: 'truncated JSON answering create', faults: [{ kind: 'truncate', method: 'POST', path: /^\/containers\/create$/ }],
    exit: 5, reason: /^create container: the platform's answer has no container Id \(truncated or not JSON\)$/, withinMs: 45_000 },
  { name: 'preflight: truncated JSON answering /version', faults: [{ kind: 'truncate', method: 'GET', path: /^\/version$/ }],
    exit: 4, reason: /^keelhaul: GET \/version on unix:\/\/\S+ did not answer JSON: \{/, withinMs: 30_000 },
  { name: 'preflight: connection reset on /version', faults: [{ kind: 'reset', method: 'GET', path: /^\/version$/ }],
    exit: 4, reason: /^keelhaul: GET \/version: (connection to unix:\/\/\S+ lost mid-call|cannot reach unix:\/\/\S+): /, withinMs: 30_000 },
  { name: 'preflight: 500 on /info', faults: [{ kind: 'status500', method: 'GET', path: /^\/info$/ }],
    exit: 4, reason: /^keelhaul: GET \/info on unix:\/\/\S+ answered 500: /, withinMs: 30_000 },
  { name: 'preflight: /info stalls', faults: [{ kind: 'stall', method: 'GET', path: /^\/info$/ }],
    exit: 4, reason: /^keelhaul: GET \/info on unix:\/\/\S+: no answer in 10000 ms$/, withinMs: 40_000 },
];

describe('faults between keelhaul and the engine (fault proxy in front of Docker)', { concurrency: 2 }, () => {
  before(async () => {
    assert.ok(await reachable(DOCKER), `Docker is not reachable at ${DOCKER}`);
  });

  for (const c of CASES) {
    test(`${c.exit}: ${c.name}`, { timeout: 120_000 }, async () => {
      const proxy = await startFaultProxy({ upstreamSocket: UPSTREAM, faults: c.faults });
      try {
        const cwd = project({ 'features/baseline.feature': BASELINE });
        const started = Date.now();
        const r = await runKeelhaul(['run', 'features', '--target', proxy.url, '--tags', '@ISO-02', ...(c.args ?? [])], { cwd, env: c.env, timeoutMs: 110_000 });
        const elapsed = Date.now() - started;
        console.log(`${c.name}: exit ${r.exitCode} in ${elapsed} ms; injected ${proxy.injected.length}: ${proxy.injected.slice(0, 2).join(', ')}`);
        assert.ok(proxy.injected.length > 0, `the fault was injected (requests: ${proxy.hits.join(', ')})`);
        assert.equal(r.exitCode, c.exit, r.stdout + r.stderr);
        assert.ok(elapsed < c.withinMs, `no hang: ${elapsed} ms`);
        assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace');
        if (c.exit === 4) {
          assert.match(r.stderr.trim(), c.reason);
          assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
          assert.equal(r.summary, undefined, 'no run started');
          return;
        }
        const scenario = r.summary.scenarios.find((s: any) => s.id === 'ISO-02');
        assert.equal(scenario.outcome, 'error', JSON.stringify(scenario));
        assert.match(scenario.reason, c.reason);
        assert.equal(r.summary.exitCode, 5);
        // Clean-up went through the proxy to the real engine: ask the real engine directly.
        assert.deepEqual(await leftovers(DOCKER, runIdOf(r)!), NOTHING, `objects of run ${r.summary.run} left on the real engine`);
      } finally {
        await proxy.close();
      }
    });
  }
});

const HUNG_STEPS = `
import { When } from '@cucumber/cucumber';
When('a container that never exits is run to completion', async function () {
  const r = await this.runContainer({ cmd: ['sleep', '600'] });
  if (r.timedOut) throw new Error('the container did not exit within the container timeout');
});
When('a container whose PID 1 ignores SIGTERM is run to completion', async function () {
  const r = await this.runContainer({ cmd: ['httpd', '-f', '-p', '8080'] });
  if (r.timedOut) throw new Error('the container did not exit within the container timeout');
});
When('a step is stuck while its container never exits', { timeout: 3000 }, async function () {
  await this.startContainer({ cmd: ['sleep', '600'] });
  process.stderr.write('hung: run ' + this.parameters.runId + '\\n');
  await new Promise(() => {});
});
`;

const HUNG_FEATURE = `Feature: hung containers
  @HUNG-1
  Scenario: never exits
    When a container that never exits is run to completion
  @HUNG-2
  Scenario: ignores SIGTERM
    When a container whose PID 1 ignores SIGTERM is run to completion
  @HUNG-3
  Scenario: step stuck past its timeout
    When a step is stuck while its container never exits
`;

for (const [engine, host] of [['docker', DOCKER], ['podman', PODMAN]] as const) {
  describe(`hung containers on ${engine}`, () => {
    let up = true;
    before(async () => { up = await reachable(host); });
    after(() => undefined);

    test('each ends at its timeout as error and is removed', { timeout: 180_000 }, async (t) => {
      if (!up) return t.skip(`${engine} is not reachable at ${host}`);
      const cwd = project({ 'features/hung.feature': HUNG_FEATURE, 'steps/hung.mjs': HUNG_STEPS });
      const started = Date.now();
      const r = await runKeelhaul(['run', 'features', '--target', host, '--require', 'steps/hung.mjs', '--container-timeout', '2500'], { cwd, timeoutMs: 170_000 });
      const elapsed = Date.now() - started;
      console.log(`${engine}: hung containers: exit ${r.exitCode} in ${elapsed} ms: ${r.summary?.scenarios.map((s: any) => `${s.id} ${s.outcome} ${s.durationMs} ms`).join('; ')}`);
      assert.equal(r.exitCode, 5, r.stdout + r.stderr);
      const byId = Object.fromEntries(r.summary.scenarios.map((s: any) => [s.id, s]));
      assert.equal(byId['HUNG-1'].outcome, 'error');
      assert.match(byId['HUNG-1'].reason, /did not exit within the container timeout/);
      assert.equal(byId['HUNG-2'].outcome, 'error');
      assert.match(byId['HUNG-2'].reason, /did not exit within the container timeout/);
      assert.equal(byId['HUNG-3'].outcome, 'error');
      assert.match(byId['HUNG-3'].reason, /function timed out, ensure the promise resolves within 3000 milliseconds/);
      for (const id of ['HUNG-1', 'HUNG-2', 'HUNG-3']) assert.ok(byId[id].durationMs < 40_000, `${id} took ${byId[id].durationMs} ms`);
      assert.deepEqual(await leftovers(host, r.summary.run), NOTHING);
    });
  });
}
