// Conformance family, divergence ledger, matrix report and multi-target runs, against the real
// engines, the Triton-style fixture (test/fixtures/triton, in-process) and the weak fixture daemon.
// Speed: each run takes a representative subset of the family (SUBSET: one or two rows of every
// check kind: protocol, error shape, route, create option with an in-container look, lifecycle,
// attach handshake), not all 76 rows; the full family takes 30-90 s per engine and is run by CI
// through `keelhaul run features/conformance`. Independent runs go concurrently (different engines).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOCKER, PODMAN, WEAK, labelledContainers, project, reachable, runKeelhaul, type KeelhaulResult } from '../helpers/keelhaul.js';
import { withPlant } from '../helpers/fixtures.js';
import { startTritonFixture, type TritonFixture } from '../fixtures/triton/server.js';

const SUBSET = '@CONF-V3 or @CONF-V5 or @CONF-E1 or @CONF-R8 or @CONF-R11 or @CONF-C1 or @CONF-C8 or @CONF-L3 or @CONF-L24';
const FEATURES = join(process.cwd(), 'features', 'conformance');

function run(target: string | string[], profile: string, tags = SUBSET, extra: string[] = [], cwd = project({})): Promise<KeelhaulResult> {
  const targets = (Array.isArray(target) ? target : [target]).flatMap((t) => ['--target', t]);
  return runKeelhaul(['run', FEATURES, ...targets, '--profile', profile, '--tags', tags, '--reports', 'r', ...extra], { cwd, timeoutMs: 240_000 });
}

function cells(r: KeelhaulResult): Record<string, any> {
  return Object.fromEntries((r.summary?.scenarios ?? []).map((s: any) => [s.id, { outcome: s.outcome, reason: s.reason, ...s.observations?.conformance }]));
}

function matrix(dir: string): any {
  return JSON.parse(readFileSync(join(dir, 'divergence-matrix.json'), 'utf8'));
}

async function noLeftovers(host: string, r: KeelhaulResult): Promise<void> {
  assert.deepEqual((await labelledContainers(host, r.summary.run)).map((c) => c.Id), [], `run ${r.summary.run} left containers on ${host}`);
}

