// `keelhaul run --shard i/n [--durations FILE]`: which scenarios of the selection this agent runs.
// The split itself is judges/shard.ts (pure); this reads the durations file and turns the dry run's
// messages (run/cucumber-config.ts findStepProblems) into the feature paths of this shard.
import { readFileSync } from 'node:fs';
import { UsageError, oneLine } from '../judges/errors.js';
import { scenarioIdOf } from '../judges/scenario-id.js';
import { durationsFromSummary, linePaths, shardScenariosFromEnvelopes, shardUnits, splitUnits, type ShardSpec } from '../judges/shard.js';

export interface ShardPlan {
  spec: ShardSpec;
  /** How many scenarios the whole selection has (all shards together). */
  selectionSize: number;
  /** The scenario IDs of this shard, in the selection's order. */
  ids: string[];
  /** Feature paths (`uri:line`) that select exactly this shard's scenarios; empty for an empty shard. */
  paths: string[];
  /** 'duration' when --durations balanced the split, else 'count'. */
  balancedBy: 'duration' | 'count';
  durationsFile?: string;
}

export function readDurations(file: string): Map<string, number> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--durations ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? oneLine(error)})`);
  }
  try {
    return durationsFromSummary(JSON.parse(text));
  } catch (error) {
    throw new UsageError(`--durations ${file}: ${error instanceof SyntaxError ? 'not JSON' : oneLine(error)}`);
  }
}

export function planShard(envelopes: any[], spec: ShardSpec, durationsFile?: string): ShardPlan {
  const durations = durationsFile ? readDurations(durationsFile) : undefined;
  const scenarios = shardScenariosFromEnvelopes(envelopes, scenarioIdOf);
  const mine = splitUnits(shardUnits(scenarios, durations), spec.total)[spec.index - 1]!.flatMap((u) => u.scenarios);
  return {
    spec, selectionSize: scenarios.length, ids: mine.map((s) => s.id), paths: linePaths(mine),
    balancedBy: durations ? 'duration' : 'count', durationsFile,
  };
}
