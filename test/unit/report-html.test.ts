// report.html's pure parts: escaping (a platform's text never becomes markup), the chart data
// taken from the RES observations, the SVG, durations, the command line, Java detection; and a
// rendered page that is self-contained.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  axisTicks, chartSvg, chartsFor, escapeHtml, familyDurations, h, observationsHtml, raw, renderReport, shellQuote,
} from '../../run/report-html.js';
import { findJava } from '../../run/report-command.js';
import type { RunSummary } from '../../run/summary.js';

type Scenario = RunSummary['scenarios'][number];

const EVIL = `<script>alert(1)</script><img src=x onerror="alert(2)">' " & </pre></td>`;

function scenario(over: Partial<Scenario>): Scenario {
  return {
    id: 'X-01', name: 'a scenario', feature: 'F', tags: [], outcome: 'pass', reason: '', durationMs: 1000, observations: {}, location: 'f.feature:1', ...over,
  };
}

function summary(scenarios: Scenario[], over: Partial<RunSummary> = {}): RunSummary {
  const outcomes = { pass: 0, finding: 0, 'not-applicable': 0, inconclusive: 0, error: 0 };
  for (const s of scenarios) outcomes[s.outcome]++;
  return {
    run: '20260101-000000-abcdef', startedAt: '2026-01-01T00:00:00.000Z', durationMs: 5000, exitCode: outcomes.finding ? 1 : 0,
    target: { url: 'unix:///var/run/docker.sock', engine: 'docker', version: '20.10.24', apiVersion: '1.41', os: 'Debian', kernel: '6.1', cgroupVersion: '1', securityOptions: ['name=seccomp'] },
    profile: 'docker', outcomes, scenarios, exposures: [], command: ['run', '--tags', 'not @slow'], ...over,
  };
}

test('escapeHtml escapes the five characters that can open markup or leave an attribute', () => {
  assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  assert.equal(escapeHtml(undefined), '');
  assert.equal(escapeHtml(42), '42');
});

test('the h template escapes what it interpolates; only its own markup and raw() pass through', () => {
  const inner = h`<b>${EVIL}</b>`;
  const outer = h`<p title="${EVIL}">${inner}${[EVIL, 1]}${null}${undefined}${false}${raw('<i>ok</i>')}</p>`;
  assert.doesNotMatch(outer.html, /<script|<img|<\/pre>/);
  assert.match(outer.html, /^<p title="&lt;script&gt;[^"]*"><b>&lt;script&gt;alert\(1\)&lt;\/script&gt;&lt;img src=x onerror=&quot;alert\(2\)&quot;&gt;/);
  assert.match(outer.html, /1<i>ok<\/i><\/p>$/);
});

