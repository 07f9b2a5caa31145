// The probe plan (issue 16). Most isolation, hardening and conformance scenarios read what a probe
// printed in a short-lived container of a known configuration, one scenario after the other. Here
// those probes run ahead, a bounded number at a time, so that a scenario mostly reads a result that
// is ready:
//   - a step that reads such a probe declares a planner beside its definition (`planProbes`): the
//     same support function the step calls, minus the verdict, so the plan asks World.probe (or
//     World.runCached) for exactly the configuration the step will ask for, and the cache key is
//     the same (support/probe-cache.ts);
//   - run/run.ts matches the selected scenarios' steps against the planned patterns before the run
//     (`collectPlan`) and hands the plan over in the world parameters;
//   - BeforeAll (support/probe-plan-hooks.ts) starts it: one plan world per scenario (its containers labelled with that
//     scenario's ID and the run's label, tracked and removed like any scenario's), in run order;
//     AfterAll stops what is still running and removes what the plan made.
// Verdicts stay where they are: a planner never judges, and a probe that failed is not cached, so
// the scenario runs it itself and sees the failure itself. One dangerous option per container, as
// the steps ask. A signal closes the creation gate and the run's sweep removes what carries its
// label, as for any scenario. A scenario that measures timing or interaction (noisy neighbours,
// ports, network reachability: anything not planned, outside the three planned families or tagged
// @timing) pauses the plan while it runs, so no probe competes with what it measures; an attack
// scenario pauses it from the moment it launches its attack (`planPauseOf`).
// This module holds the registry, the plan's shape and its execution, and has no cucumber hooks and
// no World (so run/run.ts can collect the plan before cucumber loads the support code, and the unit
// tests can run it with fake worlds); the hooks that start, pause and stop it are in
// support/probe-plan-hooks.ts.
import type { KeelhaulWorld } from './world.js';

/**
 * What the plan did in this process, for summary.json's probePlan: scenarios whose probes all ran
 * ahead (`prefetched`), ended early (an error: the scenario runs them itself), or were reached by the
 * run before the plan got to them (`reachedFirst`); and, of the probes scenarios asked for, how many
 * were read from a run ahead (`readAhead`) and how many the scenario had to run itself
 * (`ranByScenario`: not planned, reached first, or failed ahead). A plan that works shows
 * readAhead high and ranByScenario low; each ranByScenario is a container a scenario waited for.
 */
export const planReport = { prefetched: 0, endedEarly: 0, reachedFirst: 0, readAhead: 0, ranByScenario: 0 };

/** What a planned step prefetches: called with a plan world and the step's arguments. */
export type Planner = (world: KeelhaulWorld, ...args: unknown[]) => Promise<unknown>;

/** The plan handed to the workers: per scenario (in run order), the planned steps with their arguments. */
export interface ProbePlan {
  concurrency: number;
  scenarios: PlannedScenario[];
}
export interface PlannedScenario {
  /** `uri#scenarioId`: how a Before hook knows the scenario (pickle ids differ between loads). */
  key: string;
  steps: Array<{ pattern: string; args: unknown[] }>;
}

/** The families whose scenarios only read probes; anything else pauses the plan unless it is planned. */
const PLAN_SAFE_TAGS = ['@isolation', '@hardening', '@conformance'];
/**
 * The families whose scenarios measure nothing until they launch an attack (its tool's scan, its
 * nc timeouts): the plan goes on while they set up their target or find they do not apply, and
 * pauses when the attack is launched (World.quietPlan).
 */
const PAUSE_AT_ATTACK_TAGS = ['@attacks', '@examples'];

const planners = new Map<string, Planner>();

/** Declare what a step (by its exact pattern) will probe, so the plan can run it ahead. */
export function planProbes(pattern: string, planner: Planner): void {
  planners.set(pattern, planner);
}

export function plannerFor(pattern: string): Planner | undefined {
  return planners.get(pattern);
}

export const planKey = (uri: string, scenarioId: string): string => `${uri}#${scenarioId}`;

/**
 * Pure: when does this scenario pause the plan? `scenario`: from its start to its end; `attack`:
 * from the moment it launches an attack to its end; `never`.
 */
export function planPauseOf(tags: string[], planned: boolean): 'scenario' | 'attack' | 'never' {
  if (tags.includes('@timing')) return 'scenario';
  if (planned || tags.some((t) => PLAN_SAFE_TAGS.includes(t))) return 'never';
  if (tags.some((t) => PAUSE_AT_ATTACK_TAGS.includes(t))) return 'attack';
  return 'scenario';
}

/** A world the plan prefetches one scenario in: its containers are labelled with that scenario's ID. */
export interface PlanWorld {
  world: KeelhaulWorld;
  /** Stop its calls in flight. */
  abort(): void;
  /** Remove what it made. */
  dispose(): Promise<void>;
}