let triton: TritonFixture;
before(async () => {
  for (const host of [DOCKER, PODMAN]) assert.ok(await reachable(host), `${host} is not reachable (scripts/engines.sh up)`);
  triton = await startTritonFixture({ upstreamSocket: DOCKER.replace(/^unix:\/\//, ''), listen: { host: '127.0.0.1', port: 0 } });
});
after(async () => {
  await triton?.close();
});

describe('conformance family', { concurrency: 4 }, () => {
  test('--profile auto passes on Docker: everything conformant, all three matrix formats written', async () => {
    const r = await run(DOCKER, 'auto');
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    const c = cells(r);
    for (const id of ['CONF-V3', 'CONF-V5', 'CONF-E1', 'CONF-R8', 'CONF-R11', 'CONF-C1', 'CONF-C8', 'CONF-L3', 'CONF-L24']) {
      assert.equal(c[id]?.verdict, 'conformant', `${id}: ${JSON.stringify(c[id])}`);
    }
    assert.equal(c['CONF-L24'].evidence.status, 101); // the attach upgrade `docker run` needs
    assert.equal(c['CONF-C1'].evidence.inContainer, '104857600'); // judged from the memory cgroup, not inspect alone
    for (const f of ['md', 'json', 'html']) assert.ok(existsSync(join(r.reportsDir, `divergence-matrix.${f}`)), `divergence-matrix.${f}`);
    await noLeftovers(DOCKER, r);
  });

  test('--profile auto passes on Podman: its divergences are declared, so known', async () => {
    const r = await run(PODMAN, 'auto');
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    assert.equal(r.summary.profile, 'podman');
    const c = cells(r);
    assert.equal(c['CONF-V5'].verdict, 'known');
    assert.equal(c['CONF-E1'].classification, 'error-format');
    assert.equal(c['CONF-R8'].classification, 'unimplemented');
    assert.equal(c['CONF-L3'].verdict, 'known');
    assert.equal(c['CONF-C1'].verdict, 'conformant');
    const m = matrix(r.reportsDir);
    assert.equal(m.rows.find((row: any) => row.check === 'CONF-V5').cells[0].verdict, 'known');
    await noLeftovers(PODMAN, r);
  });

  test('Podman under --profile docker exits 1 with its real divergences undeclared in the matrix', async () => {
    const r = await run(PODMAN, 'docker');
    assert.equal(r.exitCode, 1, r.stdout + r.stderr);
    const c = cells(r);
    for (const id of ['CONF-V5', 'CONF-E1', 'CONF-R8', 'CONF-R11', 'CONF-L3']) {
      assert.equal(c[id].outcome, 'finding', id);
      assert.match(c[id].reason, /^undeclared divergence: /, id);
    }
    assert.match(c['CONF-L3'].reason, /answered 500 where Docker answers 409/);
    assert.equal(c['CONF-C1'].outcome, 'pass'); // what conforms stays a pass
    const md = readFileSync(join(r.reportsDir, 'divergence-matrix.md'), 'utf8');
    assert.match(md, /\| CONF-V5 \| .* \| ✗ divergent \(UNDECLARED\) \|/);
  });

  test('the Triton-style fixture passes under --profile triton and fails under --profile docker', async () => {
    const ok = await run(triton.url, 'triton');
    assert.equal(ok.exitCode, 0, ok.stdout + ok.stderr);
    assert.equal(ok.summary.target.engine, 'sdc');
    const c = cells(ok);
    assert.equal(c['CONF-V3'].verdict, 'known'); // /_ping without Api-Version
    assert.equal(c['CONF-C1'].classification, 'divergent'); // 100m rounded up to the 128M package
    assert.equal(c['CONF-C1'].evidence.inContainer, String(128 * 1024 * 1024));
    assert.equal(c['CONF-C8'].classification, 'rejected'); // host binds refused
    assert.equal(c['CONF-R8'].classification, 'unimplemented');
    const bad = await run(triton.url, 'docker');
    assert.equal(bad.exitCode, 1);
    const undeclared = (bad.summary.scenarios as any[]).filter((s) => /^undeclared divergence/.test(s.reason)).map((s) => s.id).sort();
    // CONF-L3: sdc-docker answers a running container's removal 500, not 409 (its lib/backends/sdc/containers.js:3311)
    assert.deepEqual(undeclared, ['CONF-C1', 'CONF-C8', 'CONF-E1', 'CONF-L3', 'CONF-R11', 'CONF-R8', 'CONF-V3', 'CONF-V5']);
    assert.match(bad.stdout, /undeclared divergence: CONF-C1 is divergent: applied differently: inspect says 134217728 where 104857600 was asked/);
    await noLeftovers(DOCKER, ok);
    await noLeftovers(DOCKER, bad);
  });

  test('multi-target: one run per target, one matrix with a column per target, worst exit code', async () => {
    const r = await run([DOCKER, PODMAN], 'docker', '@CONF-V5 or @CONF-V1');
    assert.equal(r.exitCode, 1, r.stdout + r.stderr); // podman's V5 is undeclared under the docker profile
    const m = matrix(r.reportsDir);
    assert.deepEqual(m.columns.map((c: any) => c.engine), ['docker', 'podman']);
    assert.deepEqual(m.rows.map((row: any) => row.check), ['CONF-V1', 'CONF-V5']);
    assert.deepEqual(m.rows[1].cells.map((cell: any) => cell.verdict), ['conformant', 'undeclared']);
    for (const slug of ['unix-var-run-docker.sock', 'unix-run-podman-podman.sock']) {
      assert.ok(existsSync(join(r.reportsDir, slug, 'summary.json')), slug);
    }
    const html = readFileSync(join(r.reportsDir, 'divergence-matrix.html'), 'utf8');
    assert.match(html, /class="legend"/);
    assert.match(html, /k-undeclared/);
    assert.doesNotMatch(html, /<(script|link|img)\b[^>]*(src|href)=/i); // self-contained
  });

  test('multi-target: an unreachable target makes the run exit 4; the reachable one keeps its column', async () => {
    const r = await run([DOCKER, 'unix:///run/keelhaul-nonexistent.sock'], 'auto', '@CONF-V1');
    assert.equal(r.exitCode, 4, r.stdout + r.stderr);
    assert.match(r.stderr, /keelhaul-nonexistent\.sock/);
    const m = matrix(r.reportsDir);
    assert.deepEqual(m.columns.map((c: any) => c.engine), ['docker']);
    assert.equal(m.rows[0].cells[0].verdict, 'conformant');
  });
});

describe('the ledger against profiles that are wrong', { concurrency: 2 }, () => {
  test('a declared divergence that is not observed: "profile out of date" (exit 1)', async () => {
    const cwd = project({
      'stale.yaml': 'name: stale\nmultiTenant: false\ndivergences:\n  CONF-V3:\n    class: divergent\n    note: "claims no Api-Version header"\n',
    });
    const r = await run(DOCKER, 'stale.yaml', '@CONF-V3 or @CONF-V1', [], cwd);
    assert.equal(r.exitCode, 1, r.stdout + r.stderr);
    const c = cells(r);
    assert.match(c['CONF-V3'].reason, /^profile out of date: profile stale declares CONF-V3 as divergent/);
    assert.equal(c['CONF-V1'].outcome, 'pass');
    assert.match(readFileSync(join(r.reportsDir, 'divergence-matrix.md'), 'utf8'), /PROFILE OUT OF DATE/);
  });

  test('a profile with an unknown divergence class is a usage error (exit 2)', async () => {
    const cwd = project({ 'bad.yaml': 'name: bad\nmultiTenant: false\ndivergences:\n  CONF-V3:\n    class: sideways\n' });
    const r = await run(DOCKER, 'bad.yaml', '@CONF-V3', [], cwd);
    assert.equal(r.exitCode, 2);
    assert.match(r.stderr, /bad\.yaml: invalid: .*divergences.*CONF-V3.*class: must be one of unimplemented, rejected, ignored, divergent, error-format/);
  });
});

describe('an option inspect echoes but the runtime drops is caught', () => {
  test('weak daemon, drop-memory-limit: inspect says 100 MiB, the memory cgroup says unlimited: "ignored"', async (t) => {
    if (!(await reachable(WEAK))) return t.skip('weak fixture daemon is down (test/fixtures/daemons.sh up weak)');
    const planted = await withPlant('drop-memory-limit', () => run(WEAK, 'docker', '@CONF-C1'));
    assert.equal(planted.exitCode, 1, planted.stdout + planted.stderr);
    const c = cells(planted)['CONF-C1'];
    assert.equal(c.classification, 'ignored');
    assert.equal(c.evidence.readBack, '104857600'); // inspect echoes the request...
    assert.match(c.evidence.inContainer, /^unlimited/); // ...the container has no limit
    assert.match(c.reason, /undeclared divergence: CONF-C1 is ignored: accepted but without effect inside the container .*inspect echoes the option back/);
    const clean = await run(WEAK, 'docker', '@CONF-C1');
    assert.equal(clean.exitCode, 0, clean.stdout + clean.stderr);
    assert.equal(cells(clean)['CONF-C1'].classification, 'conformant');
    await noLeftovers(WEAK, planted);
  });
});
