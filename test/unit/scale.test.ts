// Shards, merge and fleets: the pure parts (judges/shard.ts, judges/merge.ts, the junit merge, the
// targets file). The real runs are in test/acceptance/scale.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EXIT } from '../../judges/outcome.js';
import { parseShard, shardScenariosFromEnvelopes, shardUnits, splitUnits, durationsFromSummary, type ShardScenario } from '../../judges/shard.js';
import { checkShards, columnExitCode, duplicateScenarios, mergedExitCode, type PartFacts } from '../../judges/merge.js';
import { scenarioIdOf } from '../../judges/scenario-id.js';
import { mergeJunit } from '../../run/merge.js';
import { parseTargets } from '../../run/fleet.js';
import { KeelhaulError } from '../../judges/errors.js';

const scenario = (id: string, group = id): ShardScenario => ({ id, uri: 'f.feature', line: Number(id.replace(/\D/g, '')) || 1, group });

test('--shard i/n: 1 <= i <= n; anything else is a one-line reason', () => {
  assert.deepEqual(parseShard('2/3'), { index: 2, total: 3 });
  assert.deepEqual(parseShard(' 1 / 1 '), { index: 1, total: 1 });
  for (const bad of ['0/3', '4/3', 'x', '1/0', '1/', '/3', '-1/3', '1.5/3', '2/1001']) {
    const r = parseShard(bad);
    assert.ok('error' in r, bad);
    assert.doesNotMatch((r as { error: string }).error, /\n/);
  }
});

test('every scenario lands in exactly one shard, the same split every time, by count within one', () => {
  const scenarios = Array.from({ length: 23 }, (_, i) => scenario(`S${i + 1}`));
  for (const n of [1, 2, 3, 7, 23, 30]) {
    const split = splitUnits(shardUnits(scenarios), n);
    assert.equal(split.length, n);
    const ids = split.flatMap((units) => units.flatMap((u) => u.scenarios.map((s) => s.id)));
    assert.deepEqual([...ids].sort(), scenarios.map((s) => s.id).sort(), `n=${n}: each once`);
    const sizes = split.map((units) => units.length);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `n=${n}: balanced by count (${sizes})`);
    assert.deepEqual(splitUnits(shardUnits([...scenarios]), n), split, 'deterministic');
    // Within a shard, the selection's order.
    for (const units of split) {
      const lines = units.flatMap((u) => u.scenarios.map((s) => s.line));
      assert.deepEqual(lines, [...lines].sort((a, b) => a - b));
    }
  }
});

test('a group stays in one shard; durations balance by time, unknown ones weigh the median', () => {
  const scenarios = [scenario('A1', 'g'), scenario('A2', 'g'), scenario('A3', 'g'), scenario('B4'), scenario('C5'), scenario('D6')];
  const split = splitUnits(shardUnits(scenarios), 3);
  const holder = split.findIndex((units) => units.some((u) => u.group === 'g'));
  assert.equal(split[holder]!.flatMap((u) => u.scenarios).filter((s) => s.group === 'g').length, 3);
  // One slow scenario gets a shard of its own; the fast ones share the others.
  const durations = new Map([['B4', 60_000], ['C5', 1000], ['D6', 1000], ['A1', 1000], ['A2', 1000]]);
  const timed = splitUnits(shardUnits(scenarios, durations), 2);
  const slow = timed.find((units) => units.some((u) => u.group === 'B4'))!;
  assert.deepEqual(slow.map((u) => u.group), ['B4']);
  // A3 has no recorded duration: the median (1000) is its weight.
  assert.equal(shardUnits(scenarios, durations).find((u) => u.group === 'g')!.weight, 3000);
});

test('durationsFromSummary reads a run or a merged summary (the longest when an ID repeats)', () => {
  const d = durationsFromSummary({ scenarios: [{ id: 'X', durationMs: 5 }, { id: 'X', durationMs: 9, target: 'b' }, { id: 'Y', durationMs: 1 }] });
  assert.deepEqual([...d], [['X', 9], ['Y', 1]]);
  assert.throws(() => durationsFromSummary({ nope: 1 }), /scenarios/);
});

