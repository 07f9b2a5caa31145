// Start-up economies must not weaken the authoring gate. A selection loads only the step files of
// keelhaul's that its steps match, chosen by an index of every step expression kept in the cache
// folder under the hash of keelhaul's compiled support and step files (run/step-index.ts). Here, on
// a copy of the package whose step files the test edits: the index is written and then used; a step
// a changed file now defines as well as the user's is still ambiguous (exit 2), a step moved to a new
// file is still found, and a stale index (kept under the old key) would have answered otherwise.
// No platform: `keelhaul check` alone.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/keelhaul.js';

const USER_STEP = "the user's own step does nothing";
const FILES: Record<string, string> = {
  'user.feature': `Feature: user\n  Scenario: one\n    Given ${USER_STEP}\n`,
  'mixed.feature': `Feature: mixed\n  Scenario: one\n    Given ${USER_STEP}\n    Then seccomp filtering is on\n`,
  'moved.feature': 'Feature: moved\n  Scenario: one\n    Given a step that moved to a new file\n',
  'user-steps.mjs': `import { Given } from '@cucumber/cucumber';\nGiven(${JSON.stringify(USER_STEP)}, function () {});\n`,
};

describe('the step index keeps the authoring gate', () => {
  const pkg = mkdtempSync(join(tmpdir(), 'keelhaul-startup-'));
  const work = join(pkg, 'work');
  const cache = join(pkg, 'cache');
  const check = (...args: string[]) => {
    const r = spawnSync(process.execPath, [join(pkg, 'dist', 'cli', 'main.js'), 'check', ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, KEELHAUL_CACHE_DIR: cache, DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    return { code: r.status, out: r.stdout + r.stderr };
  };
  const indexes = () => readdirSync(cache).filter((f) => f.startsWith('step-index-'));

  before(() => {
    for (const part of ['dist', 'features', 'profiles', 'package.json']) cpSync(join(ROOT, part), join(pkg, part), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'));
    mkdirSync(work);
    for (const [name, text] of Object.entries(FILES)) writeFileSync(join(work, name), text);
  });

  test('written by a full load, then used: a selection loads the families its steps need, and the lint knows all', () => {
    assert.equal(check('user.feature', '--require', 'user-steps.mjs').code, 0);
    assert.equal(indexes().length, 1, 'the first check wrote the index');
    const mixed = check('mixed.feature', '--require', 'user-steps.mjs');
    assert.equal(mixed.code, 0, mixed.out);
    // The index is what chooses: one that maps the step elsewhere leaves it undefined (the gate's own side).
    const [name] = indexes();
    const index = JSON.parse(readFileSync(join(cache, name!), 'utf8'));
    const real = JSON.stringify(index);
    const family = Object.keys(index.files).find((f) => index.files[f].some((e: { shown: string }) => e.shown === 'seccomp filtering is on'))!;
    assert.ok(family && family !== 'platform.steps', `the family of "seccomp filtering is on": ${family}`);
    index.files['platform.steps'] = [...index.files['platform.steps'], ...index.files[family]];
    delete index.files[family];
    writeFileSync(join(cache, name!), JSON.stringify(index));
    const misled = check('mixed.feature', '--require', 'user-steps.mjs');
    assert.equal(misled.code, 2, misled.out);
    assert.match(misled.out, /undefined step "seccomp filtering is on"/);
    writeFileSync(join(cache, name!), real);
    // A description line that is a step of a family not loaded is still caught.
    writeFileSync(join(work, 'lint.feature'), `Feature: lint\n  Scenario: one\n    a container with the platform's default settings\n    Given ${USER_STEP}\n`);
    const lint = check('lint.feature', '--require', 'user-steps.mjs');
    assert.equal(lint.code, 2, lint.out);
    assert.match(lint.out, /looks like a step without its keyword/);
  });

  test('a changed step file is a new index: a step now defined twice is ambiguous, a moved one is found', () => {
    assert.equal(check('user.feature', '--require', 'user-steps.mjs').code, 0);
    const before = indexes();
    const platform = join(pkg, 'dist', 'steps', 'platform.steps.js');
    writeFileSync(platform, `${readFileSync(platform, 'utf8')}\nimport { Given as AlsoGiven } from '@cucumber/cucumber';\nAlsoGiven(${JSON.stringify(USER_STEP)}, function () {});\n`);
    const ambiguous = check('user.feature', '--require', 'user-steps.mjs');
    assert.equal(ambiguous.code, 2, ambiguous.out);
    assert.match(ambiguous.out, /ambiguous step "the user's own step does nothing"/);
    writeFileSync(join(pkg, 'dist', 'steps', 'zz-moved.steps.js'), "import { Given } from '@cucumber/cucumber';\nGiven('a step that moved to a new file', function () {});\n");
    const moved = check('moved.feature');
    assert.equal(moved.code, 0, moved.out);
    assert.equal(check('moved.feature').code, 0, 'and again, from the index the last check wrote');
    assert.ok(indexes().length >= before.length + 2, `new keys for the changed files: ${indexes().join(', ')}`);
  });
});
