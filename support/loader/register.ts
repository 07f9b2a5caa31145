// Imported after keelhaul's own support and steps and before any --require'd user file, when the
// user gives --require: registers our resolve hook (then register-tsx.js registers tsx, when the
// user's code holds TypeScript). After ours, not before: once a hook is registered every import
// goes through the hooks thread, which keelhaul's own compiled files do not need. The same file
// runs in every parallel worker because cucumber imports support code in each.
import Module, { createRequire, register } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

register('./resolve-hook.js', import.meta.url);

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
