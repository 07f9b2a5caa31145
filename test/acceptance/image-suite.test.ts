// The image is the product: the default suite without @slow, from the image as
// examples/ci/Jenkinsfile runs it (workspace at /work, --user, --group-add), and through
// bin/keelhaul-docker, judges every scenario as the native CLI does, on Docker and on Podman (the
// image runs on Docker with Podman's socket mounted as the target): the same outcome for every
// scenario ID, the same exit code, nothing labelled left. Where keelhaul ran is in summary.json
// (target.runner): the image's runs are "container", the native ones "native".
//
// Time: native and image runs of different engines run two at a time (Docker native with Podman
// from the image, then the reverse), then the wrapper on Docker alone: about three suite lengths.
// The image is built first (scripts/build-image.sh reuses the local base when present).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { DOCKER, PODMAN, ROOT, labelledContainers, reachable } from '../helpers/keelhaul.js';
import { differences, imageSuite, nativeSuite, outcomesById, removeWorkspaces, wrapperSuite, type SuiteRun } from '../helpers/image.js';
import { join } from 'node:path';

const IMAGE = process.env.KEELHAUL_TEST_IMAGE ?? 'keelhaul:local';
const sock = (url: string) => url.replace(/^unix:\/\//, '');
const log = (line: string) => process.stderr.write(`# ${line}\n`);

function describeRun(r: SuiteRun): string {
  const o = r.summary?.outcomes;
  return `${r.how}: exit ${r.exitCode} in ${(r.wallMs / 1000).toFixed(0)} s${o ? ` (${o.pass} pass, ${o.finding} finding, ${o['not-applicable']} n/a, ${o.inconclusive} inconclusive, ${o.error} error)` : ''}`;
}

function assertSameVerdicts(native: SuiteRun, other: SuiteRun) {
  for (const r of [native, other]) assert.ok(r.summary, `${r.how}: no summary.json (exit ${r.exitCode})\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  assert.ok(native.summary.scenarios.length > 100, `the default suite ran (${native.summary.scenarios.length} scenarios)`);
  assert.deepEqual(Object.keys(outcomesById(other.summary)).sort(), Object.keys(outcomesById(native.summary)).sort(), 'the same scenario IDs');
  assert.deepEqual(differences(native, other), [], 'every scenario has the same outcome');
  assert.equal(other.exitCode, native.exitCode, `${describeRun(native)} / ${describeRun(other)}`);
  assert.equal(other.summary.exitCode, other.exitCode);
}

async function assertNothingLeft(r: SuiteRun, host: string) {
  assert.deepEqual(await labelledContainers(host, r.summary.run), [], `${r.how}: containers labelled keelhaul.run=${r.summary.run} are left on ${host}`);
  // The runner-location helper of the preflight runs on the target; a run on Podman leaves nothing on Docker either.
  if (host !== DOCKER) assert.deepEqual(await labelledContainers(DOCKER, r.summary.run), []);
}

describe('the default suite from the image judges as the native CLI', { timeout: 2_400_000 }, () => {
  const runs: Record<string, SuiteRun> = {};

  after(removeWorkspaces);

  before(async () => {
    assert.ok(await reachable(DOCKER), `Docker is not reachable at ${DOCKER}`);
    assert.ok(await reachable(PODMAN), `Podman is not reachable at ${PODMAN}`);
    const started = Date.now();
    try {
      execFileSync('bash', [join(ROOT, 'scripts', 'build-image.sh'), '--tag', IMAGE], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], timeout: 1_100_000 });
    } catch (error: any) {
      throw new Error(`scripts/build-image.sh failed:\n${String(error.stderr ?? '').slice(-3000)}`);
    }
    log(`image ${IMAGE} built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    // Two at a time, never two on the same engine: Docker natively beside Podman from the image, then the reverse.
    [runs.dockerNative, runs.podmanImage] = await Promise.all([nativeSuite(DOCKER), imageSuite(IMAGE, sock(PODMAN))]);
    [runs.dockerImage, runs.podmanNative] = await Promise.all([imageSuite(IMAGE, sock(DOCKER)), nativeSuite(PODMAN)]);
    runs.dockerWrapper = await wrapperSuite(IMAGE, DOCKER);
    for (const r of Object.values(runs)) log(describeRun(r));
  });

  test('Docker: from the image as the Jenkinsfile runs it, the same outcome for every scenario and the same exit code', async () => {
    assertSameVerdicts(runs.dockerNative!, runs.dockerImage!);
    assert.equal(runs.dockerNative!.summary.target.runner.where, 'native');
    assert.equal(runs.dockerImage!.summary.target.runner.where, 'container');
    assert.equal(runs.dockerImage!.summary.target.runner.measured, true);
    assert.equal(runs.dockerImage!.summary.target.runner.publishedPorts.via, 'helper-container');
    await assertNothingLeft(runs.dockerNative!, DOCKER);
    await assertNothingLeft(runs.dockerImage!, DOCKER);
  });

  test('Docker: through bin/keelhaul-docker, the same outcomes and exit code', async () => {
    assertSameVerdicts(runs.dockerNative!, runs.dockerWrapper!);
    assert.equal(runs.dockerWrapper!.summary.target.runner.where, 'container');
    await assertNothingLeft(runs.dockerWrapper!, DOCKER);
  });

  test('Podman (the image on Docker, Podman\'s socket mounted as the target): the same outcomes and exit code', async () => {
    assertSameVerdicts(runs.podmanNative!, runs.podmanImage!);
    assert.equal(runs.podmanImage!.summary.target.engine, 'podman');
    assert.equal(runs.podmanImage!.summary.target.runner.where, 'container');
    await assertNothingLeft(runs.podmanNative!, PODMAN);
    await assertNothingLeft(runs.podmanImage!, PODMAN);
  });

  test('the CI examples run what this file runs: the default suite without @slow, workspace at /work, --user, --group-add', () => {
    const jenkins = readFileSync(join(ROOT, 'examples', 'ci', 'Jenkinsfile'), 'utf8');
    const bamboo = readFileSync(join(ROOT, 'examples', 'ci', 'bamboo-specs.yaml'), 'utf8');
    for (const [name, text, ws] of [['Jenkinsfile', jenkins, '$WORKSPACE'], ['bamboo-specs.yaml', bamboo, '${bamboo_build_working_directory}']] as const) {
      for (const part of ['--user "$(id -u):$(id -g)"', '--group-add "$(stat -c %g /var/run/docker.sock)"', '-v /var/run/docker.sock:/var/run/docker.sock', `-v "${ws}:/work" -w /work`, "run --tags 'not @slow'"]) {
        assert.ok(text.includes(part), `${name} has ${part}`);
      }
    }
    assert.match(jenkins, /archiveArtifacts artifacts: 'reports\/\*\*'/);
    assert.match(bamboo, /pattern: report\.html/);
  });

  test('the ports family was judged, not skipped, in every run', () => {
    for (const r of Object.values(runs)) {
      const ports = r.summary.scenarios.filter((s: any) => s.tags.includes('@ports'));
      assert.ok(ports.length >= 9, `${r.how}: ${ports.length} ports scenarios`);
      const notJudged = ports.filter((s: any) => s.outcome === 'inconclusive' || s.outcome === 'error' || s.outcome === 'not-applicable');
      assert.deepEqual(notJudged.map((s: any) => `${s.id} ${s.outcome}: ${s.reason}`), [], r.how);
    }
  });
});
