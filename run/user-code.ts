// Whether the user's --require'd code needs tsx (support/loader/register-tsx.ts) and our resolve hook
// (support/loader/register.ts): registering tsx costs about 300 ms of CPU in every run and every
// parallel worker, the hook's thread about 70 ms, so each is registered only when that code needs it. Generous on purpose: a wrong "no" fails the load (a .ts file node cannot read),
// a wrong "yes" only costs the time. Yes when a --require'd file, or a file below a --require'd
// folder, is TypeScript; or when a JavaScript file among them, or one it imports by a relative path
// (followed file by file), imports a TypeScript file or a path without an extension (which tsx
// resolves and node does not); or when a --require'd folder holds a node_modules folder or a symbolic link (not walked).
import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { dirname, extname, join, resolve } from 'node:path';

const TYPESCRIPT = /\.(ts|mts|cts|tsx)$/;
const JAVASCRIPT = /\.(js|mjs|cjs|jsx)$/;
/** Specifiers of static imports, exports, dynamic imports and require() calls (comments too: generous). */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"]([^'"]+)['"]/g;
/** import(x) or require(x) of something that is not a string literal. */
const COMPUTED_IMPORT = /\b(?:import|require)\s*\(\s*[^'"\s)]/;
/** The resolve hook's own test (support/loader/resolve-hook.ts). */
const ESM_SYNTAX = /^\s*(import\s*[\w*{'"]|export\s)/m;
/** Enough for any step folder; past it, assume TypeScript rather than walk on. */
const MAX_FILES = 2_000;

export interface UserCodeNeeds {
  /** tsx (support/loader/register-tsx.ts). */
  typescript: boolean;
  /** Our resolve hook (support/loader/register.ts): a hooks thread, ~70 ms of CPU and more of wall time. */
  resolveHook: boolean;
}

/**
 * What the user's --require'd code needs registered before it loads. The resolve hook is needed
 * unless every file reached is plain about what it is and imports nothing the hook would answer
 * differently: no TypeScript; no .js with `import` syntax outside a package.json that says its
 * "type" (the hook loads those as ES modules); no bare specifier but node's built-ins, and
 * '@cucumber/cucumber' or 'chai' only where they resolve to keelhaul's own copies anyway (from
 * another copy, Given/When/Then would register into nothing); no 'keelhaul'; no import the text
 * does not name (a computed import()).
 */
export function userCodeNeeds(requires: string[]): UserCodeNeeds {
  const files: string[] = [];
  for (const path of requires) {
    if (!statSync(path).isDirectory()) files.push(path);
    else if (!collect(path, files)) return { typescript: true, resolveHook: true };
  }
  if (files.some((f) => TYPESCRIPT.test(f))) return { typescript: true, resolveHook: true };
  let resolveHook = false;
  const seen = new Set<string>();
  const queue = files.filter((f) => JAVASCRIPT.test(f));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    if (seen.size >= MAX_FILES) return { typescript: true, resolveHook: true };
    seen.add(file);
    let source: string;
    try {
      source = readFileSync(file, 'utf8');
    } catch {
      continue; // the load reports a file it cannot read
    }
    if (!resolveHook) resolveHook = formatNeedsHook(file, source) || COMPUTED_IMPORT.test(source);
    for (const [, specifier] of source.matchAll(SPECIFIER)) {
      if (!specifier!.startsWith('.')) {
        if (!resolveHook) resolveHook = !resolvesAsOurs(specifier!, file);
        continue;
      }
      const target = resolve(dirname(file), specifier!.replace(/[?#].*$/, ''));
      if (TYPESCRIPT.test(target) || extname(target) === '') return { typescript: true, resolveHook: true };
      // tsx maps an import of x.js to x.ts when only x.ts exists.
      if (JAVASCRIPT.test(target) && !existsSync(target)) return { typescript: true, resolveHook: true };
      if (JAVASCRIPT.test(target)) queue.push(target);
    }
  }
  return { typescript: false, resolveHook };
}

export function needsTypeScript(requires: string[]): boolean {
  return userCodeNeeds(requires).typescript;
}

const ours = createRequire(import.meta.url);
const SHARED = ['@cucumber/cucumber', 'chai'];

/** A bare specifier the hook would leave as node resolves it: a built-in, or a shared package node finds as ours. */
function resolvesAsOurs(specifier: string, from: string): boolean {
  if (isBuiltin(specifier)) return true;
  if (!SHARED.includes(specifier)) return false;
  try {
    return realpathSync(createRequire(from).resolve(specifier)) === realpathSync(ours.resolve(specifier));
  } catch {
    return false;
  }
}

/** A .js file with `import`/`export` syntax that node would not load as an ES module by itself. */
function formatNeedsHook(file: string, source: string): boolean {
  if (!file.endsWith('.js') || !ESM_SYNTAX.test(source)) return false;
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        return JSON.parse(readFileSync(manifest, 'utf8')).type !== 'module';
      } catch {
        return true;
      }
    }
    if (dirname(dir) === dir) return true;
  }
}

/** The code files below a folder; false when it holds a node_modules folder or too many files. */
function collect(dir: string, into: string[]): boolean {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    // A symbolic link is not followed (it may loop): assume TypeScript.
    if (entry.isSymbolicLink()) return false;
    if (entry.isDirectory()) {
      if (entry.name === 'node_modules' || !collect(path, into)) return false;
    } else if (TYPESCRIPT.test(entry.name) || JAVASCRIPT.test(entry.name)) {
      into.push(path);
      if (into.length > MAX_FILES) return false;
    }
  }
  return true;
}
