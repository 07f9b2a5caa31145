// Which of keelhaul's step files a selection needs: loading all of them (and the support code behind
// them) costs ~220 ms of CPU in every run, `check` and parallel worker, most of it for families the
// selected features never use (a user's own steps, one family). The index holds every step
// expression of keelhaul's step files, by file; it is written from a run that loaded them all and is
// kept in the user's cache folder under the hash of keelhaul's compiled support and step files, so a
// changed or added step file makes a new index (and one full load) rather than a stale answer.
//
// With an index, a selection loads world.js, hooks.js and the step files whose expressions match one
// of its steps: no undefined or ambiguous step can hide in a file left out (the index matches every
// expression of every file), and what needs every pattern (the authoring lint's "a step without its
// keyword", check's suggestions) gets the index's too. Without one (no index yet, a feature that does
// not parse, an expression that does not compile), everything is loaded, as before.
import type { ISupportCodeLibrary } from '@cucumber/cucumber/api';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { compiledDir, packageRoot } from './paths.js';

/**
 * One step expression: the regular expression cucumber matches step texts with (a cucumber
 * expression's compiled form, parameter types included), and the pattern as people read it.
 */
export interface IndexedExpression {
  regexp: string;
  flags: string;
  shown: string;
}

export interface StepIndex {
  key: string;
  /** By step file name relative to steps/ without extension ("ports.steps"). */
  files: Record<string, IndexedExpression[]>;
}

const INDEX_VERSION = 2;

/** cucumber's own copies of its parsing libraries (dependencies of @cucumber/cucumber, not of keelhaul). */
function fromCucumber<T>(name: string): T {
  const cucumber = createRequire(import.meta.url).resolve('@cucumber/cucumber');
  return createRequire(cucumber)(name) as T;
}

/** Where the index lives: $XDG_CACHE_HOME/keelhaul, else ~/.cache/keelhaul; KEELHAUL_CACHE_DIR overrides. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KEELHAUL_CACHE_DIR) return env.KEELHAUL_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'keelhaul');
}

function codeFiles(dir: string, recursive: boolean): string[] {
  try {
    return readdirSync(dir, { recursive, encoding: 'utf8' }).filter((f) => f.endsWith('.js')).sort().map((f) => join(dir, f));
  } catch {
    return [];
  }
}

/** The hash of every file the full load imports (support/*.js, steps/**\/*.js): any change is a new key. */
export function indexKey(): string {
  const hash = createHash('sha256').update(`keelhaul step index ${INDEX_VERSION}\n`);
  for (const file of [...codeFiles(join(compiledDir(), 'support'), false), ...codeFiles(join(compiledDir(), 'steps'), true)]) {
    hash.update(`${relative(compiledDir(), file)}\n`).update(readFileSync(file)).update('\n');
  }
  return hash.digest('hex').slice(0, 32);
}

function indexPath(key: string, env?: NodeJS.ProcessEnv): string {
  return join(cacheDir(env), `step-index-${key}.json`);
}

export function readStepIndex(key: string, env?: NodeJS.ProcessEnv): StepIndex | undefined {
  try {
    const index = JSON.parse(readFileSync(indexPath(key, env), 'utf8')) as StepIndex;
    return index.key === key && index.files && typeof index.files === 'object' ? index : undefined;
  } catch {
    return undefined;
  }
}

/** keelhaul's step file name of a definition's location (.ts via source maps, or the compiled .js). */
export function ourStepFileOf(uri: string, cwd: string): string | undefined {
  const path = relative(packageRoot(), resolve(cwd, uri)).split(sep).join('/');
  return /^(?:dist\/)?steps\/(.+)\.(?:ts|js)$/.exec(path)?.[1];
}

interface LoadedDefinition {
  uri: string;
  pattern: string | RegExp;
  expression: { regexp: RegExp };
}

/**
 * The index of a library that loaded all of keelhaul's step files, written for later runs. A cache
 * that cannot be written is no error: the next run loads everything again.
 */
export function writeStepIndex(key: string, support: ISupportCodeLibrary, cwd: string, env?: NodeJS.ProcessEnv): StepIndex | undefined {
  const library = support as unknown as { stepDefinitions: LoadedDefinition[] };
  const files: StepIndex['files'] = {};
  for (const d of library.stepDefinitions) {
    const file = ourStepFileOf(d.uri, cwd);
    if (!file) continue;
    const { source, flags } = d.expression.regexp;
    (files[file] ??= []).push({ regexp: source, flags, shown: String(d.pattern) });
  }
  if (Object.keys(files).length === 0) return undefined;
  const index: StepIndex = { key, files };
  // No cache folder: every run loads every step file, as before.
  writeCacheFile(indexPath(key, env), JSON.stringify(index), env);
  return index;
}

/**
 * A file of the cache folder, written whole or not at all (a run reading it meanwhile sees the old or
 * nothing). False when it cannot be written: a cache is never an error.
 */
export function writeCacheFile(path: string, text: string, env?: NodeJS.ProcessEnv): boolean {
  try {
    mkdirSync(cacheDir(env), { recursive: true });
    const partial = `${path}.${process.pid}.tmp`;
    writeFileSync(partial, text);
    renameSync(partial, path);
    return true;
  } catch {
    return false;
  }
}

export interface IndexMatcher {
  /** The step files with an expression matching the text. */
  filesMatching(text: string): string[];
  /** Every expression as people read it (check's suggestions). */
  patterns: string[];
}

/**
 * The index's expressions as plain regular expressions (cucumber matches a step text by its
 * expression's regexp: rebuilding cucumber expressions would cost ~50 ms, matching with them ~0.5 ms
 * a step text and expression); undefined when one does not compile (then everything is loaded).
 */
export function indexMatcher(index: StepIndex): IndexMatcher | undefined {
  const built: Array<{ file: string; regexp: RegExp }> = [];
  const patterns: string[] = [];
  try {
    for (const [file, expressions] of Object.entries(index.files)) {
      for (const e of expressions) {
        built.push({ file, regexp: new RegExp(e.regexp, e.flags.replace(/[gy]/g, '')) });
        patterns.push(e.shown);
      }
    }
  } catch {
    return undefined;
  }
  return {
    filesMatching: (text) => [...new Set(built.filter((b) => b.regexp.test(text)).map((b) => b.file))],
    patterns,
  };
}

/**
 * The step texts of the feature files' scenarios (outlines expanded, backgrounds included), by
 * cucumber's own Gherkin parser; undefined when a file cannot be read or parsed, or is not plain
 * Gherkin (cucumber reports it; this only decides what to load).
 */
export function stepTexts(featureFiles: string[]): string[] | undefined {
  const { generateMessages } = fromCucumber<typeof import('@cucumber/gherkin')>('@cucumber/gherkin');
  const { IdGenerator, SourceMediaType } = fromCucumber<typeof import('@cucumber/messages')>('@cucumber/messages');
  const texts: string[] = [];
  const newId = IdGenerator.incrementing();
  for (const file of new Set(featureFiles.map((f) => f.replace(/(:\d+)+$/, '')))) {
    if (!file.endsWith('.feature')) return undefined;
    let data: string;
    try {
      data = readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
    for (const envelope of generateMessages(data, file, SourceMediaType.TEXT_X_CUCUMBER_GHERKIN_PLAIN, { includeSource: false, includeGherkinDocument: false, includePickles: true, newId })) {
      if (envelope.parseError) return undefined;
      for (const step of envelope.pickle?.steps ?? []) texts.push(step.text);
    }
  }
  return texts;
}