/** Runs a plan: `concurrency` plan worlds at a time, in run order; pausable; stopped at the end. */
export class PlanExecution {
  private next = 0;
  private readonly running = new Set<Promise<void>>();
  private readonly worlds = new Set<PlanWorld>();
  private pauses = 0;
  private waiting: Array<() => void> = [];
  private stopped = false;
  private readonly planned: Set<string>;
  /** Scenarios the run has reached: too late to prefetch, they ask for their probes themselves. */
  private readonly reached = new Set<string>();
  /** How many scenarios' plans ran to the end, and how many ended early (an error or an outcome signal). */
  readonly tally = { done: 0, ended: 0 };

  constructor(private readonly plan: ProbePlan, private readonly makeWorld: (scenarioId: string) => PlanWorld, private readonly note: (line: string) => void = () => undefined) {
    this.planned = new Set(plan.scenarios.map((s) => s.key));
  }

  isPlanned(key: string): boolean {
    return this.planned.has(key);
  }

  reachedBy(key: string): void {
    this.reached.add(key);
  }

  start(): void {
    // The plan only runs ahead: a fault of its own must never become a scenario's verdict (an
    // unhandled rejection fails whatever step is running), so a lane that throws just ends.
    for (let i = 0; i < Math.max(1, this.plan.concurrency); i++) {
      void this.lane().catch((error: unknown) => this.note(`probe plan: a lane ended: ${error instanceof Error ? error.message : String(error)}`));
    }
  }

  private async lane(): Promise<void> {
    while (!this.stopped && this.next < this.plan.scenarios.length) {
      while (this.pauses > 0 && !this.stopped) await new Promise<void>((resolve) => this.waiting.push(resolve));
      // Another lane may have taken the last scenario while this one waited out a pause.
      if (this.stopped || this.next >= this.plan.scenarios.length) return;
      const scenario = this.plan.scenarios[this.next++]!;
      if (this.reached.has(scenario.key)) {
        planReport.reachedFirst++;
        continue;
      }
      const task = this.prefetch(scenario);
      this.running.add(task);
      await task;
      this.running.delete(task);
    }
  }

  private async prefetch(scenario: PlannedScenario): Promise<void> {
    const handle = this.makeWorld(scenario.key.slice(scenario.key.lastIndexOf('#') + 1));
    this.worlds.add(handle);
    try {
      for (const step of scenario.steps) await plannerFor(step.pattern)?.(handle.world, ...step.args);
      this.tally.done++;
      planReport.prefetched++;
    } catch {
      // Whatever went wrong happens again in the scenario itself, which judges it (nothing failed is cached).
      this.tally.ended++;
      planReport.endedEarly++;
    } finally {
      await handle.dispose().catch(() => undefined);
      this.worlds.delete(handle);
    }
  }

  /** Let what is in flight finish and start nothing new until `resume` (bounded by the containers' own bounds). */
  async pause(): Promise<void> {
    this.pauses++;
    await Promise.all([...this.running]);
  }

  resume(): void {
    this.pauses = Math.max(0, this.pauses - 1);
    if (this.pauses === 0) this.wake();
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }

  /** Stop: abort what is in flight, wait for it, remove what it made. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    for (const handle of this.worlds) handle.abort();
    await Promise.all([...this.running]);
    if (this.tally.done + this.tally.ended > 0) this.note(`probe plan: ${this.tally.done} scenario(s) prefetched, ${this.tally.ended} left to the scenario`);
  }
}

/** A step definition as the support library holds it: enough to match a step's text and read its arguments. */
export interface MatchableStep {
  pattern: string | RegExp;
  expression: { match(text: string): ReadonlyArray<{ getValue(context: unknown): unknown }> | null | undefined };
}
/** A selected scenario: its key and its steps' text, in order. */
export interface SelectedScenario { key: string; steps: string[] }

/**
 * The plan of these scenarios: for each, the steps whose definition has a planner, with the
 * arguments cucumber would pass (a step matched by no definition, or by several, is left out:
 * the run reports it). Scenarios with nothing planned are not in the plan.
 */
export function collectPlan(scenarios: SelectedScenario[], definitions: MatchableStep[], concurrency: number): ProbePlan {
  const planned = definitions.filter((d) => typeof d.pattern === 'string' && planners.has(d.pattern));
  const out: PlannedScenario[] = [];
  for (const scenario of scenarios) {
    const steps: PlannedScenario['steps'] = [];
    for (const text of scenario.steps) {
      const matches = planned.map((d) => ({ d, args: d.expression.match(text) })).filter((m) => m.args);
      if (matches.length !== 1) continue;
      const { d, args } = matches[0]!;
      steps.push({ pattern: d.pattern as string, args: args!.map((a) => a.getValue(null)) });
    }
    if (steps.length > 0) out.push({ key: scenario.key, steps });
  }
  return { concurrency, scenarios: out };
}
