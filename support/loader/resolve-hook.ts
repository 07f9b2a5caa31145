// A module resolve hook for --require'd user files. A user's step file lives outside keelhaul's
// folder, so its bare imports of '@cucumber/cucumber' or 'chai' would not resolve, or would resolve
// to a second copy whose Given/When/Then register into nothing. We answer them with keelhaul's own
// copies, and 'keelhaul' with the public API for step authors.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const supportDir = dirname(dirname(fileURLToPath(import.meta.url)));
const SHARED = new Set(['@cucumber/cucumber', 'chai']);

type Resolve = (specifier: string, context: { parentURL?: string }, next: (s: string, c?: unknown) => Promise<{ url: string }>) => Promise<{ url: string; shortCircuit?: boolean }>;

export const resolve: Resolve = async (specifier, context, next) => {
  if (specifier === 'keelhaul') return { url: pathToFileURL(join(supportDir, 'public-api.js')).href, shortCircuit: true };
  if (SHARED.has(specifier)) {
    const fromKeelhaul = await next(specifier, { ...context, parentURL: import.meta.url });
    return { ...fromKeelhaul, shortCircuit: true };
  }
  return next(specifier, context);
};
