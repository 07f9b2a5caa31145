// The probe plan of a run (support/probe-plan.ts says what it is): the selected scenarios, read from
// the authoring dry run's messages in the order cucumber will run them, narrowed as the run narrows
// them (a shard, the tags a shared platform leaves out), matched against the planned steps.
import { collectPlan, planKey, type MatchableStep, type ProbePlan, type SelectedScenario } from '../support/probe-plan.js';
import { scenarioIdOf } from '../judges/scenario-id.js';
import { selectedPickleIds } from '../judges/shard.js';

/** A default that suits the platform: two probes per CPU it reports, at least 2 and at most 8. */
export function defaultProbeConcurrency(info: { NCPU?: unknown } | undefined): number {
  const cpus = Number(info?.NCPU);
  return Number.isFinite(cpus) && cpus > 0 ? Math.max(2, Math.min(8, Math.round(cpus * 2))) : 4;
}

export function planOfRun(
  envelopes: any[], definitions: MatchableStep[],
  options: { concurrency: number; shardIds?: string[]; leftOutTags: string[] },
): ProbePlan | undefined {
  if (options.concurrency < 1) return undefined;
  const documents = new Map<string, any>();
  for (const e of envelopes) if (e.gherkinDocument) documents.set(e.gherkinDocument.uri, e.gherkinDocument);
  const shard = options.shardIds ? new Set(options.shardIds) : undefined;
  const scenarios: SelectedScenario[] = [];
  const selected = selectedPickleIds(envelopes);
  for (const e of envelopes) {
    const pickle = e.pickle;
    if (!pickle || !selected.has(pickle.id)) continue;
    if (pickle.tags.some((t: { name: string }) => options.leftOutTags.includes(t.name))) continue;
    const id = scenarioIdOf(pickle, documents.get(pickle.uri));
    if (shard && !shard.has(id)) continue;
    scenarios.push({ key: planKey(pickle.uri, id), steps: pickle.steps.map((s: { text: string }) => s.text) });
  }
  const plan = collectPlan(scenarios, definitions, options.concurrency);
  return plan.scenarios.length > 0 ? plan : undefined;
}
