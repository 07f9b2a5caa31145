// The isolation family (features/isolation) judged on real engines: it passes on stock Docker, on the
// hardened Docker fixture (userns-remap + no-new-privileges) and on Podman, and every planted weakness
// of the weak fixture daemon makes it exit 1 with the scenario that targets that weakness named as a
// finding in summary.json. The weak daemon's `inspect` still shows the defaults: only the probe from
// inside can catch the plants.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOCKER, HARDENED, PODMAN, ROOT, WEAK, labelledContainers, reachable, runKeelhaul } from '../helpers/keelhaul.js';
import { withPlant } from '../helpers/fixtures.js';
import { combinedFindings, plant, plants, soloFindings } from '../helpers/plants.js';
import { startTritonFixture } from '../fixtures/triton/server.js';

// This feature files plus the baseline (ISO-01/02); ISO-13..15 (network.feature) belong to
// the ports and network tests.
const FAMILY = ['baseline', 'siblings', 'host', 'exposure', 'deep', 'escapes'].map((f) => join(ROOT, 'features', 'isolation', `${f}.feature`));
const NOT_DEEP = 'not @deep and not @slow';
/** Naming @deep opts in to the active probes (run.ts leaves them out otherwise). */
const WITH_DEEP = 'not @slow or @deep';

async function run(target: string, tags: string, extra: string[] = []) {
  const reports = mkdtempSync(join(tmpdir(), 'keelhaul-iso-'));
  const r = await runKeelhaul(['run', ...FAMILY, '--target', target, '--tags', tags, '--reports', reports, ...extra], { cwd: ROOT, timeoutMs: 120_000 });
  assert.ok(r.summary, `no summary.json (exit ${r.exitCode})\n${r.stdout}\n${r.stderr}`);
  assert.deepEqual(await labelledContainers(target, r.summary.run), [], `containers labelled ${r.summary.run} are left on ${target}`);
  return r;
}

function outcomes(summary: any): Record<string, string[]> {
  const by: Record<string, string[]> = {};
  for (const s of summary.scenarios) (by[s.outcome] ??= []).push(s.id);
  return by;
}

describe('isolation family on clean engines', () => {
  for (const [name, host] of [['docker', DOCKER], ['hardened docker', HARDENED], ['podman', PODMAN]] as const) {
    test(`passes on ${name}`, async () => {
      assert.ok(await reachable(host), `${name} is not reachable at ${host}`);
      const r = await run(host, WITH_DEEP);
      assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
      const ids = new Set(r.summary.scenarios.map((s: any) => s.id));
      for (const id of ['ISO-10-DEEP', 'ISO-03', 'ISO-04', 'ISO-05', 'ISO-06', 'ISO-07', 'ISO-08', 'ISO-09', 'ISO-10', 'ISO-11', 'ISO-12', 'ISO-16', 'ISO-17', 'ISO-18', 'ISO-19', 'ISO-20', 'ISO-21', 'ISO-22', 'ISO-23', 'ISO-24']) {
        assert.ok(ids.has(id), `${id} ran`);
      }
      assert.deepEqual(outcomes(r.summary).error ?? [], []);
      assert.deepEqual(outcomes(r.summary).inconclusive ?? [], []);
      // What passes only because the profile accepts it is still reported.
      const exposed = r.summary.exposures.map((e: any) => e.id);
      if (name === 'podman') assert.ok(exposed.includes('ISO-11'), `podman's permitted user namespaces are an exposure: ${JSON.stringify(r.summary.exposures)}`);
      else assert.ok(exposed.includes('ISO-16'), `Docker's raw sockets are an exposure: ${JSON.stringify(r.summary.exposures)}`);
    });
  }

});

// Which scenario each plant must turn into a finding, and what the reason must name, is the plant table's
// (test/fixtures/plants.json, ISO- findings). Plants are grouped here only to save runs: no two plants of a
// group target the same scenario, and each finding's reason must name the weakness of its own plant, so
// the grouping does not blur which plant each scenario caught. A plant of the table in no group runs alone.
// Docker builds its seccomp profile from the capabilities it was asked for, so a capability the runtime
// adds behind its back stays blocked by seccomp: ISO-01 catches cap-sys-admin from the capability bits, and
// the calls themselves go through only with no-seccomp as well (the table's "with").
interface Expectation { plant: string; id: string; reason: RegExp }
const GROUPS: string[][] = [
  ['engine-socket', 'host-root', 'unmask', 'devices-all', 'rw-proc-sys', 'new-privs'],
  ['host-pid', 'rw-sys'],
  ['host-net', 'cap-sys-admin'],
  ['host-ipc', 'no-seccomp'],
  ['host-uts', 'cap-all'],
  // Issue 14: inheritable capabilities (the sign of CVE-2022-24769/29162), a seccomp filter that blocks
  // nothing (still "Seccomp: 2"), a working directory outside the container's root (CVE-2024-21626), and a
  // host folder holding the engine's socket bound as a directory (only the search across mounts finds it).
  ['inheritable-caps', 'allow-all-seccomp', 'cwd-outside-root', 'inject-secret', 'host-run', 'rw-cgroup'],
];
const expect = (f: { plant: string; id: string; reason: string }): Expectation => ({ plant: f.plant, id: f.id, reason: new RegExp(f.reason) });
const grouped = new Set(GROUPS.flat());
const RUNS: Array<{ plants: string; group: Expectation[] }> = [
  ...GROUPS.map((names) => ({ plants: names.join(','), group: names.flatMap((n) => soloFindings(n, 'ISO-')).map(expect) })),
  ...plants().filter((p) => !grouped.has(p.name) && soloFindings(p.name, 'ISO-').length > 0)
    .map((p) => ({ plants: p.name, group: soloFindings(p.name, 'ISO-').map(expect) })),
  ...combinedFindings('ISO-').map((c) => ({ plants: c.plants.join(','), group: c.findings.map(expect) })),
];

