// The conformance catalogues (judges/conformance-probes.ts, -options.ts, -routes.ts) replayed on
// answers recorded from real platforms (test/unit/recordings/conformance/: Docker 20.10, Podman 4.3,
// the Triton-style fixture; how they were recorded: docs/conformance.md). Each check must get the
// class the live run of the code before the catalogues moved out of the steps gave (issue 15).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { judgeOption, judgeRefusedOption, parseFacts, OPTION_PROBE } from '../../judges/conformance-options.js';
import { PROBES, probeFor, type Answer, type Found } from '../../judges/conformance-probes.js';
import { judgeRoutes, parseRequests, type RouteAnswer } from '../../judges/conformance-routes.js';

const DIR = join(fileURLToPath(import.meta.url), '..', 'recordings', 'conformance');

interface Recorded {
  kind: 'probe' | 'routes' | 'option';
  probe?: string;
  answers?: Array<Answer & { body?: { base64: string } }> | RouteAnswer[];
  option?: string;
  value?: string;
  inspect?: Record<string, any>;
  facts?: Record<string, string>;
  refused?: { status: number; message: string };
  expected: { outcome: string; classification: string | null };
}

const engines = readdirSync(DIR).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(DIR, f), 'utf8')) as { label: string; checks: Record<string, Recorded> });

function replay(check: string, r: Recorded): Found {
  if (r.kind === 'routes') return judgeRoutes(r.answers as RouteAnswer[]);
  if (r.kind === 'option') return r.refused ? judgeRefusedOption(r.option!, r.value!, r.refused.status, r.refused.message) : judgeOption(r.option!, r.value!, r.inspect!, r.facts!);
  const probe = PROBES[r.probe!];
  assert.ok(probe, `${check}: no probe named "${r.probe}"`);
  const answers = (r.answers as Array<Answer & { body?: { base64: string } }>).map((a) => ({ ...a, body: a.body ? Buffer.from(a.body.base64, 'base64') : undefined }));
  return probe.judge(answers, { scheme: 'unix' }); // the scheme only names the transport in S4's detail
}

test('recordings of three platforms are here, each with every kind of check', () => {
  assert.deepEqual(engines.map((e) => e.label).sort(), ['docker', 'podman', 'triton']);
  for (const e of engines) {
    const kinds = new Set(Object.values(e.checks).map((c) => c.kind));
    assert.deepEqual([...kinds].sort(), ['option', 'probe', 'routes'], e.label);
    assert.ok(Object.keys(e.checks).length >= 80, `${e.label}: ${Object.keys(e.checks).length} checks`);
  }
});

for (const e of engines) {
  test(`${e.label}: every recorded check gets the class the live run gave`, () => {
    const wrong: string[] = [];
    for (const [check, r] of Object.entries(e.checks)) {
      if (r.expected.classification === null) continue; // the live run ended before a class (not applicable, inconclusive)
      const found = replay(check, r);
      if (found.classification !== r.expected.classification) wrong.push(`${check}: ${found.classification} (${found.detail}), live: ${r.expected.classification}`);
    }
    assert.deepEqual(wrong, []);
  });
}

test('the platforms differ where their profiles say they do (the recordings are not all alike)', () => {
  const cls = (label: string, check: string) => engines.find((e) => e.label === label)!.checks[check]!.expected.classification;
  assert.equal(cls('docker', 'CONF-V5'), 'conformant');
  assert.equal(cls('podman', 'CONF-V5'), 'divergent');
  assert.equal(cls('triton', 'CONF-V3'), 'divergent'); // /_ping without Api-Version
  assert.equal(cls('triton', 'CONF-C1'), 'divergent'); // 100m rounded up to the 128M package
  assert.equal(cls('triton', 'CONF-C8'), 'rejected'); // host binds refused
  assert.equal(cls('podman', 'CONF-R8'), 'unimplemented');
  assert.equal(cls('docker', 'CONF-L24'), 'conformant');
});

test('a judge notices a changed answer: the same recording with one answer altered is judged otherwise', () => {
  const docker = engines.find((e) => e.label === 'docker')!.checks;
  const ping = docker['CONF-V1']!;
  const altered = { ...ping, answers: (ping.answers as Answer[]).map((a) => ({ ...a, status: 500, text: 'no' })) };
  assert.equal(replay('CONF-V1', altered).classification, 'divergent');
  const noHeader = { ...docker['CONF-V3']!, answers: (docker['CONF-V3']!.answers as Answer[]).map((a) => ({ ...a, headers: {} })) };
  assert.equal(replay('CONF-V3', noHeader).classification, 'divergent');
  const memory = docker['CONF-C1']!;
  const ignored = { ...memory, facts: { ...memory.facts, 'cg:memory.max': 'max', 'cg:memory/memory.limit_in_bytes': '9223372036854771712' } };
  assert.equal(replay('CONF-C1', ignored).classification, 'ignored');
  const routes = docker['CONF-R3']!;
  const missing = { ...routes, answers: (routes.answers as RouteAnswer[]).map((a) => ({ ...a, status: 404, text: 'page not found' })) };
  assert.equal(replay('CONF-R3', missing).classification, 'unimplemented');
});

test('the probe step is keyed by its own text; an unknown text falls back to the probe of the @CONF tag', () => {
  assert.equal(probeFor('GET /_ping answers 200 OK', 'CONF-L3')!.check, 'CONF-V1');
  assert.equal(probeFor('the ping of my own feature', 'CONF-V2')!.check, 'CONF-V2');
  assert.equal(probeFor('the ping of my own feature', 'CONF-X9'), undefined);
  const checks = Object.values(PROBES).map((p) => p.check);
  assert.equal(new Set(checks).size, checks.length, 'one probe per check');
});

test('every probe name in the features is in the catalogue, and docs/conformance.md lists every probe', () => {
  const root = join(fileURLToPath(import.meta.url), '..', '..', '..');
  const features = readdirSync(join(root, 'features', 'conformance')).map((f) => readFileSync(join(root, 'features', 'conformance', f), 'utf8')).join('\n');
  const named = [...features.matchAll(/probed for "([^"<]+)"/g)].map((m) => m[1]!);
  const rows = [...features.matchAll(/^\s+\| [A-Z][0-9A-Z-]* +\| ([^|]+?) \|$/gm)].map((m) => m[1]!.trim()).filter((t) => t in PROBES);
  for (const name of [...named, ...rows]) assert.ok(PROBES[name], name);
  assert.equal(new Set(rows).size + named.length, Object.keys(PROBES).length, 'every probe is used by a feature row');
  const docs = readFileSync(join(root, 'docs', 'conformance.md'), 'utf8');
  for (const [name, p] of Object.entries(PROBES)) assert.ok(docs.includes(`| ${p.check} | ${name} |`), `docs/conformance.md lacks ${name}`);
});

test('route texts parse into requests; the option probe script prints key=value facts', () => {
  const { minApi, requests } = parseRequests('API>=1.42: PUT /volumes/x-{run}?version=1 {}; WS GET /a?b={"c":1}', { run: 'r1' });
  assert.equal(minApi, '1.42');
  assert.deepEqual(requests.map((r) => [r.websocket, r.method, r.path]), [[false, 'PUT', '/volumes/x-r1?version=1'], [true, 'GET', '/a?b=%7B%22c%22%3A1%7D']]);
  assert.deepEqual(parseFacts('uid=0\nnoise\ncg:pids.max=max\n'), { uid: '0', 'cg:pids.max': 'max' });
  assert.match(OPTION_PROBE, /CapEff/);
});
