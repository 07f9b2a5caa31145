import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EXIT, emptyCounts, exitCodeFor } from '../../judges/outcome.js';
import { classifyFailure, needsPlatformRecheck, platformGone } from '../../judges/classify.js';
import { OutcomeTracker } from '../../run/outcome-tracker.js';
import { OUTCOME_MEDIA_TYPE } from '../../support/parameters.js';
import { demuxDockerStream } from '../../adapters/platform/demux.js';

const counts = (c: Partial<ReturnType<typeof emptyCounts>>) => ({ ...emptyCounts(), ...c });

test('exit codes: 0 pass, 1 finding, 5 error only, 3 nothing, 4 platform, interruption first', () => {
  assert.equal(exitCodeFor({ counts: counts({ pass: 3, 'not-applicable': 1, inconclusive: 1 }), errorKinds: [], advisory: false }), EXIT.ok);
  assert.equal(exitCodeFor({ counts: counts({ pass: 3, finding: 1, error: 1 }), errorKinds: ['internal'], advisory: false }), EXIT.finding);
  assert.equal(exitCodeFor({ counts: counts({ pass: 3, error: 1 }), errorKinds: ['attack'], advisory: false }), EXIT.internal);
  assert.equal(exitCodeFor({ counts: counts({}), errorKinds: [], advisory: false }), EXIT.nothingRan);
  assert.equal(exitCodeFor({ counts: counts({ finding: 1, error: 1 }), errorKinds: ['platform-unreachable'], advisory: false }), EXIT.platform);
  assert.equal(exitCodeFor({ counts: counts({ finding: 1 }), errorKinds: [], advisory: false, interrupted: 'SIGTERM' }), EXIT.sigterm);
});

test('--advisory keeps only 2, 4 and 5', () => {
  assert.equal(exitCodeFor({ counts: counts({ finding: 2 }), errorKinds: [], advisory: true }), EXIT.ok);
  assert.equal(exitCodeFor({ counts: counts({ finding: 2, error: 1 }), errorKinds: ['timeout'], advisory: true }), EXIT.internal);
  assert.equal(exitCodeFor({ counts: counts({ error: 1 }), errorKinds: ['platform-unreachable'], advisory: true }), EXIT.platform);
});

test('failure classification: assertion = finding; timeouts, refusals, connection failures = errors of their kind', () => {
  assert.equal(classifyFailure(Object.assign(new Error('x'), { name: 'AssertionError' })).outcome, 'finding');
  assert.equal(classifyFailure({ type: 'AssertionError', message: 'expected 1 to equal 2' }).outcome, 'finding');
  assert.deepEqual(classifyFailure('AssertionError: caps beyond defaults: expected [] to be empty\n    at foo (x.js:1:2)'), { outcome: 'finding', reason: 'caps beyond defaults: expected [] to be empty' });
  assert.equal(classifyFailure(new Error('function timed out, ensure the promise resolves within 5000 milliseconds')).errorKind, 'timeout');
  assert.equal(classifyFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).errorKind, 'platform-unreachable');
  assert.equal(classifyFailure(Object.assign(new Error('500'), { name: 'PlatformRefusal' })).errorKind, 'attack');
  assert.equal(classifyFailure(Object.assign(new Error('list containers: connection lost mid-call: socket hang up'), { name: 'PlatformError' })).errorKind, 'platform-fault');
  assert.equal(exitCodeFor({ counts: counts({ pass: 1, error: 1 }), errorKinds: ['platform-fault'], advisory: false }), EXIT.internal);
  assert.equal(classifyFailure(new TypeError('x is undefined')).errorKind, 'internal');
});

function envelopes(outcomes: Array<{ name: string; tags: string[]; record?: object; status: string }>): object[] {
  const out: object[] = [{ gherkinDocument: { uri: 'f.feature', feature: { name: 'F' } } }];
  outcomes.forEach((o, i) => {
    const t = { seconds: 100 + i, nanos: 0 };
    out.push({ pickle: { id: `p${i}`, name: o.name, uri: 'f.feature', tags: o.tags.map((name) => ({ name })), location: { line: i + 3 } } });
    out.push({ testCase: { id: `c${i}`, pickleId: `p${i}` } });
    out.push({ testCaseStarted: { id: `s${i}`, testCaseId: `c${i}`, timestamp: t } });
    out.push({ testStepFinished: { testCaseStartedId: `s${i}`, testStepResult: { status: o.status, message: 'AssertionError: boom' } } });
    if (o.record) out.push({ attachment: { testCaseStartedId: `s${i}`, mediaType: OUTCOME_MEDIA_TYPE, body: JSON.stringify(o.record) } });
    out.push({ testCaseFinished: { testCaseStartedId: `s${i}`, timestamp: { seconds: 101 + i, nanos: 500_000_000 }, willBeRetried: false } });
  });
  return out;
}

