// Writing new attacks (issue 8): a Gherkin-only attack on Docker and Podman, `keelhaul check` on
// each authoring mistake, the step catalogue, a user's own TypeScript steps through --require, and
// an attack that outlives its timeout. Every run is checked for leftovers by its own run id.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DOCKER, ENGINES, PODMAN, ROOT, WEAK, api, labelledContainers, project, reachable, runKeelhaul } from '../helpers/keelhaul.js';
import { withPlant } from '../helpers/fixtures.js';
import { startTritonFixture } from '../fixtures/triton/server.js';

const EXAMPLE = join(ROOT, 'examples', 'custom-attack');

/** Containers and networks carrying this run's label: both must be gone after every run. */
async function leftovers(host: string, runId: string): Promise<string[]> {
  const containers = await labelledContainers(host, runId);
  const filters = encodeURIComponent(JSON.stringify({ label: [`keelhaul.run=${runId}`] }));
  const { body } = await api(host, `/networks?filters=${filters}`);
  const networks = Array.isArray(body) ? body : [];
  return [...containers.map((c: any) => `container ${c.Id.slice(0, 12)}`), ...networks.map((n: any) => `network ${n.Name}`)];
}

function outcomes(summary: any): Record<string, string> {
  return Object.fromEntries((summary?.scenarios ?? []).map((s: any) => [s.id, s.outcome]));
}

// A new attack written only with the generic steps: an echo service as the target, a client as
// the attack. GEN-02 makes the same attack with an assertion its output cannot meet.
const GHERKIN_ONLY = `Feature: a new attack written only in Gherkin
  Background:
    Given the attack values:
      | greeting | <env:KEELHAUL_TEST_GREETING> |
    And a target container from "busybox:latest" running:
      """
      exec nc -ll -p 7000 -e cat
      """
    And the target listens on port 7000

  @GEN-01 @ok
  Scenario: the echo service answers with what it is sent
    When I launch an attack from "busybox:latest" with a timeout of 20 seconds:
      """
      echo "<greeting>" | nc -w 3 <target_ip> <target_port>
      """
    Then the attack exits with status 0
    And the attack output contains "<greeting>"
    And the attack output matches "^hello-[0-9]+$"
    And the attack output has 1 line matching "hello"
    And the attack output does not contain "root:x:0:0"
    And the target is still running

  @GEN-02 @bad
  Scenario: the same attack judged by an assertion its output cannot meet
    When I launch an attack with:
      """
      echo "<greeting>" | nc -w 3 <target_ip> <target_port>
      """
    Then the attack output contains "a secret the target never had"
`;

const TIMEOUT_FEATURE = `Feature: an attack that outlives its timeout
  @SLOW-ATTACK
  Scenario: the attack sleeps past its bound
    Given a target container running:
      """
      exec sleep 300
      """
    When I launch an attack with a timeout of 2 seconds:
      """
      echo started; sleep 60
      """
    Then the attack exits with status 0
`;

