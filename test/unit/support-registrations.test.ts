// A selection that uses few of keelhaul's families loads only their step files and the support files
// in ALWAYS_LOADED_SUPPORT (run/cucumber-config.ts, run/step-index.ts), not every support/*.js. So a
// support file that registers with cucumber (a hook, the World, a parameter type, a step) must be one
// of those, or a family's own (FAMILY_SUPPORT: loaded only with its step files, which import it);
// otherwise its registration would silently be missing from such runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ALWAYS_LOADED_SUPPORT, FAMILY_SUPPORT } from '../../run/cucumber-config.js';

const ROOT = join(import.meta.dirname, '..', '..');
const REGISTRATIONS = ['Before', 'After', 'BeforeAll', 'AfterAll', 'BeforeStep', 'AfterStep', 'Given', 'When', 'Then', 'defineStep', 'defineParameterType', 'setWorldConstructor', 'setDefaultTimeout', 'setDefinitionFunctionWrapper', 'setParallelCanAssign'];

function registers(text: string): string[] {
  const imported = [...text.matchAll(/import\s*\{([^}]*)\}\s*from\s*['"]@cucumber\/cucumber['"]/g)].flatMap((m) => m[1]!.split(',').map((n) => n.trim().split(/\s+as\s+/).pop()!.replace(/^type\s+/, '')));
  const star = /import\s*\*\s*as\s+\w+\s+from\s*['"]@cucumber\/cucumber['"]/.test(text) || /require\(\s*['"]@cucumber\/cucumber['"]\s*\)/.test(text);
  return star ? ['(the whole module)'] : imported.filter((n) => REGISTRATIONS.includes(n));
}

test('every support file that registers with cucumber is always loaded, or its family\'s own', () => {
  const files = readdirSync(join(ROOT, 'support')).filter((f) => f.endsWith('.ts'));
  const registering = files.filter((f) => registers(readFileSync(join(ROOT, 'support', f), 'utf8')).length > 0).map((f) => f.replace(/\.ts$/, ''));
  assert.ok(registering.includes('hooks') && registering.includes('world'), `the check sees the hooks and the World: ${registering}`);
  for (const name of registering) {
    assert.ok(ALWAYS_LOADED_SUPPORT.includes(name) || name in FAMILY_SUPPORT, `support/${name}.ts registers ${registers(readFileSync(join(ROOT, 'support', `${name}.ts`), 'utf8')).join(', ')} with cucumber: add it to ALWAYS_LOADED_SUPPORT (or FAMILY_SUPPORT, with why) in run/cucumber-config.ts`);
  }
  for (const name of Object.keys(FAMILY_SUPPORT)) {
    const importers = readdirSync(join(ROOT, 'steps')).filter((f) => readFileSync(join(ROOT, 'steps', f), 'utf8').includes(`support/${name}.js'`));
    assert.ok(importers.length > 0, `support/${name}.ts is a family's own: a step file imports it`);
  }
});
