// The probe plan (support/probe-plan.ts): which scenarios it covers and with which arguments, which
// scenarios pause it, and how it runs: bounded, in run order, paused and resumed, skipping what the
// run has reached, stopped with everything it made disposed of, never judging.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CucumberExpression, ParameterTypeRegistry } from '@cucumber/cucumber-expressions';
import { PlanExecution, collectPlan, pausesPlan, planKey, planProbes, type PlanWorld, type ProbePlan } from '../../support/probe-plan.js';
import type { KeelhaulWorld } from '../../support/world.js';

const registry = new ParameterTypeRegistry();
const definition = (pattern: string) => ({ pattern, expression: new CucumberExpression(pattern, registry) });

test('the plan holds the selected scenarios\' planned steps with cucumber\'s arguments, in run order; nothing else', () => {
  planProbes('a test container is requested with {string}', async () => undefined);
  planProbes('{string} are looked at {int} times', async () => undefined);
  const definitions = [
    definition('a test container is requested with {string}'),
    definition('{string} are looked at {int} times'),
    definition('it is judged'), // a step with no planner
    definition('a regex step'),
  ];
  const plan = collectPlan([
    { key: planKey('a.feature', 'HARD-01'), steps: ['a test container is requested with "privileged mode"', 'it is judged'] },
    { key: planKey('a.feature', 'PORT-01'), steps: ['it is judged'] },
    { key: planKey('b.feature', 'ISO-07'), steps: ['"/proc/kcore, /proc/keys" are looked at 3 times', 'a test container is requested with "the host\'s /etc bind-mounted"'] },
    { key: planKey('b.feature', 'X-1'), steps: ['an undefined step'] },
  ], definitions, 3);
  assert.deepEqual(plan, {
    concurrency: 3,
    scenarios: [
      { key: 'a.feature#HARD-01', steps: [{ pattern: 'a test container is requested with {string}', args: ['privileged mode'] }] },
      { key: 'b.feature#ISO-07', steps: [
        { pattern: '{string} are looked at {int} times', args: ['/proc/kcore, /proc/keys', 3] },
        { pattern: 'a test container is requested with {string}', args: ['the host\'s /etc bind-mounted'] },
      ] },
    ],
  });
});

test('what pauses the plan: anything tagged @timing, and unplanned scenarios outside the probe-reading families', () => {
  assert.equal(pausesPlan(['@isolation'], true), false);
  assert.equal(pausesPlan(['@isolation'], false), false, 'an isolation scenario with nothing planned (a posture read) runs beside the plan');
  assert.equal(pausesPlan(['@hardening', '@HARD-14'], false), false);
  assert.equal(pausesPlan(['@conformance'], false), false);
  assert.equal(pausesPlan(['@isolation', '@timing'], false), true, 'network reachability measures timing');
  assert.equal(pausesPlan(['@isolation', '@timing'], true), true);
  assert.equal(pausesPlan(['@noisy-neighbours', '@slow'], false), true);
  assert.equal(pausesPlan(['@ports'], false), true);
  assert.equal(pausesPlan(['@attacks'], false), true);
  assert.equal(pausesPlan([], false), true, 'a user\'s own scenario: keelhaul cannot know what it measures');
});

/** A plan over n scenarios whose planner records when each starts and ends; worlds are fakes. */
function harness(n: number, concurrency: number, stepMs = 20) {
  const events: string[] = [];
  let inFlight = 0;
  let most = 0;
  const disposed: string[] = [];
  const aborted: string[] = [];
  planProbes(`harness step ${n}/${concurrency}`, async (world) => {
    const id = (world as unknown as { scenarioId: string }).scenarioId;
    inFlight++;
    most = Math.max(most, inFlight);
    events.push(`start ${id}`);
    await new Promise((resolve) => setTimeout(resolve, stepMs));
    inFlight--;
    events.push(`end ${id}`);
    if (id === 'S-3') throw new Error('a probe that fails is left to the scenario');
  });
  const plan: ProbePlan = {
    concurrency,
    scenarios: Array.from({ length: n }, (_, i) => ({ key: planKey('f.feature', `S-${i}`), steps: [{ pattern: `harness step ${n}/${concurrency}`, args: [] }] })),
  };
  const makeWorld = (scenarioId: string): PlanWorld => ({
    world: { scenarioId } as unknown as KeelhaulWorld,
    abort: () => { aborted.push(scenarioId); },
    dispose: async () => { disposed.push(scenarioId); },
  });
  const execution = new PlanExecution(plan, makeWorld);
  return { execution, events, disposed, aborted, most: () => most, inFlight: () => inFlight };
}

test('the plan runs in run order, never more than its concurrency at once, and disposes of every world, failed or not', async () => {
  const h = harness(10, 3);
  h.execution.start();
  await h.execution.stop(); // stops starting new ones at once
  const h2 = harness(10, 3);
  h2.execution.start();
  await new Promise((resolve) => setTimeout(resolve, 400));
  await h2.execution.stop();
  assert.equal(h2.most(), 3);
  const starts = h2.events.filter((e) => e.startsWith('start')).map((e) => e.slice(6));
  assert.deepEqual(starts, Array.from({ length: 10 }, (_, i) => `S-${i}`));
  assert.deepEqual([...h2.disposed].sort(), starts.sort());
  assert.deepEqual(h2.execution.tally, { done: 9, ended: 1 });
  // Stopped before it began: the first lane's scenarios may have started; nothing after the stop.
  assert.ok(h.events.filter((e) => e.startsWith('start')).length <= 3);
});

test('paused: what is in flight finishes, nothing new starts until resumed; a scenario the run reached is not prefetched', async () => {
  const h = harness(8, 2, 30);
  h.execution.reachedBy(planKey('f.feature', 'S-5'));
  h.execution.start();
  await h.execution.pause();
  assert.equal(h.inFlight(), 0, 'pause returns once the plan has nothing in flight');
  const before = h.events.length;
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(h.events.length, before, 'nothing started while paused');
  h.execution.resume();
  await new Promise((resolve) => setTimeout(resolve, 400));
  await h.execution.stop();
  const starts = h.events.filter((e) => e.startsWith('start')).map((e) => e.slice(6));
  assert.deepEqual(starts, ['S-0', 'S-1', 'S-2', 'S-3', 'S-4', 'S-6', 'S-7']);
  assert.ok(h.execution.isPlanned(planKey('f.feature', 'S-5')));
  assert.ok(!h.execution.isPlanned(planKey('f.feature', 'S-9')));
});

test('stopped mid-prefetch: the worlds in flight are aborted, then disposed of', async () => {
  const h = harness(4, 2, 100);
  h.execution.start();
  await new Promise((resolve) => setTimeout(resolve, 20));
  await h.execution.stop();
  assert.deepEqual([...h.aborted].sort(), ['S-0', 'S-1']);
  assert.deepEqual([...h.disposed].sort(), ['S-0', 'S-1']);
  assert.equal(h.inFlight(), 0);
});
