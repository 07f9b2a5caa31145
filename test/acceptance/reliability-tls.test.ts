// Remote targets: a private dockerd on tcp://127.0.0.1 with --tlsverify (test/fixtures/tls/remote.sh) and
// certificates generated here with openssl. The Docker environment variables reach it (exit 0); a wrong
// CA, a client certificate from another CA or none at all exit 4 with the cause. Then the same daemon
// with a plain-TCP API (no TLS): `keelhaul doctor` warns that it is exposed and unauthenticated, and the
// posture scenario HARD-14 reports it (an exposure; a finding on a multi-tenant profile); on the TLS
// target neither does. The private engine is also where a bare `keelhaul clean` (every run's leftovers)
// can be proven without touching other people's runs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, api, freePort, project, runKeelhaul } from '../helpers/keelhaul.js';
import {
  BASELINE, NOTHING, PRIVATE_SOCKET, SLEEPER_STEPS, bystander, createForeign, labelGone, leftovers, missingForeign, processesGone, processesOfRun, remote, removeForeign,
  sleeperFeature, testRunId, type Foreign,
} from './reliability-helpers.js';

const hardening = join(ROOT, 'features', 'hardening');

const MULTI_TENANT = `name: tenant
description: a multi-tenant platform, where an unencrypted API is a finding
multiTenant: true
promises:
  seccomp: true
`;

