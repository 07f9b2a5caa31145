// The shipped image (Dockerfile, built by scripts/build-image.sh) and the local wrapper
// (bin/keelhaul-docker), run against the local Docker engine through the mounted socket, as a
// non-root caller (uid 1000) with the socket's group added. The exit-code contract must come back
// unchanged through `docker run` and through the wrapper, reports must land in the mounted folder
// owned by the caller, and SIGTERM must leave nothing labelled with the run's id behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DOCKER, PODMAN, ROOT, api, labelledContainers, project, reachable } from '../helpers/keelhaul.js';

const IMAGE = process.env.KEELHAUL_TEST_IMAGE ?? 'keelhaul:local';
const SOCK = DOCKER.replace(/^unix:\/\//, '');
const CALLER = { uid: 1000, gid: 1000 };
const WRAPPER = join(ROOT, 'bin', 'keelhaul-docker');
const TAG = randomBytes(3).toString('hex');

const UNDEFINED_FEATURE = `Feature: A step nobody wrote
  Scenario: An undefined step
    Given a container with the platform's default settings
    Then the moon is made of green cheese
`;

// A profile that allows no capability: ISO-01's "within the profile's default set" is a finding.
const NO_CAPS_PROFILE = `name: no-capabilities
description: a profile that allows no capability at all, so ISO-01 must report a finding
multiTenant: true
promises:
  seccomp: true
  defaultCapabilities: []
`;

// A user step file (plain JS, through --require, loaded inside the image) that keeps a labelled
// container busy, so SIGTERM arrives mid-run with something to clean up.
const SLOW_STEPS = `import { When } from '@cucumber/cucumber';
When('a container sleeps for {int} seconds', { timeout: 120000 }, async function (seconds) {
  const id = await this.startContainer({ cmd: ['sleep', String(seconds)] });
  process.stderr.write('slow-step: container ' + id.slice(0, 12) + ' started\\n');
  await new Promise((r) => setTimeout(r, seconds * 1000));
});
`;
const SLOW_FEATURE = `Feature: Slow
  Scenario: A container that sleeps
    When a container sleeps for 60 seconds
`;

interface Result { exitCode: number | null; stdout: string; stderr: string }

/** Spawn and collect, bounded in time; `onOutput` fires once when the output matches. */
function collect(child: ChildProcess, what: string, timeoutMs: number, onOutput?: { match: RegExp; then: () => void }): Promise<Result> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    let fired = false;
    const check = () => {
      if (!fired && onOutput && onOutput.match.test(stdout + stderr)) { fired = true; onOutput.then(); }
    };
    child.stdout!.on('data', (d) => { stdout += d; check(); });
    child.stderr!.on('data', (d) => { stderr += d; check(); });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (exitCode) => { clearTimeout(timer); resolve({ exitCode, stdout, stderr }); });
  });
}

/** A folder the non-root caller owns (the project, or the reports mount). */
function callerDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chownSync(dir, CALLER.uid, CALLER.gid);
  chmodSync(dir, 0o755);
  return dir;
}

/** A project of the caller's own: files owned by uid 1000. */
function callerProject(files: Record<string, string>): string {
  const dir = project(files);
  execFileSync('chown', ['-R', `${CALLER.uid}:${CALLER.gid}`, dir]);
  chmodSync(dir, 0o755);
  return dir;
}

function summaryIn(reports: string): any {
  const path = join(reports, 'summary.json');
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
}

/** Every file under dir (recursively) belongs to the caller. */
function assertOwnedByCaller(dir: string) {
  const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? [join(d, e.name), ...walk(join(d, e.name))] : [join(d, e.name)]));
  const files = walk(dir);
  assert.ok(files.length > 0, `nothing written in ${dir}`);
  const foreign = files.filter((f) => statSync(f).uid !== CALLER.uid);
  assert.deepEqual(foreign, [], 'report files not owned by the caller');
}

async function assertNothingLeft(summary: any) {
  assert.ok(summary?.run, 'summary.json names the run');
  assert.deepEqual(await labelledContainers(DOCKER, summary.run), [], `containers labelled keelhaul.run=${summary.run} are left`);
}

