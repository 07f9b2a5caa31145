// Which files a features path stands for: the one place that decides what kinds of path keelhaul
// reads (`.feature`, and Gauntlt's `.attack`, which is plain Gherkin under another name), walks
// folders (symlinks followed, loops refused, each file once), and refuses files it cannot read
// sensibly (not UTF-8, too large). Everything here is bad input: a UsageError (exit 2) with one line
// naming the path.
import { readFileSync, readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, join, relative, resolve } from 'node:path';
import { UsageError } from '../judges/errors.js';

/** File name endings keelhaul reads, and what they hold. */
export const READABLE_KINDS: Record<string, string> = { '.feature': 'Gherkin', '.attack': 'Gauntlt attack (Gherkin)' };
/** Endings people try that keelhaul does not read, with the reason. */
const UNSUPPORTED_KINDS: Record<string, string> = {
  '.audit': 'Gauntlt .audit files are not read (rename it to .attack)',
};

let gherkinTaught = false;
/**
 * Cucumber hands each path to @cucumber/gherkin's makeSourceEnvelope, which accepts only `.feature`
 * and `.md` uris. Rather than copy `.attack` files to temporary `.feature` names (every report, error
 * and `file:line` would then name the copy), the envelope maker is wrapped so a `.attack` uri is plain
 * Gherkin: the file keeps its own name everywhere. Gherkin looks the function up on its module's
 * exports at each call (the `default` of makeSourceEnvelope.js, re-exported by index.js), so wrapping
 * those two exports is enough; if an upgrade moves them, this fails loudly here instead.
 */
export function teachGherkinOurKinds(): void {
  if (gherkinTaught) return;
  const fromStreams = createRequire(createRequire(import.meta.url).resolve('@cucumber/gherkin-streams'));
  type Maker = (data: string, uri: string) => { source: { uri: string } };
  const index = fromStreams('@cucumber/gherkin') as { makeSourceEnvelope?: Maker };
  const module = fromStreams('@cucumber/gherkin/dist/src/makeSourceEnvelope.js') as { default?: Maker };
  const original = module.default;
  if (typeof original !== 'function' || index.makeSourceEnvelope !== original) {
    throw new Error('@cucumber/gherkin\'s makeSourceEnvelope moved: .attack files cannot be read with this cucumber version');
  }
  const wrapped: Maker = (data, uri) => {
    if (!uri.endsWith('.attack')) return original(data, uri);
    const envelope = original(data, `${uri}.feature`);
    envelope.source.uri = uri;
    return envelope;
  };
  module.default = wrapped;
  index.makeSourceEnvelope = wrapped;
  gherkinTaught = true;
}

/**
 * The largest feature file read. Cucumber builds every scenario in memory several times over (AST,
 * pickles, messages): a 5 MB file of 48 000 scenarios took 33 s and 1 GB just to be checked. The
 * shipped library's largest file is 7.5 kB.
 */
export const MAX_FEATURE_BYTES = 1024 * 1024;
/** Bounds on a folder walk (a mistaken path like / must not walk the disk). */
const MAX_DEPTH = 32;
const MAX_ENTRIES = 20_000;

/** The paths hold no feature file at all: `check` says so (exit 2), `run` has nothing to run (exit 3). */
export class NoFeatureFiles extends UsageError {
  constructor(readonly paths: string[]) {
    super(`no feature files in ${paths.join(', ')} (keelhaul reads ${Object.keys(READABLE_KINDS).join(', ')} files)`);
    this.name = 'NoFeatureFiles';
  }
}

export interface FeatureFiles {
  /** Absolute feature file paths (a `:line` suffix kept), in a stable order, each file once. */
  files: string[];
  /** The given paths (as given) that hold no feature file. */
  empty: string[];
}

/** Turn the given paths (files, folders, `file:line`) into the feature files they stand for. */
export function resolveFeatureFiles(paths: string[], cwd: string, defaultPath: string): FeatureFiles {
  teachGherkinOurKinds();
  const chosen = paths.length > 0 ? paths : [defaultPath];
  const files: string[] = [];
  const seen = new Set<string>();
  const empty: string[] = [];
  const add = (absolute: string, given: string, suffix = '') => {
    const real = realpathSync(absolute);
    if (!suffix && seen.has(real)) return;
    seen.add(real);
    checkContent(absolute, displayPath(given, absolute, cwd));
    files.push(absolute + suffix);
  };
  for (const given of chosen) {
    const [file, ...lineSuffix] = given.split(/(?=:\d+$)/);
    const absolute = resolve(cwd, file!);
    const stats = statOf(absolute, given);
    if (stats.isDirectory()) {
      const found = walk(absolute, given, cwd);
      if (found.length === 0) empty.push(given);
      for (const f of found) add(f, relative(cwd, f) || f);
    } else {
      checkKind(absolute, given);
      add(absolute, given, lineSuffix.join(''));
    }
  }
  return { files, empty };
}

