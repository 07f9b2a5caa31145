// The exit-code contract of DESIGN.md, proven by running the real binary against real engines.
// After every run: nothing labelled with that run's id is left, and a container keelhaul did not
// create (started before the run) is still there.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import {
  ENGINES, ROOT, api, containerExists, foreignContainer, labelledContainers, project, reachable, removeContainer, runKeelhaul,
} from '../helpers/keelhaul.js';

const BASELINE = readFileSync(join(ROOT, 'features', 'isolation', 'baseline.feature'), 'utf8');

const STRICT_PROFILE = `name: no-capabilities
description: a profile that allows no capability at all, so ISO-01 must report a finding
multiTenant: true
promises:
  seccomp: true
  defaultCapabilities: []
`;

// A user step file (plain JS, through --require) that keeps a labelled container busy, so a
// signal can arrive mid-run.
const SLOW_STEPS = `
import { When } from '@cucumber/cucumber';
When('a container sleeps for {int} seconds', { timeout: 120000 }, async function (seconds) {
  const id = await this.startContainer({ cmd: ['sleep', String(seconds)] });
  process.stderr.write('slow-step: container ' + id.slice(0, 12) + ' started\\n');
  await new Promise((r) => setTimeout(r, seconds * 1000));
});
`;

for (const [engine, host] of ENGINES) {
  describe(`exit codes on ${engine}`, () => {
    let foreign = '';

    before(async () => {
      assert.ok(await reachable(host), `${engine} is not reachable at ${host}: run scripts/engines.sh up`);
      foreign = await foreignContainer(host, `keelhaul-foreign-${engine}-${process.pid}`, { 'keelhaul.note': 'not created by keelhaul' });
    });

    after(async () => {
      assert.ok(await containerExists(host, foreign), 'the unlabelled container started before the runs must survive them');
      await removeContainer(host, foreign);
    });

    async function assertNothingLeft(summary: any) {
      assert.ok(summary?.run, 'summary.json names the run');
      assert.deepEqual(await labelledContainers(host, summary.run), [], `objects labelled keelhaul.run=${summary.run} are left on ${engine}`);
      assert.ok(await containerExists(host, foreign), 'the unlabelled container is still there');
    }

    test('0: a passing feature, with summary.json, junit.xml, cucumber.json and messages.ndjson', async () => {
      const cwd = project({ 'features/baseline.feature': BASELINE });
      const r = await runKeelhaul(['run', 'features', '--target', host], { cwd });
      assert.equal(r.exitCode, 0, r.stdout + r.stderr);
      assert.deepEqual(r.summary.outcomes, { pass: 2, finding: 0, 'not-applicable': 0, inconclusive: 0, error: 0 });
      assert.equal(r.summary.target.engine, engine);
      assert.deepEqual(r.summary.scenarios.map((s: any) => s.id).sort(), ['ISO-01', 'ISO-02']);
      assert.match(r.summary.scenarios[0].observations.CapEff, /^[0-9a-f]{16}$/);
      for (const file of ['junit.xml', 'cucumber.json', 'messages.ndjson']) {
        assert.ok(readFileSync(join(r.reportsDir, file), 'utf8').length > 0, `${file} is written`);
      }
      assert.match(r.stdout, /VERDICT: exit 0/);
      await assertNothingLeft(r.summary);
    });

    test('--parallel 2 loads the steps in every worker and gives the same verdict', async () => {
      const cwd = project({ 'features/baseline.feature': BASELINE });
      const r = await runKeelhaul(['run', 'features', '--target', host, '--parallel', '2'], { cwd });
      assert.equal(r.exitCode, 0, r.stdout + r.stderr);
      assert.equal(r.summary.outcomes.pass, 2);
      await assertNothingLeft(r.summary);
    });

    test('1: a failing security check is a finding', async () => {
      const cwd = project({ 'features/baseline.feature': BASELINE, 'strict.yaml': STRICT_PROFILE });
      const r = await runKeelhaul(['run', 'features', '--target', host, '--profile', 'strict.yaml', '--tags', '@ISO-01'], { cwd });
      assert.equal(r.exitCode, 1, r.stdout + r.stderr);
      const iso01 = r.summary.scenarios.find((s: any) => s.id === 'ISO-01');
      assert.equal(iso01.outcome, 'finding');
      assert.match(iso01.reason, /capabilities beyond profile no-capabilities/);
      assert.equal(r.summary.outcomes.finding, 1);
      await assertNothingLeft(r.summary);
    });

    test('--advisory reports the finding and exits 0', async () => {
      const cwd = project({ 'features/baseline.feature': BASELINE, 'strict.yaml': STRICT_PROFILE });
      const r = await runKeelhaul(['run', 'features', '--target', host, '--profile', 'strict.yaml', '--tags', '@ISO-01', '--advisory'], { cwd });
      assert.equal(r.exitCode, 0, r.stdout + r.stderr);
      assert.equal(r.summary.outcomes.finding, 1);
    });

    test('doctor fingerprints the platform and runs containers with and without networking', async () => {
      const r = await runKeelhaul(['doctor', '--target', host]);
      assert.equal(r.exitCode, 0, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`engine: +${engine} `));
      assert.match(r.stdout, /container: +no network: ok/);
      assert.match(r.stdout, /container: +default network: ok/);
      // Measured against the engine host's network namespace: this machine shares it.
      assert.match(r.stdout, /^runner: +native: natively, in the engine host's network namespace/m);
      assert.match(r.stdout, /^ports: +published ports reached from a helper container on the target in the host's network namespace/m);
    });

    test('the probe image is seeded through the API from the static busybox when it cannot be pulled', async () => {
      const ref = `busybox:keelhaul-seed-${process.pid}`;
      await api(host, `/images/${encodeURIComponent(ref)}?force=1`, 'DELETE');
      try {
        const r = await runKeelhaul(['doctor', '--target', host, '--image', ref]);
        assert.equal(r.exitCode, 0, r.stdout + r.stderr);
        assert.match(r.stdout, new RegExp(`probe image: ${ref} \\(seeded\\)`));
        const again = await runKeelhaul(['doctor', '--target', host, '--image', ref]);
        assert.match(again.stdout, new RegExp(`probe image: ${ref} \\(present\\)`));
      } finally {
        await api(host, `/images/${encodeURIComponent(ref)}?force=1`, 'DELETE');
      }
    });

    test('130: SIGINT mid-run sweeps the run and exits 130', async () => {
      const cwd = project({
        'features/slow.feature': 'Feature: slow\n  Scenario: busy\n    When a container sleeps for 60 seconds\n',
        'steps/slow.mjs': SLOW_STEPS,
      });
      const r = await runKeelhaul(['run', 'features', '--target', host, '--require', 'steps/slow.mjs'], {
        cwd, timeoutMs: 60_000, onOutput: { match: /slow-step: container \w+ started/, then: (child) => child.kill('SIGINT') },
      });
      assert.equal(r.exitCode, 130, r.stdout + r.stderr);
      assert.match(r.stderr, /SIGINT: cleaning up run/);
      assert.equal(r.summary.exitCode, 130);
      assert.match(readFileSync(join(r.reportsDir, 'report.html'), 'utf8'), /<b>exit 130<\/b>: interrupted by SIGINT/, 'an interrupted run leaves its report.html too');
      await assertNothingLeft(r.summary);
    });
  });
}

describe('exit codes that need no platform', () => {
  test('2: a feature that does not parse, with file:line:column', async () => {
    const cwd = project({ 'features/broken.feature': 'Feature: broken\n  Scenario: x\n    Given a container with the platform\'s default settings\n  Oops this is not gherkin\n' });
    const r = await runKeelhaul(['run', 'features', '--target', 'tcp://127.0.0.1:1'], { cwd });
    assert.equal(r.exitCode, 2, r.stderr);
    assert.match(r.stderr, /parse error: .*broken\.feature:4:\d+/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace by default');
  });

  test('2: an undefined step, reported before the platform is contacted', async () => {
    const cwd = project({ 'features/undefined.feature': 'Feature: u\n  Scenario: x\n    Given a step nobody wrote\n' });
    const r = await runKeelhaul(['run', 'features', '--target', 'tcp://127.0.0.1:1'], { cwd });
    assert.equal(r.exitCode, 2, r.stderr);
    assert.match(r.stderr, /undefined\.feature:3:\d+: undefined step "a step nobody wrote"/);
  });

  test('2: a bad flag, a bad --parallel, an unknown profile', async () => {
    for (const args of [['run', '--bogus'], ['run', '--parallel', 'many'], ['run', '--profile', 'nonesuch']]) {
      const r = await runKeelhaul(args);
      assert.equal(r.exitCode, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
    }
  });

  test('3: tags that select nothing', async () => {
    const cwd = project({ 'features/baseline.feature': BASELINE });
    const r = await runKeelhaul(['run', 'features', '--tags', '@no-such-tag', '--target', 'tcp://127.0.0.1:1'], { cwd });
    assert.equal(r.exitCode, 3, r.stderr);
    assert.match(r.stderr, /nothing ran/);
  });

  test('4: a target that refuses connections, within 5 s', async () => {
    const cwd = project({ 'features/baseline.feature': BASELINE });
    const started = Date.now();
    const r = await runKeelhaul(['run', 'features', '--target', 'tcp://127.0.0.1:1'], { cwd });
    assert.equal(r.exitCode, 4, r.stderr);
    assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
    assert.match(r.stderr, /cannot reach tcp:\/\/127\.0\.0\.1:1.*ECONNREFUSED/);
  });

  test('4: a unix socket that does not exist', async () => {
    const cwd = project({ 'features/baseline.feature': BASELINE });
    const r = await runKeelhaul(['run', 'features', '--target', 'unix:///nonexistent/docker.sock'], { cwd });
    assert.equal(r.exitCode, 4, r.stderr);
  });
});

// No --target, no DOCKER_HOST: the engine is found by its socket (a stat of /var/run/docker.sock).
// A user's step file whose '@cucumber/cucumber' comes through a linked node_modules (pnpm's layout,
// or a link to a shared install) must still get keelhaul's cucumber: a plain statSync of the socket
// left node resolving modules without following links (nodejs/node#51142), and the file's Given was
// a second cucumber's, undefined ("cannot load step definitions: Given is not a function", exit 2).
describe('the local engine found by its socket', () => {
  const LOCAL = 'unix:///var/run/docker.sock';

  test("a user's step file through a linked node_modules runs against it", async () => {
    assert.ok(await reachable(LOCAL), `no engine at ${LOCAL}: run scripts/engines.sh up`);
    const cwd = project({
      'user.feature': "Feature: user steps\n  Scenario: a step of the user's own\n    Given the user's step does nothing\n",
      'user-steps.mjs': "import { Given } from '@cucumber/cucumber';\nGiven(\"the user's step does nothing\", function () {});\n",
    });
    symlinkSync(join(ROOT, 'node_modules'), join(cwd, 'node_modules'), 'dir');
    // An empty DOCKER_HOST names nothing (adapters/platform/connection.ts): the sockets are looked for.
    const r = await runKeelhaul(['run', 'user.feature', '--require', 'user-steps.mjs'], { cwd, env: { DOCKER_HOST: '' } });
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    assert.equal(r.summary.target.url, LOCAL);
    assert.deepEqual(r.summary.scenarios.map((s: { outcome: string }) => s.outcome), ['pass']);
  });
});
