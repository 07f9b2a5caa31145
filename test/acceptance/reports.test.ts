// Reports for pipelines: junit.xml that Jenkins' junit step and Bamboo's JUnit parser accept
// (validated against the Jenkins JUnit XSD with xmllint), Allure results written by every run, and
// `keelhaul report` turning them into HTML that really renders (opened in headless Chromium).
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOCKER, ROOT, labelledContainers, project, reachable, runKeelhaul } from '../helpers/keelhaul.js';

const XSD = join(ROOT, 'test', 'schemas', 'jenkins-junit.xsd');
const BASELINE = readFileSync(join(ROOT, 'features', 'isolation', 'baseline.feature'), 'utf8');
const NO_CAPS_PROFILE = `name: no-capabilities
description: a profile that allows no capability at all, so ISO-01 must report a finding
multiTenant: true
promises:
  seccomp: true
  defaultCapabilities: []
`;
// Every other outcome, from a user's step file (plain JS through --require).
const MIXED_FEATURE = `Feature: Mixed outcomes
  Scenario: A check that breaks
    Given a container with the platform's default settings
    Then the check itself breaks

  Scenario: A check that does not apply
    Given a container with the platform's default settings
    Then the check does not apply here

  Scenario: A check that cannot decide
    Given a container with the platform's default settings
    Then the check cannot decide

  Scenario: A finding thrown as Finding
    Given a container with the platform's default settings
    Then a finding is thrown
`;
const MIXED_STEPS = `import { Then } from '@cucumber/cucumber';
import { Finding } from 'keelhaul';
Then('the check itself breaks', function () { throw new Error('the probe output could not be parsed'); });
Then('the check does not apply here', function () { this.notApplicable('no such feature on this platform'); });
Then('the check cannot decide', function () { this.inconclusive('the platform answered both ways'); });
Then('a finding is thrown', function () { throw new Finding('the platform let it through'); });
`;
const ISO01 = "A default container holds only the engine's minimal privileges";
const ISO02 = 'A default container has namespaces of its own';

