// Building cucumber's run configuration from keelhaul's options, and the authoring preflight that
// needs no platform: parse errors, an empty selection, undefined and ambiguous steps.
import { loadConfiguration, loadSources, loadSupport, runCucumber, type IRunConfiguration, type ISupportCodeLibrary } from '@cucumber/cucumber/api';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { UsageError } from '../judges/errors.js';
import { lintEnvelopes } from '../judges/authoring-lint.js';
import type { ArgumentCheck } from '../support/step-docs.js';
import { compiledDir, packageRoot } from './paths.js';
import { NoFeatureFiles, resolveFeatureFiles } from './feature-files.js';
import { userCodeNeeds } from './user-code.js';
import { indexKey, indexMatcher, ourStepFileOf, readStepIndex, stepTexts, writeStepIndex, type IndexMatcher } from './step-index.js';

export interface SelectionOptions {
  paths: string[];
  tags?: string;
  requires: string[];
  cwd: string;
}

export interface AuthoringProblem {
  /** `authoring`: Gherkin that parses but would run nothing (judges/authoring-lint.ts). */
  kind: 'parse' | 'undefined' | 'ambiguous' | 'pending' | 'authoring';
  uri: string;
  line: number;
  column: number;
  message: string;
  stepText?: string;
}

/** The feature files the paths stand for (run/feature-files.ts); none at all is NoFeatureFiles. */
export function featurePaths(paths: string[], cwd: string): string[] {
  const { files, empty } = resolveFeatureFiles(paths, cwd, join(packageRoot(), 'features'));
  // Never hand cucumber an empty list: it would fall back to ./features of the working directory.
  if (files.length === 0) throw new NoFeatureFiles(empty);
  return files;
}

/**
 * keelhaul's own support and steps, then the user's --require'd files (JS or TS). For those, when
 * their code needs them (run/user-code.ts): our resolve hook, so that a user's step file can import
 * '@cucumber/cucumber', 'chai' and 'keelhaul' without installing them (and gets keelhaul's
 * instances), then tsx for TypeScript. The hooks are registered after our own files are loaded:
 * every import after a registration goes through the hooks thread.
 */
/**
 * The support files a selection of step files (run/step-index.ts) still loads: those that register
 * with cucumber for every scenario (the World, the hooks, the probe plan's hooks). A support file registering anything
 * else goes here, or into FAMILY_SUPPORT when only its family's steps read what it registers;
 * test/unit/support-registrations.test.ts fails otherwise.
 */
export const ALWAYS_LOADED_SUPPORT: readonly string[] = ['world', 'hooks', 'probe-plan-hooks'];
/** Support files that register with cucumber for their family alone (loaded with its step files, which import them). */
export const FAMILY_SUPPORT: Record<string, string> = {
  gauntlt: 'its Before hook sets the minimum attack time from the tags, which only the gauntlt steps read',
};

export function importPaths(requires: string[], cwd: string, ourSteps?: readonly string[]): string[] {
  // A selection's own step files (run/step-index.ts): the World and the hooks, then those files.
  const ours = ourSteps
    ? [...ALWAYS_LOADED_SUPPORT.map((f) => join(compiledDir(), 'support', `${f}.js`)), ...ourSteps.map((f) => join(compiledDir(), 'steps', `${f}.js`))]
    : [join(compiledDir(), 'support', '*.js'), join(compiledDir(), 'steps', '**', '*.js')];
  const given = requires.map((r) => {
    const absolute = resolve(cwd, r);
    if (!existsSync(absolute)) throw new UsageError(`--require ${r} does not exist`);
    return absolute;
  });
  const theirs = given.map((absolute) => statSync(absolute).isDirectory() ? join(absolute, '**', '*.{js,mjs,cjs,ts,mts,cts}') : absolute);
  const needs = given.length > 0 ? userCodeNeeds(given) : { resolveHook: false, typescript: false };
  const loaders = [
    ...(needs.resolveHook ? [join(compiledDir(), 'support', 'loader', 'register.js')] : []),
    ...(needs.typescript ? [join(compiledDir(), 'support', 'loader', 'register-tsx.js')] : []),
  ];
  return [...ours, ...loaders, ...theirs];
}

/** What a configuration loads of keelhaul's steps: every file (and the index key to write), or the index's choice. */
interface StepSelection {
  key: string;
  /** The step files the selection needs; undefined: all of them. */
  files?: string[];
  matcher?: IndexMatcher;
}
const selections = new WeakMap<IRunConfiguration, StepSelection>();
const selectionCache = new Map<string, StepSelection>();

/** Memoised per feature list: a run builds several configurations of the same selection. */
function stepSelection(features: string[], allSteps: boolean): StepSelection {
  const memo = `${allSteps}\0${features.join('\0')}`;
  let selection = selectionCache.get(memo);
  if (selection) return selection;
  const key = indexKey();
  selection = { key };
  const index = allSteps ? undefined : readStepIndex(key);
  const matcher = index && indexMatcher(index);
  const texts = matcher && stepTexts(features);
  if (matcher && texts) selection = { key, matcher, files: [...new Set(texts.flatMap((t) => matcher.filesMatching(t)))].sort() };
  selectionCache.set(memo, selection);
  return selection;
}