test('every group names plants of the table, and no two of a group target the same scenario', () => {
  for (const { plants: names, group } of RUNS) {
    for (const name of names.split(',')) plant(name);
    const ids = group.map((e) => e.id);
    assert.deepEqual(ids.filter((id, i) => ids.indexOf(id) !== i), [], `${names}: two plants of the group target the same scenario`);
    assert.ok(group.length > 0, `${names}: no ISO- findings in the plant table`);
  }
});

describe('isolation family on the weak fixture daemon', () => {
  test('passes with nothing planted', async () => {
    assert.ok(await reachable(WEAK), `the weak fixture is not reachable at ${WEAK}: test/fixtures/daemons.sh up weak`);
    const r = await withPlant('none', () => run(WEAK, NOT_DEEP));
    assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
  });

  RUNS.forEach(({ plants, group }) => {
    const ids = [...new Set(group.map((e) => e.id))];
    test(`${plants} caught by ${ids.join(', ')}`, async () => {
      const tags = ids.map((id) => (id.endsWith('-DEEP') ? `(@deep and @${id})` : `@${id}`)).join(' or ');
      const r = await withPlant(plants, () => run(WEAK, tags));
      assert.equal(r.exitCode, 1, `exit ${r.exitCode}\n${r.stdout}\n${r.stderr}`);
      for (const e of group) {
        const s = r.summary.scenarios.find((x: any) => x.id === e.id);
        assert.equal(s?.outcome, 'finding', `${e.id} must report ${e.plant} as a finding; outcomes: ${JSON.stringify(outcomes(r.summary))}`);
        assert.match(s.reason, e.reason, `${e.id}'s reason names the ${e.plant} weakness`);
        assert.match(r.stdout, new RegExp(`FINDING\\s+${e.id}`), `the console names ${e.id}`);
      }
    });
  });
});

// ISO-24: no LSM runs on the development machines, so the weakness is a platform that lists AppArmor
// in /info while its containers carry no label (the Triton-style fixture in front of stock Docker).
describe('ISO-24: default LSM confinement', () => {
  test('not applicable where the daemon lists no LSM; a listed AppArmor that confines nothing is a finding when multi-tenant, an exposure otherwise', async () => {
    const plain = await run(DOCKER, '@ISO-24');
    assert.equal(plain.summary.scenarios.find((s: any) => s.id === 'ISO-24').outcome, 'not-applicable');
    const fixture = await startTritonFixture({ upstreamSocket: DOCKER.replace(/^unix:\/\//, ''), listen: { host: '127.0.0.1', port: 0 }, securityOptions: ['name=apparmor'] });
    try {
      const reports = mkdtempSync(join(tmpdir(), 'keelhaul-iso-'));
      const strict = await runKeelhaul(['run', ...FAMILY, '--target', fixture.url, '--tags', '@ISO-24', '--profile', 'triton', '--reports', reports], { cwd: ROOT, timeoutMs: 120_000 });
      assert.equal(strict.exitCode, 1, strict.stdout + strict.stderr);
      const s = strict.summary.scenarios.find((x: any) => x.id === 'ISO-24');
      assert.equal(s.outcome, 'finding');
      assert.match(s.reason, /lists apparmor, but a default container has no readable LSM label/);
      const reports2 = mkdtempSync(join(tmpdir(), 'keelhaul-iso-'));
      const lenient = await runKeelhaul(['run', ...FAMILY, '--target', fixture.url, '--tags', '@ISO-24', '--profile', 'docker', '--reports', reports2], { cwd: ROOT, timeoutMs: 120_000 });
      assert.equal(lenient.exitCode, 0, lenient.stdout + lenient.stderr);
      assert.ok(lenient.summary.exposures.some((e: any) => e.id === 'ISO-24' && /lists apparmor/.test(e.what)), JSON.stringify(lenient.summary.exposures));
      assert.deepEqual(await labelledContainers(DOCKER, strict.summary.run), []);
    } finally {
      await fixture.close();
    }
  });
});
