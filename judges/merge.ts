// The verdict of merged reports (`keelhaul merge`, run/merge.ts): pure rules, unit-tested.
// A column is one target; its parts are that target's runs (shards, or one whole run).
import { EXIT } from './outcome.js';

/** The precedence of judges/outcome.ts exitCodeFor, worst first: interruption, 4, 2, 1, 5, 3, 0. */
const PRECEDENCE: number[] = [EXIT.sigint, EXIT.sigterm, EXIT.platform, EXIT.usage, EXIT.finding, EXIT.internal, EXIT.nothingRan, EXIT.ok];
const rank = (code: number) => {
  const i = PRECEDENCE.indexOf(code);
  return i < 0 ? PRECEDENCE.indexOf(EXIT.internal) : i;
};
const worst = (codes: number[]) => codes.reduce((a, b) => (rank(b) < rank(a) ? b : a));
const interrupted = (code: number) => code === EXIT.sigint || code === EXIT.sigterm;

/**
 * What one run over all of a column's parts would have exited with: the worst by precedence, except
 * that "nothing ran" (3) holds only if it holds for every part (one run over everything ran what the
 * others ran), and an interrupted part is not an interruption of the merge: it makes it incomplete.
 */
export function columnExitCode(codes: number[]): number {
  const judged = codes.filter((c) => !interrupted(c));
  if (judged.length === 0) return codes.length === 0 ? EXIT.nothingRan : EXIT.internal;
  const ran = judged.filter((c) => c !== EXIT.nothingRan);
  if (ran.length === 0) return EXIT.nothingRan;
  const code = worst(ran);
  return PRECEDENCE.includes(code) ? code : EXIT.internal;
}

/**
 * The merged run's exit code from its columns'. Incomplete (a shard missing or interrupted): 5, unless
 * a column already says the platform is unreachable (4) or the input is wrong (2), which outrank it
 * as they outrank a broken check in one run. A finding does not hide an incomplete verdict: exit 1
 * would promise the rest was judged.
 */
export function mergedExitCode(columnCodes: number[], incomplete: boolean): number {
  const code = columnExitCode(columnCodes);
  if (!incomplete) return code;
  return code === EXIT.platform || code === EXIT.usage ? code : EXIT.internal;
}

export interface PartFacts {
  /** How to name it in a message (its folder, target, shard). */
  label: string;
  column: string;
  exitCode: number;
  shard?: { index: number; total: number; selectionSize: number; scenarios: number };
  scenarios: number;
  hasSummary: boolean;
  /** The engine's own name (its fingerprint's host name), when it reported one. */
  engine?: string;
}

/**
 * Shards per column: every 1..n present once, all cut from one selection (same n and size), and
 * together holding the whole selection. `incomplete` names what is missing or interrupted;
 * `conflicts` are inputs that cannot be merged at all (the same shard twice, shards of two splits).
 */
export function checkShards(parts: PartFacts[]): { incomplete: string[]; conflicts: string[] } {
  const incomplete: string[] = [];
  const conflicts: string[] = [];
  for (const p of parts) {
    if (interrupted(p.exitCode)) incomplete.push(`${p.label} was interrupted (exit ${p.exitCode}): its scenarios were not all judged`);
  }
  const columns = [...new Set(parts.map((p) => p.column))];
  for (const column of columns) {
    const sharded = parts.filter((p) => p.column === column && p.shard);
    if (sharded.length === 0) continue;
    // The same URL on two CI agents is two engines (each agent's own socket): not shards of one run.
    const engines = [...new Set(sharded.map((p) => p.engine).filter(Boolean))];
    if (engines.length > 1) conflicts.push(`${column}: the shards ran against different engines (${engines.join(', ')}): point every shard at one engine with --target, or merge them as targets`);
    const whole = parts.filter((p) => p.column === column && !p.shard);
    if (whole.length > 0) conflicts.push(`${column}: both a whole run (${whole[0]!.label}) and shards (${sharded[0]!.label}): merge one or the other`);
    const totals = new Set(sharded.map((p) => p.shard!.total));
    const sizes = new Set(sharded.map((p) => p.shard!.selectionSize));
    if (totals.size > 1 || sizes.size > 1) {
      conflicts.push(`${column}: the shards come from different splits (${sharded.map((p) => `${p.shard!.index}/${p.shard!.total} of ${p.shard!.selectionSize}`).join(', ')})`);
      continue;
    }
    const total = [...totals][0]!;
    const seen = new Map<number, PartFacts>();
    for (const p of sharded) {
      const other = seen.get(p.shard!.index);
      if (other) conflicts.push(`${column}: shard ${p.shard!.index}/${total} is given twice (${other.label} and ${p.label})`);
      seen.set(p.shard!.index, p);
    }
    const missing = Array.from({ length: total }, (_, i) => i + 1).filter((i) => !seen.has(i));
    for (const i of missing) incomplete.push(`${column}: shard ${i}/${total} is missing`);
    const selectionSize = [...sizes][0]!;
    const held = sharded.reduce((sum, p) => sum + p.shard!.scenarios, 0);
    if (missing.length === 0 && held !== selectionSize) incomplete.push(`${column}: the shards hold ${held} of the selection's ${selectionSize} scenario(s)`);
  }
  return { incomplete, conflicts };
}

/**
 * Scenarios a column holds more than once (two whole runs of one target, or overlapping selections):
 * one run over everything judges each scenario once, so such parts cannot be merged. Parts of one
 * target with different selections (a job per family) have no ID in common and merge.
 */
export function duplicateScenarios(parts: Array<{ label: string; column: string; ids: string[] }>): string[] {
  const problems: string[] = [];
  for (const column of new Set(parts.map((p) => p.column))) {
    const owner = new Map<string, string>();
    const clashes = new Map<string, string[]>();
    for (const p of parts.filter((q) => q.column === column)) {
      for (const id of p.ids) {
        const first = owner.get(id);
        if (first === undefined) owner.set(id, p.label);
        else if (first !== p.label) clashes.set(`${first} and ${p.label}`, [...(clashes.get(`${first} and ${p.label}`) ?? []), id]);
      }
    }
    for (const [pair, ids] of clashes) problems.push(`${column}: ${ids.length} scenario(s) in both ${pair} (${ids.slice(0, 3).join(', ')}${ids.length > 3 ? ', ...' : ''})`);
  }
  return problems;
}
