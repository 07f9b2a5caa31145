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

const FAMILY = join(ROOT, 'features', 'isolation');
const NOT_DEEP = 'not @deep and not @slow';

async function run(target: string, tags: string, extra: string[] = []) {
  const reports = mkdtempSync(join(tmpdir(), 'keelhaul-iso-'));
  const r = await runKeelhaul(['run', FAMILY, '--target', target, '--tags', tags, '--reports', reports, ...extra], { cwd: ROOT, timeoutMs: 120_000 });
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
      const r = await run(host, NOT_DEEP);
      assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
      const ids = new Set(r.summary.scenarios.map((s: any) => s.id));
      for (const id of ['ISO-03', 'ISO-04', 'ISO-05', 'ISO-06', 'ISO-07', 'ISO-08', 'ISO-09', 'ISO-10', 'ISO-11', 'ISO-12', 'ISO-16', 'ISO-17', 'ISO-18']) {
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

// plant -> the scenarios that must catch it (one run per plant, selected by tags to stay fast).
const PLANTS: Array<[string, string[]]> = [
  // Docker builds its seccomp profile from the capabilities it was asked for, so a capability the
  // runtime adds behind its back stays blocked by seccomp: ISO-01 catches it from the capability bits.
  ['cap-sys-admin', ['ISO-01']],
  ['cap-all', ['ISO-01']],
  ['no-seccomp', ['ISO-10', 'ISO-11']],
  // With both, the calls themselves go through: ISO-10 sees setns, sethostname and mount allowed.
  ['cap-sys-admin,no-seccomp', ['ISO-01', 'ISO-10', 'ISO-11']],
  ['host-pid', ['ISO-03', 'ISO-04', 'ISO-05']],
  ['host-net', ['ISO-03']],
  ['host-ipc', ['ISO-03']],
  ['host-uts', ['ISO-03']],
  ['engine-socket', ['ISO-12']],
  ['host-root', ['ISO-06']],
  ['rw-proc-sys', ['ISO-08']],
  ['unmask', ['ISO-09']],
  ['rw-sys', ['ISO-08']],
  ['devices-all', ['ISO-07']],
  ['new-privs', ['ISO-18']],
];

describe('isolation family on the weak fixture daemon', () => {
  test('passes with nothing planted', async () => {
    assert.ok(await reachable(WEAK), `the weak fixture is not reachable at ${WEAK}: test/fixtures/daemons.sh up weak`);
    const r = await withPlant('none', () => run(WEAK, NOT_DEEP));
    assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
  });

  for (const [plant, ids] of PLANTS) {
    test(`${plant} is caught by ${ids.join(', ')}`, async () => {
      const r = await withPlant(plant, () => run(WEAK, ids.map((id) => `@${id}`).join(' or ')));
      assert.equal(r.exitCode, 1, `exit ${r.exitCode}\n${r.stdout}\n${r.stderr}`);
      const findings = outcomes(r.summary).finding ?? [];
      for (const id of ids) assert.ok(findings.includes(id), `${id} must report ${plant} as a finding; outcomes: ${JSON.stringify(outcomes(r.summary))}`);
      assert.match(r.stdout, new RegExp(`FINDING\\s+${ids[0]}`), 'the console names the scenario');
    });
  }
});
