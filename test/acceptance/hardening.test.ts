// The hardening family (features/hardening) on real engines: summary.json and the console tell
// rejected, neutralised and effective apart; the same observations pass under the docker profile
// (effective = exposure) and fail under a multi-tenant profile; the hardened Docker fixture rejects
// what user-namespace remapping forbids; the Triton-style fixture neutralises or rejects everything.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOCKER, HARDENED, PODMAN, api, project, ROOT, labelledContainers, reachable, runKeelhaul } from '../helpers/keelhaul.js';
import { startTritonFixture, type TritonFixture } from '../fixtures/triton/server.js';

const OPTIONS = join(ROOT, 'features', 'hardening', 'options.feature');
const POSTURE = join(ROOT, 'features', 'hardening', 'posture.feature');

async function run(target: string, paths: string[], tags: string, extra: string[] = [], leftoversHost = target) {
  const reports = mkdtempSync(join(tmpdir(), 'keelhaul-hard-'));
  const r = await runKeelhaul(['run', ...paths, '--target', target, '--tags', tags, '--reports', reports, ...extra], { cwd: ROOT, timeoutMs: 150_000 });
  assert.ok(r.summary, `no summary.json (exit ${r.exitCode})\n${r.stdout}\n${r.stderr}`);
  assert.deepEqual(await labelledContainers(leftoversHost, r.summary.run), [], `containers labelled ${r.summary.run} are left`);
  return r;
}

/** The scenario with this ID (every shipped scenario has an ID of its own). */
function scenario(summary: any, id: string): any {
  const found = summary.scenarios.filter((s: any) => s.id === id);
  assert.equal(found.length, 1, `exactly one ${id} scenario in summary.json (ids: ${summary.scenarios.map((s: any) => s.id).join(', ')})`);
  return found[0];
}

const MULTI_TENANT = `name: multi-tenant-docker
description: stock Docker judged as if it were offered to several tenants
match:
  engine: [docker]
multiTenant: true
promises:
  seccomp: true
  userNamespaces: true
`;