describe('the keelhaul image', { timeout: 1_200_000 }, () => {
  let socketGid = 0;

  before(async () => {
    assert.ok(await reachable(DOCKER), `Docker is not reachable at ${DOCKER}: run scripts/engines.sh up`);
    socketGid = statSync(SOCK).gid;
    // CI builds the image (cached: a few seconds when nothing changed; the first build makes the
    // Debian base and takes minutes).
    const started = Date.now();
    try {
      execFileSync('bash', [join(ROOT, 'scripts', 'build-image.sh')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], timeout: 1_100_000 });
    } catch (error: any) {
      throw new Error(`scripts/build-image.sh failed:\n${String(error.stderr ?? '').slice(-3000)}`);
    }
    process.stderr.write(`# image: ${IMAGE} ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  });

  describe('through docker run', () => {
    const names: string[] = [];

    after(() => {
      for (const name of names) spawn('docker', ['rm', '-f', name], { stdio: 'ignore' });
    });

    /** docker run as the caller, socket mounted, reports at /reports, features at /features. */
    function dockerRun(args: string[], mounts: { reports: string; features?: string }, opts: { timeoutMs?: number; onOutput?: { match: RegExp; then: (name: string) => void } } = {}) {
      const name = `keelhaul-image-test-${TAG}-${names.length}`;
      names.push(name);
      const child = spawn('docker', [
        'run', '--rm', '--name', name,
        '--user', `${CALLER.uid}:${CALLER.gid}`, '--group-add', String(socketGid),
        '-v', `${SOCK}:/var/run/docker.sock`,
        '-v', `${mounts.reports}:/reports`,
        ...(mounts.features ? ['-v', `${mounts.features}:/features:ro`] : []),
        IMAGE, ...args,
      ], { stdio: ['ignore', 'pipe', 'pipe'] });
      const onOutput = opts.onOutput && { match: opts.onOutput.match, then: () => opts.onOutput!.then(name) };
      return collect(child, `docker run ${args.join(' ')}`, opts.timeoutMs ?? 120_000, onOutput);
    }

    test('0: a passing selection of the shipped features; reports in the mounted /reports, owned by the caller; probe image seeded from the busybox inside', async () => {
      const reports = callerDir('keelhaul-image-reports-');
      // An image name the engine does not have: keelhaul seeds it from the image's static busybox.
      const probe = `keelhaul-image-test-busybox:${TAG}`;
      try {
        const r = await dockerRun(['run', '--tags', '@ISO-01 or @ISO-02', '--image', probe], { reports });
        assert.equal(r.exitCode, 0, r.stdout + r.stderr);
        assert.match(r.stderr, /seeded probe image/);
        assert.match(r.stdout, /VERDICT: exit 0/);
        for (const file of ['summary.json', 'junit.xml', 'cucumber.json', 'messages.ndjson']) {
          assert.ok(existsSync(join(reports, file)), `${file} is in the mounted reports folder`);
        }
        assert.ok(readdirSync(join(reports, 'allure-results')).some((f) => f.endsWith('-result.json')), 'Allure results written');
        assertOwnedByCaller(reports);
        const summary = summaryIn(reports);
        assert.deepEqual(summary.scenarios.map((s: any) => s.id).sort(), ['ISO-01', 'ISO-02']);
        await assertNothingLeft(summary);
      } finally {
        await api(DOCKER, `/images/${encodeURIComponent(probe)}?force=1`, 'DELETE').catch(() => undefined);
      }
    });

    test('doctor from the image: keelhaul runs in a container, and published ports are reached from a helper on the engine\'s host', async () => {
      const reports = callerDir('keelhaul-image-reports-');
      const r = await dockerRun(['doctor'], { reports });
      assert.equal(r.exitCode, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /^runner: +container: in a container on the engine's machine \(a network namespace of its own\)/m);
      assert.match(r.stdout, /^ports: +published ports reached from a helper container on the target in the host's network namespace/m);
    });

    test('2: a mounted feature with an undefined step', async () => {
      const reports = callerDir('keelhaul-image-reports-');
      const features = callerProject({ 'undefined.feature': UNDEFINED_FEATURE });
      const r = await dockerRun(['run', '/features'], { reports, features });
      assert.equal(r.exitCode, 2, r.stdout + r.stderr);
      assert.match(r.stderr, /the moon is made of green cheese/);
    });

    test('1: a finding (the shipped ISO-01 against a mounted profile that allows no capability)', async () => {
      const reports = callerDir('keelhaul-image-reports-');
      const features = callerProject({ 'no-caps.yaml': NO_CAPS_PROFILE });
      const r = await dockerRun(['run', '--tags', '@ISO-01', '--profile', '/features/no-caps.yaml'], { reports, features });
      assert.equal(r.exitCode, 1, r.stdout + r.stderr);
      const summary = summaryIn(reports);
      assert.equal(summary.outcomes.finding, 1);
      assertOwnedByCaller(reports);
      await assertNothingLeft(summary);
    });

    test('4: an unreachable target', async () => {
      const reports = callerDir('keelhaul-image-reports-');
      const r = await dockerRun(['run', '--tags', '@ISO-01', '--target', 'unix:///nonexistent/docker.sock'], { reports });
      assert.equal(r.exitCode, 4, r.stdout + r.stderr);
      assert.match(r.stderr, /nonexistent/);
    });

    test('143: docker kill -s TERM mid-run; the run sweeps its container', async () => {
      const reports = callerDir('keelhaul-image-reports-');
      const features = callerProject({ 'slow.feature': SLOW_FEATURE, 'slow.steps.mjs': SLOW_STEPS });
      const r = await dockerRun(['run', '/features/slow.feature', '--require', '/features/slow.steps.mjs'], { reports, features }, {
        onOutput: { match: /slow-step: container \w+ started/, then: (name) => { spawn('docker', ['kill', '-s', 'TERM', name], { stdio: 'ignore' }); } },
      });
      assert.equal(r.exitCode, 143, r.stdout + r.stderr);
      assert.match(r.stderr, /SIGTERM: cleaning up run/);
      const summary = summaryIn(reports);
      assert.equal(summary?.exitCode, 143);
      await assertNothingLeft(summary);
    });
  });

  describe('through bin/keelhaul-docker (as uid 1000 with the docker group)', () => {
    /** The wrapper run by the non-root caller from a project folder (mounted at /work). */
    function wrapper(args: string[], cwd: string, opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; onOutput?: { match: RegExp; then: (child: ChildProcess) => void } } = {}) {
      const child = spawn('setpriv', [
        `--reuid=${CALLER.uid}`, `--regid=${CALLER.gid}`, `--groups=${socketGid}`, '--', WRAPPER, ...args,
      ], {
        cwd, stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH, HOME: cwd, KEELHAUL_IMAGE: IMAGE, DOCKER_HOST: DOCKER, BUILD_NUMBER: '42', ...opts.env },
      });
      const onOutput = opts.onOutput && { match: opts.onOutput.match, then: () => opts.onOutput!.then(child) };
      return collect(child, `keelhaul-docker ${args.join(' ')}`, opts.timeoutMs ?? 120_000, onOutput);
    }

    test('0: arguments with spaces survive; reports in ./reports owned by the caller', async () => {
      const cwd = callerProject({ 'profiles/.keep': '' });
      const r = await wrapper(['run', '--tags', '@ISO-01 or @ISO-02'], cwd);
      assert.equal(r.exitCode, 0, r.stdout + r.stderr);
      assert.doesNotMatch(r.stdout, /\r/, 'no TTY when not interactive');
      const summary = summaryIn(join(cwd, 'reports'));
      assert.deepEqual(summary.scenarios.map((s: any) => s.id).sort(), ['ISO-01', 'ISO-02']);
      assertOwnedByCaller(join(cwd, 'reports'));
      await assertNothingLeft(summary);
    });

    test('2: an undefined step in a feature of the working directory (relative path)', async () => {
      const cwd = callerProject({ 'features/undefined.feature': UNDEFINED_FEATURE });
      const r = await wrapper(['run', 'features'], cwd);
      assert.equal(r.exitCode, 2, r.stdout + r.stderr);
      assert.match(r.stderr, /features\/undefined\.feature/);
    });

    test('1: a finding, with a profile file of the working directory', async () => {
      const cwd = callerProject({ 'no-caps.yaml': NO_CAPS_PROFILE });
      const r = await wrapper(['run', '--tags', '@ISO-01', '--profile', 'no-caps.yaml'], cwd);
      assert.equal(r.exitCode, 1, r.stdout + r.stderr);
      const summary = summaryIn(join(cwd, 'reports'));
      assert.equal(summary.outcomes.finding, 1);
      assertOwnedByCaller(join(cwd, 'reports'));
      await assertNothingLeft(summary);
    });

    test('4: an unreachable remote target (DOCKER_HOST=tcp://): keelhaul runs on the local engine and cannot reach it', async () => {
      const cwd = callerProject({});
      const r = await wrapper(['run', '--tags', '@ISO-01'], cwd, { env: { DOCKER_HOST: 'tcp://127.0.0.1:9' } });
      assert.equal(r.exitCode, 4, r.stdout + r.stderr);
      assert.match(r.stderr, /127\.0\.0\.1:9/);
    });

    test('what it hands docker for a remote TLS target: DOCKER_* inside, certificates read-only, no socket, the CLI on the local engine', async () => {
      const cwd = callerProject({ 'certs/ca.pem': 'x', 'certs/cert.pem': 'x', 'certs/key.pem': 'x' });
      const fake = join(cwd, 'fake-docker');
      writeFileSync(fake, '#!/bin/sh\nprintf "CLI_DOCKER_HOST=%s\\n" "$DOCKER_HOST"; printf "CLI_TLS=%s\\n" "${DOCKER_TLS_VERIFY-unset}"; for a in "$@"; do printf "ARG %s\\n" "$a"; done\n');
      chmodSync(fake, 0o755);
      const r = await wrapper(['run', '--tags', '@ISO-01 or @ISO-02', 'features/with space.feature'], cwd, {
        env: { DOCKER_HOST: 'tcp://10.0.0.1:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: join(cwd, 'certs'), KEELHAUL_DOCKER: fake },
      });
      assert.equal(r.exitCode, 0, r.stderr);
      const lines = r.stdout.trim().split('\n');
      const args = lines.filter((l) => l.startsWith('ARG ')).map((l) => l.slice(4));
      assert.ok(lines.includes(`CLI_DOCKER_HOST=${DOCKER}`), `the docker CLI talks to the local engine: ${lines[0]}`);
      assert.ok(lines.includes('CLI_TLS=unset'), 'the remote TLS settings are not applied to the local CLI');
      const pairs = args.slice(0, -5).map((a, i) => `${a} ${args[i + 1]}`);
      for (const expected of ['-e DOCKER_HOST=tcp://10.0.0.1:2376', '-e DOCKER_TLS_VERIFY=1', `-v ${join(cwd, 'certs')}:/certs:ro`, '-e DOCKER_CERT_PATH=/certs', `--user ${CALLER.uid}:${CALLER.gid}`, `-v ${cwd}:/work`]) {
        assert.ok(pairs.includes(expected), `${expected} in ${JSON.stringify(args)}`);
      }
      assert.ok(!args.some((a) => a.includes('docker.sock')), 'no socket is mounted for a remote target');
      assert.ok(!args.includes('-t'), 'no TTY when not interactive');
      assert.deepEqual(args.slice(-5), [IMAGE, 'run', '--tags', '@ISO-01 or @ISO-02', 'features/with space.feature'], 'arguments passed through intact');
    });

    test('143: SIGTERM to the wrapper reaches keelhaul in the container, which sweeps and exits 143', async () => {
      const cwd = callerProject({ 'features/slow.feature': SLOW_FEATURE, 'steps/slow.steps.mjs': SLOW_STEPS });
      const r = await wrapper(['run', 'features', '--require', 'steps/slow.steps.mjs'], cwd, {
        onOutput: { match: /slow-step: container \w+ started/, then: (child) => child.kill('SIGTERM') },
      });
      assert.equal(r.exitCode, 143, r.stdout + r.stderr);
      const summary = summaryIn(join(cwd, 'reports'));
      assert.equal(summary?.exitCode, 143);
      await assertNothingLeft(summary);
    });

    test('another local engine as the target (Podman): keelhaul still runs on Docker, with the Podman socket mounted', async () => {
      // Rootful Podman's socket is root:root 0600, so this one runs as root (KEELHAUL_USER=0:0).
      const cwd = project({});
      const child = spawn(WRAPPER, ['run', '--tags', '@ISO-02'], {
        cwd, stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH, HOME: cwd, KEELHAUL_IMAGE: IMAGE, DOCKER_HOST: PODMAN, KEELHAUL_USER: '0:0' },
      });
      const r = await collect(child, 'keelhaul-docker against podman', 120_000);
      assert.equal(r.exitCode, 0, r.stdout + r.stderr);
      const summary = summaryIn(join(cwd, 'reports'));
      assert.equal(summary.target.engine, 'podman');
      assert.deepEqual(await labelledContainers(PODMAN, summary.run), []);
    });

    test('no engine socket: a one-line message and exit 4, before docker is called', async () => {
      const cwd = callerProject({});
      const child = spawn(WRAPPER, ['run'], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH, DOCKER_HOST: 'unix:///nonexistent.sock' } });
      const r = await collect(child, 'keelhaul-docker', 10_000);
      assert.equal(r.exitCode, 4);
      assert.match(r.stderr, /no engine socket at \/nonexistent\.sock/);
    });
  });
});

after(() => {
  // Throw-away folders of this file (owned by uid 1000, in the test's tmp).
  for (const entry of readdirSync(tmpdir())) {
    if (/^keelhaul-image-reports-/.test(entry)) rmSync(join(tmpdir(), entry), { recursive: true, force: true });
  }
});