/** Every step expression of keelhaul's, loaded or not (for suggestions): the index's, when a selection used it. */
export function indexedPatterns(config: IRunConfiguration): string[] {
  return selections.get(config)?.matcher?.patterns ?? [];
}

export async function buildRunConfiguration(options: SelectionOptions & {
  parallel?: number;
  formats?: { stdout: string; files: Record<string, string> };
  worldParameters?: Record<string, unknown>;
  dryRun?: boolean;
  /** Load every step file of keelhaul's whatever the features use (`keelhaul steps`). */
  allSteps?: boolean;
}): Promise<IRunConfiguration> {
  const features = featurePaths(options.paths, options.cwd);
  const steps = stepSelection(features, options.allSteps ?? false);
  const { runConfiguration } = await loadConfiguration({
    file: false,
    provided: {
      paths: features,
      tags: options.tags ?? '',
      import: importPaths(options.requires, options.cwd, steps.files),
      parallel: options.parallel ?? 0,
      strict: true,
      dryRun: options.dryRun ?? false,
      worldParameters: (options.worldParameters ?? {}) as any,
      format: [],
    },
  }, { cwd: options.cwd, stdout: nullStream(), stderr: nullStream() });
  selections.set(runConfiguration, steps);
  runConfiguration.formats = {
    stdout: options.formats?.stdout ?? 'summary',
    files: options.formats?.files ?? {},
    publish: false,
    options: {},
  };
  return runConfiguration;
}

export function nullStream(): Writable {
  return new Writable({ write: (_chunk, _enc, done) => done() });
}

/** Parse errors (with file:line:column) and the planned scenarios. */
export async function loadPlan(config: IRunConfiguration, cwd: string): Promise<{ planned: number; problems: AuthoringProblem[]; pickles: Array<{ name: string; location: string }> }> {
  const { plan, errors } = await loadSources(config.sources, { cwd });
  const problems: AuthoringProblem[] = errors.map((e) => ({
    kind: 'parse', uri: e.uri, line: e.location.line, column: e.location.column ?? 0, message: e.message.split('\n')[0]!.replace(/^\(\d+:\d+\): /, ''),
  }));
  return { planned: plan.length, problems, pickles: plan.map((p) => ({ name: p.name, location: `${p.uri}:${p.location.line}` })) };
}

/**
 * Dry-run the selection with the support code loaded, and report undefined, ambiguous and pending
 * steps with their location. Returns the loaded support library for reuse by a serial run.
 */
export async function findStepProblems(config: IRunConfiguration, cwd: string): Promise<{ problems: AuthoringProblem[]; support: ISupportCodeLibrary; envelopes: any[] }> {
  let support: ISupportCodeLibrary;
  try {
    support = await loadSupport({ sources: config.sources, support: config.support }, { cwd, stderr: nullStream() });
  } catch (error) {
    throw new UsageError(`cannot load step definitions: ${String((error as Error).message).split('\n')[0]}`, { cause: error });
  }
  const envelopes: any[] = [];
  let buffered = '';
  const capture = new Writable({
    write(chunk, _enc, done) {
      buffered += chunk.toString();
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line.trim()) envelopes.push(JSON.parse(line));
      }
      done();
    },
  });
  await runCucumber({
    ...config,
    support,
    runtime: { ...config.runtime, dryRun: true, parallel: 0 },
    formats: { stdout: 'message', files: {}, publish: false, options: {} },
  }, { cwd, stdout: capture, stderr: nullStream() });
  // The API's library type is opaque; the loaded object is cucumber's SupportCodeLibrary.
  const definitions = (support as unknown as { stepDefinitions: LoadedStepDefinition[] }).stepDefinitions;
  // Loaded everything: the index for later runs. Loaded a selection: the lint still knows every step of ours.
  const selection = selections.get(config);
  if (selection && !selection.files) writeStepIndex(selection.key, support, cwd);
  const matchesStep = (text: string) => definitions.some((d) => d.matchesStepName(text)) || (selection?.matcher?.filesMatching(text).length ?? 0) > 0;
  const lint: AuthoringProblem[] = lintEnvelopes(envelopes, matchesStep).map((p) => ({ kind: 'authoring', ...p }));
  return { problems: [...lint, ...argumentProblems(envelopes, definitions), ...stepProblems(envelopes)], support, envelopes };
}

interface LoadedStepDefinition {
  matchesStepName(text: string): boolean;
  expression: { match(text: string): Array<{ getValue(thisObj: unknown): unknown }> | null };
  options?: { wrapperOptions?: { accepts?: ArgumentCheck } };
}

/**
 * Arguments a step cannot judge (its `accepts` check, support/step-docs.ts), found before anything
 * runs: a path or a name the judgement would otherwise ignore is an authoring error, not a pass.
 */
