// The noisy-neighbours family (RES-*) through the real binary: the short scenarios pass on Docker
// and Podman with their numbers in summary.json; on the weak fixture daemon, whose runtime drops
// the memory, pids and CPU-quota limits while inspect still shows them, each is a finding; with
// nothing planted the same scenarios pass there. The full family, @slow included, is exercised by
// scripts/verdict-stability.sh (ten runs), not here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { withPlant } from '../helpers/fixtures.js';
import { soloFindings } from '../helpers/plants.js';
import { ENGINES, ROOT, WEAK, labelledContainers, runKeelhaul, type KeelhaulResult } from '../helpers/keelhaul.js';

const FEATURES = join(ROOT, 'features', 'noisy-neighbours');
const LIMIT_PLANTS = ['drop-memory-limit', 'drop-pids-limit', 'drop-cpu-quota'];
const LIMIT_SCENARIOS = '@RES-01 or @RES-02 or @RES-03 or @RES-07';

function scenario(result: KeelhaulResult, id: string): any {
  const found = result.summary?.scenarios?.find((s: any) => s.id === id);
  assert.ok(found, `${id} is missing from summary.json\n${result.stdout}\n${result.stderr}`);
  return found;
}

function explain(result: KeelhaulResult): string {
  return `exit ${result.exitCode}\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-2000)}`;
}

async function assertNoLeftovers(host: string, result: KeelhaulResult): Promise<void> {
  assert.deepEqual((await labelledContainers(host, result.summary.run)).map((c) => c.Id), [], `run ${result.summary.run} left containers on ${host}`);
}

test('the short RES scenarios pass on Docker and Podman, with their measurements and co-location in summary.json', async () => {
  const results = await Promise.all(ENGINES.map(([, host]) => runKeelhaul(
    ['run', FEATURES, '--tags', '@noisy-neighbours and not @slow', '--target', host, '--reports', 'r'], { timeoutMs: 240_000 },
  )));
  for (const [i, [engine, host]] of ENGINES.entries()) {
    const result = results[i]!;
    assert.equal(result.exitCode, 0, `${engine}: ${explain(result)}`);
    const { outcomes } = result.summary;
    assert.equal(outcomes.finding + outcomes.error + outcomes.inconclusive, 0, `${engine}: ${JSON.stringify(outcomes)}`);
    assert.ok(outcomes.pass >= 8, `${engine}: ${JSON.stringify(outcomes)}`);

    const memory = scenario(result, 'RES-01');
    assert.equal(memory.outcome, 'pass');
    const o = memory.observations;
    assert.notEqual(o.offender.innerStatus, '0', `${engine}: the offender's allocation was not killed`);
    assert.equal(o.offender.limitBytes, 32 * 1024 * 1024);
    assert.equal(o.oom.victimOOMKilled, false);
    assert.ok(o.heartbeat.after > 0 && o.heartbeat.maxGapS <= 2, `${engine}: ${JSON.stringify(o.heartbeat)}`);
    const bootIds = Object.values(o.coLocation.bootIds);
    assert.equal(bootIds.length, 2);
    assert.equal(new Set(bootIds).size, 1, `${engine}: victim and offender on different kernels?`);
    assert.ok(o.coLocation.infoName || o.coLocation.infoId);

    const flood = scenario(result, 'RES-07').observations.forkFlood;
    assert.ok(flood.started < 100 && flood.started <= 50, `${engine}: ${JSON.stringify(flood)}`);
    assert.match(flood.forkError, /fork/);

    const weight = scenario(result, 'RES-10-WEIGHT');
    assert.equal(weight.outcome, 'not-applicable', `${engine}: blkio weight is unsupported on this kernel`);
    assert.match(weight.reason, /blkio weight is unsupported/);
    assert.equal(scenario(result, 'RES-11').outcome, 'not-applicable');
    assert.equal(scenario(result, 'RES-14').outcome, 'pass');
    assert.equal(scenario(result, 'RES-08').observations.limitView.memoryLimitBytes, 128 * 1024 * 1024);
    await assertNoLeftovers(host, result);
  }
});

test('a runtime that drops the memory, pids and CPU-quota limits while inspect shows them is caught by RES-01, 02, 03 and 07', async () => {
  const result = await withPlant(LIMIT_PLANTS.join(','), () => runKeelhaul(
    ['run', FEATURES, '--tags', LIMIT_SCENARIOS, '--target', WEAK, '--reports', 'r'], { timeoutMs: 180_000 },
  ));
  assert.equal(result.exitCode, 1, explain(result));
  // Which scenario each plant must turn into a finding, and what its reason names: the plant table's.
  const expected = LIMIT_PLANTS.flatMap((name) => soloFindings(name, 'RES-'));
  assert.deepEqual(expected.map((f) => f.id).sort(), ['RES-01', 'RES-02', 'RES-03', 'RES-07']);
  for (const f of expected) {
    assert.equal(scenario(result, f.id).outcome, 'finding', `${f.id} must report ${f.plant}: ${explain(result)}`);
    assert.match(scenario(result, f.id).reason, new RegExp(f.reason), `${f.id}'s reason names the ${f.plant} weakness`);
  }
  assert.match(result.stdout, /RES-01/);
  assert.match(result.stderr, /keelhaul: RES-03: trial 1\/2/, 'a long measurement shows its progress on the console');
  await assertNoLeftovers(WEAK, result);
});

test('with nothing planted the same scenarios pass on the weak daemon (the fixture, not the daemon, makes the findings)', async () => {
  const result = await withPlant('none', () => runKeelhaul(
    ['run', FEATURES, '--tags', LIMIT_SCENARIOS, '--target', WEAK, '--reports', 'r'], { timeoutMs: 180_000 },
  ));
  assert.equal(result.exitCode, 0, explain(result));
  assert.equal(result.summary.outcomes.pass, 4, JSON.stringify(result.summary.outcomes));
  const quota = scenario(result, 'RES-03').observations.cpuQuota;
  assert.equal(quota.visibleQuotaCpus, 0.25);
  assert.ok(quota.nrThrottledDeltas.reduce((a: number, b: number) => a + b, 0) > 0);
  await assertNoLeftovers(WEAK, result);
});
