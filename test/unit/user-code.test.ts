// Whether a user's --require'd code needs tsx and our resolve hook (run/user-code.ts): registering
// them costs ~300 and ~70 ms of CPU a run, but a wrong "no" fails the load of a TypeScript file, or
// lets a user's step register into another copy of cucumber; so every way either can be needed must
// answer yes; and importPaths registers the hooks only after keelhaul's own files.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const KEELHAUL_MODULES = join(import.meta.dirname, '..', '..', 'node_modules');
import { needsTypeScript, userCodeNeeds } from '../../run/user-code.js';
import { importPaths } from '../../run/cucumber-config.js';

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'keelhaul-user-code-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

describe('needsTypeScript', () => {
  test('JavaScript alone, with its relative .js imports, needs no tsx', () => {
    const d = tree({ 'a.mjs': "import { Given } from '@cucumber/cucumber';\nimport { x } from './lib/x.js';\n", 'lib/x.js': "export const x = require('./y.cjs');\n", 'lib/y.cjs': 'module.exports = 1;\n' });
    assert.equal(needsTypeScript([join(d, 'a.mjs')]), false);
    assert.equal(needsTypeScript([d]), false);
  });

  test('a TypeScript file given or below a given folder needs tsx', () => {
    const d = tree({ 'steps/deep/b.steps.ts': 'export {};\n', 'c.mts': '' });
    assert.equal(needsTypeScript([join(d, 'c.mts')]), true);
    assert.equal(needsTypeScript([join(d, 'steps')]), true);
  });

  test('JavaScript importing TypeScript, an extensionless path or a .js that is a .ts needs tsx, however deep', () => {
    const ts = tree({ 'a.mjs': "import './b.js';\n", 'b.js': "export * from './c.ts';\n", 'c.ts': '' });
    assert.equal(needsTypeScript([join(ts, 'a.mjs')]), true);
    const bare = tree({ 'a.mjs': "const m = await import('./helpers');\n", 'helpers.ts': '' });
    assert.equal(needsTypeScript([join(bare, 'a.mjs')]), true);
    const mapped = tree({ 'a.js': "import { h } from './h.js';\n", 'h.ts': '' });
    assert.equal(needsTypeScript([join(mapped, 'a.js')]), true);
  });

  test('a folder with node_modules or a symbolic link is not walked: tsx, to be safe', () => {
    const modules = tree({ 'a.mjs': '', 'node_modules/p/index.js': '' });
    assert.equal(needsTypeScript([modules]), true);
    const linked = tree({ 'a.mjs': '' });
    symlinkSync(tmpdir(), join(linked, 'elsewhere'));
    assert.equal(needsTypeScript([linked]), true);
  });
});

describe('the resolve hook', () => {
  const STEP = "import { Given } from '@cucumber/cucumber';\nGiven('x', function () {});\n";

  test('is needed where @cucumber/cucumber or chai would not resolve to keelhaul\'s copy, and for keelhaul', () => {
    assert.equal(userCodeNeeds([join(tree({ 'a.mjs': STEP }), 'a.mjs')]).resolveHook, true, 'nothing installed next to the file');
    const own = tree({ 'a.mjs': STEP, 'node_modules/@cucumber/cucumber/package.json': '{"name":"@cucumber/cucumber","main":"index.js"}', 'node_modules/@cucumber/cucumber/index.js': '' });
    assert.equal(userCodeNeeds([join(own, 'a.mjs')]).resolveHook, true, 'a copy of its own');
    const linked = tree({ 'a.mjs': STEP, 'b.cjs': "const { expect } = require('chai');\n" });
    symlinkSync(KEELHAUL_MODULES, join(linked, 'node_modules'));
    assert.deepEqual(userCodeNeeds([join(linked, 'a.mjs'), join(linked, 'b.cjs')]), { typescript: false, resolveHook: false }, 'keelhaul\'s own copies: no hook');
    writeFileSync(join(linked, 'c.mjs'), "import { KeelhaulWorld } from 'keelhaul';\n");
    assert.equal(userCodeNeeds([join(linked, 'c.mjs')]).resolveHook, true, 'keelhaul is only answered by the hook');
  });

  test('is needed for any other package, a computed import, or a .js with import syntax and no "type": "module"', () => {
    const d = tree({ 'a.mjs': "import x from 'some-package';\n", 'b.mjs': 'const m = await import(process.env.X);\n', 'c.js': "import fs from 'node:fs';\n", 'm/package.json': '{"type":"module"}', 'm/d.js': "import fs from 'node:fs';\nimport './e.js';\n", 'm/e.js': "export * from 'chai';\n" });
    assert.equal(userCodeNeeds([join(d, 'a.mjs')]).resolveHook, true);
    assert.equal(userCodeNeeds([join(d, 'b.mjs')]).resolveHook, true);
    assert.equal(userCodeNeeds([join(d, 'c.js')]).resolveHook, true);
    symlinkSync(KEELHAUL_MODULES, join(d, 'm', 'node_modules'));
    assert.equal(userCodeNeeds([join(d, 'm', 'd.js')]).resolveHook, false, 'type module, built-ins and our chai');
    writeFileSync(join(d, 'm', 'e.js'), "export * from 'chai-as-promised';\n");
    assert.equal(userCodeNeeds([join(d, 'm', 'd.js')]).resolveHook, true, 'a package imported one file down');
  });
});

describe('importPaths', () => {
  test('keelhaul\'s own files first, then our resolve hook, tsx only for TypeScript, then the user\'s', () => {
    const d = tree({ 'js/a.mjs': "import 'chai';\n", 'ts/b.ts': '' });
    const js = importPaths(['js'], d);
    assert.match(js[0]!, /support\/\*\.js$/);
    assert.match(js[1]!, /steps\/\*\*\/\*\.js$/);
    assert.match(js[2]!, /support\/loader\/register\.js$/);
    assert.equal(js[3], join(d, 'js', '**', '*.{js,mjs,cjs,ts,mts,cts}'));
    assert.equal(js.length, 4);
    symlinkSync(KEELHAUL_MODULES, join(d, 'js', 'node_modules'));
    assert.equal(importPaths(['js/a.mjs'], d).length, 3, 'chai resolves to keelhaul\'s: no hook');
    const ts = importPaths(['ts', 'js/a.mjs'], d);
    assert.match(ts[3]!, /support\/loader\/register-tsx\.js$/);
    assert.deepEqual(ts.slice(4), [join(d, 'ts', '**', '*.{js,mjs,cjs,ts,mts,cts}'), join(d, 'js', 'a.mjs')]);
    assert.equal(importPaths([], d).length, 2, 'no user code: no hooks at all');
  });
});
