// report.html and the console, from the real binary on Docker: a run with a finding (a user step
// that lists 25 host paths and quotes a container's hostile output), two conformance checks (the
// matrix) and a cheap noisy-neighbour scenario (RES-07: a chart). The page is opened in headless
// Chromium: the findings, the matrix and the chart are in the DOM, the container's markup is text,
// and the page makes no request (Chromium's own net log; a control page shows the check can fail).
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOCKER, PODMAN, ROOT, labelledContainers, project, reachable, runKeelhaul, type KeelhaulResult } from '../helpers/keelhaul.js';

const PATHS = Array.from({ length: 25 }, (_, i) => `/run/keelhaul-p${i} (bind from /dev/vda)`);
const HOSTILE = `<img src=x onerror=alert(1)><script>document.title='pwned'</script>`;
const FEATURE = `Feature: Report fixtures
  @HTML-01
  Scenario: A finding that lists 25 host paths and quotes what a container printed
    Then a container's output and 25 host paths make a finding
`;
const STEPS = `import { Then } from '@cucumber/cucumber';
import { Finding } from 'keelhaul';
const PATHS = ${JSON.stringify(PATHS)};
Then("a container's output and 25 host paths make a finding", async function () {
  const r = await this.probe(${JSON.stringify(`printf '%s' "${HOSTILE.replace(/"/g, '\\"')}"`)});
  this.observe('containerSaid', r.stdout);
  this.observe('hostMounts', PATHS);
  throw new Finding('host filesystem visible, and the container said ' + r.stdout + ': ' + PATHS.join('; '));
});
`;

const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--hide-scrollbars',
  // Chromium's own background requests (component updates, accounts) must not leave the machine either.
  '--host-resolver-rules=MAP * ~NOTFOUND',
];

function chromium(args: string[], timeoutMs = 90_000) {
  const profile = mkdtempSync(join(tmpdir(), 'keelhaul-chromium-'));
  try {
    return spawnSync('chromium', [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, ...args], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** The requests a page made, from Chromium's net log: a page's have its (file, "null") origin as initiator; Chromium's own have none. */
function pageRequests(file: string): { dom: string; requests: string[] } {
  const log = join(mkdtempSync(join(tmpdir(), 'keelhaul-netlog-')), 'net.json');
  const r = chromium([`--log-net-log=${log}`, '--virtual-time-budget=5000', '--dump-dom', `file://${file}`]);
  assert.equal(r.status, 0, r.stderr);
  const netlog = JSON.parse(readFileSync(log, 'utf8'));
  const types = Object.fromEntries(Object.entries(netlog.constants.logEventTypes as Record<string, number>).map(([k, v]) => [v, k]));
  const requests = (netlog.events as Array<{ type: number; params?: Record<string, string> }>)
    .filter((e) => types[e.type] === 'URL_REQUEST_START_JOB' && e.params?.url && e.params.initiator !== 'not an origin')
    .map((e) => `${e.params!.initiator} -> ${e.params!.url}`);
  return { dom: r.stdout, requests };
}