describe('hardening family', () => {
  let triton: TritonFixture | undefined;
  let multiTenantProfile = '';

  before(async () => {
    for (const [name, host] of [['docker', DOCKER], ['hardened', HARDENED]]) assert.ok(await reachable(host!), `${name} is not reachable at ${host}`);
    triton = await startTritonFixture({ upstreamSocket: DOCKER.replace(/^unix:\/\//, ''), listen: { host: '127.0.0.1', port: 0 } });
    multiTenantProfile = join(mkdtempSync(join(tmpdir(), 'keelhaul-profile-')), 'multi-tenant.yaml');
    writeFileSync(multiTenantProfile, MULTI_TENANT);
  });

  after(async () => {
    await triton?.close();
  });

  const TAGS = '@HARD-01 or @HARD-02 or @HARD-04 or @HARD-06';

  test('stock Docker: rejected (privileged fails at start) and effective (exposure) are told apart, exit 0', async () => {
    const r = await run(DOCKER, [OPTIONS], TAGS);
    assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
    const privileged = scenario(r.summary, 'HARD-01');
    assert.equal(privileged.outcome, 'pass');
    assert.equal(privileged.observations.hardening, 'rejected');
    assert.equal(privileged.observations.refusedAt, 'start');
    assert.match(privileged.observations.rawMessage, /\S/, 'the raw refusal is kept');
    const sysAdmin = scenario(r.summary, 'HARD-02-SYS-ADMIN');
    assert.equal(sysAdmin.outcome, 'pass');
    assert.equal(sysAdmin.observations.hardening, 'effective');
    assert.ok(r.summary.exposures.some((e: any) => e.id === 'HARD-02-SYS-ADMIN' && /SYS_ADMIN/.test(e.what)), JSON.stringify(r.summary.exposures));
    assert.equal(scenario(r.summary, 'HARD-04').observations.hardening, 'effective');
    // Stock Docker: a default container already shares the host's user namespace, so asking for it proves nothing.
    assert.equal(scenario(r.summary, 'HARD-06-USER').outcome, 'inconclusive');
    // The console shows the classification of passing scenarios too.
    assert.match(r.stdout, /hardening \(rejected \/ neutralised \/ effective\):/);
    assert.match(r.stdout, /HARD-01\s+rejected\s+privileged mode: refused at start/);
    assert.match(r.stdout, /HARD-02-SYS-ADMIN\s+effective\s+the SYS_ADMIN capability added/);
  });

  test('the same options under a multi-tenant profile: effective is a finding, rejected still passes, exit 1', async () => {
    const r = await run(DOCKER, [OPTIONS], '@HARD-01 or @HARD-02', ['--profile', multiTenantProfile]);
    assert.equal(r.exitCode, 1, r.stdout);
    assert.equal(scenario(r.summary, 'HARD-01').outcome, 'pass');
    const sysAdmin = scenario(r.summary, 'HARD-02-SYS-ADMIN');
    assert.equal(sysAdmin.outcome, 'finding');
    assert.equal(sysAdmin.observations.hardening, 'effective');
    assert.match(r.stdout, /FINDING\s+HARD-02-SYS-ADMIN/);
  });

  test('HARD-03: more host paths through Mounts and a local volume bound to /etc: exposures on stock Docker and Podman, findings when multi-tenant; the volume is removed', async () => {
    for (const host of [DOCKER, PODMAN]) {
      const r = await run(host, [OPTIONS], '@HARD-03-DEV or @HARD-03-RUN or @HARD-03-VAR-LIB-DOCKER or @HARD-03-VOLUME');
      assert.equal(r.exitCode, 0, r.stdout);
      for (const id of ['HARD-03-DEV', 'HARD-03-RUN', 'HARD-03-VAR-LIB-DOCKER', 'HARD-03-VOLUME']) assert.equal(scenario(r.summary, id).observations.hardening, 'effective', `${host} ${id}`);
      assert.match(scenario(r.summary, 'HARD-03-VOLUME').observations.evidence, /through a local volume with type=none,o=bind\) is mounted at \/keelhaul-host/);
      const volumes = await api(host, `/volumes?filters=${encodeURIComponent(JSON.stringify({ label: [`keelhaul.run=${r.summary.run}`] }))}`);
      assert.deepEqual(volumes.body.Volumes ?? [], [], `volumes labelled ${r.summary.run} are left on ${host}`);
    }
    const strict = await run(DOCKER, [OPTIONS], '@HARD-03-DEV or @HARD-03-VOLUME', ['--profile', multiTenantProfile]);
    assert.equal(strict.exitCode, 1, strict.stdout);
    assert.equal(scenario(strict.summary, 'HARD-03-DEV').outcome, 'finding');
    assert.equal(scenario(strict.summary, 'HARD-03-VOLUME').outcome, 'finding');
    // A path the host does not have is not applicable, never "rejected".
    const dir = project({ 'absent.feature': 'Feature: absent\n  Scenario: absent path\n    When a container is requested with "the host\'s /keelhaul-no-such-dir mounted read-only through Mounts"\n    Then the platform rejects or neutralises it\n' });
    const absent = await run(DOCKER, [join(dir, 'absent.feature')], 'not @nothing');
    assert.equal(absent.summary.scenarios[0].outcome, 'not-applicable', JSON.stringify(absent.summary.scenarios[0]));
    assert.match(absent.summary.scenarios[0].reason, /the host has no such path/);
  });

  test('hardened Docker (userns-remap): host pid is rejected at create, the host user namespace is effective', async () => {
    const r = await run(HARDENED, [OPTIONS], TAGS);
    assert.equal(r.exitCode, 0, r.stdout);
    const pid = scenario(r.summary, 'HARD-04');
    assert.equal(pid.observations.hardening, 'rejected');
    assert.equal(pid.observations.refusedAt, 'create');
    assert.match(pid.observations.rawMessage, /user namespaces/);
    assert.equal(scenario(r.summary, 'HARD-01').observations.refusedAt, 'create');
    const userns = scenario(r.summary, 'HARD-06-USER');
    assert.equal(userns.observations.hardening, 'effective', 'opting out of remapping really gives the host\'s user namespace');
    assert.ok(r.summary.exposures.some((e: any) => e.id === 'HARD-06-USER' && /user namespace/.test(e.what)));
  });

  test('Triton-style fixture under the triton profile: options are neutralised or rejected, exit 0', async () => {
    const r = await run(triton!.url, [OPTIONS], '@HARD-01 or @HARD-02 or @HARD-03 or @HARD-04', ['--profile', 'triton'], DOCKER);
    assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
    assert.equal(scenario(r.summary, 'HARD-01').observations.hardening, 'neutralised');
    assert.equal(scenario(r.summary, 'HARD-02-SYS-ADMIN').observations.hardening, 'neutralised');
    assert.equal(scenario(r.summary, 'HARD-03-ROOT').observations.hardening, 'rejected');
    assert.equal(scenario(r.summary, 'HARD-04').observations.hardening, 'neutralised');
    assert.match(r.stdout, /HARD-02-SYS-ADMIN\s+neutralised/);
  });

  test('HARD-18: an old upstream kernel is a finding, a distribution kernel is inconclusive with the reason', async () => {
    const old = await startTritonFixture({ upstreamSocket: DOCKER.replace(/^unix:\/\//, ''), listen: { host: '127.0.0.1', port: 0 }, kernelVersion: '5.10.101' });
    try {
      const r = await run(old.url, [POSTURE], '@HARD-18', ['--profile', 'triton'], DOCKER);
      assert.equal(r.exitCode, 1, r.stdout);
      assert.match(scenario(r.summary, 'HARD-18').reason, /CVE-2022-0847: kernel 5\.10\.101 is below the fix .*Dirty Pipe/);
    } finally {
      await old.close();
    }
    const r = await run(triton!.url, [POSTURE], '@HARD-18', ['--profile', 'triton'], DOCKER);
    assert.equal(r.exitCode, 0, r.stdout);
    const s = scenario(r.summary, 'HARD-18');
    assert.equal(s.outcome, 'inconclusive');
    assert.match(s.reason, /3\.12\.0-1-amd64 is a Debian\/Ubuntu ABI release.*backport status unknown/);
  });

  test('daemon posture: reported on Docker; user namespaces promised by the profile fail on stock Docker and pass on hardened', async () => {
    const stock = await run(DOCKER, [POSTURE], '@HARD-14 or @HARD-17 or @HARD-18');
    assert.equal(stock.exitCode, 0, stock.stdout);
    // This machine's kernel (6.18.44-fc-v669) carries its full stable version and is above every fix.
    const kernel = scenario(stock.summary, 'HARD-18');
    assert.equal(kernel.outcome, 'pass', JSON.stringify(kernel));
    assert.equal(kernel.observations.kernelCves.length, 5);
    const posture = scenario(stock.summary, 'HARD-14').observations.posture;
    assert.ok(posture.securityOptions.some((o: string) => o.startsWith('name=seccomp')), JSON.stringify(posture));
    const cves = scenario(stock.summary, 'HARD-17').observations.cves as any[];
    assert.ok(cves.length > 0, 'the CVE table was consulted');
    assert.ok(cves.every((c) => c.status !== 'vulnerable'), 'no upstream version is condemned on a distribution build');

    const promised = await run(DOCKER, [POSTURE], '@HARD-14', ['--profile', multiTenantProfile]);
    assert.equal(promised.exitCode, 1, promised.stdout);
    assert.match(scenario(promised.summary, 'HARD-14').reason, /user namespaces/);
    const hardened = await run(HARDENED, [POSTURE], '@HARD-14', ['--profile', multiTenantProfile]);
    assert.equal(hardened.exitCode, 0, hardened.stdout);
    assert.ok(scenario(hardened.summary, 'HARD-14').observations.posture.securityOptions.includes('name=userns'));
  });
});
