// Imported first (before any --require'd user file) when the user gives --require: registers our
// resolve hook, then tsx for TypeScript step files. tsx refuses cucumber's `loader` option
// ("must be loaded with --import"), so it is registered through its own API here instead; the
// same file runs in every parallel worker because cucumber imports support code in each.
// tsx is registered last so it runs first and hands bare specifiers on to our hook.
import Module, { createRequire, register } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register as registerTsx } from 'tsx/esm/api';

register('./resolve-hook.js', import.meta.url);
registerTsx();

// CommonJS step files (.cjs) `require()` instead of `import`, which the ESM hook above does not
// see on Node 20: answer the same three names with the same files for require() as well.
const ours = createRequire(import.meta.url);
const aliases: Record<string, string> = {
  '@cucumber/cucumber': ours.resolve('@cucumber/cucumber'),
  chai: ours.resolve('chai'),
  keelhaul: join(dirname(dirname(fileURLToPath(import.meta.url))), 'public-api.js'),
};
type ResolveFilename = (request: string, ...rest: unknown[]) => string;
const moduleWithInternals = Module as unknown as { _resolveFilename: ResolveFilename };
const original = moduleWithInternals._resolveFilename;
moduleWithInternals._resolveFilename = function (request: string, ...rest: unknown[]) {
  return Object.hasOwn(aliases, request) ? aliases[request]! : original.call(this, request, ...rest);
};