function xmllint(file: string) {
  const r = spawnSync('xmllint', ['--noout', '--schema', XSD, file], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

function chromium(args: string[], timeoutMs = 90_000) {
  const profile = mkdtempSync(join(tmpdir(), 'keelhaul-chromium-'));
  const r = spawnSync('chromium', [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--hide-scrollbars', `--user-data-dir=${profile}`, '--virtual-time-budget=15000', ...args,
  ], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  return r;
}

/** The test tree Allure rendered: one entry per scenario, with the status icon it shows. */
function renderedScenarios(dom: string): Array<{ href: string; status: string; name: string }> {
  const leaves = [...dom.matchAll(/<a class="node node__leaf" href="([^"]+)">([\s\S]*?)<\/a>/g)];
  return leaves.map((m) => ({
    href: m[1]!,
    status: /status-icon_status_(\w+)/.exec(m[2]!)?.[1] ?? '?',
    name: (/node__name[^>]*>([\s\S]*?)<\/div>/.exec(m[2]!)?.[1] ?? '?').replace(/&#39;|&apos;/g, "'").trim(),
  }));
}

describe('reports for CI', () => {
  let cwd = '';
  let reports = '';
  let run: Awaited<ReturnType<typeof runKeelhaul>>;

  before(async () => {
    assert.ok(await reachable(DOCKER), `Docker is not reachable at ${DOCKER}: run scripts/engines.sh up`);
    for (const tool of ['xmllint', 'chromium']) {
      assert.equal(spawnSync('sh', ['-c', `command -v ${tool}`]).status, 0, `${tool} is missing (apt-get install -y libxml2-utils chromium)`);
    }
    // One pass (ISO-02) and one finding (ISO-01 against a profile that allows no capability).
    cwd = project({ 'features/baseline.feature': BASELINE, 'no-caps.yaml': NO_CAPS_PROFILE });
    run = await runKeelhaul(['run', 'features', '--profile', 'no-caps.yaml', '--target', DOCKER, '--reports', 'reports'], { cwd });
    reports = run.reportsDir;
    assert.equal(run.exitCode, 1, run.stdout + run.stderr);
    assert.deepEqual(await labelledContainers(DOCKER, run.summary.run), []);
  });

  test('junit.xml validates against the Jenkins JUnit XSD, with the finding as a <failure>', () => {
    const junit = join(reports, 'junit.xml');
    const v = xmllint(junit);
    assert.equal(v.status, 0, v.output);
    const xml = readFileSync(junit, 'utf8');
    assert.match(xml, /<testsuite [^>]*tests="2"[^>]*failures="1"/);
    assert.equal((xml.match(/<testcase /g) ?? []).length, 2);
    assert.equal((xml.match(/<failure /g) ?? []).length, 1);
    assert.match(xml, /classname="Default container isolation baseline"/);
  });

  test('the schema check can fail: a testcase without a name, or a suite without tests, is rejected', () => {
    const xml = readFileSync(join(reports, 'junit.xml'), 'utf8');
    const dir = mkdtempSync(join(tmpdir(), 'keelhaul-junit-'));
    const noName = join(dir, 'no-name.xml');
    writeFileSync(noName, xml.replace(/(<testcase [^>]*?) name="[^"]*"/, '$1'));
    const noTests = join(dir, 'no-tests.xml');
    writeFileSync(noTests, xml.replace(/ tests="\d+"/, ''));
    for (const file of [noName, noTests]) {
      const v = xmllint(file);
      assert.notEqual(v.status, 0, `xmllint accepted ${file}: ${v.output}`);
      assert.match(v.output, /fails to validate/);
    }
  });

  test('Allure results: one result per scenario, with its status', () => {
    const dir = join(reports, 'allure-results');
    const results = readdirSync(dir).filter((f) => f.endsWith('-result.json')).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));
    const byName = Object.fromEntries(results.map((r) => [r.name, r.status]));
    assert.deepEqual(byName, { [ISO01]: 'failed', [ISO02]: 'passed' });
    assert.equal(readFileSync(join(reports, 'allure.log'), 'utf8'), '', 'the Allure formatter writes nothing to its stream');
    assert.doesNotMatch(run.stdout, /allure/i, 'stdout stays free of Allure output');
  });

  test('keelhaul report: HTML that renders in Chromium with the scenario names and outcomes', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli', 'main.js'), 'report', '--reports', reports], { encoding: 'utf8', timeout: 240_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const index = join(reports, 'allure-report', 'index.html');
    assert.ok(existsSync(index));
    assert.match(r.stdout, /Allure report of 2 scenario\(s\)/);

    const dom = chromium(['--dump-dom', `file://${index}#suites`]);
    assert.equal(dom.status, 0, dom.stderr);
    const shown = renderedScenarios(dom.stdout);
    assert.deepEqual(shown.map((s) => [s.name, s.status]).sort(), [[ISO02, 'passed'], [ISO01, 'failed']].sort(),
      `rendered: ${JSON.stringify(shown)}`);
    // The environment widget carries the run's platform (from summary.json).
    assert.match(readFileSync(join(reports, 'allure-results', 'environment.properties'), 'utf8'), /^target\.engine=docker$/m);

    // And the failing scenario's page, as a screenshot (what docs/allure-report.png shows).
    const failed = shown.find((s) => s.status === 'failed')!;
    const png = join(mkdtempSync(join(tmpdir(), 'keelhaul-shot-')), 'report.png');
    const shot = chromium(['--window-size=1400,900', `--screenshot=${png}`, `file://${index}${failed.href}`]);
    assert.equal(shot.status, 0, shot.stderr);
    assert.ok(existsSync(png) && statSync(png).size > 20_000, 'a screenshot with content');
    assert.equal(readFileSync(png).subarray(1, 4).toString(), 'PNG');
  });

  test('keelhaul report with no run in the folder: exit 2 and one line', () => {
    const empty = mkdtempSync(join(tmpdir(), 'keelhaul-noreports-'));
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli', 'main.js'), 'report', '--reports', empty], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /no summary\.json in /);
  });

  test('keelhaul report where Java is missing: report.html and a note by default; --allure insists (exit 5, one line)', () => {
    const noJava = { ...process.env, JAVA_HOME: '/nonexistent-java' };
    const bin = join(ROOT, 'dist', 'cli', 'main.js');
    const r = spawnSync(process.execPath, [bin, 'report', '--reports', reports], { encoding: 'utf8', timeout: 60_000, env: noJava });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /report\.html of 2 scenario\(s\)/);
    assert.match(r.stdout, /Allure HTML skipped: no Java here/);
    const forced = spawnSync(process.execPath, [bin, 'report', '--allure', '--reports', reports], { encoding: 'utf8', timeout: 60_000, env: noJava });
    assert.equal(forced.status, 5, forced.stdout + forced.stderr);
    assert.equal(forced.stderr.trim().split('\n').length, 1, forced.stderr);
    assert.match(forced.stderr, /allure generate failed/);
  });

  test("Allure statuses follow keelhaul's outcomes: error is broken, not-applicable skipped, inconclusive unknown, a thrown Finding failed", async () => {
    const mixed = project({
      'features/mixed.feature': MIXED_FEATURE, 'steps/mixed.steps.mjs': MIXED_STEPS, 'features/baseline.feature': BASELINE,
    });
    const r = await runKeelhaul(['run', 'features', '--tags', 'not @ISO-01', '--require', 'steps', '--target', DOCKER, '--reports', 'reports'], { cwd: mixed });
    assert.deepEqual(r.summary.outcomes, { pass: 1, finding: 1, 'not-applicable': 1, inconclusive: 1, error: 1 }, r.stdout + r.stderr);
    const dir = join(r.reportsDir, 'allure-results');
    const results = readdirSync(dir).filter((f) => f.endsWith('-result.json')).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));
    const byName = Object.fromEntries(results.map((x) => [x.name, x.status]));
    assert.deepEqual(byName, {
      [ISO02]: 'passed',
      'A check that breaks': 'broken',
      'A check that does not apply': 'skipped',
      'A check that cannot decide': 'unknown',
      'A finding thrown as Finding': 'failed',
    });
    const na = results.find((x) => x.name === 'A check that does not apply');
    assert.match(na.statusDetails.message, /not-applicable: no such feature on this platform/);
    assert.equal(xmllint(join(r.reportsDir, 'junit.xml')).status, 0, 'junit.xml of a run with every outcome validates too');
    assert.deepEqual(await labelledContainers(DOCKER, r.summary.run), []);
  });

  test('the next run in the same folder replaces the Allure results (the report shows the last run only)', async () => {
    const again = await runKeelhaul(['run', 'features', '--tags', '@ISO-02', '--target', DOCKER, '--reports', 'reports'], { cwd });
    assert.equal(again.exitCode, 0, again.stdout + again.stderr);
    const dir = join(reports, 'allure-results');
    const names = readdirSync(dir).filter((f) => f.endsWith('-result.json')).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')).name);
    assert.deepEqual(names, [ISO02]);
    assert.equal(xmllint(join(reports, 'junit.xml')).status, 0);
  });
});
