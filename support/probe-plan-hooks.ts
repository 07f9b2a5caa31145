// Starts, pauses and stops the probe plan (support/probe-plan.ts says what it is and why): started
// before the first scenario with one plan world per planned scenario, paused while a scenario that
// measures timing or interaction runs (an attack scenario: from its attack's launch), stopped (what it made removed) after the last.
import { After, AfterAll, Before, BeforeAll } from '@cucumber/cucumber';
import type { KeelhaulParameters } from './parameters.js';
import { PlanExecution, planKey, planPauseOf, type PlanWorld, type ProbePlan } from './probe-plan.js';
import { scenarioIdOf } from '../judges/scenario-id.js';
import { KeelhaulWorld } from './world.js';

const noop = () => undefined;

/** A World like a scenario's, whose containers carry the planned scenario's ID; what it attaches goes nowhere. */
function planWorld(parameters: KeelhaulParameters, scenarioId: string): PlanWorld {
  const world = new KeelhaulWorld({ parameters, attach: noop, log: noop, link: noop } as never);
  world.scenarioId = scenarioId;
  world.ahead = true;
  return {
    world,
    abort: () => world.controller.abort(),
    dispose: async () => { await world.resources.removeAll(world.platform); },
  };
}

let execution: PlanExecution | undefined;
/** The scenarios that paused the plan and resume it when they end. */
const pausing = new WeakSet<KeelhaulWorld>();

BeforeAll(function (this: { parameters: Record<string, unknown> }) {
  const parameters = this.parameters as unknown as KeelhaulParameters & { probePlan?: ProbePlan };
  const plan = parameters.probePlan;
  if (!plan || plan.scenarios.length === 0 || plan.concurrency < 1) return;
  execution = new PlanExecution(plan, (scenarioId) => planWorld(parameters, scenarioId));
  execution.start();
});

Before(async function (this: KeelhaulWorld, { pickle, gherkinDocument }) {
  if (!execution) return;
  const key = planKey(pickle.uri, scenarioIdOf(pickle, gherkinDocument));
  execution.reachedBy(key);
  const when = planPauseOf(pickle.tags.map((t) => t.name), execution.isPlanned(key));
  if (when === 'never') return;
  const plan = execution;
  const pause = async () => {
    if (pausing.has(this)) return;
    pausing.add(this);
    await plan.pause();
  };
  if (when === 'attack') this.quietPlan = pause;
  else await pause();
});

After(function (this: KeelhaulWorld) {
  if (execution && pausing.has(this)) execution.resume();
});

AfterAll({ timeout: 120_000 }, async function () {
  await execution?.stop();
  execution = undefined;
});