test('groups from cucumber messages: a Background holds its feature together, outline rows with one ID tag stay together', () => {
  const loc = (line: number) => ({ line, column: 3 });
  const docs = [
    { gherkinDocument: { uri: 'bg.feature', feature: { children: [{ background: { id: 'b0' } }, { scenario: { id: 's1', location: loc(5) } }, { scenario: { id: 's2', location: loc(9) } }] } } },
    { gherkinDocument: { uri: 'o.feature', feature: { children: [
      { scenario: { id: 'o1', location: loc(3), examples: [{ tags: [], tableBody: [{ id: 'r1', location: loc(7) }, { id: 'r2', location: loc(8) }] }] } },
      { scenario: { id: 'o2', location: loc(10), examples: [
        { tags: [{ name: '@CONF-R1' }], tableBody: [{ id: 'q1', location: loc(13) }] },
        { tags: [{ name: '@CONF-R2' }], tableBody: [{ id: 'q2', location: loc(16) }] }] } },
      { scenario: { id: 'p1', location: loc(20) } }] } } },
  ];
  const pickle = (uri: string, ids: string[], tags: string[], name = 'x') => ({ pickle: { id: `${uri}/${ids.join('/')}`, uri, name, astNodeIds: ids, tags: tags.map((t) => ({ name: t })) } });
  const pickles = [
    pickle('bg.feature', ['s1'], ['@ISO-06']), pickle('bg.feature', ['s2'], ['@ISO-07']),
    pickle('o.feature', ['o1', 'r1'], ['@PORT-02']), pickle('o.feature', ['o1', 'r2'], ['@PORT-02']),
    pickle('o.feature', ['o2', 'q1'], ['@CONF-R1']), pickle('o.feature', ['o2', 'q2'], ['@CONF-R2']),
    pickle('o.feature', ['p1'], ['@PORT-01'])];
  // One more pickle that the tags left out: cucumber emits it, but gives it no test case.
  const unselected = pickle('o.feature', ['p1'], ['@PORT-09', '@slow']);
  unselected.pickle.id = 'left-out';
  const envelopes = [...docs, ...pickles, unselected, ...pickles.map((p) => ({ testCase: { pickleId: p.pickle.id } }))];
  const got = shardScenariosFromEnvelopes(envelopes, scenarioIdOf);
  assert.deepEqual(got.map((s) => `${s.id}@${s.line}`), ['ISO-06@5', 'ISO-07@9', 'PORT-02-1@7', 'PORT-02-2@8', 'CONF-R1@13', 'CONF-R2@16', 'PORT-01@20']);
  const groups = new Set(got.map((s) => s.group));
  assert.equal(groups.size, 5, [...groups].join(' '));
  assert.equal(got[0]!.group, got[1]!.group, 'Background: one group');
  assert.equal(got[2]!.group, got[3]!.group, 'PORT-02 rows: one group');
  assert.notEqual(got[4]!.group, got[5]!.group, 'rows with IDs of their own: their own groups');
});

const part = (p: Partial<PartFacts>): PartFacts => ({ label: p.label ?? 'p', column: 'docker', exitCode: 0, scenarios: 1, hasSummary: true, ...p });
const shard = (index: number, total: number, selectionSize = 6, scenarios = 2) => ({ index, total, selectionSize, scenarios });

test('merge: the exit code one run over everything gives', () => {
  assert.equal(columnExitCode([0, 0, 0]), EXIT.ok);
  assert.equal(columnExitCode([0, 1, 5]), EXIT.finding);
  assert.equal(columnExitCode([0, 5]), EXIT.internal);
  assert.equal(columnExitCode([0, 3]), EXIT.ok, 'an empty part does not make the whole "nothing ran"');
  assert.equal(columnExitCode([3, 3]), EXIT.nothingRan);
  assert.equal(columnExitCode([1, 4]), EXIT.platform);
  assert.equal(columnExitCode([1, 2]), EXIT.usage);
  assert.equal(mergedExitCode([0, 1], false), EXIT.finding);
  assert.equal(mergedExitCode([0, 0], true), EXIT.internal, 'incomplete: 5, never a pass');
  assert.equal(mergedExitCode([1], true), EXIT.internal, 'incomplete: 5, not 1');
  assert.equal(mergedExitCode([4, 0], true), EXIT.platform);
  assert.equal(mergedExitCode([0, 130], false), EXIT.ok, 'columnExitCode leaves interruption to checkShards');
});