describe('a Gherkin-only attack', () => {
  const greeting = `hello-${process.pid}`;
  const dir = project({ 'features/gen.feature': GHERKIN_ONLY, 'features/timeout.feature': TIMEOUT_FEATURE });

  test('runs on Docker and Podman: exit 0 when it holds, exit 1 (a finding) when its output assertion fails', async () => {
    const env = { KEELHAUL_TEST_GREETING: greeting };
    await Promise.all(ENGINES.map(async ([engine, host]) => {
      const ok = await runKeelhaul(['run', 'features/gen.feature', '--tags', '@ok', '--target', host, '--reports', `r-ok-${engine}`], { cwd: dir, env });
      assert.equal(ok.exitCode, 0, `${engine}: ${ok.stdout}${ok.stderr}`);
      assert.deepEqual(outcomes(ok.summary), { 'GEN-01': 'pass' });
      const gen01 = ok.summary.scenarios[0];
      assert.equal(gen01.observations.attackExitCode, 0);
      assert.match(String(gen01.observations.targetIp), /^\d+\.\d+\.\d+\.\d+$/);
      // The attack's output is attached to the reports.
      const attachments = readFileSync(join(ok.reportsDir, 'messages.ndjson'), 'utf8').split('\n').filter(Boolean)
        .map((line) => JSON.parse(line).attachment).filter((a) => a?.fileName === 'attack.txt')
        .map((a) => (a.contentEncoding === 'BASE64' ? Buffer.from(a.body, 'base64').toString('utf8') : a.body));
      assert.equal(attachments.length, 1);
      assert.match(attachments[0], new RegExp(`^\\$ echo "${greeting}" \\| nc -w 3 \\d+\\.\\d+\\.\\d+\\.\\d+ 7000\\n[^]*--- stdout\\n${greeting}\\n`));
      assert.deepEqual(await leftovers(host, ok.summary.run), [], engine);

      const bad = await runKeelhaul(['run', 'features/gen.feature', '--tags', '@bad', '--target', host, '--reports', `r-bad-${engine}`], { cwd: dir, env });
      assert.equal(bad.exitCode, 1, `${engine}: ${bad.stdout}${bad.stderr}`);
      assert.deepEqual(outcomes(bad.summary), { 'GEN-02': 'finding' });
      assert.match(bad.summary.scenarios[0].reason, /does not contain "a secret the target never had".*hello-/);
      assert.deepEqual(await leftovers(host, bad.summary.run), [], engine);
    }));
  });

  test('runs on a platform that cannot create networks (the Triton fixture): target and attack meet on its default network', async () => {
    const triton = await startTritonFixture({ upstreamSocket: DOCKER.replace(/^unix:\/\//, ''), listen: { host: '127.0.0.1', port: 0 } });
    try {
      const env = { KEELHAUL_TEST_GREETING: greeting };
      const result = await runKeelhaul(['run', 'features/gen.feature', '--target', triton.url, '--reports', 'r-triton'], { cwd: dir, env });
      assert.equal(result.exitCode, 1, result.stdout + result.stderr);
      assert.deepEqual(outcomes(result.summary), { 'GEN-01': 'pass', 'GEN-02': 'finding' });
      assert.match(result.summary.scenarios[0].observations.attackNetwork, /^platform default \(network create refused: .*NotImplemented/);
      assert.deepEqual(await leftovers(DOCKER, result.summary.run), []);
    } finally {
      await triton.close();
    }
  });

  test('an <env:NAME> placeholder whose variable is unset is an authoring error (exit 2)', async () => {
    const env = { KEELHAUL_TEST_GREETING: undefined } as unknown as NodeJS.ProcessEnv;
    const result = await runKeelhaul(['run', 'features/gen.feature', '--tags', '@ok', '--target', DOCKER, '--reports', 'r-env'], { cwd: dir, env });
    assert.equal(result.exitCode, 2, result.stdout + result.stderr);
    assert.match(result.summary.scenarios[0].reason, /environment variable KEELHAUL_TEST_GREETING is not set/);
    assert.deepEqual(await leftovers(DOCKER, result.summary.run), []);
  });

  test('an attack that exceeds its timeout ends as an error with its reason, and leaves nothing labelled', async () => {
    const started = Date.now();
    const result = await runKeelhaul(['run', 'features/timeout.feature', '--target', DOCKER, '--reports', 'r-timeout'], { cwd: dir });
    assert.equal(result.exitCode, 5, result.stdout + result.stderr);
    assert.deepEqual(outcomes(result.summary), { 'SLOW-ATTACK': 'error' });
    assert.match(result.summary.scenarios[0].reason, /attack timed out after 2 s/);
    assert.equal(result.summary.scenarios[0].observations.attackTimedOut, true);
    assert.ok(Date.now() - started < 45_000, 'the 60 s attack was not cut at its 2 s bound');
    assert.deepEqual(await leftovers(DOCKER, result.summary.run), []);
  });
});

describe('keelhaul check', () => {
  const dir = project({
    'broken.feature': 'Feature: broken\n  Scenario: one\n    Given a target container running:\n      """\n      true\n      """\n   Scenari o: not a keyword\n',
    'undefined.feature': 'Feature: typo\n  Scenario: one\n    Given a target container running:\n      """\n      true\n      """\n    When I launch an attack with:\n      """\n      true\n      """\n    Then the attack output contain "x"\n',
    'ambiguous.feature': 'Feature: twice\n  Scenario: one\n    Then the banner is hidden\n',
    'steps-a/banner.steps.mjs': "import { Then } from '@cucumber/cucumber';\nThen('the banner is hidden', function () {});\n",
    'steps-b/banner.steps.ts': "import { Then } from '@cucumber/cucumber';\nThen('the banner is hidden', function (): void {});\n",
    'steps-broken/typo.steps.ts': "import { Then } from '@cucumber/cucumber';\nThen('x', function ( {});\n",
    'bad-profile.yaml': 'name: 42\npromises:\n  seccomp: "very"\n',
    'ok.feature': 'Feature: fine\n  Scenario: one\n    Given a container with the platform\'s default settings\n    Then seccomp filtering is on\n',
  });
  // No platform is needed: point DOCKER_HOST at nothing to prove it.
  const env = { DOCKER_HOST: 'unix:///nonexistent/docker.sock' };

  test('finds each authoring mistake with its location, exit 2, without a platform', async () => {
    const [parse, undef, ambiguous, profile, ok, both, unloadable] = await Promise.all([
      runKeelhaul(['check', 'broken.feature'], { cwd: dir, env }),
      runKeelhaul(['check', 'undefined.feature'], { cwd: dir, env }),
      runKeelhaul(['check', 'ambiguous.feature', '--require', 'steps-a', '--require', 'steps-b'], { cwd: dir, env }),
      runKeelhaul(['check', 'ok.feature', '--profile', 'bad-profile.yaml'], { cwd: dir, env }),
      runKeelhaul(['check', 'ok.feature'], { cwd: dir, env }),
      runKeelhaul(['check', 'broken.feature', 'undefined.feature'], { cwd: dir, env }),
      runKeelhaul(['check', 'ok.feature', '--require', 'steps-broken'], { cwd: dir, env }),
    ]);
    assert.equal(parse.exitCode, 2, parse.stdout + parse.stderr);
    assert.match(parse.stdout, /^parse error: broken\.feature:7:4: .*got 'Scenari o: not a keyword'/m);

    assert.equal(undef.exitCode, 2, undef.stdout + undef.stderr);
    assert.match(undef.stdout, /^undefined\.feature:11:5: undefined step "the attack output contain "x""$/m);
    assert.match(undef.stdout, /did you mean:\n(\s+.*\n)*\s+the attack output contains \{string\}$/m);
    // The snippet takes the keyword an "And"/"Then" stands for and turns quoted text into {string}.
    assert.match(undef.stdout, /Then\('the attack output contain \{string\}', async function \(this: KeelhaulWorld, s1: string\)/);

    assert.equal(ambiguous.exitCode, 2, ambiguous.stdout + ambiguous.stderr);
    assert.match(ambiguous.stdout, /^ambiguous\.feature:3:5: ambiguous step "the banner is hidden": .*steps-a\/banner\.steps\.mjs:2.*steps-b\/banner\.steps\.ts:2/m);

    assert.equal(profile.exitCode, 2, profile.stdout + profile.stderr);
    assert.match(profile.stdout + profile.stderr, /bad-profile\.yaml/);

    assert.equal(ok.exitCode, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /1 scenario\(s\), no problems/);

    // A file that does not parse does not hide the step problems of the others.
    assert.equal(both.exitCode, 2, both.stdout + both.stderr);
    assert.match(both.stdout, /^parse error: broken\.feature:7:4: /m);
    assert.match(both.stdout, /^undefined\.feature:11:5: undefined step/m);
    assert.match(both.stdout, /keelhaul check: 2 problem\(s\)/);

    // A step file with a syntax error: exit 2 with the file, line and column.
    assert.equal(unloadable.exitCode, 2, unloadable.stdout + unloadable.stderr);
    assert.match(unloadable.stdout, /^cannot load step definitions: .*\n\s+\S*steps-broken\/typo\.steps\.ts:2:\d+: ERROR: /m);
  });
});

describe('keelhaul steps', () => {
  test('lists every step definition, with its source location, description and example', async () => {
    const written = (dir: string) => readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .reduce((n, f) => n + (readFileSync(join(dir, f), 'utf8').match(/^(Given|When|Then)\(/gm)?.length ?? 0), 0);
    const [ours, withExample] = await Promise.all([
      runKeelhaul(['steps', '--format', 'json'], { cwd: ROOT }),
      runKeelhaul(['steps', '--format', 'json', '--require', 'examples/custom-attack/steps'], { cwd: ROOT }),
    ]);
    assert.equal(ours.exitCode, 0, ours.stderr);
    const entries = JSON.parse(ours.stdout) as Array<{ pattern: string; description: string; example: string; file: string; line: number }>;
    assert.equal(entries.length, written(join(ROOT, 'steps')), 'one catalogue entry per Given/When/Then in steps/');
    for (const e of entries) {
      assert.match(e.file, /^steps\/.*\.ts$/, `${e.pattern}: location is the .ts source`);
      const sourceLine = readFileSync(join(ROOT, e.file), 'utf8').split('\n')[e.line - 1] ?? '';
      assert.match(sourceLine, /(Given|When|Then)\(/, `${e.file}:${e.line} is where "${e.pattern}" is defined`);
    }
    const attack = entries.filter((e) => e.file === 'steps/attack.steps.ts');
    assert.ok(attack.length >= 15);
    for (const e of attack) assert.ok(e.description && e.example, `${e.pattern} has a description and an example`);
    assert.equal(JSON.parse(withExample.stdout).length, entries.length + written(join(EXAMPLE, 'steps')));
  });
});

describe('a user\'s own TypeScript steps through --require', () => {
  test('the example project runs from the repository root and from its own folder (exit 0)', async () => {
    const [fromRoot, fromExample] = await Promise.all([
      runKeelhaul(['run', 'examples/custom-attack/features', '--require', 'examples/custom-attack/steps', '--target', DOCKER, '--reports', project({}) + '/r'], { cwd: ROOT }),
      runKeelhaul(['run', 'features', '--require', 'steps', '--target', PODMAN, '--reports', project({}) + '/r'], { cwd: EXAMPLE }),
    ]);
    assert.equal(fromRoot.exitCode, 0, fromRoot.stdout + fromRoot.stderr);
    assert.deepEqual(outcomes(fromRoot.summary), { 'CUSTOM-01': 'pass', 'CUSTOM-02': 'pass' });
    assert.deepEqual(await leftovers(DOCKER, fromRoot.summary.run), []);
    assert.equal(fromExample.exitCode, 0, fromExample.stdout + fromExample.stderr);
    assert.deepEqual(outcomes(fromExample.summary), { 'CUSTOM-01': 'pass', 'CUSTOM-02': 'pass' });
    assert.deepEqual(await leftovers(PODMAN, fromExample.summary.run), []);
  });

  test('its custom check is a finding on a platform that shares the host\'s pid namespace', async (t) => {
    if (!(await reachable(WEAK))) return t.skip('the weak fixture daemon is not up (test/fixtures/daemons.sh up weak)');
    await withPlant('host-pid', async () => {
      const result = await runKeelhaul(['run', 'features', '--require', 'steps', '--tags', '@CUSTOM-01', '--target', WEAK, '--reports', project({}) + '/r'], { cwd: EXAMPLE });
      assert.equal(result.exitCode, 1, result.stdout + result.stderr);
      assert.deepEqual(outcomes(result.summary), { 'CUSTOM-01': 'finding' });
      assert.match(result.summary.scenarios[0].reason, /the container sees \d+ processes|the host's init/);
      assert.deepEqual(await leftovers(WEAK, result.summary.run), []);
    });
  });
});

before(async () => {
  for (const [engine, host] of ENGINES) assert.ok(await reachable(host), `${engine} is not reachable at ${host}: run scripts/engines.sh up`);
});

// ---- no vacuous passes (issue 14): a scenario passes only if its judgement observed what it judges ----

const UNREACHABLE = 'tcp://127.0.0.1:1'; // authoring errors are found before the platform is contacted

const NO_STEPS = 'Feature: broken\n  Scenario: x\n    Given\n    Scenari o oops\n';
const MISSPELT = 'Feature: typos\n  Scenario: y\n    Thn foo\n    Given a container started with no options\n';

describe('no vacuous passes: authoring', () => {
  test('a scenario with no steps, or description lines that look like a step or a misspelt keyword, is exit 2 with file:line (check and run)', async () => {
    const dir = project({ 'features/broken.feature': NO_STEPS, 'features/typos.feature': MISSPELT });
    const check = await runKeelhaul(['check', 'features'], { cwd: dir });
    assert.equal(check.exitCode, 2, check.stdout + check.stderr);
    assert.match(check.stdout, /^features\/broken\.feature:2:3: Scenario "x" has no steps: it would pass having checked nothing$/m);
    assert.match(check.stdout, /^features\/broken\.feature:3:5: "Given" is a step keyword with no step text: Gherkin reads this line as description, not as a step$/m);
    assert.match(check.stdout, /^features\/broken\.feature:4:5: "Scenari o oops" looks like a misspelt "Scenario"/m);
    assert.match(check.stdout, /^features\/typos\.feature:3:5: "Thn foo" looks like a misspelt "Then"/m);
    for (const file of ['broken', 'typos']) {
      const run = await runKeelhaul(['run', `features/${file}.feature`, '--target', UNREACHABLE, '--reports', `r-${file}`], { cwd: dir });
      assert.equal(run.exitCode, 2, run.stdout + run.stderr);
      assert.match(run.stderr, new RegExp(`^keelhaul: features/${file}\\.feature:\\d+:\\d+: `));
      assert.doesNotMatch(run.stderr, /cannot reach/);
    }
  });

  test('the shipped features and the examples stay clean', async () => {
    const shipped = await runKeelhaul(['check', join(ROOT, 'features')]);
    assert.equal(shipped.exitCode, 0, shipped.stdout + shipped.stderr);
    const example = await runKeelhaul(['check', join(EXAMPLE, 'features'), '--require', join(EXAMPLE, 'steps')]);
    assert.equal(example.exitCode, 0, example.stdout + example.stderr);
  });

  test('an argument a step cannot judge is refused at authoring time: "this step judges ..."', async () => {
    const dir = project({
      'features/args.feature': 'Feature: args\n  Scenario: a\n    Given a container started with no options\n'
        + '    Then "etc/shadow" are masked or absent\n    And its effective capabilities include none of "SYS_ADMN"\n'
        + '    And its "pid, nett" namespaces are not the host\'s initial ones\n',
    });
    const check = await runKeelhaul(['check', 'features'], { cwd: dir });
    assert.equal(check.exitCode, 2, check.stdout);
    assert.match(check.stdout, /^features\/args\.feature:4:5: .*this step judges absolute paths inside the container; not "etc\/shadow"$/m);
    assert.match(check.stdout, /^features\/args\.feature:5:5: .*this step judges these capabilities .*not "SYS_ADMN"$/m);
    assert.match(check.stdout, /^features\/args\.feature:6:5: .*this step judges these namespace kinds: pid, net, ipc, uts, mnt, user, cgroup, time; not "nett"$/m);
    const run = await runKeelhaul(['run', 'features', '--target', UNREACHABLE], { cwd: dir });
    assert.equal(run.exitCode, 2, run.stdout + run.stderr);
  });

  test('paths that hold no scenario: check says "no feature files" (2), run says nothing ran (3), other kinds of path are usage errors (2)', async () => {
    // (.attack files are read like .feature since issue 18; Gauntlt's old .audit name is not.)
    const dir = project({ 'attacks/x.audit': 'Feature: gauntlt\n', 'x.txt': 'hello\n' });
    const check = await runKeelhaul(['check', 'attacks'], { cwd: dir });
    assert.equal(check.exitCode, 2);
    assert.equal(check.stderr.trim(), 'keelhaul: no feature files in attacks (keelhaul reads .feature, .attack files)');
    const run = await runKeelhaul(['run', 'attacks', '--target', UNREACHABLE], { cwd: dir });
    assert.equal(run.exitCode, 3);
    assert.equal(run.stderr.trim(), 'keelhaul: nothing ran: attacks holds no feature file');
    for (const path of ['attacks/x.audit', 'x.txt']) {
      const r = await runKeelhaul(['check', path], { cwd: dir });
      assert.equal(r.exitCode, 2, r.stderr);
      assert.match(r.stderr.trim(), new RegExp(`^keelhaul: features path ${path.replace('.', '\\.')}: [^\\n]+$`));
      assert.doesNotMatch(r.stderr, /internal error/);
    }
  });
});

const PATHS_FEATURE = `Feature: paths the shared probe does not look at
  Background:
    Given a container started with no options

  @VP-MASK
  Scenario: files that are not masked
    Then "/proc/cpuinfo, /etc/hostname" are masked or absent

  @VP-RO
  Scenario: folders that are writable
    Then "/etc, /tmp" are read-only where they exist

  @VP-SYSCTL
  Scenario: a kernel interface the shared probe does not list
    Then "/proc/sys/kernel/hostname" are read-only where they exist
    And "/proc/sys/kernel/hostname" cannot be opened for writing

  @VP-ABSENT
  Scenario: a path that does not exist
    Then "/keelhaul/no/such/path" are masked or absent
`;

describe('no vacuous passes: a path a step names is examined', () => {
  const dir = project({ 'features/paths.feature': PATHS_FEATURE });
  const FOLLOW_UP = 'a follow-up container of the same configuration';

  test('on Docker and Podman: unmasked files and writable folders are findings, a read-only sysctl and an absent path pass, each examined by a follow-up container', async () => {
    await Promise.all(ENGINES.map(async ([engine, host]) => {
      const r = await runKeelhaul(['run', 'features', '--target', host, '--reports', `r-paths-${engine}`], { cwd: dir });
      assert.equal(r.exitCode, 1, `${engine}: ${r.stdout}${r.stderr}`);
      assert.deepEqual(outcomes(r.summary), { 'VP-MASK': 'finding', 'VP-RO': 'finding', 'VP-SYSCTL': 'pass', 'VP-ABSENT': 'pass' }, engine);
      const byId = Object.fromEntries(r.summary.scenarios.map((s: any) => [s.id, s]));
      assert.match(byId['VP-MASK'].reason, /not masked: \/proc\/cpuinfo, \/etc\/hostname/);
      assert.match(byId['VP-RO'].reason, /writable: \/etc \(mounted rw at \/\), \/tmp/);
      assert.deepEqual(byId['VP-ABSENT'].observations.maskedPaths, { '/keelhaul/no/such/path': 'absent' });
      for (const s of r.summary.scenarios) assert.equal(s.observations.pathsExaminedBy, FOLLOW_UP, `${engine} ${s.id}`);
      assert.deepEqual(await leftovers(host, r.summary.run), [], engine);
    }));
  });

  test('on the weak fixture with /proc/sys writable (plant rw-proc-sys), the sysctl the shared probe does not list is a finding', async () => {
    if (!(await reachable(WEAK))) throw new Error(`the weak fixture daemon is not up at ${WEAK} (test/fixtures/daemons.sh up weak)`);
    const r = await withPlant('rw-proc-sys', () => runKeelhaul(['run', 'features', '--tags', '@VP-SYSCTL', '--target', WEAK, '--reports', 'r-paths-weak'], { cwd: dir }));
    assert.equal(r.exitCode, 1, r.stdout + r.stderr);
    assert.deepEqual(outcomes(r.summary), { 'VP-SYSCTL': 'finding' });
    assert.match(r.summary.scenarios[0].reason, /writable: \/proc\/sys\/kernel\/hostname \(mounted rw at \/proc(\/sys)?\)/);
    assert.deepEqual(await leftovers(WEAK, r.summary.run), []);
  });
});
