// Splitting a selection of scenarios into n shards for n CI agents (`keelhaul run --shard i/n`).
// Pure: the same units, weights and n give the same split on every agent and every run. The unit of
// the split is a group of scenarios that must run together: every scenario of a feature with a
// Background (its state is the feature's, whatever cucumber re-runs per scenario, and a Background is
// where a feature author puts what its scenarios share), and the rows of an outline that share one ID
// tag (PORT-02-1, PORT-02-2: variants of one check on one resource, e.g. the same host port); rows
// whose Examples carry an ID of their own (CONF-R1, CONF-R2 ...) are checks of their own.

export interface ShardSpec {
  /** 1-based */
  index: number;
  total: number;
}

/** The largest n: more shards than this is a typo, not a plan (and each one is a CI agent). */
export const MAX_SHARDS = 1000;

/** `--shard i/n`: 1 <= i <= n <= MAX_SHARDS, or the one-line reason it is not. */
export function parseShard(value: string): ShardSpec | { error: string } {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  if (!m) return { error: `"${value}" is not i/n (e.g. 1/3: the first of three shards)` };
  const index = Number(m[1]);
  const total = Number(m[2]);
  if (total < 1 || total > MAX_SHARDS) return { error: `"${value}": n must be from 1 to ${MAX_SHARDS}` };
  if (index < 1 || index > total) return { error: `"${value}": i must be from 1 to n (${total})` };
  return { index, total };
}

export interface ShardScenario {
  /** The scenario ID (summary.json's `id`): what --durations looks up. */
  id: string;
  /** Feature file as cucumber names it (relative to the working directory). */
  uri: string;
  /** The line that selects exactly this scenario (an outline row's own line). */
  line: number;
  /** Scenarios with the same group key must run in the same shard. */
  group: string;
}

export interface ShardUnit {
  group: string;
  scenarios: ShardScenario[];
  weight: number;
}

/** Group scenarios (in the selection's order) into units, weighted by recorded duration or by count. */
export function shardUnits(scenarios: ShardScenario[], durations?: Map<string, number>): ShardUnit[] {
  const byGroup = new Map<string, ShardScenario[]>();
  for (const s of scenarios) {
    const list = byGroup.get(s.group) ?? [];
    list.push(s);
    byGroup.set(s.group, list);
  }
  // A scenario with no recorded duration weighs what a recorded one weighs in the middle.
  const known = durations ? [...durations.values()].filter((d) => Number.isFinite(d) && d >= 0).sort((a, b) => a - b) : [];
  const typical = known.length > 0 ? Math.max(1, known[Math.floor(known.length / 2)]!) : 1;
  const weightOf = (s: ShardScenario) => {
    if (!durations) return 1;
    const d = durations.get(s.id);
    return d !== undefined && Number.isFinite(d) && d >= 0 ? Math.max(1, d) : typical;
  };
  return [...byGroup].map(([group, list]) => ({ group, scenarios: list, weight: list.reduce((sum, s) => sum + weightOf(s), 0) }));
}

/**
 * Longest-processing-time-first: the heaviest unit goes to the least loaded shard (ties: the lower
 * shard; units of equal weight keep the selection's order). Returns the units of each shard, each
 * shard's units in the selection's order.
 */
export function splitUnits(units: ShardUnit[], total: number): ShardUnit[][] {
  const order = units.map((u, i) => ({ u, i })).sort((a, b) => b.u.weight - a.u.weight || a.i - b.i);
  const loads = Array<number>(total).fill(0);
  const shards: Array<Array<{ u: ShardUnit; i: number }>> = Array.from({ length: total }, () => []);
  for (const entry of order) {
    let best = 0;
    for (let k = 1; k < total; k++) if (loads[k]! < loads[best]!) best = k;
    shards[best]!.push(entry);
    loads[best]! += entry.u.weight;
  }
  return shards.map((list) => list.sort((a, b) => a.i - b.i).map((e) => e.u));
}