test('merge: a missing or interrupted shard is named; two splits or a shard twice cannot be merged', () => {
  const ok = checkShards([part({ shard: shard(1, 3) }), part({ shard: shard(2, 3) }), part({ shard: shard(3, 3) })]);
  assert.deepEqual(ok, { incomplete: [], conflicts: [] });
  const missing = checkShards([part({ shard: shard(1, 3) }), part({ shard: shard(3, 3) })]);
  assert.deepEqual(missing.incomplete, ['docker: shard 2/3 is missing']);
  const stopped = checkShards([part({ label: 'reports/s1', shard: shard(1, 2, 4), exitCode: 130 }), part({ shard: shard(2, 2, 4) })]);
  assert.match(stopped.incomplete.join(), /reports\/s1 was interrupted \(exit 130\)/);
  assert.match(checkShards([part({ shard: shard(1, 2) }), part({ shard: shard(1, 2) })]).conflicts.join(), /shard 1\/2 is given twice/);
  assert.match(checkShards([part({ shard: shard(1, 2) }), part({ shard: shard(2, 3) })]).conflicts.join(), /different splits/);
  assert.match(checkShards([part({ shard: shard(1, 2, 6, 2) }), part({ shard: shard(2, 2, 6, 3) })]).incomplete.join(), /hold 5 of the selection's 6/);
  assert.match(checkShards([part({ shard: shard(1, 2), engine: 'agent-1' }), part({ shard: shard(2, 2), engine: 'agent-2' })]).conflicts.join(), /different engines \(agent-1, agent-2\)/);
  // Columns are judged each on their own.
  assert.deepEqual(checkShards([part({ shard: shard(1, 1, 2, 2) }), part({ column: 'podman', shard: shard(1, 1, 2, 2) })]), { incomplete: [], conflicts: [] });
});

test('merge: a scenario twice in one column cannot be merged; other targets and other selections can', () => {
  assert.deepEqual(duplicateScenarios([{ label: 'a', column: 'docker', ids: ['ISO-01', 'ISO-02'] }, { label: 'b', column: 'docker', ids: ['ISO-02'] }]), ['docker: 1 scenario(s) in both a and b (ISO-02)']);
  assert.deepEqual(duplicateScenarios([{ label: 'a', column: 'docker', ids: ['ISO-01'] }, { label: 'b', column: 'podman', ids: ['ISO-01'] }, { label: 'c', column: 'docker', ids: ['PORT-01'] }]), []);
});

test('merged junit.xml: one <testsuites>, totals summed, classnames say the target when there are several', () => {
  const a = '<?xml version="1.0"?>\n<testsuite failures="1" skipped="0" name="cucumber-js" time="1.5" tests="2">\n  <testcase classname="F" name="one" time="1"/>\n  <testcase classname="F" name="two" time="0.5"><failure/></testcase>\n</testsuite>';
  const b = '<testsuite failures="0" skipped="1" name="cucumber-js" time="2" tests="1"><testcase classname="F" name="three" time="2"><skipped/></testcase></testsuite>';
  const xml = mergeJunit([{ xml: a, suite: 'keelhaul a & b', label: 'docker' }, { xml: b, suite: 's2', label: 'podman' }], 'm');
  assert.match(xml, /<testsuites name="m" tests="3" failures="1" errors="0" time="3.500">/);
  assert.match(xml, /<testsuite failures="1" skipped="0" name="keelhaul a &amp; b"/);
  assert.match(xml, /classname="\[docker\] F" name="one"/);
  assert.match(xml, /classname="\[podman\] F" name="three"/);
  assert.equal((xml.match(/<testcase /g) ?? []).length, 3);
  assert.doesNotMatch(mergeJunit([{ xml: b, suite: 's' }], 'm'), /\[/);
});

test('targets file: plain lines with profile=, cert=, name=; YAML; bad lines are exit 2 with the line', () => {
  assert.deepEqual(parseTargets('# fleet\nunix:///a.sock profile=docker name=a\n\ntcp://10.0.0.1:2376 cert=/certs/b # b\n', 'fleet.txt'), [
    { url: 'unix:///a.sock', profile: 'docker', name: 'a' }, { url: 'tcp://10.0.0.1:2376', certPath: '/certs/b' }]);
  assert.deepEqual(parseTargets('targets:\n  - unix:///a.sock\n  - url: unix:///b.sock\n    profile: podman\n    name: b\n', 'f.yaml'), [
    { url: 'unix:///a.sock' }, { url: 'unix:///b.sock', profile: 'podman', name: 'b' }]);
  assert.deepEqual(parseTargets('- unix:///a.sock\n', 'f'), [{ url: 'unix:///a.sock' }]);
  const usage = (text: string, re: RegExp, file = 'f.txt') => assert.throws(() => parseTargets(text, file), (e: unknown) => e instanceof KeelhaulError && e.exitCode === EXIT.usage && re.test(e.message) && !e.message.includes('\n'));
  usage('unix:///a.sock colour=blue\n', /f\.txt:1: "colour=blue"/);
  usage('not-a-url\n', /not a target URL/);
  usage('# nothing\n', /no target/);
  usage('unix:///a.sock\nunix:///a.sock\n', /listed twice/);
  usage('targets: [ {url: unix:///a, port: 1} ]\n', /unknown key "port"/, 'f.yaml');
});
