import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyErrorAnswer, classifyOption, compareCheckIds, errorBodyShape, judgeLedger, parseSize, routeMissing } from '../../judges/conformance.js';
import { buildMatrix, cellText } from '../../run/matrix.js';
import { targetSlug, worstExitCode } from '../../run/multi-target.js';

const obs = (classification: any, check = 'CONF-R3') => ({ check, classification, detail: 'd' });

test('ledger: conformant and undeclared passes', () => {
  const e = judgeLedger(obs('conformant'), {}, 'docker');
  assert.equal(e.verdict, 'conformant');
  assert.equal(e.pass, true);
});

test('ledger: a declared divergence that is observed passes as known', () => {
  const e = judgeLedger(obs('unimplemented'), { 'CONF-R3': { class: 'unimplemented' } }, 'triton');
  assert.equal(e.verdict, 'known');
  assert.equal(e.pass, true);
});

test('ledger: an undeclared divergence is a finding', () => {
  const e = judgeLedger(obs('ignored', 'CONF-C1'), {}, 'docker');
  assert.equal(e.verdict, 'undeclared');
  assert.equal(e.pass, false);
  assert.match(e.message, /^undeclared divergence: CONF-C1 is ignored/);
});

test('ledger: a divergence of another class than declared is undeclared', () => {
  const e = judgeLedger(obs('rejected', 'CONF-C1'), { 'CONF-C1': { class: 'ignored' } }, 'x');
  assert.equal(e.verdict, 'undeclared');
  assert.match(e.message, /profile x declares ignored/);
});

test('ledger: declared but not observed is "profile out of date"', () => {
  const e = judgeLedger(obs('conformant', 'CONF-V3'), { 'CONF-V3': { class: 'divergent' } }, 'mine');
  assert.equal(e.verdict, 'out-of-date');
  assert.equal(e.pass, false);
  assert.match(e.message, /^profile out of date: profile mine declares CONF-V3 as divergent/);
});

test('route missing vs resource missing (conformance.md 6)', () => {
  assert.equal(routeMissing(404, '{"message":"page not found"}'), true);
  assert.equal(routeMissing(404, 'Not Found'), true);
  assert.equal(routeMissing(404, '{"cause":"","message":"Path /v1.41/plugins is not supported","response":0}'), true);
  assert.equal(routeMissing(400, '(NotImplemented) events is not implemented (abc)'), true);
  assert.equal(routeMissing(404, '(ResourceNotFound) /v1.21/system/df does not exist (x)'), true);
  assert.equal(routeMissing(405, 'Method Not Allowed'), true);
  assert.equal(routeMissing(404, '{"message":"No such container: x"}'), false);
  assert.equal(routeMissing(503, '{"message":"This node is not a swarm manager."}'), false);
  assert.equal(routeMissing(500, '{"message":"Cannot locate specified Dockerfile"}'), false);
});

test('error shapes: JSON message, JSON with extras, plain text', () => {
  assert.equal(errorBodyShape('application/json', '{"message":"page not found"}'), 'json-message');
  assert.equal(errorBodyShape('application/json', '{"cause":"x","message":"y","response":404}'), 'json-message-extra');
  assert.equal(errorBodyShape('text/plain', 'Not Found'), 'text');
  assert.equal(classifyErrorAnswer(404, 'text/plain', 'Not Found', [404]).classification, 'error-format');
  assert.equal(classifyErrorAnswer(405, 'text/plain', 'Method Not Allowed', [404]).classification, 'divergent');
  assert.equal(classifyErrorAnswer(201, 'application/json', '{"Id":"x"}', [400]).classification, 'divergent');
  assert.equal(classifyErrorAnswer(500, 'application/json', '{"message":"bad"}', [400, 500]).classification, 'conformant');
});

test('options: inspect echoing an option the container does not have is "ignored"', () => {
  const r = classifyOption({ readBack: 'echoed', effect: { notApplied: 'the container sees unlimited' } });
  assert.equal(r.classification, 'ignored');
  assert.match(r.detail, /inspect echoes the option back/);
});

test('options: refused = rejected; echoed and applied = conformant; applied differently = divergent', () => {
  assert.equal(classifyOption({ refused: { status: 500, message: 'host volumes are not supported' }, readBack: 'absent', effect: 'not-observable' }).classification, 'rejected');
  assert.equal(classifyOption({ readBack: 'echoed', effect: 'applied' }).classification, 'conformant');
  assert.equal(classifyOption({ readBack: { differs: '134217728' }, effect: 'applied' }).classification, 'divergent');
  assert.equal(classifyOption({ readBack: 'absent', effect: 'not-observable' }).classification, 'ignored');
});

test('sizes and check ordering', () => {
  assert.equal(parseSize('100m'), 104857600);
  assert.equal(parseSize('32M'), 33554432);
  assert.equal(parseSize('1g'), 1073741824);
  assert.deepEqual(['CONF-C1', 'CONF-R10', 'CONF-V2', 'CONF-R2', 'CONF-C17-SHM', 'CONF-C17', 'CONF-L1', 'CONF-E1'].sort(compareCheckIds),
    ['CONF-V2', 'CONF-E1', 'CONF-R2', 'CONF-R10', 'CONF-C1', 'CONF-C17', 'CONF-C17-SHM', 'CONF-L1']);
});

test('multi-target: worst exit code by outcome.ts precedence; slugs', () => {
  assert.equal(worstExitCode([0, 1, 0]), 1);
  assert.equal(worstExitCode([1, 5]), 1);
  assert.equal(worstExitCode([5, 3, 0]), 5);
  assert.equal(worstExitCode([1, 4]), 4);
  assert.equal(worstExitCode([2, 4]), 4);
  assert.equal(worstExitCode([1, 2]), 2);
  assert.equal(worstExitCode([0, 130]), 130);
  assert.equal(worstExitCode([3, 3]), 3);
  assert.equal(targetSlug('unix:///var/run/docker.sock'), 'unix-var-run-docker.sock');
  assert.equal(targetSlug('tcp://127.0.0.1:2375'), 'tcp-127.0.0.1-2375');
});

test('matrix: one row per check, one column per target, verdicts marked', () => {
  const summary = (url: string, cells: Array<[string, string, any]>) => ({
    run: 'r', startedAt: '', durationMs: 0, exitCode: 0, profile: 'p',
    target: { url, engine: 'docker', version: '1', apiVersion: '1.41', os: 'linux' },
    outcomes: { pass: 0, finding: 0, 'not-applicable': 0, inconclusive: 0, error: 0 },
    scenarios: cells.map(([id, outcome, c]) => ({ id, name: `${id.slice(5)}: thing`, feature: 'f', tags: ['@conformance'], outcome, reason: '', durationMs: 1, observations: c ? { conformance: c } : {}, location: '' })),
    exposures: [],
  }) as any;
  const m = buildMatrix([
    { summary: summary('a', [['CONF-R3', 'pass', { classification: 'conformant', verdict: 'conformant', detail: '' }], ['CONF-V1', 'not-applicable', null]]) },
    { summary: summary('b', [['CONF-R3', 'finding', { classification: 'unimplemented', verdict: 'undeclared', detail: 'x' }]]) },
  ]);
  assert.deepEqual(m.rows.map((r) => r.check), ['CONF-V1', 'CONF-R3']);
  assert.equal(m.columns.length, 2);
  assert.equal(cellText(m.rows[1]!.cells[1]!).kind, 'undeclared');
  assert.equal(m.rows[0]!.cells[1], null);
  assert.equal(m.totals[1]!.undeclared, 1);
});