function displayPath(given: string, absolute: string, cwd: string): string {
  return given.startsWith('/') || given.startsWith('.') ? given : relative(cwd, absolute) || given;
}

function statOf(absolute: string, given: string): Stats {
  try {
    const stats = statSync(absolute);
    // Readable (and, for a folder, listable): checked by reading, since root passes access(2).
    if (stats.isDirectory()) readdirSync(absolute);
    else readFileSync(absolute, { flag: 'r' }).subarray(0, 0);
    return stats;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`features path ${given} does not exist`);
    if (code === 'ELOOP') throw new UsageError(`features path ${given} is a symlink loop (it never reaches a file or folder)`);
    if (code === 'EACCES' || code === 'EPERM') throw new UsageError(`features path ${given} cannot be read`);
    throw new UsageError(`features path ${given} cannot be read (${code ?? String(error)})`);
  }
}

function checkKind(absolute: string, given: string): void {
  const ending = extname(absolute);
  if (READABLE_KINDS[ending]) return;
  const known = Object.keys(READABLE_KINDS).join(', ');
  const why = UNSUPPORTED_KINDS[ending] ?? `not a kind of file keelhaul reads`;
  throw new UsageError(`features path ${given}: ${why} (keelhaul reads ${known} files, or folders of them)`);
}

/** The feature files under a folder, sorted; a symlink back to a folder being walked is refused. */
function walk(root: string, given: string, cwd: string): string[] {
  const found: string[] = [];
  let entries = 0;
  const visit = (dir: string, ancestors: string[], depth: number) => {
    if (depth > MAX_DEPTH) throw new UsageError(`features path ${given}: folders nested deeper than ${MAX_DEPTH} levels at ${relative(cwd, dir)}`);
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (error) {
      throw new UsageError(`features path ${given}: ${relative(cwd, dir) || dir} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    for (const name of names) {
      if (++entries > MAX_ENTRIES) throw new UsageError(`features path ${given} holds more than ${MAX_ENTRIES} entries: is it the folder you meant?`);
      const path = join(dir, name);
      let stats: Stats;
      try {
        stats = statSync(path);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ELOOP') throw new UsageError(`features path ${given}: ${relative(cwd, path)} is a symlink loop`);
        continue; // a dangling link or a file gone meanwhile: nothing to read
      }
      if (stats.isDirectory()) {
        const real = realpathSync(path);
        if (ancestors.includes(real)) throw new UsageError(`features path ${given}: ${relative(cwd, path)} is a symlink loop (it leads back to ${relative(cwd, real) || real})`);
        visit(path, [...ancestors, real], depth + 1);
      } else if (stats.isFile() && READABLE_KINDS[extname(name)]) {
        found.push(path);
      }
    }
  };
  visit(root, [realpathSync(root)], 0);
  return found;
}

/** A feature file must be UTF-8 text of a reasonable size. */
function checkContent(absolute: string, shown: string): void {
  const size = statSync(absolute).size;
  if (size > MAX_FEATURE_BYTES) {
    throw new UsageError(`${shown} is ${(size / 1024 / 1024).toFixed(1)} MB: a feature file may be at most ${MAX_FEATURE_BYTES / 1024 / 1024} MB (split it into several files)`);
  }
  const bytes = readFileSync(absolute);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    decoder.decode(bytes);
  } catch {
    // 0x0a is never part of a multi-byte sequence: the first line that does not decode is the culprit.
    let line = 1;
    for (let from = 0; from <= bytes.length; line++) {
      let to = bytes.indexOf(0x0a, from);
      if (to < 0) to = bytes.length;
      try {
        decoder.decode(bytes.subarray(from, to));
      } catch {
        break;
      }
      from = to + 1;
    }
    throw new UsageError(`${shown}:${line}: not UTF-8 text (Gherkin files are UTF-8; convert it, e.g. with iconv -t UTF-8)`);
  }
}
