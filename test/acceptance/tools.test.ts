// Attack-tool images without a registry (`keelhaul tools build/list`) and the platform attacks that use
// them (features/attacks, ATK-01..03), on Docker and Podman, and ATK-02 on the private dockerd of
// test/fixtures/tls/remote.sh (with --tlsverify: pass; plain TCP: finding). The images are built
// once (debootstrap base and tool root filesystems cached under /var/cache/keelhaul/tools) and
// reused when present: a first run on a fresh machine takes a few minutes, later ones seconds.
// Each attack is shown passing on a clean engine and a finding with the weakness: a forbidden port
// published on the host (ATK-01), a plain-TCP API (ATK-02), a publication path that adds a Via
// header and reflects TRACE (ATK-03, a sibling standing in for a platform's HTTP front end).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOCKER, PODMAN, ROOT, api, freePort, project, runKeelhaul } from '../helpers/keelhaul.js';
import { NOTHING, PRIVATE_SOCKET, leftovers, remote, REMOTE_SH } from './reliability-helpers.js';

const ATTACKS = join(ROOT, 'features', 'attacks');
const TOOLS = ['nmap', 'curl', 'sslscan'];
const BUILD_MS = 1_200_000; // a first build on a fresh machine: debootstrap (about 150 s here) and three tools

const PROXY_FIXTURE = `Feature: a publication path with an HTTP front end (fixture)
  @ATK-03-PROXY
  Scenario: a front end that adds Via and reflects TRACE
    Given the "curl" tool image is on the platform
    And a sibling container publishing HTTP on a host port, served by:
      """
      cat > /serve.sh <<'SH'
      #!/bin/sh
      request=''; host=''
      while IFS= read -r line; do
        line=$(printf '%s' "$line" | tr -d '\\r')
        [ -z "$line" ] && break
        request="$request$line
      "
        case "$line" in Host:*|host:*) host=\${line#*: } ;; esac
      done
      extra=''
      case "$host" in *:$KEELHAUL_PORT) ;; *) extra='Via: 1.1 edge-7 (platform-lb/2.4.1)\\r\\n' ;; esac
      printf "HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\n\${extra}\\r\\n%s\\n%s" "$KEELHAUL_TOKEN" "$request"
      SH
      chmod +x /serve.sh
      exec nc -ll -p $KEELHAUL_PORT -e /serve.sh
      """
    When curl asks the sibling with GET, OPTIONS and TRACE, directly and on its published port
    Then the published port answers with the sibling's page, adds no header that names the platform, and does not reflect TRACE
`;

function outcomes(summary: any): Record<string, string> {
  return Object.fromEntries((summary?.scenarios ?? []).map((s: any) => [s.id, s.outcome]));
}

function reason(summary: any, id: string): string {
  return String(summary?.scenarios?.find((s: any) => s.id === id)?.reason ?? '');
}

