// The console: bounded reasons, colour rules, the progress line, and the formatter's two modes
// (rewritten in place on a terminal, plain lines in CI logs) fed with cucumber message envelopes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { boundReason, coloursEnabled, finishedLine, progressLine, rewritesInPlace } from '../../run/console.js';
import KeelhaulProgressFormatter from '../../run/progress-formatter.js';
import { emptyCounts } from '../../judges/outcome.js';
import { OUTCOME_MEDIA_TYPE } from '../../support/parameters.js';

const mounts = Array.from({ length: 25 }, (_, i) => `/run/m${i} (bind from /dev/sda1)`);

test('a long list in a reason keeps its first items and says how many more', () => {
  const reason = `host filesystem visible: ${mounts.join('; ')}`;
  const shown = boundReason(reason);
  assert.equal(shown, `host filesystem visible: ${mounts.slice(0, 5).join('; ')}; +20 more`);
  // comma lists too, and the prefix before the first ": " is never counted as an item
  assert.equal(boundReason(`leaks: ${['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].join(', ')}`), 'leaks: a, b, c, d, e, +3 more');
});

test('a list too long for the line shows fewer items, and always keeps its "+N more"', () => {
  const reason = `host filesystem visible, and the container said ${'x'.repeat(120)}: ${mounts.join('; ')}`;
  const shown = boundReason(reason);
  assert.ok(shown.length <= 300, shown);
  const more = Number(/; \+(\d+) more$/.exec(shown)?.[1]);
  assert.equal(mounts.filter((m) => shown.includes(m)).length + more, 25, shown);
});

test('a reason within the bounds is unchanged; "+1 more" is never shown', () => {
  const six = `found: ${['a', 'b', 'c', 'd', 'e', 'f'].join('; ')}`;
  assert.equal(boundReason(six), six);
  assert.equal(boundReason(`found: ${['a', 'b', 'c', 'd', 'e', 'f', 'g'].join('; ')}`), 'found: a; b; c; d; e; +2 more');
  const conformance = 'undeclared divergence: CONF-C1 is divergent: applied differently: inspect says 134217728 where 104857600 was asked';
  assert.equal(boundReason(conformance), conformance);
});

test('long prose is cut at a word with the count of what was left out; newlines become spaces', () => {
  const prose = `${'word '.repeat(100)}end`;
  const shown = boundReason(prose, { items: 5, chars: 60 });
  assert.match(shown, /^word( word)* … \+\d+ chars$/);
  const kept = shown.replace(/ … \+\d+ chars$/, '');
  assert.equal(Number(/\+(\d+) chars$/.exec(shown)![1]) + kept.length, prose.length);
  assert.equal(boundReason('line one\nline two\r\n  three'), 'line one line two three');
});

test('colours: NO_COLOR and FORCE_COLOR=0 turn them off, FORCE_COLOR=1 on, a dumb terminal gets none', () => {
  assert.equal(coloursEnabled({}, true), true);
  assert.equal(coloursEnabled({}, false), false);
  assert.equal(coloursEnabled({ NO_COLOR: '1' }, true), false);
  assert.equal(coloursEnabled({ FORCE_COLOR: '0' }, true), false);
  assert.equal(coloursEnabled({ FORCE_COLOR: 'false' }, true), false);
  assert.equal(coloursEnabled({ FORCE_COLOR: '1' }, false), true);
  assert.equal(coloursEnabled({ TERM: 'dumb' }, true), false);
  assert.equal(rewritesInPlace({}, true), true);
  assert.equal(rewritesInPlace({}, false), false);
  assert.equal(rewritesInPlace({ TERM: 'dumb' }, true), false);
});

test('the progress line: N of M, what runs, the counts so far; never wider than the terminal', () => {
  const counts = { ...emptyCounts(), pass: 10, finding: 1 };
  const line = progressLine({ done: 11, total: 48, running: ['ISO-06'], counts, elapsedMs: 42_000 }, 120);
  assert.equal(line, 'keelhaul [11/48] running ISO-06 · 10 pass, 1 finding · 0:42');
  assert.match(progressLine({ done: 11, total: 48, running: ['A', 'B', 'C'], counts, elapsedMs: 0 }, 120), /running C \(\+2\)/);
  const narrow = progressLine({ done: 11, total: 48, running: ['HARD-02-DAC-READ-SEARCH'], counts, elapsedMs: 0 }, 40);
  assert.ok(narrow.length <= 39, narrow);
  assert.doesNotMatch(progressLine({ done: 1, total: 2, running: [], counts, elapsedMs: 0 }, 120), /\u001b/);
  assert.match(progressLine({ done: 1, total: 2, running: [], counts, elapsedMs: 0 }, 120, true), /\u001b\[31m1 finding/);
  assert.equal(finishedLine({ done: 3, total: 12, counts }, 'ISO-06', 'finding', 1234), 'keelhaul [ 3/12] FINDING ISO-06 (1.2s) · 10 pass, 1 finding');
});

// ---- the formatter, fed with the envelopes cucumber sends ---------------------------------------

class Capture extends Writable {
  text = '';
  constructor(readonly isTTY: boolean, readonly columns = 100) { super(); }
  override _write(chunk: Buffer, _enc: string, done: () => void) { this.text += chunk.toString(); done(); }
}

const ts = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });

function feed(stream: Capture, env: NodeJS.ProcessEnv = {}): string {
  const saved = { ...process.env };
  for (const k of ['NO_COLOR', 'FORCE_COLOR', 'TERM']) delete process.env[k];
  Object.assign(process.env, env);
  const broadcaster = new EventEmitter();
  const formatter = new KeelhaulProgressFormatter({
    eventBroadcaster: broadcaster, stream, log: (t: string | Uint8Array) => stream.write(t), cwd: '/', parsedArgvOptions: {},
    colorFns: {} as any, eventDataCollector: {} as any, snippetBuilder: {} as any, supportCodeLibrary: {} as any, cleanup: async () => undefined,
  });
  process.env = saved;
  const send = (e: Record<string, unknown>) => broadcaster.emit('envelope', e);
  const scenarios = [
    { id: 'ISO-01', outcome: 'pass', reason: '' },
    { id: 'ISO-06', outcome: 'finding', reason: `host filesystem visible: ${mounts.join('; ')}` },
    { id: 'RES-11', outcome: 'not-applicable', reason: 'no per-container disk quota' },
  ];
  send({ gherkinDocument: { uri: 'f.feature', feature: { name: 'F', children: [] } } });
  scenarios.forEach((s, i) => {
    send({ pickle: { id: `p${i}`, uri: 'f.feature', name: `scenario ${s.id}`, tags: [{ name: `@${s.id}` }], astNodeIds: [`a${i}`], location: { line: i + 1 }, steps: [] } });
  });
  scenarios.forEach((_, i) => send({ testCase: { id: `t${i}`, pickleId: `p${i}`, testSteps: [] } }));
  send({ testRunStarted: { timestamp: ts(0) } });
  scenarios.forEach((s, i) => {
    send({ testCaseStarted: { id: `s${i}`, testCaseId: `t${i}`, timestamp: ts(i * 1000) } });
    send({ attachment: { mediaType: OUTCOME_MEDIA_TYPE, testCaseStartedId: `s${i}`, body: JSON.stringify({ outcome: s.outcome, reason: s.reason, scenarioId: s.id }) } });
    send({ testCaseFinished: { testCaseStartedId: `s${i}`, timestamp: ts(i * 1000 + 500), willBeRetried: false } });
  });
  send({ testRunFinished: { timestamp: ts(4000), success: false } });
  void formatter;
  return stream.text;
}

test('without a terminal: one plain line per scenario, no carriage return, no escape sequence, bounded reasons', () => {
  const out = feed(new Capture(false));
  assert.doesNotMatch(out, /[\r\u001b]/);
  const lines = out.trimEnd().split('\n');
  assert.equal(lines.length, 3, out);
  assert.equal(lines[0], 'keelhaul [1/3] pass ISO-01 (0.5s) · 1 pass');
  assert.match(lines[1]!, /^keelhaul \[2\/3\] FINDING ISO-06 \(0\.5s\) · 1 pass, 1 finding: host filesystem visible: \/run\/m0 .*\/run\/m4 \(bind from \/dev\/sda1\); \+20 more$/);
  assert.match(lines[2]!, /^keelhaul \[3\/3\] NOT-APPLICABLE RES-11 \(0\.5s\) · 1 pass, 1 finding, 1 n\/a: no per-container disk quota$/);
  // FORCE_COLOR=0 keeps a terminal's output free of colour codes too
  assert.doesNotMatch(feed(new Capture(true), { FORCE_COLOR: '0' }), /\u001b/);
});

test('on a terminal: the progress line is rewritten in place, and ends cleared', () => {
  const out = feed(new Capture(true), { NO_COLOR: '1' });
  assert.match(out, /\rkeelhaul \[0\/3\] running ISO-01/);
  assert.match(out, /\rkeelhaul \[3\/3\] finishing · 1 pass, 1 finding, 1 n\/a/);
  assert.match(out, /\r  FINDING +ISO-06 scenario ISO-06: host filesystem visible: .*; \+20 more\n/);
  assert.doesNotMatch(out, /\u001b/, 'NO_COLOR: no colour codes');
  assert.match(out, /\r +\r$/, 'the last progress line is wiped before the summary');
  assert.equal(out.split('\n').length, 3, 'two lines of their own (the finding, the n/a), the rest rewritten in place');
  assert.match(out, /\rkeelhaul \[1\/3\] between scenarios/);
});