/** The durations a summary.json (one run's or a merged one) recorded, by scenario ID (the longest if repeated). */
export function durationsFromSummary(summary: unknown): Map<string, number> {
  const scenarios = (summary as { scenarios?: unknown })?.scenarios;
  if (!Array.isArray(scenarios)) throw new Error('it has no "scenarios" list (is it a keelhaul summary.json?)');
  const durations = new Map<string, number>();
  for (const s of scenarios as Array<{ id?: unknown; durationMs?: unknown }>) {
    if (typeof s?.id !== 'string' || typeof s.durationMs !== 'number') continue;
    durations.set(s.id, Math.max(durations.get(s.id) ?? 0, s.durationMs));
  }
  return durations;
}

interface GherkinNode { [key: string]: any }

/**
 * The pickles a run selected. cucumber emits a pickle for every scenario it parsed, whatever the tag
 * expression or the `file:line` filter; the selection is the pickles that got a test case.
 */
export function selectedPickleIds(envelopes: any[]): Set<string> {
  return new Set(envelopes.filter((e) => e.testCase).map((e) => e.testCase.pickleId));
}

/**
 * The scenarios of cucumber's messages (a dry run's gherkinDocument, pickle and testCase envelopes, in order)
 * with their group and selecting line. `idOf` gives a pickle's scenario ID (judges/scenario-id.ts).
 */
export function shardScenariosFromEnvelopes(envelopes: any[], idOf: (pickle: any, document: GherkinNode) => string): ShardScenario[] {
  const documents = new Map<string, GherkinNode>();
  const out: ShardScenario[] = [];
  const selected = selectedPickleIds(envelopes);
  for (const e of envelopes) {
    if (e.gherkinDocument) documents.set(e.gherkinDocument.uri, e.gherkinDocument);
    if (!e.pickle || !selected.has(e.pickle.id)) continue;
    const pickle = e.pickle;
    const document = documents.get(pickle.uri);
    const nodes = nodeIndex(document);
    const scenarioNode = nodes.get(pickle.astNodeIds[0]);
    const rowNode = pickle.astNodeIds.length > 1 ? nodes.get(pickle.astNodeIds[pickle.astNodeIds.length - 1]) : undefined;
    const line = (rowNode ?? scenarioNode)?.location?.line ?? 0;
    const id = idOf(pickle, document ?? {});
    const idTag = (pickle.tags as Array<{ name: string }>).map((t) => t.name).find((t) => /^@[A-Z]+(-[A-Z0-9]+)+$/.test(t));
    let group = `${pickle.uri}:${line}`;
    if (hasBackground(document)) group = `${pickle.uri}:background`;
    else if (rowNode) group = `${pickle.uri}:${scenarioNode?.location?.line ?? 0}:${idTag ?? 'outline'}`;
    out.push({ id, uri: pickle.uri, line, group });
  }
  return out;
}

function hasBackground(document: GherkinNode | undefined): boolean {
  const visit = (children: GherkinNode[] = []): boolean => children.some((c) => Boolean(c.background) || (c.rule && visit(c.rule.children)));
  return visit(document?.feature?.children);
}

const indexCache = new WeakMap<object, Map<string, GherkinNode>>();

function nodeIndex(document: GherkinNode | undefined): Map<string, GherkinNode> {
  if (!document) return new Map();
  const cached = indexCache.get(document);
  if (cached) return cached;
  const index = new Map<string, GherkinNode>();
  const visit = (children: GherkinNode[] = []) => {
    for (const child of children) {
      if (child.rule) visit(child.rule.children);
      const scenario = child.scenario;
      if (!scenario) continue;
      index.set(scenario.id, scenario);
      for (const examples of scenario.examples ?? []) for (const row of examples.tableBody ?? []) index.set(row.id, row);
    }
  };
  visit(document.feature?.children);
  indexCache.set(document, index);
  return index;
}

/** The feature paths that select exactly these scenarios: `uri:line`, one a path (cucumber joins a file's lines). */
export function linePaths(scenarios: ShardScenario[]): string[] {
  return scenarios.map((s) => `${s.uri}:${s.line}`);
}
