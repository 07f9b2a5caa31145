// Whether the user's --require'd code needs tsx (support/loader/register-tsx.ts): registering it costs
// about 300 ms of CPU in every run and every parallel worker, so it is registered only when that code
// holds TypeScript. Generous on purpose: a wrong "no" fails the load (a .ts file node cannot read),
// a wrong "yes" only costs the time. Yes when a --require'd file, or a file below a --require'd
// folder, is TypeScript; or when a JavaScript file among them, or one it imports by a relative path
// (followed file by file), imports a TypeScript file or a path without an extension (which tsx
// resolves and node does not); or when a --require'd folder holds a node_modules folder or a symbolic link (not walked).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';

const TYPESCRIPT = /\.(ts|mts|cts|tsx)$/;
const JAVASCRIPT = /\.(js|mjs|cjs|jsx)$/;
/** Relative specifiers of static imports, exports, dynamic imports and require() calls. */
const RELATIVE_SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"](\.{1,2}\/[^'"]*)['"]/g;
/** Enough for any step folder; past it, assume TypeScript rather than walk on. */
const MAX_FILES = 2_000;

export function needsTypeScript(requires: string[]): boolean {
  const files: string[] = [];
  for (const path of requires) {
    if (!statSync(path).isDirectory()) files.push(path);
    else if (!collect(path, files)) return true;
  }
  if (files.some((f) => TYPESCRIPT.test(f))) return true;
  const seen = new Set<string>();
  const queue = files.filter((f) => JAVASCRIPT.test(f));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    if (seen.size >= MAX_FILES) return true;
    seen.add(file);
    let source: string;
    try {
      source = readFileSync(file, 'utf8');
    } catch {
      continue; // the load reports a file it cannot read
    }
    for (const [, specifier] of source.matchAll(RELATIVE_SPECIFIER)) {
      const target = resolve(dirname(file), specifier!.replace(/[?#].*$/, ''));
      if (TYPESCRIPT.test(target) || extname(target) === '') return true;
      // tsx maps an import of x.js to x.ts when only x.ts exists.
      if (JAVASCRIPT.test(target) && !existsSync(target)) return true;
      if (JAVASCRIPT.test(target)) queue.push(target);
    }
  }
  return false;
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