/** A container of the test's own publishing a forbidden port (23) on every host address: the weakness ATK-01 must see from a tenant container. */
async function publishForbidden(host: string): Promise<string> {
  const created = await api(host, '/containers/create', 'POST', {
    Image: 'busybox:latest', Cmd: ['sh', '-c', 'mkdir -p /w && echo x > /w/index.html && exec httpd -f -p 8080 -h /w'],
    Labels: { 'keelhaul.fixture': 'tools-test' }, ExposedPorts: { '8080/tcp': {} },
    HostConfig: { PortBindings: { '8080/tcp': [{ HostIp: '', HostPort: '23' }] } },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const started = await api(host, `/containers/${created.body.Id}/start`, 'POST');
  assert.ok(started.status === 204 || started.status === 304, JSON.stringify(started.body));
  await new Promise((r) => setTimeout(r, 1_000));
  return created.body.Id;
}

describe('tool images (keelhaul tools) and the platform attacks with real tools', () => {
  const cleanups: Array<() => Promise<unknown> | void> = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  test('bad input: an unknown tool, no tool, --from with two tools or an image without the binary exit 2; an unreachable target exits 4', { timeout: 120_000 }, async () => {
    const unknown = await runKeelhaul(['tools', 'build', 'nessus', '--target', DOCKER]);
    assert.equal(unknown.exitCode, 2);
    assert.equal(unknown.stderr.trim(), 'keelhaul: tools build: unknown tool "nessus" (known: nmap, curl, sslscan, testssl.sh, sqlmap, dirb; any other only with --from IMAGE)');
    // A tool Debian does not package (sslyze, for Gauntlt's adapter) only from an image that has it.
    const foreign = await runKeelhaul(['tools', 'build', 'sslyze', '--from', 'busybox:latest', '--target', DOCKER]);
    assert.equal(foreign.exitCode, 2, foreign.stderr);
    assert.match(foreign.stderr.trim(), /^keelhaul: tools build --from: "command -v sslyze >\/dev\/null" does not run in busybox:latest/);
    const none = await runKeelhaul(['tools', 'build', '--target', DOCKER]);
    assert.equal(none.exitCode, 2);
    assert.equal(none.stderr.trim().split('\n').length, 1, none.stderr);
    const two = await runKeelhaul(['tools', 'build', 'nmap', 'curl', '--from', 'busybox:latest', '--target', DOCKER]);
    assert.equal(two.exitCode, 2);
    assert.match(two.stderr, /name exactly one tool/);
    const wrong = await runKeelhaul(['tools', 'build', 'nmap', '--from', 'busybox:latest', '--target', DOCKER]);
    assert.equal(wrong.exitCode, 2, wrong.stderr);
    assert.match(wrong.stderr.trim(), /^keelhaul: tools build --from: "nmap --version" does not run in busybox:latest/);
    const absent = await runKeelhaul(['tools', 'build', 'nmap', '--from', 'no-such-image:1', '--target', DOCKER]);
    assert.equal(absent.exitCode, 2);
    assert.match(absent.stderr, /no image "no-such-image:1"/);
    const unreachable = await runKeelhaul(['tools', 'build', 'nmap', '--target', 'unix:///run/keelhaul-no-such.sock']);
    assert.equal(unreachable.exitCode, 4, unreachable.stderr);
    assert.equal(unreachable.stderr.trim().split('\n').length, 1, unreachable.stderr);
    const list = await runKeelhaul(['tools', 'list', '--target', 'unix:///run/keelhaul-no-such.sock']);
    assert.equal(list.exitCode, 4);
  });

  for (const [engine, host] of [['docker', DOCKER], ['podman', PODMAN]] as const) {
    test(`${engine}: tools build ${TOOLS.join(' ')} (reused when present), tools list shows them`, { timeout: BUILD_MS + 60_000 }, async () => {
      const started = Date.now();
      const built = await runKeelhaul(['tools', 'build', ...TOOLS, '--target', host], { timeoutMs: BUILD_MS });
      const seconds = Math.round((Date.now() - started) / 1000);
      process.stderr.write(`# ${engine}: tools build ${TOOLS.join(' ')} took ${seconds} s\n${built.stderr}`);
      assert.equal(built.exitCode, 0, built.stdout + built.stderr);
      for (const tool of TOOLS) assert.match(built.stdout, new RegExp(`^${tool} \\S+ \\S*keelhaul-tool/${tool}:\\S+`, 'm'), built.stdout);
      const json = await runKeelhaul(['tools', 'list', '--target', host, '--format', 'json']);
      assert.equal(json.exitCode, 0, json.stderr);
      const listed = JSON.parse(json.stdout);
      for (const tool of TOOLS) {
        const image = listed.images.find((i: any) => i.name === tool);
        assert.ok(image, `${tool} is not listed: ${json.stdout}`);
        assert.match(image.ref, new RegExp(`keelhaul-tool/${tool.replace('.', '\\.')}:`));
        assert.match(image.version, /^\d/);
      }
      const text = await runKeelhaul(['tools', 'list', '--target', host]);
      assert.match(text.stdout, /^TOOL +VERSION +IMAGE +SIZE$/m);
      assert.match(text.stdout, /^nmap +7\.\S+ +\S*keelhaul-tool\/nmap:/m);
      // Present now: a second build is a no-op that says so.
      const again = await runKeelhaul(['tools', 'build', 'nmap', '--target', host]);
      assert.equal(again.exitCode, 0);
      assert.match(again.stdout, /already built/);
    });

    test(`${engine}: ATK-01 and ATK-03 pass on the clean engine, ATK-02 does not apply to a unix socket`, { timeout: 240_000 }, async () => {
      const r = await runKeelhaul(['run', ATTACKS, '--target', host], { timeoutMs: 230_000 });
      assert.deepEqual(outcomes(r.summary), { 'ATK-01': 'pass', 'ATK-02': 'not-applicable', 'ATK-03': 'pass' }, r.stdout + r.stderr);
      const atk01 = r.summary.scenarios.find((s: any) => s.id === 'ATK-01');
      assert.match(atk01.observations.openPorts, /^sibling \S+:8080/);
      const atk03 = r.summary.scenarios.find((s: any) => s.id === 'ATK-03');
      assert.equal(atk03.observations.publishedMethods, 'GET 200, OPTIONS 501, TRACE 501');
      assert.deepEqual(await leftovers(host, r.summary.run), NOTHING);
    });

    test(`${engine}: ATK-01 is a finding when a forbidden port (23) is published on the host; ATK-03 when the publication path adds Via and reflects TRACE`, { timeout: 240_000 }, async () => {
      const id = await publishForbidden(host);
      try {
        const r = await runKeelhaul(['run', ATTACKS, '--tags', '@ATK-01', '--target', host], { timeoutMs: 120_000 });
        assert.equal(r.exitCode, 1, r.stdout + r.stderr);
        assert.equal(outcomes(r.summary)['ATK-01'], 'finding');
        assert.match(reason(r.summary, 'ATK-01'), /forbidden port\(s\) open from a tenant container: gateway \S+:23 \(telnet/);
        assert.deepEqual(await leftovers(host, r.summary.run), NOTHING);
      } finally {
        await api(host, `/containers/${id}?force=1`, 'DELETE');
      }
      const proxy = await runKeelhaul(['run', 'proxy.feature', '--target', host], { cwd: project({ 'proxy.feature': PROXY_FIXTURE }), timeoutMs: 120_000 });
      assert.equal(outcomes(proxy.summary)['ATK-03-PROXY'], 'finding', proxy.stdout + proxy.stderr);
      assert.match(reason(proxy.summary, 'ATK-03-PROXY'), /carry "via: 1\.1 edge-7 \(platform-lb\/2\.4\.1\)", which the sibling's server did not send/);
      assert.match(reason(proxy.summary, 'ATK-03-PROXY'), /TRACE is answered 200 with the request reflected/);
    });
  }

  test('ATK-02 on a private dockerd: not applicable without sslscan, pass with --tlsverify, a finding on a plain-TCP API; --from makes a tool image of an image present', { timeout: 360_000 }, async (t) => {
    // `status` exits 1 when the daemon is down: its word is what counts.
    const status = spawnSync('bash', [REMOTE_SH, 'status'], { encoding: 'utf8', timeout: 30_000 }).stdout.trim();
    if (status !== 'down') return t.skip(`the private dockerd of test/fixtures/tls/remote.sh is in use (${status})`);
    const certs = mkdtempSync(join(tmpdir(), 'keelhaul-tools-tls-'));
    remote('certs', certs);
    const port = await freePort();
    remote('up', certs, String(port));
    cleanups.push(() => remote('down'));
    const tlsEnv = { DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs };
    const missing = await runKeelhaul(['run', ATTACKS, '--tags', '@ATK-02'], { env: tlsEnv, timeoutMs: 110_000 });
    assert.equal(outcomes(missing.summary)['ATK-02'], 'not-applicable', missing.stdout + missing.stderr);
    assert.match(reason(missing.summary, 'ATK-02'), /keelhaul tools build sslscan/);
    const built = await runKeelhaul(['tools', 'build', 'sslscan', 'nmap', '--target', PRIVATE_SOCKET], { timeoutMs: BUILD_MS });
    assert.equal(built.exitCode, 0, built.stderr);
    const tls = await runKeelhaul(['run', ATTACKS, '--tags', '@ATK-02'], { env: tlsEnv, timeoutMs: 110_000 });
    assert.equal(outcomes(tls.summary)['ATK-02'], 'pass', tls.stdout + tls.stderr);
    assert.match(tls.summary.scenarios[0].observations.tls, /^TLSv1\.2, TLSv1\.3; .*certificate EC/);
    // --from: an image the user has (here the nmap image itself, re-tagged by a commit) becomes the tool's image.
    const from = await runKeelhaul(['tools', 'build', 'nmap', '--from', 'keelhaul-tool/nmap:7.93_dfsg1-1', '--target', PRIVATE_SOCKET]);
    assert.equal(from.exitCode, 0, from.stderr);
    assert.match(from.stdout, /^nmap 7\.93\S* \S*keelhaul-tool\/nmap:7\.93_dfsg1-1 \(from keelhaul-tool\/nmap:7\.93_dfsg1-1\)$/m);

    const plainPort = await freePort();
    remote('up-plain', String(plainPort));
    const target = `tcp://127.0.0.1:${plainPort}`;
    const rebuilt = await runKeelhaul(['tools', 'build', 'sslscan', '--target', target], { timeoutMs: BUILD_MS });
    assert.equal(rebuilt.exitCode, 0, rebuilt.stderr);
    // Not root: a build cannot run here (debootstrap, chroot): one line, exit 2 (the plain-TCP engine is
    // one that an unprivileged user can reach, and dirb has no image on it).
    const unprivileged = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, join(ROOT, 'dist', 'cli', 'main.js'), 'tools', 'build', 'dirb', '--target', target, '--cache', mkdtempSync(join(tmpdir(), 'keelhaul-tools-cache-'))],
      { encoding: 'utf8', timeout: 60_000, cwd: tmpdir() });
    assert.equal(unprivileged.status, 2, unprivileged.stdout + unprivileged.stderr);
    assert.equal(unprivileged.stderr.trim(), 'keelhaul: building a tool image needs root (debootstrap and chroot): run as root, or give an image you have with --from IMAGE');
    const plain = await runKeelhaul(['run', ATTACKS, '--tags', '@ATK-02', '--target', target], { timeoutMs: 110_000 });
    assert.equal(plain.exitCode, 1, plain.stdout + plain.stderr);
    assert.equal(outcomes(plain.summary)['ATK-02'], 'finding');
    assert.match(reason(plain.summary, 'ATK-02'), /speaks no SSL\/TLS protocol at all: the API is plain TCP/);
  });
});