test('observations: scalars inline, plain lists one item a line, anything else as JSON, all escaped', () => {
  const html = observationsHtml({ text: EVIL, n: 3, mounts: ['/a', EVIL], caps: ['CHOWN', 'KILL'], nested: { k: EVIL } }).html;
  assert.match(html, /<dt>caps<\/dt><dd><span class="v">CHOWN, KILL<\/span>/);
  assert.doesNotMatch(html, /<script|<img/);
  assert.match(html, /<dt>n<\/dt><dd><span class="v">3<\/span>/);
  assert.match(html, /<ul class="items"><li>\/a<\/li><li>&lt;script&gt;/);
  assert.match(html, /<pre>\{\n  &quot;k&quot;: &quot;&lt;script&gt;/);
});

test('a whole page with a hostile platform is inert: no script, no element from its text, nothing fetched', () => {
  const s = summary([
    scenario({ id: 'ISO-06', outcome: 'finding', name: EVIL, feature: EVIL, reason: `host filesystem visible: ${EVIL}`, observations: { hostMounts: [EVIL] }, tags: ['@isolation'] }),
    scenario({ id: 'HARD-02', outcome: 'pass', observations: { hardening: 'effective', hardeningDetail: EVIL }, tags: ['@hardening'] }),
    scenario({ id: 'CONF-C1', outcome: 'finding', reason: EVIL, observations: { conformance: { classification: 'divergent', verdict: 'undeclared', detail: EVIL } }, tags: ['@conformance'] }),
    scenario({ id: 'RES-07', observations: { forkFlood: { limit: 50, attempted: 100, started: 48 }, verdict: EVIL }, tags: ['@noisy-neighbours'] }),
  ], { exposures: [{ id: 'HARD-02', what: EVIL }], target: { url: `tcp://${EVIL}`, engine: EVIL, version: '1', apiVersion: '1.41', os: EVIL }, profile: EVIL, command: ['run', EVIL] });
  const page = renderReport({ runs: [{ summary: s }] });
  // Every real tag (escaped text has no "<"): no active or fetching element, no handler, no source,
  // links only within the page; and the stylesheet imports nothing.
  const tags = page.match(/<[a-zA-Z][^>]*>/g) ?? [];
  assert.ok(tags.length > 50);
  for (const whole of tags) {
    const tag = whole.replace(/="[^"]*"/g, '=""'); // attribute values are text: judge the names
    assert.doesNotMatch(tag, /^<(script|img|iframe|object|embed|link|image|use|base|form|audio|video|source)\b/i, tag);
    assert.doesNotMatch(tag, /\s(on[a-z]+|src|srcset|action|xlink:href)=/i, tag);
    const href = /\shref="([^"]*)"/.exec(whole)?.[1];
    if (href !== undefined) assert.match(href, /^#/, tag);
  }
  assert.doesNotMatch(page.slice(page.indexOf('<style>'), page.indexOf('</style>')), /url\(|@import/i);
  assert.match(page, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">/);
  assert.ok(page.includes(escapeHtml(EVIL)), 'the hostile text is shown, as text');
  // the sections are all there, findings first
  const order = ['id="findings"', 'id="exposures"', 'id="hardening"', 'id="matrix"', 'id="resources"', 'id="durations"', 'id="target"'].map((m) => page.indexOf(m));
  assert.ok(order.every((i) => i > 0), JSON.stringify(order));
  assert.deepEqual([...order].sort((a, b) => a - b), order);
  assert.match(page, /<td class="cell k-undeclared"/, 'the matrix is run/matrix.ts\'s own table');
  assert.match(page, /<code>keelhaul run &#39;&lt;script&gt;/, 'the command line, quoted and escaped');
});

test('no conformance, no matrix; no RES observation, no chart; no finding says so', () => {
  const page = renderReport({ runs: [{ summary: summary([scenario({ id: 'ISO-01', tags: ['@isolation'] })]) }] });
  assert.doesNotMatch(page, /id="matrix"|id="resources"|<svg class="chart"/);
  assert.match(page, /No finding/);
});

test('chart data: RES-03 rates per trial against the quota and the allowed ceiling', () => {
  const [chart, ...rest] = chartsFor({ id: 'RES-03', observations: { cpuQuota: { quotaCpus: 0.25, ceilingCpus: 0.35, rates: [0.242, 0.233] }, throughputRatio: { baselineRates: [0.288, null] } } });
  assert.equal(rest.length, 0);
  assert.deepEqual(chart!.groups, [
    { label: 'trial 1', bars: [{ series: 'limited container', value: 0.242 }, { series: 'unlimited baseline (1 loop)', value: 0.288 }] },
    { label: 'trial 2', bars: [{ series: 'limited container', value: 0.233 }, { series: 'unlimited baseline (1 loop)', value: null }] },
  ]);
  assert.deepEqual(chart!.refs.map((r) => [r.kind, r.value]), [['limit', 0.25], ['ceiling', 0.35]]);
});

test('chart data: RES-04 alone and beside, RES-07 forks against the pids limit (strings from the probe parsed)', () => {
  const res04 = chartsFor({ id: 'RES-04', observations: { cpuRates: { victimAlone: [0.55], victimBeside: [0.22], neighbourBeside: [0.3], victimLoops: 1, neighbourLoops: 8 }, fairShare: { perTrial: [0.41], minimum: 0.22, threadLevelShare: 0.111 } } });
  assert.deepEqual(res04.map((c) => c.unit), ['cpus', 'share']);
  assert.deepEqual(res04[0]!.groups[0]!.bars.map((b) => b.value), [0.55, 0.22, 0.3]);
  assert.deepEqual(res04[1]!.refs.map((r) => r.value), [0.22, 0.111]);
  const [res07] = chartsFor({ id: 'RES-07', observations: { forkFlood: { limit: 50, attempted: 100, started: 48 }, victimForks: { asked: 20, forked: '20' } } });
  assert.deepEqual(res07!.groups.map((g) => g.bars.map((b) => b.value)), [[100, 48], [20, 20]]);
  assert.deepEqual(res07!.refs, [{ label: 'offender\'s pids limit 50', value: 50, kind: 'limit' }]);
});

test('chart data: missing or malformed observations give no chart rather than a wrong one', () => {
  assert.deepEqual(chartsFor({ id: 'ISO-01', observations: { CapEff: '00000000a80425fb' } }), []);
  assert.deepEqual(chartsFor({ id: 'RES-03', observations: { cpuQuota: { rates: 'unreadable' } } }), []);
  assert.deepEqual(chartsFor({ id: 'RES-07', observations: { forkFlood: { limit: 'x', started: null } } }), []);
});

test('the SVG: bars scale to the axis, reference lines sit at their value, labels are escaped', () => {
  const svg = chartSvg({ scenario: 'T', title: EVIL, unit: 'count', groups: [{ label: EVIL, bars: [{ series: 's', value: 50 }, { series: 't', value: 100 }] }], refs: [{ label: 'limit', value: 50, kind: 'limit' }] }).html;
  assert.doesNotMatch(svg, /<script|<img/);
  const heights = [...svg.matchAll(/<rect x="[^"]+" y="([^"]+)" width="[^"]+" height="([^"]+)"/g)].map((m) => Number(m[2]));
  assert.equal(heights.length, 2);
  assert.ok(Math.abs(heights[1]! / heights[0]! - 2) < 0.01, `100 is twice as tall as 50: ${heights}`);
  const bar50Top = Number(/<rect x="[^"]+" y="([^"]+)"/.exec(svg)![1]);
  const refY = Number(/<line x1="[^"]+" x2="[^"]+" y1="([^"]+)"[^>]*><title>limit/.exec(svg)![1]);
  assert.ok(Math.abs(bar50Top - refY) < 0.2, `the limit line at 50 meets the top of the 50 bar (${bar50Top} vs ${refY})`);
  assert.deepEqual(axisTicks(100, 'count'), [0, 50, 100, 150]);
  assert.deepEqual(axisTicks(20, 'count'), [0, 10, 20, 30]);
  assert.deepEqual(axisTicks(0.35, 'cpus'), [0, 0.1, 0.2, 0.3, 0.4]);
  assert.deepEqual(axisTicks(64 * 1024 * 1024, 'bytes').map((v) => v / 1024 / 1024), [0, 20, 40, 60, 80]);
});

test('durations per family are sums over the family tag, slowest family first', () => {
  const d = familyDurations([
    scenario({ tags: ['@isolation'], durationMs: 100 }), scenario({ tags: ['@noisy-neighbours', '@slow'], durationMs: 5000 }),
    scenario({ tags: ['@isolation'], durationMs: 300 }), scenario({ tags: [], feature: 'My own', durationMs: 7 }),
  ]);
  assert.deepEqual(d, [
    { family: 'noisy-neighbours', scenarios: 1, durationMs: 5000 }, { family: 'isolation', scenarios: 2, durationMs: 400 }, { family: 'My own', scenarios: 1, durationMs: 7 },
  ]);
});

test('the command line is quoted for a shell', () => {
  assert.equal(shellQuote(['run', '--tags', 'not @slow', '--target', 'unix:///var/run/docker.sock', "it's"]), `run --tags 'not @slow' --target unix:///var/run/docker.sock 'it'\\''s'`);
});

test('the target section says where keelhaul ran and how it reached published ports (summary.json target.runner)', () => {
  const base = summary([]);
  const runner = { where: 'container', detail: 'in a container on the engine host, in a network namespace of its own', measured: true, publishedPorts: { via: 'helper-container', detail: 'from a helper container on the target in the host\'s network namespace' } };
  const page = renderReport({ runs: [{ summary: { ...base, target: { ...base.target, runner } as any } }] });
  assert.match(page, /keelhaul ran<\/th><td>container: in a container on the engine host/);
  assert.match(page, /published ports reached<\/th><td>from a helper container on the target/);
  assert.doesNotMatch(renderReport({ runs: [{ summary: base }] }), /keelhaul ran/);
});

test('several targets: an overview linking each target\'s own report, a part per target, one matrix across them', () => {
  const conf = (verdict: string) => scenario({ id: 'CONF-V5', tags: ['@conformance'], outcome: verdict === 'conformant' ? 'pass' : 'finding', observations: { conformance: { classification: verdict === 'conformant' ? 'conformant' : 'divergent', verdict } } });
  const a = summary([conf('conformant')]);
  const b = summary([conf('undeclared')], { target: { ...a.target, url: 'unix:///run/podman/podman.sock', engine: 'podman' } });
  const page = renderReport({ runs: [{ summary: a, href: 'unix-var-run-docker.sock/report.html' }, { summary: b, href: 'unix-run-podman-podman.sock/report.html' }], command: ['run', '--target', 'A', '--target', 'B'] });
  assert.match(page, /keelhaul report: 2 targets/);
  assert.match(page, /<a href="unix-run-podman-podman.sock\/report.html">/);
  assert.match(page, /id="t1-findings"[\s\S]*id="t2-findings"[\s\S]*id="matrix"/);
  assert.equal((page.match(/id="matrix"/g) ?? []).length, 1);
  assert.match(page, /k-conformant[\s\S]*k-undeclared/);
});

test('Java for Allure: JAVA_HOME when set (as allure\'s launcher reads it), else java on PATH', () => {
  const files = new Set(['/opt/jdk/bin/java', '/usr/bin/java']);
  const isFile = (p: string) => files.has(p);
  assert.equal(findJava({ JAVA_HOME: '/opt/jdk', PATH: '/usr/bin' }, isFile), '/opt/jdk/bin/java');
  assert.equal(findJava({ JAVA_HOME: '/nonexistent', PATH: '/usr/bin' }, isFile), undefined);
  assert.equal(findJava({ PATH: '/bin:/usr/bin' }, isFile), '/usr/bin/java');
  assert.equal(findJava({ PATH: '/bin' }, isFile), undefined);
});
