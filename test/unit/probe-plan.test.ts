// The probe plan (support/probe-plan.ts): which scenarios it covers and with which arguments, which
// scenarios pause it, and how it runs: bounded, in run order, paused and resumed, skipping what the
// run has reached, stopped with everything it made disposed of, never judging.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CucumberExpression, ParameterTypeRegistry } from '@cucumber/cucumber-expressions';
import { PlanExecution, collectPlan, planKey, planPauseOf, planProbes, type PlanWorld, type ProbePlan } from '../../support/probe-plan.js';
import type { KeelhaulWorld } from '../../support/world.js';
import { planOfRun } from '../../run/probe-plan.js';

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

test('a run\'s plan: only the pickles the run selected (cucumber emits one for every scenario it parsed), less the shard and the left-out tags', () => {
  planProbes('a selected probe of {string}', async () => undefined);
  const definitions = [definition('a selected probe of {string}')];
  const document = { uri: 'f.feature', feature: { children: [] } };
  const pickle = (id: string, idTag: string, extra: string[] = []) => ({
    pickle: { id, uri: 'f.feature', astNodeIds: [], name: id, tags: [idTag, ...extra].map((name) => ({ name })), steps: [{ text: `a selected probe of "${id}"` }] },
  });
  const envelopes = [
    { gherkinDocument: document },
    pickle('p1', '@ISO-01'), pickle('p2', '@ISO-19'), pickle('p3', '@ISO-25'), pickle('p4', '@ISO-26', ['@billable']),
    // --tags '@ISO-25 or @ISO-26 or @ISO-01' gave these test cases; p2 was parsed and left out.
    { testCase: { id: 't1', pickleId: 'p1' } }, { testCase: { id: 't3', pickleId: 'p3' } }, { testCase: { id: 't4', pickleId: 'p4' } },
  ];
  const keys = (plan: ProbePlan | undefined) => plan?.scenarios.map((s) => s.key);
  assert.deepEqual(keys(planOfRun(envelopes, definitions, { concurrency: 2, leftOutTags: [] })), ['f.feature#ISO-01', 'f.feature#ISO-25', 'f.feature#ISO-26']);
  assert.deepEqual(keys(planOfRun(envelopes, definitions, { concurrency: 2, leftOutTags: ['@billable'] })), ['f.feature#ISO-01', 'f.feature#ISO-25']);
  assert.deepEqual(keys(planOfRun(envelopes, definitions, { concurrency: 2, leftOutTags: [], shardIds: ['ISO-25', 'ISO-19'] })), ['f.feature#ISO-25']);
  assert.equal(planOfRun(envelopes.filter((e) => !('testCase' in e) || e.testCase.pickleId !== 'p1'), definitions, { concurrency: 2, leftOutTags: [], shardIds: ['ISO-19'] }), undefined, 'nothing selected: no plan');
  assert.equal(planOfRun(envelopes, definitions, { concurrency: 0, leftOutTags: [] }), undefined, '--probe-concurrency 0: no plan');
});

test('what pauses the plan: anything tagged @timing and unplanned scenarios outside the probe-reading families; attacks from their launch', () => {
  assert.equal(planPauseOf(['@isolation'], true), 'never');
  assert.equal(planPauseOf(['@isolation'], false), 'never', 'an isolation scenario with nothing planned (a posture read) runs beside the plan');
  assert.equal(planPauseOf(['@hardening', '@HARD-14'], false), 'never');
  assert.equal(planPauseOf(['@conformance'], false), 'never');
  assert.equal(planPauseOf(['@isolation', '@timing'], false), 'scenario', 'network reachability measures timing');
  assert.equal(planPauseOf(['@isolation', '@timing'], true), 'scenario');
  assert.equal(planPauseOf(['@noisy-neighbours', '@slow'], false), 'scenario');
  assert.equal(planPauseOf(['@ports'], false), 'scenario');
  assert.equal(planPauseOf(['@attacks', '@tools'], false), 'attack', 'a tool attack measures from its launch');
  assert.equal(planPauseOf(['@examples'], false), 'attack');
  assert.equal(planPauseOf(['@attacks', '@timing'], false), 'scenario');
  assert.equal(planPauseOf([], false), 'scenario', 'a user\'s own scenario: keelhaul cannot know what it measures');
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
  const notes: string[] = [];
  const execution = new PlanExecution(plan, makeWorld, (line) => notes.push(line));
  return { execution, events, disposed, aborted, notes, most: () => most, inFlight: () => inFlight };
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

test('lanes that waited out a pause wake to fewer scenarios than lanes: the extra ones end quietly', async () => {
  // Seen in a fleet run: two lanes paused with one scenario left; the second to wake read past the
  // plan's end and its rejection failed whatever step was running (an internal error, exit 5).
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  process.on('unhandledRejection', onRejection);
  try {
    const h = harness(3, 2, 30);
    h.execution.start();
    await h.execution.pause(); // S-0 and S-1 in flight; both lanes then wait with S-2 left
    h.execution.resume();
    await new Promise((resolve) => setTimeout(resolve, 150));
    await h.execution.stop();
    assert.deepEqual(h.events.filter((e) => e.startsWith('start')), ['start S-0', 'start S-1', 'start S-2']);
    assert.deepEqual(rejections, []);
    assert.deepEqual(h.notes.filter((n) => /lane ended/.test(n)), [], 'a lane failed (its fault is caught, so it fails no step, but it is a fault)');
  } finally {
    process.off('unhandledRejection', onRejection);
  }
});
