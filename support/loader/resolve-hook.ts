// A module resolve hook for --require'd user files. A user's step file lives outside keelhaul's
// folder, so its bare imports of '@cucumber/cucumber' or 'chai' would not resolve, or would resolve
// to a second copy whose Given/When/Then register into nothing. We answer them with keelhaul's own
// copies, and 'keelhaul' with the public API for step authors.
//
// A user's folder often has no package.json, and Node (and tsx) then take a .ts or .js file for
// CommonJS; one written with import/export would fail ("Cannot require() ES Module ... in a cycle").
// So a user file (outside keelhaul and node_modules) with ESM syntax and no package.json saying
// otherwise is loaded as an ES module.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const supportDir = dirname(dirname(fileURLToPath(import.meta.url)));
const keelhaulRoot = dirname(dirname(supportDir));
const SHARED = new Set(['@cucumber/cucumber', 'chai']);
const ESM_SYNTAX = /^\s*(import\s*[\w*{'"]|export\s)/m;

type Resolved = { url: string; format?: string | null; shortCircuit?: boolean };
type Resolve = (specifier: string, context: { parentURL?: string }, next: (s: string, c?: unknown) => Promise<Resolved>) => Promise<Resolved>;

/** The "type" of the nearest package.json above a file, or undefined when there is none. */
function packageType(file: string): string | undefined {
  let dir = dirname(file);
  for (let i = 0; i < 40; i++) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        return JSON.parse(readFileSync(manifest, 'utf8')).type ?? 'none';
      } catch {
        return 'none';
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
  return undefined;
}

function userModuleFormat(url: string): 'module' | undefined {
  if (!url.startsWith('file:') || !/\.(ts|js)$/.test(new URL(url).pathname)) return undefined;
  const file = fileURLToPath(url);
  if (file.startsWith(keelhaulRoot + sep) || file.includes(`${sep}node_modules${sep}`)) return undefined;
  const type = packageType(file);
  if (type === 'module' || type === 'commonjs') return undefined; // the user said what they mean
  try {
    return ESM_SYNTAX.test(readFileSync(file, 'utf8')) ? 'module' : undefined;
  } catch {
    return undefined;
  }
}

export const resolve: Resolve = async (specifier, context, next) => {
  if (specifier === 'keelhaul') return { url: pathToFileURL(join(supportDir, 'public-api.js')).href, shortCircuit: true };
  if (SHARED.has(specifier)) {
    const fromKeelhaul = await next(specifier, { ...context, parentURL: import.meta.url });
    return { ...fromKeelhaul, shortCircuit: true };
  }
  const resolved = await next(specifier, context);
  const format = userModuleFormat(resolved.url);
  return format ? { ...resolved, format } : resolved;
};