/** Every real tag of a page (escaped text has no "<"): nothing that runs or fetches, links only within the page (or to a sibling report). */
function assertInert(html: string): void {
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">/);
  for (const whole of html.match(/<[a-zA-Z][^>]*>/g) ?? []) {
    const tag = whole.replace(/="[^"]*"/g, '=""');
    assert.doesNotMatch(tag, /^<(script|img|iframe|object|embed|link|image|use|base|form|audio|video|source)\b/i, whole);
    assert.doesNotMatch(tag, /\s(on[a-z]+|src|srcset|action|xlink:href)=/i, whole);
    const href = /\shref="([^"]*)"/.exec(whole)?.[1];
    if (href !== undefined) assert.match(href, /^(#|[\w.-]+\/report\.html$)/, whole);
  }
  assert.doesNotMatch(html.slice(html.indexOf('<style>'), html.indexOf('</style>')), /url\(|@import/i);
}

describe('report.html and the console', () => {
  let cwd = '';
  let run: KeelhaulResult;
  let reportPath = '';

  before(async () => {
    assert.ok(await reachable(DOCKER), `Docker is not reachable at ${DOCKER}: run scripts/engines.sh up`);
    assert.equal(spawnSync('sh', ['-c', 'command -v chromium']).status, 0, 'chromium is missing (scripts/test-tools.sh installs it)');
    cwd = project({ 'features/fixtures.feature': FEATURE, 'steps/fixtures.steps.mjs': STEPS });
    run = await runKeelhaul([
      'run', 'features', join(ROOT, 'features', 'conformance'), join(ROOT, 'features', 'noisy-neighbours'), '--require', 'steps',
      '--tags', '@HTML-01 or @CONF-V1 or @CONF-E1 or @RES-07', '--target', DOCKER, '--reports', 'reports',
    ], { cwd, timeoutMs: 240_000 });
    assert.equal(run.exitCode, 1, run.stdout + run.stderr);
    assert.deepEqual(run.summary.scenarios.map((s: any) => [s.id, s.outcome]).sort(), [['CONF-E1', 'pass'], ['CONF-V1', 'pass'], ['HTML-01', 'finding'], ['RES-07', 'pass']]);
    assert.deepEqual(await labelledContainers(DOCKER, run.summary.run), []);
    reportPath = join(run.reportsDir, 'report.html');
  });

  test('the console bounds the reason ("+20 more"); summary.json keeps all 25 items', () => {
    const lines = run.stdout.split('\n').filter((l) => /HTML-01/.test(l));
    assert.ok(lines.length >= 2, run.stdout); // its progress line and its line in the summary
    for (const line of lines) {
      const more = /; \+(\d+) more$/.exec(line);
      assert.ok(more, `no "+N more" on: ${line}`);
      const shown = PATHS.filter((p) => line.includes(p)).length;
      assert.ok(shown >= 1 && shown <= 5, line);
      assert.equal(shown + Number(more[1]), 25, line);
      assert.ok(line.length < 420, `a bounded line: ${line.length} characters`);
    }
    const reason: string = run.summary.scenarios.find((s: any) => s.id === 'HTML-01').reason;
    for (const path of PATHS) assert.ok(reason.includes(path), `summary.json lost ${path}`);
    assert.equal(reason.split('; ').length, 25);
  });

  test('without a terminal: one plain progress line per scenario, no carriage return, no escape sequence', () => {
    assert.doesNotMatch(run.stdout + run.stderr, /[\r\u001b]/);
    const progress = run.stdout.split('\n').filter((l) => /^keelhaul \[\d\/4\] /.test(l));
    assert.deepEqual(progress.map((l) => /^keelhaul \[(\d)\/4\]/.exec(l)![1]), ['1', '2', '3', '4']);
    assert.match(progress[3]!, /· 3 pass, 1 finding/);
    assert.doesNotMatch(run.stdout, /Failures:|Attachment \(|^\s+at /m, 'no cucumber failure dump with attachments and stack traces');
    assert.match(run.stdout, new RegExp(`^report: ${reportPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  });

  test('report.html is one self-contained file that runs nothing and fetches nothing', () => {
    const html = readFileSync(reportPath, 'utf8');
    assertInert(html);
    assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;'), 'the container\'s output is in the page, escaped');
  });

  test('rendered in Chromium: findings with their evidence, the matrix, a chart; the container\'s markup stays text; no request', () => {
    const { dom, requests } = pageRequests(reportPath);
    assert.deepEqual(requests, [], 'the page made no request');
    // findings first, with the whole evidence
    const findings = dom.slice(dom.indexOf('<section id="findings">'), dom.indexOf('</section>', dom.indexOf('<section id="findings">')));
    assert.match(findings, /<span class="id">HTML-01<\/span>/);
    for (const path of PATHS) assert.ok(findings.includes(`<li>${path}</li>`), `the evidence lists ${path}`);
    assert.ok(dom.indexOf('id="findings"') < dom.indexOf('id="matrix"'));
    // the container's markup is text in the DOM: no element came from it, no script ran
    assert.doesNotMatch(dom, /<img|<script/i);
    assert.match(dom, /&lt;img src=x onerror=alert\(1\)&gt;/);
    assert.doesNotMatch(dom, /<title>pwned/);
    // the matrix (run/matrix.ts's table) and the RES-07 chart with its bars
    assert.match(dom, /<td class="id">CONF-V1<\/td>[\s\S]*?<td class="cell k-conformant"/);
    assert.match(dom, /<td class="id">CONF-E1<\/td>/);
    const chart = /<figure class="chartbox">[\s\S]*?RES-07[\s\S]*?(<svg class="chart"[\s\S]*?<\/svg>)/.exec(dom);
    assert.ok(chart, 'a chart for RES-07');
    assert.equal((chart![1]!.match(/<rect x=/g) ?? []).length, 4, 'offender asked/started, victim asked/started');
    assert.match(chart![1]!, /<title>offender's pids limit 50: 50<\/title>|<title>offender&#39;s pids limit 50: 50<\/title>/);
  });

  test('the net-log check can fail: a page that loads an image and a stylesheet is caught', () => {
    const control = join(mkdtempSync(join(tmpdir(), 'keelhaul-control-')), 'control.html');
    writeFileSync(control, '<!doctype html><p>control</p><img src="http://127.0.0.1:9/x.png"><link rel="stylesheet" href="http://127.0.0.1:9/s.css">');
    const { requests } = pageRequests(control);
    assert.deepEqual(requests.sort(), ['null -> http://127.0.0.1:9/s.css', 'null -> http://127.0.0.1:9/x.png']);
    assert.throws(() => assertInert(readFileSync(control, 'utf8')));
  });

  test('a screenshot of the page renders', () => {
    const png = join(process.env.KEELHAUL_SCREENSHOT_DIR ?? mkdtempSync(join(tmpdir(), 'keelhaul-shot-')), 'report-html.png');
    const shot = chromium(['--window-size=1280,1700', `--screenshot=${png}`, `file://${reportPath}`]);
    assert.equal(shot.status, 0, shot.stderr);
    assert.ok(existsSync(png) && statSync(png).size > 30_000, 'a screenshot with content');
  });

  test('keelhaul report rewrites report.html from summary.json with no Java, and says where it is', () => {
    const before = readFileSync(reportPath, 'utf8');
    rmSync(reportPath);
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli', 'main.js'), 'report', '--reports', run.reportsDir], {
      encoding: 'utf8', timeout: 60_000, env: { ...process.env, JAVA_HOME: '/nonexistent-java' },
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`report\\.html of 4 scenario\\(s\\): ${reportPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.match(r.stdout, /Allure HTML skipped: no Java here/);
    const after = readFileSync(reportPath, 'utf8');
    const stable = (html: string) => html.replace(/written [0-9T:.Z-]+/, 'written X');
    assert.equal(stable(after), stable(before), 'the same page from the same summary.json');
  });

  test('several targets: a report in each target folder and a combined one with a part per target', async () => {
    assert.ok(await reachable(PODMAN), `Podman is not reachable at ${PODMAN}`);
    const multi = await runKeelhaul(['run', join(ROOT, 'features', 'conformance'), '--tags', '@CONF-V1', '--target', DOCKER, '--target', PODMAN, '--reports', 'multi'], { cwd, timeoutMs: 180_000 });
    assert.equal(multi.exitCode, 0, multi.stdout + multi.stderr);
    const slugs = ['unix-var-run-docker.sock', 'unix-run-podman-podman.sock'];
    for (const slug of slugs) {
      const own = readFileSync(join(multi.reportsDir, slug, 'report.html'), 'utf8');
      assertInert(own);
      assert.match(own, /<td class="id">CONF-V1<\/td>/);
    }
    const combined = readFileSync(join(multi.reportsDir, 'report.html'), 'utf8');
    assertInert(combined);
    assert.match(combined, /keelhaul report: 2 targets/);
    for (const slug of slugs) assert.ok(combined.includes(`<a href="${slug}/report.html">`), slug);
    assert.match(combined, /id="t1-findings"[\s\S]*id="t2-findings"[\s\S]*id="matrix"/);
    assert.match(multi.stderr, /report of 2 target\(s\): .*multi\/report\.html/);
    const { requests } = pageRequests(join(multi.reportsDir, 'report.html'));
    assert.deepEqual(requests, []);
    // keelhaul report on such a folder writes the combined page again, targets in the order they ran
    rmSync(join(multi.reportsDir, 'report.html'));
    const again = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli', 'main.js'), 'report', '--no-allure', '--reports', multi.reportsDir], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(again.status, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /report\.html of 2 targets: /);
    const rewritten = readFileSync(join(multi.reportsDir, 'report.html'), 'utf8');
    assert.match(rewritten, /Target 1: <code>unix:\/\/\/var\/run\/docker\.sock<\/code>[\s\S]*Target 2: <code>unix:\/\/\/run\/podman\/podman\.sock<\/code>/);
  });
});
