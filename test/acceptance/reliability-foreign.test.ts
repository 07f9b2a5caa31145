// Objects keelhaul did not create survive whatever keelhaul does: containers, networks and volumes that
// are unlabelled, whose NAMES look like keelhaul's (keelhaul-…, keelhaul-rel-… as the sleepers name theirs),
// or that carry other keelhaul.* labels (keelhaul.scenario, keelhaul.runner, keelhaul.run-id) but no
// keelhaul.run. Checked after a run that creates and removes the same kinds of object, after an
// interrupted run, and after `clean --run`. (A bare `clean` is proven on the private engine in
// reliability-tls.test.ts, where it cannot remove other people's in-flight runs.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DOCKER, PODMAN, project, reachable, runKeelhaul } from '../helpers/keelhaul.js';
import { NOTHING, SLEEPER_STEPS, createForeign, leftovers, missingForeign, removeForeign, runIdOf, sleeperFeature, type Foreign } from './reliability-helpers.js';

for (const [engine, host] of [['docker', DOCKER], ['podman', PODMAN]] as const) {
  describe(`foreign objects on ${engine}`, () => {
    let foreign: Foreign | undefined;
    let up = true;

    before(async () => {
      up = await reachable(host);
      if (up) foreign = await createForeign(host, `rel-foreign-${engine}-${process.pid}`);
    });

    after(async () => {
      if (foreign) await removeForeign(host, foreign);
    });

    test('survive a run, an interrupted run and clean --run', { timeout: 180_000 }, async (t) => {
      if (!up || !foreign) return t.skip(`${engine} is not reachable at ${host}`);
      const cwd = project({ 'features/sleepers.feature': sleeperFeature(1, 300), 'steps.mjs': SLEEPER_STEPS });
      const run = await runKeelhaul(['run', 'features', '--target', host, '--require', 'steps.mjs'], { cwd, timeoutMs: 170_000 });
      assert.equal(run.exitCode, 0, run.stdout + run.stderr);
      assert.deepEqual(await leftovers(host, run.summary.run), NOTHING);
      assert.deepEqual(await missingForeign(host, foreign), [], 'after a run');

      const slow = project({ 'features/sleepers.feature': sleeperFeature(2, 20_000), 'steps.mjs': SLEEPER_STEPS });
      const interrupted = await runKeelhaul(['run', 'features', '--target', host, '--require', 'steps.mjs'], {
        cwd: slow, timeoutMs: 120_000, onOutput: { match: /sleepers: \S+ container \w+ started/, then: (child) => child.kill('SIGINT') },
      });
      assert.equal(interrupted.exitCode, 130, interrupted.stderr);
      assert.deepEqual(await leftovers(host, runIdOf(interrupted)!), NOTHING);
      assert.deepEqual(await missingForeign(host, foreign), [], 'after an interrupted run');

      const cleaned = await runKeelhaul(['clean', '--target', host, '--run', run.summary.run]);
      assert.equal(cleaned.exitCode, 0, cleaned.stdout + cleaned.stderr);
      assert.match(cleaned.stdout, /removed 0 container\(s\), 0 network\(s\), 0 volume\(s\)/);
      assert.deepEqual(await missingForeign(host, foreign), [], 'after clean --run');
    });
  });
}
