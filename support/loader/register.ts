// Imported first (before any --require'd user file) when the user gives --require: registers our
// resolve hook, then tsx for TypeScript step files. tsx refuses cucumber's `loader` option
// ("must be loaded with --import"), so it is registered through its own API here instead; the
// same file runs in every parallel worker because cucumber imports support code in each.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

register('./resolve-hook.js', import.meta.url);
registerTsx();