function argumentProblems(envelopes: any[], definitions: LoadedStepDefinition[]): AuthoringProblem[] {
  const locations = new Map<string, { line: number; column: number }>();
  const visit = (node: any): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(visit);
    if (node.id && node.location && typeof node.text === 'string' && node.keyword) locations.set(node.id, { line: node.location.line, column: node.location.column ?? 0 });
    for (const value of Object.values(node)) if (value && typeof value === 'object') visit(value);
  };
  for (const e of envelopes) if (e.gherkinDocument) visit(e.gherkinDocument.feature);
  const problems: AuthoringProblem[] = [];
  const seen = new Set<string>();
  for (const e of envelopes) {
    if (!e.pickle) continue;
    for (const step of e.pickle.steps) {
      const matching = definitions.filter((d) => d.matchesStepName(step.text));
      const accepts = matching.length === 1 ? matching[0]!.options?.wrapperOptions?.accepts : undefined;
      if (!accepts) continue; // undefined and ambiguous steps are reported as such
      const args: unknown[] = (matching[0]!.expression.match(step.text) ?? []).map((a) => a.getValue(null));
      if (step.argument?.dataTable) args.push(step.argument.dataTable.rows.map((r: any) => r.cells.map((c: any) => c.value)));
      else if (step.argument?.docString) args.push(step.argument.docString.content);
      const why = accepts(args);
      const location = locations.get(step.astNodeIds[0]);
      const key = `${e.pickle.uri}:${location?.line}:${why}`;
      if (!why || seen.has(key)) continue;
      seen.add(key);
      problems.push({ kind: 'authoring', uri: e.pickle.uri, line: location?.line ?? 0, column: location?.column ?? 0, message: `"${step.text}": ${why}` });
    }
  }
  return problems;
}

export function stepProblems(envelopes: any[]): AuthoringProblem[] {
  const locations = new Map<string, { line: number; column: number; text: string }>();
  const uris = new Map<string, string>();
  const pickles = new Map<string, any>();
  const testCases = new Map<string, any>();
  const started = new Map<string, string>();
  const problems: AuthoringProblem[] = [];
  const seen = new Set<string>();
  const visit = (node: any): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(visit);
    if (node.id && node.location && typeof node.text === 'string' && node.keyword) {
      locations.set(node.id, { line: node.location.line, column: node.location.column ?? 0, text: node.text });
    }
    for (const value of Object.values(node)) if (value && typeof value === 'object') visit(value);
  };
  for (const e of envelopes) {
    if (e.gherkinDocument) visit(e.gherkinDocument.feature);
    else if (e.pickle) {
      pickles.set(e.pickle.id, e.pickle);
      uris.set(e.pickle.id, e.pickle.uri);
    } else if (e.testCase) testCases.set(e.testCase.id, e.testCase);
    else if (e.testCaseStarted) started.set(e.testCaseStarted.id, e.testCaseStarted.testCaseId);
    else if (e.testStepFinished) {
      const status = e.testStepFinished.testStepResult.status;
      if (status !== 'UNDEFINED' && status !== 'AMBIGUOUS' && status !== 'PENDING') continue;
      const testCase = testCases.get(started.get(e.testStepFinished.testCaseStartedId) ?? '');
      const testStep = testCase?.testSteps.find((s: any) => s.id === e.testStepFinished.testStepId);
      const pickle = pickles.get(testCase?.pickleId);
      const pickleStep = pickle?.steps.find((s: any) => s.id === testStep?.pickleStepId);
      const location = pickleStep ? locations.get(pickleStep.astNodeIds[0]) : undefined;
      const uri = pickle?.uri ?? 'unknown';
      const key = `${uri}:${location?.line}:${status}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const kind = status === 'UNDEFINED' ? 'undefined' : status === 'AMBIGUOUS' ? 'ambiguous' : 'pending';
      const text = pickleStep?.text ?? location?.text ?? '';
      const detail = kind === 'ambiguous' ? `: ${String(e.testStepFinished.testStepResult.message ?? '').split('\n').slice(1).map((l: string) => l.trim()).filter(Boolean).join('; ')}` : '';
      problems.push({ kind, uri, line: location?.line ?? 0, column: location?.column ?? 0, message: `${kind} step "${text}"${detail}`, stepText: text });
    }
  }
  return problems;
}

/**
 * Which of keelhaul's step files (by name, `ports.steps`) define a step of the dry run's test
 * cases. Their location is the .ts source (source maps) or the compiled .js, below the package.
 */
export function ourStepFilesUsed(envelopes: any[], cwd: string): Set<string> {
  const files = new Map<string, string>();
  for (const e of envelopes) {
    if (!e.stepDefinition?.sourceReference?.uri) continue;
    const name = ourStepFileOf(e.stepDefinition.sourceReference.uri, cwd);
    if (name) files.set(e.stepDefinition.id, name);
  }
  const used = new Set<string>();
  for (const e of envelopes) {
    for (const step of e.testCase?.testSteps ?? []) {
      for (const id of step.stepDefinitionIds ?? []) if (files.has(id)) used.add(files.get(id)!);
    }
  }
  return used;
}

export function formatProblem(p: AuthoringProblem): string {
  return `${p.uri}:${p.line}:${p.column}: ${p.message}`;
}
