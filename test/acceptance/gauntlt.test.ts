// Gauntlt's attack files run as they are (issue 18): `.attack` paths through check/run/steps,
// Gauntlt's 16 example files checked (only the unsupported adapters' steps are problems), and attack
// files in Gauntlt's vocabulary (test/fixtures/gauntlt/vocabulary: every supported phrase) run with the
// generic adapter against a target container on Docker and Podman: every phrase holding is a pass,
// every phrase not holding a finding, --define overrides a profile value, a broken file is exit 2
// before the platform is touched, a missing tool is exit 2 naming `keelhaul tools build`.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOCKER, ENGINES, ROOT, labelledContainers, project, runKeelhaul } from '../helpers/keelhaul.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'gauntlt');
const UPSTREAM = join(FIXTURES, 'upstream');
const ENV = { KEELHAUL_GAUNTLT_TARGET: 'the test target' };

async function run(paths: string[], target: string, extra: string[] = [], timeoutMs = 400_000) {
  const reports = mkdtempSync(join(tmpdir(), 'keelhaul-gauntlt-'));
  const r = await runKeelhaul(['run', ...paths, '--target', target, '--reports', reports, ...extra], { cwd: ROOT, env: ENV, timeoutMs });
  assert.ok(r.summary, `no summary.json (exit ${r.exitCode})\n${r.stdout}\n${r.stderr}`);
  assert.deepEqual(await labelledContainers(target, r.summary.run), [], `containers labelled ${r.summary.run} are left on ${target}`);
  return r;
}

