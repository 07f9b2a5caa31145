// The probe plan on a real engine (support/probe-plan.ts): the hardening options' probes and the
// conformance lifecycle, option and route checks run ahead (and pause while an attack runs) of their scenarios, at most --probe-concurrency at a
// time, with the same outcome for every scenario as a run whose probes each wait for their scenario, and
// nothing labelled left by either.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DOCKER, ROOT, labelledContainers, project, runKeelhaul } from '../helpers/keelhaul.js';
import { watchEvents } from '../helpers/events.js';

const OPTIONS = join(ROOT, 'features', 'hardening', 'options.feature');
const LIFECYCLE = join(ROOT, 'features', 'conformance', 'lifecycle.feature');
const CONFORMANCE_OPTIONS = join(ROOT, 'features', 'conformance', 'options.feature');
const ROUTES = join(ROOT, 'features', 'conformance', 'routes.feature');
const EXAMPLES = join(ROOT, 'features', 'examples', 'generic-attack.feature');

/**
 * Two attacks of the test's own, run first, while the plan has its whole work ahead of it (110
 * scenarios, some 15 s of probes with three lanes): each attack is its scenario's only container and
 * lasts 2 s, so a plan that did not pause at the launch would start a container during it (measured:
 * with the pause in `launch` disabled, every run here saw plan containers start during both attacks).
 */
const LONG_ATTACKS = `@examples
Feature: Attacks that last long enough for the plan to show it paused
  @PP-01
  Scenario: A first attack of two seconds
    When I launch an attack with a timeout of 20 seconds:
      """
      sleep 2; echo done
      """
    Then the attack exits with status 0

  @PP-02
  Scenario: A second attack of two seconds
    When I launch an attack with a timeout of 20 seconds:
      """
      sleep 2; echo done
      """
    Then the attack exits with status 0
`;

/** The most containers of run `runId` running at once, from its start and die events read live (test/helpers/events.ts). */
function watchRunning(host: string, runId: string): { ready: Promise<void>; stop: () => Promise<{ most: number; events: number; attackOverlaps: string[]; attacks: number }> } {
  let running = 0, most = 0, events = 0;
  // A PP- scenario's one container is its attack: from its start to its death no container of
  // another scenario may start (the plan pauses at the launch and waits for what it has in flight).
  let attack: { scenario: string; id: string } | undefined;
  let attacks = 0;
  const attackOverlaps: string[] = [];
  const watch = watchEvents(host, { type: ['container'], event: ['start', 'die'], label: [`keelhaul.run=${runId}`] }, (e) => {
    events++;
    const scenario = String(e.Actor?.Attributes?.['keelhaul.scenario'] ?? '');
    if (e.status === 'start') {
      if (attack && scenario !== attack.scenario) attackOverlaps.push(`${scenario} started during ${attack.scenario}'s attack`);
      if (scenario.startsWith('PP-')) { attack = { scenario, id: e.id }; attacks++; }
    } else if (attack && e.id === attack.id) attack = undefined;
    running += e.status === 'start' ? 1 : -1;
    most = Math.max(most, running);
  });
  return {
    ready: watch.ready,
    stop: async () => {
      await watch.stop();
      assert.ok(events > 10, `only ${events} start/die events for run ${runId}`);
      return { most, events, attackOverlaps, attacks };
    },
  };
}

test('hardening options, conformance checks and routes on Docker: probes run ahead, at most 3 at a time, paused while an attack runs, the same outcome per scenario as without the plan, nothing left', { timeout: 600_000 }, async () => {
  const cwd = project({ 'long-attacks.feature': LONG_ATTACKS });
  const runs: Record<string, { outcomes: Record<string, string>; most: number; plan: any; exitCode: number | null }> = {};
  for (const [name, concurrency] of [['ahead', '3'], ['asked', '0']] as const) {
    const runId = `plan-test-${name}-${process.pid}`;
    const watch = watchRunning(DOCKER, runId);
    await watch.ready;
    const r = await runKeelhaul(['run', 'long-attacks.feature', EXAMPLES, OPTIONS, LIFECYCLE, CONFORMANCE_OPTIONS, ROUTES, '--target', DOCKER, '--tags', 'not @slow and not @deep', '--probe-concurrency', concurrency, '--run-id', runId, '--reports', name], { cwd, timeoutMs: 300_000 });
    const { most, attackOverlaps, attacks } = await watch.stop();
    assert.equal(attacks, 2, `${name}: ${attacks} attacks seen (PP-01, PP-02 expected)`);
    assert.deepEqual(attackOverlaps, [], `${name}: the plan ran during an attack`);
    assert.ok(r.summary, `${name}: no summary\n${r.stderr.slice(-2000)}`);
    process.stderr.write(`# ${name}: ${most} containers running at once at most, ${r.summary.durationMs} ms, plan ${JSON.stringify(r.summary.probePlan)}\n`);
    assert.ok([0, 1].includes(r.exitCode ?? -1), `${name}: exit ${r.exitCode}\n${r.stderr.slice(-2000)}`);
    assert.deepEqual(await labelledContainers(DOCKER, r.summary.run), [], `${name}: labelled containers left`);
    runs[name] = {
      outcomes: Object.fromEntries(r.summary.scenarios.map((s: any) => [s.id, s.outcome])),
      most, plan: r.summary.probePlan, exitCode: r.exitCode,
    };
  }
  const { ahead, asked } = runs as Record<string, (typeof runs)[string]>;
  assert.deepEqual(ahead!.outcomes, asked!.outcomes, 'the plan changed a verdict');
  assert.ok(Object.keys(ahead!.outcomes).length > 60, `${Object.keys(ahead!.outcomes).length} scenarios`);
  assert.equal(ahead!.exitCode, asked!.exitCode);
  assert.deepEqual(asked!.plan, { concurrency: 0, scenarios: 0 });
  assert.equal(ahead!.plan.concurrency, 3);
  assert.ok(ahead!.plan.scenarios > 60, `${ahead!.plan.scenarios} scenarios planned`);
  // What the plan did: most planned scenarios prefetched, and their probes read by the scenarios.
  assert.ok(ahead!.plan.prefetched > ahead!.plan.scenarios / 2, `only ${ahead!.plan.prefetched} of ${ahead!.plan.scenarios} planned scenarios prefetched: ${JSON.stringify(ahead!.plan)}`);
  assert.ok(ahead!.plan.readAhead > ahead!.plan.ranByScenario, `scenarios ran more probes themselves than they read from the plan: ${JSON.stringify(ahead!.plan)}`);
  // Serial without the plan, a scenario's own containers: at most three at once (VolumesFrom's two sources
  // and the container using them).
  assert.ok(asked!.most <= 3, `without the plan ${asked!.most} containers ran at once`);
  // With it, the plan's three lanes at once at least (measured: 3 with the plan, 2 without, on Docker
  // here), up to three containers each beside the scenario's own.
  assert.ok(ahead!.most >= 3 && ahead!.most > asked!.most, `the plan ran ${ahead!.most} at once at most (${asked!.most} without it): it did not run ahead`);
  assert.ok(ahead!.most <= 3 * 3 + 3, `${ahead!.most} containers ran at once: the plan is not bounded`);
});
