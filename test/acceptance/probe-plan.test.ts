// The probe plan on a real engine (support/probe-plan.ts): the hardening options' probes run ahead of
// their scenarios, at most --probe-concurrency at a time, with the same outcome for every scenario as
// a run whose probes each wait for their scenario, and nothing labelled left by either.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DOCKER, ROOT, api, labelledContainers, project, runKeelhaul } from '../helpers/keelhaul.js';

const OPTIONS = join(ROOT, 'features', 'hardening', 'options.feature');

/** The most containers of this run that were running at once, from the engine's start and die events. */
async function mostRunningAtOnce(host: string, runId: string, sinceSec: number): Promise<number> {
  const filters = encodeURIComponent(JSON.stringify({ type: ['container'], event: ['start', 'die'], label: [`keelhaul.run=${runId}`] }));
  const { body } = await api(host, `/events?since=${sinceSec}&until=${Math.ceil(Date.now() / 1000) + 1}&filters=${filters}`);
  const events = String(typeof body === 'string' ? body : JSON.stringify(body)).split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  assert.ok(events.length > 10, `only ${events.length} start/die events for run ${runId}`);
  let running = 0;
  let most = 0;
  for (const e of events.sort((a, b) => a.timeNano - b.timeNano)) {
    running += e.status === 'start' ? 1 : -1;
    most = Math.max(most, running);
  }
  return most;
}

test('hardening options on Docker: probes run ahead, at most 3 at a time, the same outcome per scenario as without the plan, nothing left', { timeout: 600_000 }, async () => {
  const cwd = project({});
  const runs: Record<string, { outcomes: Record<string, string>; most: number; plan: any; exitCode: number | null }> = {};
  for (const [name, concurrency] of [['ahead', '3'], ['asked', '0']] as const) {
    const since = Math.floor(Date.now() / 1000) - 1;
    const r = await runKeelhaul(['run', OPTIONS, '--target', DOCKER, '--tags', 'not @slow and not @deep', '--probe-concurrency', concurrency, '--reports', name], { cwd, timeoutMs: 300_000 });
    assert.ok(r.summary, `${name}: no summary\n${r.stderr.slice(-2000)}`);
    assert.ok([0, 1].includes(r.exitCode ?? -1), `${name}: exit ${r.exitCode}\n${r.stderr.slice(-2000)}`);
    assert.deepEqual(await labelledContainers(DOCKER, r.summary.run), [], `${name}: labelled containers left`);
    runs[name] = {
      outcomes: Object.fromEntries(r.summary.scenarios.map((s: any) => [s.id, s.outcome])),
      most: await mostRunningAtOnce(DOCKER, r.summary.run, since), plan: r.summary.probePlan, exitCode: r.exitCode,
    };
  }
  const { ahead, asked } = runs as Record<string, (typeof runs)[string]>;
  assert.deepEqual(ahead!.outcomes, asked!.outcomes, 'the plan changed a verdict');
  assert.ok(Object.keys(ahead!.outcomes).length > 30, `${Object.keys(ahead!.outcomes).length} scenarios`);
  assert.equal(ahead!.exitCode, asked!.exitCode);
  assert.deepEqual(asked!.plan, { concurrency: 0, scenarios: 0 });
  assert.equal(ahead!.plan.concurrency, 3);
  assert.ok(ahead!.plan.scenarios > 30, `${ahead!.plan.scenarios} scenarios planned`);
  // Serial without the plan, one probe container runs at a time (two while a privileged exec's container lives).
  assert.ok(asked!.most <= 2, `without the plan ${asked!.most} containers ran at once`);
  // With it, the plan's three and the scenario's own (a cache miss, the exec step's container).
  assert.ok(ahead!.most >= 3, `the plan ran ${ahead!.most} at once at most: it did not run ahead`);
  assert.ok(ahead!.most <= 3 + 2, `${ahead!.most} containers ran at once: the plan is not bounded`);
});
