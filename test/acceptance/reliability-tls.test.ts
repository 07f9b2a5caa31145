// Remote targets: a private dockerd on tcp://127.0.0.1 with --tlsverify (test/fixtures/tls/remote.sh) and
// certificates generated here with openssl. The Docker environment variables reach it (exit 0); a wrong
// CA, a client certificate from another CA or none at all exit 4 with the cause; a plain-TCP API (a relay
// in front of the same daemon: on the wire it is what `dockerd -H tcp://` without TLS serves) is reported
// by `keelhaul doctor` as exposed and unauthenticated. The private engine is also where a bare
// `keelhaul clean` (every run's leftovers) can be proven without touching other people's runs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { project, runKeelhaul } from '../helpers/keelhaul.js';
import {
  BASELINE, NOTHING, PRIVATE_SOCKET, SLEEPER_STEPS, createForeign, leftovers, missingForeign, remote, removeForeign, runIdOf, sleeperFeature, type Foreign,
} from './reliability-helpers.js';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

describe('remote TLS target (private dockerd with --tlsverify)', () => {
  const certs = mkdtempSync(join(tmpdir(), 'keelhaul-tls-'));
  let port = 0;
  let relay: net.Server | undefined;
  let plainPort = 0;
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
    // Plain TCP, no TLS: a byte relay to the private daemon's socket.
    relay = net.createServer((client) => {
      const upstream = net.connect(PRIVATE_SOCKET.replace('unix://', ''));
      client.pipe(upstream).pipe(client);
      const end = () => { client.destroy(); upstream.destroy(); };
      client.on('error', end);
      upstream.on('error', end);
    });
    await new Promise<void>((r) => relay!.listen(0, '127.0.0.1', () => r()));
    plainPort = (relay.address() as net.AddressInfo).port;
  });

  after(async () => {
    relay?.close();
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

  test('doctor: a plain-TCP API without TLS is reported as exposed and unauthenticated; TLS is not', { timeout: 120_000 }, async () => {
    const plain = await runKeelhaul(['doctor', '--target', `tcp://127.0.0.1:${plainPort}`], { timeoutMs: 110_000 });
    assert.match(plain.stdout, new RegExp(`^WARNING: +the API at tcp://127\\.0\\.0\\.1:${plainPort} is plain TCP without TLS: exposed and unauthenticated$`, 'm'), plain.stdout + plain.stderr);
    const tls = await runKeelhaul(['doctor'], { env: tlsEnv(certs), timeoutMs: 110_000 });
    assert.equal(tls.exitCode, 0, tls.stdout + tls.stderr);
    assert.doesNotMatch(tls.stdout, /WARNING/);
  });

  test('private engine: after SIGKILL a bare `keelhaul clean` removes every run\'s leftovers and no foreign object', { timeout: 180_000 }, async () => {
    let foreign: Foreign | undefined;
    try {
      foreign = await createForeign(PRIVATE_SOCKET, `rel-tls-${process.pid}`);
      const cwd = project({ 'features/sleepers.feature': sleeperFeature(3, 20_000), 'steps/sleepers.mjs': SLEEPER_STEPS });
      const killed = await runKeelhaul(['run', 'features', '--target', PRIVATE_SOCKET, '--require', 'steps/sleepers.mjs'], {
        cwd, timeoutMs: 110_000, onOutput: { match: /sleepers: \S+ container \w+ started/, then: (child) => child.kill('SIGKILL') },
      });
      assert.equal(killed.signal, 'SIGKILL');
      const dead = runIdOf(killed)!;
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
});
