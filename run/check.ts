// `keelhaul check`: everything that can be wrong with an attack file or a profile, found without
// a platform. Exit 2 on any problem, with file:line:column.
import type { Writable } from 'node:stream';
import { UsageError } from '../judges/errors.js';
import { EXIT } from '../judges/outcome.js';
import { buildRunConfiguration, findStepProblems, formatProblem, indexedPatterns, loadPlan } from './cucumber-config.js';
import { loadProfileFile, resolveProfileOption } from './profiles.js';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { IRunConfiguration } from '@cucumber/cucumber/api';
import { effectiveKeyword, suggestionsFor } from './step-suggestions.js';

export async function check(options: { paths: string[]; requires: string[]; profile?: string; tags?: string; cwd: string; stdout: Writable }): Promise<number> {
  const out = (line: string) => options.stdout.write(line + '\n');
  const problems: string[] = [];
  if (options.profile && options.profile !== 'auto') {
    const choice = resolveProfileOption(options.profile);
    if (choice.kind === 'file') {
      try {
        loadProfileFile(choice.path);
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        problems.push(error.message);
      }
    }
  }
  const config = await buildRunConfiguration({ paths: options.paths, requires: options.requires, tags: options.tags, cwd: options.cwd });
  const { planned, problems: parse } = await loadPlan(config, options.cwd);
  problems.push(...parse.map((p) => `parse error: ${formatProblem(p)}`));
  // Files that parse are still checked for their steps when another file does not.
  const stepConfig = parse.length === 0 ? config : await withoutFiles(config, options, parse.map((p) => resolve(options.cwd, p.uri)));
  if (stepConfig) {
    let found: Awaited<ReturnType<typeof findStepProblems>>;
    try {
      found = await findStepProblems(stepConfig, options.cwd);
    } catch (error) {
      // A step file that does not load: show where (esbuild and Node put the location on later lines).
      if (!(error instanceof UsageError)) throw error;
      const cause = String((error.cause as Error)?.message ?? '').split('\n').map((l) => l.trim()).filter(Boolean).slice(1, 4);
      for (const p of [...problems, error.message, ...cause.map((l) => `    ${l}`)]) out(p);
      out(`keelhaul check: ${problems.filter((p) => !p.startsWith('    ')).length + 1} problem(s)`);
      return EXIT.usage;
    }
    const { problems: steps, support } = found;
    for (const p of steps) {
      problems.push(formatProblem(p));
      if (p.kind === 'undefined' && p.stepText) {
        const keyword = keywordAt(resolve(options.cwd, p.uri), p.line);
        // Every step of keelhaul's is a candidate, also those of the families this selection did not load.
        for (const line of suggestionsFor(p.stepText, support, keyword, indexedPatterns(stepConfig))) problems.push(`    ${line}`);
      }
    }
  }
  for (const p of problems) out(p);
  if (problems.length > 0) {
    out(`keelhaul check: ${problems.filter((p) => !p.startsWith('    ')).length} problem(s)`);
    return EXIT.usage;
  }
  if (planned === 0) {
    out(`keelhaul check: no problems, but ${options.tags ? `--tags '${options.tags}' selected no scenario` : 'the paths hold no scenario'}`);
    return EXIT.nothingRan;
  }
  out(`keelhaul check: ${planned} scenario(s), no problems`);
  return EXIT.ok;
}

function keywordAt(file: string, line: number): string {
  try {
    return effectiveKeyword(readFileSync(file, 'utf8').split('\n'), line);
  } catch {
    return 'Then';
  }
}

/** The run configuration for the selected feature files minus those given, or undefined if none remain. */
async function withoutFiles(config: IRunConfiguration, options: { paths: string[]; requires: string[]; tags?: string; cwd: string }, broken: string[]): Promise<IRunConfiguration | undefined> {
  // The configuration's paths are files already (run/feature-files.ts expanded the folders).
  const remaining = config.sources.paths.filter((f) => !broken.includes(f.replace(/(:\d+)+$/, '')));
  if (remaining.length === 0) return undefined;
  return buildRunConfiguration({ paths: remaining, requires: options.requires, tags: options.tags, cwd: options.cwd });
}
