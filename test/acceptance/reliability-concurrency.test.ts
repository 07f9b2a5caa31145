// Two runs against the same engine at the same time: each gets its own verdict (one clean, one with a
// finding from a stricter profile), each sweeps only its own label, and `keelhaul clean --run <id>` of
// one leaves the other's objects alone. Foreign objects (unlabelled, keelhaul-looking names, keelhaul.*
// labels without keelhaul.run) survive all of it, and the interrupted run too.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { DOCKER, PODMAN, labelledContainers, project, reachable, runKeelhaul } from '../helpers/keelhaul.js';
import {
  BASELINE, NOTHING, SLEEPER_STEPS, createForeign, leftovers, missingForeign, removeForeign, runIdOf, sleeperFeature, type Foreign,
} from './reliability-helpers.js';

const STRICT_PROFILE = `name: no-capabilities
description: allows no capability at all, so ISO-01 must report a finding
multiTenant: true
promises:
  seccomp: true
  defaultCapabilities: []
`;

for (const [engine, host] of [['docker', DOCKER], ['podman', PODMAN]] as const) {
  describe(`two concurrent runs on ${engine}`, () => {
    let foreign: Foreign | undefined;
    let up = true;

    before(async () => {
      up = await reachable(host);
      if (up) foreign = await createForeign(host, `rel-conc-${engine}-${process.pid}`);
    });

    after(async () => {
      if (!foreign) return;
      const missing = await missingForeign(host, foreign);
      await removeForeign(host, foreign);
      assert.deepEqual(missing, [], 'foreign objects survive concurrent runs, an interruption and clean --run');
    });

    test('separate verdicts, each run sweeps only its own label', { timeout: 240_000 }, async (t) => {
      if (!up) return t.skip(`${engine} is not reachable at ${host}`);
      // A: the baseline, clean (exit 0). B: the same baseline under a profile that allows no
      // capability (a finding, exit 1) plus sleepers that keep labelled objects alive while A finishes.
      const a = project({ 'features/baseline.feature': BASELINE, 'features/sleepers.feature': sleeperFeature(2, 1500) });
      const b = project({ 'features/baseline.feature': BASELINE, 'features/sleepers.feature': sleeperFeature(2, 1500), 'strict.yaml': STRICT_PROFILE });
      const common = ['run', 'features', '--target', host];
      for (const dir of [a, b]) writeFileSync(`${dir}/steps.mjs`, SLEEPER_STEPS);
      const [ra, rb] = await Promise.all([
        runKeelhaul([...common, '--require', 'steps.mjs'], { cwd: a, timeoutMs: 220_000 }),
        runKeelhaul([...common, '--require', 'steps.mjs', '--profile', 'strict.yaml'], { cwd: b, timeoutMs: 220_000 }),
      ]);
      console.log(`${engine}: A exit ${ra.exitCode} ${JSON.stringify(ra.summary?.outcomes)}; B exit ${rb.exitCode} ${JSON.stringify(rb.summary?.outcomes)}`);
      assert.equal(ra.exitCode, 0, ra.stdout + ra.stderr);
      assert.deepEqual(ra.summary.outcomes, { pass: 4, finding: 0, 'not-applicable': 0, inconclusive: 0, error: 0 });
      assert.equal(rb.exitCode, 1, rb.stdout + rb.stderr);
      assert.deepEqual(rb.summary.outcomes, { pass: 3, finding: 1, 'not-applicable': 0, inconclusive: 0, error: 0 });
      assert.equal(rb.summary.scenarios.find((s: any) => s.id === 'ISO-01').outcome, 'finding');
      assert.notEqual(ra.summary.run, rb.summary.run);
      assert.deepEqual(await leftovers(host, ra.summary.run), NOTHING);
      assert.deepEqual(await leftovers(host, rb.summary.run), NOTHING);
    });

    // On Docker only: the label filters are the same code path on Podman (checked by the test above).
    test('an interrupted run and `clean --run` of a dead run leave a concurrent run\'s objects alone', { timeout: 240_000, skip: engine !== 'docker' }, async (t) => {
      if (!up) return t.skip(`${engine} is not reachable at ${host}`);
      const scenarioTag = `LONG-${engine.toUpperCase()}${process.pid}`;
      const long = project({ 'features/sleepers.feature': sleeperFeature(1, 12_000, `@reliability @${scenarioTag}`), 'steps.mjs': SLEEPER_STEPS });
      const short = project({ 'features/sleepers.feature': sleeperFeature(3, 20_000), 'steps.mjs': SLEEPER_STEPS });
      // The long run (L) keeps a container, network and volume alive; the short one (S) is killed mid-run.
      let started: () => void = () => undefined;
      const lStarted = new Promise<void>((r) => { started = r; });
      const runL = runKeelhaul(['run', 'features', '--target', host, '--require', 'steps.mjs'], {
        cwd: long, timeoutMs: 220_000, onOutput: { match: /sleepers: \S+ container \w+ started/, then: () => started() },
      });
      await Promise.race([lStarted, runL]);
      const labelled = await labelledContainers(host);
      // The sleepers are outline rows: their scenario ID is the tag plus the row number (LONG-...-1).
      const lId: string = labelled.find((c: any) => String(c.Labels['keelhaul.scenario']).startsWith(`${scenarioTag}-`))?.Labels['keelhaul.run'] ?? '';
      assert.ok(lId, 'the long run started its container');
      const lBefore = await leftovers(host, lId);
      const rs = await runKeelhaul(['run', 'features', '--target', host, '--require', 'steps.mjs'], {
        cwd: short, timeoutMs: 120_000, onOutput: { match: /sleepers: \S+ container \w+ started/, then: (child) => child.kill('SIGKILL') },
      });
      const sId = runIdOf(rs)!;
      assert.ok(sId && sId !== lId);
      assert.ok((await leftovers(host, sId)).containers.length > 0, 'the killed run left its container');
      const cleaned = await runKeelhaul(['clean', '--target', host, '--run', sId]);
      assert.equal(cleaned.exitCode, 0, cleaned.stdout + cleaned.stderr);
      assert.deepEqual(await leftovers(host, sId), NOTHING);
      assert.deepEqual(await leftovers(host, lId), lBefore, 'clean --run <dead run> left the live run\'s objects');
      const rl = await runL;
      assert.equal(rl.exitCode, 0, rl.stdout + rl.stderr);
      assert.equal(rl.summary.run, lId);
      assert.deepEqual(await leftovers(host, lId), NOTHING);
    });
  });
}