describe('.attack paths and Gauntlt\'s own examples (no platform)', () => {
  test('Gauntlt\'s 16 example files: check reports only the unsupported adapters\' steps (arachni, garmr, Heartbleed)', async () => {
    const r = await runKeelhaul(['check', UPSTREAM], { cwd: ROOT });
    assert.equal(r.exitCode, 2, r.stdout + r.stderr);
    const problems = r.stdout.split('\n').filter((l) => /^test\/fixtures\/gauntlt\/upstream\/.*:\d+:\d+: /.test(l));
    assert.equal(problems.length, 6, problems.join('\n'));
    for (const p of problems) assert.match(p, /(arachni|garmr|Heartbleed)".*not supported: /, p);
    assert.match(r.stdout, /keelhaul check: 6 problem\(s\)/);
    assert.doesNotMatch(r.stdout + r.stderr, /undefined step/);
  });

  test('the supported examples check clean, by file and by folder', async () => {
    const supported = ['simplest.attack', 'generic', 'curl', 'nmap', 'dirb', 'sslyze'].map((p) => join(UPSTREAM, p));
    const r = await runKeelhaul(['check', ...supported], { cwd: ROOT });
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /keelhaul check: 20 scenario\(s\), no problems/);
  });

  test('check names the .attack file and line of a problem; file:line selects a scenario', async () => {
    const broken = await runKeelhaul(['check', join(FIXTURES, 'broken')], { cwd: ROOT });
    assert.equal(broken.exitCode, 2);
    assert.match(broken.stdout, /broken\/bad-expressions\.attack:3:5: "the following profile:": the table needs a header row \| name \| value \|/);
    assert.match(broken.stdout, /bad-expressions\.attack:9:5: .*\(unclosed\/ is not a regular expression/);
    assert.match(broken.stdout, /bad-expressions\.attack:10:5: .*\[z-a\]/);
    assert.match(broken.stdout, /bad-expressions\.attack:14:5: .*\| css \| or \| xpath \|/);
    assert.match(broken.stdout, /unsupported-adapter\.attack:4:5: .*"garmr" adapter is not supported/);
    const one = await runKeelhaul(['check', `${join(FIXTURES, 'vocabulary', 'holds.attack')}:71`], { cwd: ROOT });
    assert.equal(one.exitCode, 0, one.stdout + one.stderr);
    assert.match(one.stdout, /1 scenario\(s\), no problems/);
    const parseError = await runKeelhaul(['check', 'x.attack'], { cwd: project({ 'x.attack': 'Feature: x\n  Scenario: y\n    Given a\n  nonsense line\n' }) });
    assert.equal(parseError.exitCode, 2);
    assert.match(parseError.stdout, /parse error: x\.attack:4:3: .*nonsense line/);
  });

  test('--define is name=value (exit 2 otherwise); steps lists the Gauntlt phrases', async () => {
    const bad = await runKeelhaul(['check', UPSTREAM, '--define', 'no-equals-sign'], { cwd: ROOT });
    assert.equal(bad.exitCode, 2, bad.stdout + bad.stderr);
    assert.match(bad.stderr, /--define .*not name=value/);
    const steps = await runKeelhaul(['steps', '--format', 'json'], { cwd: ROOT });
    const gauntlt = (JSON.parse(steps.stdout) as Array<{ pattern: string; file: string }>).filter((e) => e.file === 'steps/gauntlt.steps.ts');
    for (const phrase of ['{string} is installed', 'the following profile:', 'the following environment variables:', 'the exit status should be {int}']) {
      assert.ok(gauntlt.some((e) => e.pattern === phrase), `${phrase} in the catalogue`);
    }
    assert.ok(gauntlt.some((e) => e.pattern.includes('attack with:')), 'the launch step in the catalogue');
  });

  test('a broken attack file is exit 2 before the platform is touched (the target does not even exist)', async () => {
    const r = await runKeelhaul(['run', join(FIXTURES, 'broken'), '--target', 'unix:///nonexistent/keelhaul-gauntlt.sock', '--reports', 'r'], { cwd: project({}) });
    assert.equal(r.exitCode, 2, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /"garmr" adapter is not supported/);
    assert.doesNotMatch(r.stdout + r.stderr, /nonexistent\/keelhaul-gauntlt\.sock.*(refused|ENOENT|unreachable)/i);
  });
});

for (const [engine, target] of ENGINES) {
  describe(`Gauntlt's vocabulary on ${engine}`, () => {
    test('every phrase holding passes; every phrase not holding is a finding with its reason', async () => {
      const r = await run([join(FIXTURES, 'vocabulary')], target, ['--parallel', '2']);
      assert.equal(r.exitCode, 1, r.stdout + r.stderr);
      const holds = r.summary.scenarios.filter((s: any) => s.feature.includes('every assertion holding'));
      const fails = r.summary.scenarios.filter((s: any) => s.feature.includes('every assertion not holding'));
      assert.equal(holds.length, 5);
      assert.equal(fails.length, 25);
      for (const s of holds) assert.equal(s.outcome, 'pass', `${s.name}: ${s.reason}`);
      for (const s of fails) {
        assert.equal(s.outcome, 'finding', `${s.name}: ${s.outcome} ${s.reason}`);
        assert.match(s.reason, /^(the (output|stdout|stderr) (does not|contains|matches)|the attack exited with status|foo\.xml (has|does not|contains)|cookie "|no cookie ")/, `${s.name}: ${s.reason}`);
      }
      const reason = (fragment: string) => fails.find((s: any) => s.name.endsWith(fragment))?.reason ?? '';
      assert.match(reason('the file should contain XML, css'), /nothing matching css "ports port\[protocol="tcp"\]\[portid="443"\]/);
      assert.match(reason('the file should not contain XML, xpath'), /has xpath "\/\/port\[@portid="80"\]/);
      assert.match(reason('the following cookies should be received'), /cookie "theme": httponly is false, not true/);
      assert.match(reason('it should pass with, the command failing'), /exited with status 1, not 0/);
    });

    test('--define overrides the profile: another page is a finding, the matching greeting a pass again', async () => {
      const file = join(FIXTURES, 'define', 'define.attack');
      const plain = await run([file], target);
      assert.equal(plain.exitCode, 0, plain.stdout);
      const other = await run([file], target, ['--define', 'page=other.html']);
      assert.equal(other.exitCode, 1, other.stdout);
      assert.match(other.summary.scenarios[0].reason, /does not contain "hello from the target": the other page/);
      const both = await run([file], target, ['--define', 'page=other.html', '--define', 'greeting=the other page']);
      assert.equal(both.exitCode, 0, both.stdout);
    });

    test('Gauntlt\'s simplest.attack and generic.attack (ping localhost: NET_RAW added back on Podman) run as they are', async () => {
      const r = await run([join(UPSTREAM, 'simplest.attack'), join(UPSTREAM, 'generic', 'generic.attack')], target);
      assert.equal(r.exitCode, 0, r.stdout + r.stderr);
      assert.equal(r.summary.outcomes.pass, 2);
    });

    test('a tool with no image, and a binary nowhere: exit 2 naming keelhaul tools build', async () => {
      const r = await run([join(FIXTURES, 'missing-tool')], target);
      assert.equal(r.exitCode, 2, r.stdout + r.stderr);
      const reasons = r.summary.scenarios.map((s: any) => s.reason).join('\n');
      assert.match(reasons, /sslyze is not installed: no keelhaul-tool\/sslyze image on the target; .*keelhaul tools build sslyze --from IMAGE/);
      assert.match(reasons, /no-such-binary is not installed: .*the probe image \S+ has no no-such-binary/);
    });
  });
}

// The curl and nmap adapters in real tool images (`keelhaul tools build curl nmap`, built here when missing).
for (const [engine, target] of ENGINES) {
  describe(`the curl and nmap adapters on ${engine}`, { timeout: 900_000 }, () => {
    // The real tools, built from Debian packages (`keelhaul tools build`: a few minutes the first time on a
    // machine, the base and the tools cached in /var/cache/keelhaul/tools; nothing when the images are
    // there). Never skipped for want of an image: the adapters must be seen working.
    before(async () => {
      const built = await runKeelhaul(['tools', 'build', 'curl', 'nmap', '--target', target], { cwd: ROOT, timeoutMs: 880_000 });
      assert.equal(built.exitCode, 0, built.stdout + built.stderr);
    });
    test('holding: pass; not holding: one finding per scenario', async () => {
      const holds = await run([join(FIXTURES, 'tools', 'holds.attack')], target);
      assert.equal(holds.exitCode, 0, holds.stdout + holds.stderr);
      assert.equal(holds.summary.outcomes.pass, 3);
      const fails = await run([join(FIXTURES, 'tools', 'does-not-hold.attack')], target);
      assert.equal(fails.exitCode, 1, fails.stdout + fails.stderr);
      assert.equal(fails.summary.outcomes.finding, 3, fails.stdout);
    });
  });
}

describe('bin/keelhaul-docker passes .attack files through', { timeout: 1_200_000 }, () => {
  const image = process.env.KEELHAUL_TEST_IMAGE ?? 'keelhaul:local';
  // The image as users run it (scripts/build-image.sh: cached, seconds when nothing changed), never skipped.
  // Issue 18's "done when": `keelhaul tools build nmap curl`, then a Gauntlt attack file using them run
  // through the wrapper (keelhaul in its image starts the tool containers on the engine).
  before(async () => {
    execFileSync('bash', [join(ROOT, 'scripts', 'build-image.sh'), '--tag', image], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], timeout: 1_100_000 });
    const built = await runKeelhaul(['tools', 'build', 'nmap', 'curl', '--target', DOCKER], { cwd: ROOT, timeoutMs: 880_000 });
    assert.equal(built.exitCode, 0, built.stdout + built.stderr);
  });
  test(`an attack file in the working directory runs from ${image}`, () => {
    const dir = project({});
    copyFileSync(join(UPSTREAM, 'simplest.attack'), join(dir, 'simplest.attack'));
    copyFileSync(join(FIXTURES, 'define', 'define.attack'), join(dir, 'define.attack'));
    copyFileSync(join(FIXTURES, 'tools', 'holds.attack'), join(dir, 'tools.attack'));
    const runWrapper = (args: string[]) => spawnSync(join(ROOT, 'bin', 'keelhaul-docker'), args, {
      cwd: dir, env: { ...process.env, KEELHAUL_IMAGE: image, DOCKER_HOST: DOCKER }, encoding: 'utf8', timeout: 300_000,
    });
    const ok = runWrapper(['run', 'simplest.attack', 'define.attack', '--reports', 'reports']);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /2 pass, 0 finding/);
    const defined = runWrapper(['run', 'define.attack', '--define', 'page=other.html', '--reports', 'reports2']);
    assert.equal(defined.status, 1, defined.stdout + defined.stderr);
    const tools = runWrapper(['run', 'tools.attack', '--reports', 'reports3']);
    assert.equal(tools.status, 0, tools.stdout + tools.stderr);
    assert.match(tools.stdout, /3 pass, 0 finding/);
  });
});