describe('remote TLS target (private dockerd with --tlsverify)', () => {
  const certs = mkdtempSync(join(tmpdir(), 'keelhaul-tls-'));
  let port = 0;
  const features = () => project({ 'features/baseline.feature': BASELINE });
  const tlsEnv = (certPath: string) => ({ DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certPath });
  /** A certificate folder made of some of the generated files. */
  const certFolder = (name: string, files: Record<string, string>) => {
    const dir = join(certs, name);
    mkdirSync(dir, { recursive: true });
    for (const [to, from] of Object.entries(files)) copyFileSync(join(certs, from), join(dir, to));
    return dir;
  };

  before(async () => {
    remote('certs', certs);
    port = await freePort();
    remote('up', certs, String(port));
  });

  after(() => {
    remote('down');
  });

  test('0: DOCKER_HOST + DOCKER_TLS_VERIFY + DOCKER_CERT_PATH, probe image seeded by keelhaul', { timeout: 120_000 }, async () => {
    const r = await runKeelhaul(['run', 'features', '--tags', '@ISO-01 or @ISO-02'], { cwd: features(), env: tlsEnv(certs), timeoutMs: 110_000 });
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    assert.equal(r.summary.target.url, `https://127.0.0.1:${port}`);
    assert.deepEqual(r.summary.outcomes, { pass: 2, finding: 0, 'not-applicable': 0, inconclusive: 0, error: 0 });
    assert.deepEqual(await leftovers(PRIVATE_SOCKET, r.summary.run), NOTHING);
  });

  const refusals: Array<[string, () => string, RegExp]> = [
    ['a CA that did not sign the daemon\'s certificate', () => certFolder('case-wrong-ca', { 'ca.pem': 'wrong-ca/ca.pem', 'cert.pem': 'cert.pem', 'key.pem': 'key.pem' }),
      /TLS with https:\/\/127\.0\.0\.1:\d+ failed: .*(unable to verify|self[- ]signed).*not signed by DOCKER_CERT_PATH's ca\.pem/],
    ['no client certificate', () => certFolder('case-no-client-cert', { 'ca.pem': 'ca.pem' }),
      /TLS with https:\/\/127\.0\.0\.1:\d+ failed: .*(certificate required|alert|bad certificate|handshake).*refused the client certificate/],
    ['a client certificate from another CA', () => certFolder('case-foreign-client', { 'ca.pem': 'ca.pem', 'cert.pem': 'wrong-ca/cert.pem', 'key.pem': 'wrong-ca/key.pem' }),
      /TLS with https:\/\/127\.0\.0\.1:\d+ failed: .*refused the client certificate/],
  ];
  for (const [what, folder, cause] of refusals) {
    test(`4: ${what}, with the cause in one line`, { timeout: 60_000 }, async () => {
      const started = Date.now();
      const r = await runKeelhaul(['run', 'features', '--tags', '@ISO-02'], { cwd: features(), env: tlsEnv(folder()), timeoutMs: 55_000 });
      assert.equal(r.exitCode, 4, r.stdout + r.stderr);
      assert.match(r.stderr.trim(), cause);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.ok(Date.now() - started < 30_000, 'fails fast');
    });
  }

  test('TLS target: SIGKILL mid-run, the reaper reaches the target with the same TLS settings and removes the run\'s objects', { timeout: 120_000 }, async () => {
    const runId = testRunId('tls-killed');
    const keep = await bystander(PRIVATE_SOCKET, `rel-tls-bystander-${process.pid}`);
    const cwd = project({ 'features/sleepers.feature': sleeperFeature(3, 20_000), 'steps/sleepers.mjs': SLEEPER_STEPS });
    let killedAt = 0;
    const killed = await runKeelhaul(['run', 'features', '--run-id', runId, '--require', 'steps/sleepers.mjs'], {
      cwd, env: tlsEnv(certs), timeoutMs: 110_000,
      onOutput: { match: /sleepers: \S+ container \w+ started/, then: (child) => { killedAt = Date.now(); child.kill('SIGKILL'); } },
    });
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    const { left, afterMs } = await labelGone(PRIVATE_SOCKET, runId, 15_000);
    assert.deepEqual(left, NOTHING, `nothing labelled ${runId} ${afterMs} ms after keelhaul's death`);
    assert.ok(Date.now() - killedAt <= 12_000, 'within 10 s of the SIGKILL (and the listing)');
    assert.deepEqual(await processesGone(runId, 10_000), [], 'the reaper has exited');
    assert.equal((await api(PRIVATE_SOCKET, `/containers/${keep}/json`)).status, 200, 'the unlabelled container is untouched');
    await api(PRIVATE_SOCKET, `/containers/${keep}?force=1`, 'DELETE');
  });

  test('private engine: after SIGKILL of keelhaul and its reaper (a machine that died) a bare `keelhaul clean` removes every run\'s leftovers and no foreign object', { timeout: 180_000 }, async () => {
    let foreign: Foreign | undefined;
    try {
      foreign = await createForeign(PRIVATE_SOCKET, `rel-tls-${process.pid}`);
      const cwd = project({ 'features/sleepers.feature': sleeperFeature(3, 20_000), 'steps/sleepers.mjs': SLEEPER_STEPS });
      const dead = testRunId('tls-dead');
      const killAll = (child: { kill: (s: NodeJS.Signals) => boolean }) => {
        for (const p of processesOfRun(dead).filter((x) => /reaper/.test(x.cmd))) process.kill(p.pid, 'SIGKILL');
        child.kill('SIGKILL');
      };
      const killed = await runKeelhaul(['run', 'features', '--target', PRIVATE_SOCKET, '--run-id', dead, '--require', 'steps/sleepers.mjs'], {
        cwd, timeoutMs: 110_000, onOutput: { match: /sleepers: \S+ container \w+ started/, then: killAll },
      });
      assert.equal(killed.signal, 'SIGKILL');
      assert.deepEqual(await processesGone(dead, 5_000), []);
      const left = await leftovers(PRIVATE_SOCKET, dead);
      assert.ok(left.containers.length + left.networks.length + left.volumes.length > 0, 'SIGKILL leaves labelled objects');
      const cleaned = await runKeelhaul(['clean'], { cwd, env: { DOCKER_HOST: PRIVATE_SOCKET } });
      assert.equal(cleaned.exitCode, 0, cleaned.stdout + cleaned.stderr);
      assert.match(cleaned.stdout, new RegExp(`removed ${left.containers.length} container\\(s\\), ${left.networks.length} network\\(s\\), ${left.volumes.length} volume\\(s\\) labelled by runs .*${dead}`));
      assert.deepEqual(await leftovers(PRIVATE_SOCKET, dead), NOTHING);
      assert.deepEqual(await missingForeign(PRIVATE_SOCKET, foreign), [], 'foreign objects survive a bare clean');
    } finally {
      if (foreign) await removeForeign(PRIVATE_SOCKET, foreign);
    }
  });
  test('doctor on the TLS target: no exposure warning', { timeout: 120_000 }, async () => {
    const tls = await runKeelhaul(['doctor'], { env: tlsEnv(certs), timeoutMs: 110_000 });
    assert.equal(tls.exitCode, 0, tls.stdout + tls.stderr);
    assert.doesNotMatch(tls.stdout, /WARNING/);
  });

  test('HARD-14 on the TLS target reports no unencrypted API', { timeout: 120_000 }, async () => {
    const r = await runKeelhaul(['run', hardening, '--tags', '@HARD-14'], { cwd: features(), env: tlsEnv(certs), timeoutMs: 110_000 });
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    assert.doesNotMatch(JSON.stringify(r.summary.exposures), /without encryption/);
  });

  test('HARD-19 on the TLS target: requests without the client certificate fail the handshake, plain HTTP gets 400', { timeout: 120_000 }, async () => {
    const r = await runKeelhaul(['run', hardening, '--tags', '@HARD-19'], { cwd: features(), env: tlsEnv(certs), timeoutMs: 110_000 });
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    const h19 = r.summary.scenarios.find((x: any) => x.id === 'HARD-19');
    assert.equal(h19.outcome, 'pass', JSON.stringify(h19));
    assert.match(h19.observations.unauthenticated.join('\n'), /tls-without-client-certificate GET \/containers\/json: .*(CERTIFICATE|certificate|alert)/);
    assert.match(h19.observations.unauthenticated.join('\n'), /plain-http GET \/containers\/json: 400/);
  });

  // Last: the same daemon restarted with a plain-TCP API (dockerd -H tcp:// without --tlsverify).
  test('a plain-TCP API without TLS: doctor warns, HARD-14 reports an exposure (a finding on a multi-tenant profile)', { timeout: 180_000 }, async () => {
    const plainPort = await freePort();
    remote('up-plain', String(plainPort));
    const target = `tcp://127.0.0.1:${plainPort}`;
    const doctor = await runKeelhaul(['doctor', '--target', target], { timeoutMs: 110_000 });
    assert.match(doctor.stdout, new RegExp(`^WARNING: +the API at ${target.replace(/\./g, '\\.')} is plain TCP without TLS: exposed and unauthenticated$`, 'm'), doctor.stdout + doctor.stderr);
    const cwd = project({ 'tenant.yaml': MULTI_TENANT });
    const single = await runKeelhaul(['run', hardening, '--tags', '@HARD-14', '--target', target], { cwd, timeoutMs: 110_000 });
    assert.equal(single.exitCode, 0, single.stdout + single.stderr);
    assert.match(JSON.stringify(single.summary.exposures), /API is accessible on http:\/\/127\.0\.0\.1:\d+ without encryption/);
    const multi = await runKeelhaul(['run', hardening, '--tags', '@HARD-14', '--target', target, '--profile', 'tenant.yaml', '--reports', 'multi'], { cwd, timeoutMs: 110_000 });
    assert.equal(multi.exitCode, 1, multi.stdout + multi.stderr);
    const h14 = multi.summary.scenarios.find((x: any) => x.id === 'HARD-14');
    assert.equal(h14.outcome, 'finding');
    assert.match(h14.reason, /without encryption|plain|unencrypted/i);
    // HARD-19: anyone who reaches the port gets 200.
    const open = await runKeelhaul(['run', hardening, '--tags', '@HARD-19', '--target', target, '--reports', 'open'], { cwd, timeoutMs: 110_000 });
    assert.equal(open.exitCode, 0, open.stdout + open.stderr);
    assert.match(JSON.stringify(open.summary.exposures), /answers clients without credentials: plain-http GET \/_ping 200/);
    const strict = await runKeelhaul(['run', hardening, '--tags', '@HARD-19', '--target', target, '--profile', 'tenant.yaml', '--reports', 'strict'], { cwd, timeoutMs: 110_000 });
    assert.equal(strict.exitCode, 1, strict.stdout + strict.stderr);
    assert.equal(strict.summary.scenarios.find((x: any) => x.id === 'HARD-19').outcome, 'finding');
  });
});