test('a platform gone mid-scenario: broken checks, inconclusive and not-applicable ones are asked about; passes, findings and authoring mistakes stand', () => {
  for (const record of [{ outcome: 'error', errorKind: 'internal' as const }, { outcome: 'error', errorKind: 'platform-fault' as const }, { outcome: 'error', errorKind: 'attack' as const }, { outcome: 'error', errorKind: 'timeout' as const }, { outcome: 'inconclusive' }, { outcome: 'not-applicable' }]) {
    assert.equal(needsPlatformRecheck(record), true, JSON.stringify(record));
  }
  for (const record of [{ outcome: 'pass' }, { outcome: 'finding' }, { outcome: 'error', errorKind: 'authoring' as const }, { outcome: 'error', errorKind: 'platform-unreachable' as const }]) {
    assert.equal(needsPlatformRecheck(record), false, JSON.stringify(record));
  }
  // What Docker 20.10 answers on a kept-alive connection while it shuts down, from a fleet run whose target was stopped.
  const dying = { outcome: 'not-applicable', reason: 'the platform refuses SecurityOpt no-new-privileges: failed to update store for object type *libnetwork.endpoint: open : no such file or directory' };
  const gone = platformGone(dying, 'GET /_ping: cannot reach unix:///run/x.sock: connect ENOENT /run/x.sock');
  assert.equal(gone.outcome, 'error');
  assert.equal(gone.errorKind, 'platform-unreachable');
  assert.match(gone.reason as string, /^the platform stopped answering during this scenario \(GET \/_ping: cannot reach .*ENOENT.*\); the scenario had ended not-applicable: the platform refuses SecurityOpt/);
  assert.equal(exitCodeFor({ counts: counts({ pass: 30, error: 1 }), errorKinds: [gone.errorKind!], advisory: false }), EXIT.platform);
});

test('the outcome tracker reads keelhaul outcome records and falls back to cucumber statuses', () => {
  const tracker = new OutcomeTracker();
  for (const e of envelopes([
    { name: 'a', tags: ['@ISO-01'], status: 'PASSED', record: { outcome: 'pass' } },
    { name: 'b', tags: ['@ISO-02'], status: 'SKIPPED', record: { outcome: 'not-applicable', reason: 'no seccomp here' } },
    { name: 'c', tags: [], status: 'FAILED' },
    { name: 'd', tags: ['@RES-01'], status: 'SKIPPED', record: { outcome: 'inconclusive', reason: 'not co-located', observations: { ratio: 0.5 } } },
  ])) tracker.consume(e);
  assert.deepEqual(tracker.counts(), { pass: 1, finding: 1, 'not-applicable': 1, inconclusive: 1, error: 0 });
  const [a, b, c, d] = tracker.scenarios;
  assert.equal(a!.id, 'ISO-01');
  assert.equal(b!.reason, 'no seccomp here');
  assert.equal(c!.outcome, 'finding');
  assert.equal(c!.reason, 'boom');
  assert.deepEqual(d!.observations, { ratio: 0.5 });
  assert.equal(d!.durationMs, 1500);
  assert.equal(tracker.exitCode(false), 1);
});

test('a retried attempt is not counted', () => {
  const tracker = new OutcomeTracker();
  const list = envelopes([{ name: 'a', tags: [], status: 'FAILED' }]) as any[];
  list[list.length - 1].testCaseFinished.willBeRetried = true;
  for (const e of list) tracker.consume(e);
  assert.equal(tracker.scenarios.length, 0);
});

test('demux splits stdout and stderr frames, and passes raw (TTY) output through', () => {
  const frame = (type: number, text: string) => Buffer.concat([Buffer.from([type, 0, 0, 0, 0, 0, 0, text.length]), Buffer.from(text)]);
  assert.deepEqual(demuxDockerStream(Buffer.concat([frame(1, 'out1\n'), frame(2, 'err\n'), frame(1, 'out2\n')])), { stdout: 'out1\nout2\n', stderr: 'err\n' });
  assert.deepEqual(demuxDockerStream(Buffer.from('plain text\n')), { stdout: 'plain text\n', stderr: '' });
});
