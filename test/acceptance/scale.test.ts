// Scale past one runner (issue 17): shards of the default suite merge to the unsharded verdict, a fleet
// of five engines runs three at a time into one matrix, a target stopped mid-run is reported as
// unreachable in its column, and a merge with a shard missing or interrupted is incomplete (exit 5).
// The weak fixture runs in the fleet with no plant, under the shared lock (flock /tmp/weak-fixture.lock).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, DOCKER, HARDENED, PODMAN, ROOT, WEAK, labelledContainers, project, reachable, runKeelhaul, type KeelhaulResult } from '../helpers/keelhaul.js';
import { worstExitCode } from '../../run/multi-target.js';

const PLAIN = process.env.KEELHAUL_PLAIN_HOST ?? 'unix:///run/keelhaul-fixtures/plain/docker.sock';
const DAEMONS = join(ROOT, 'test', 'fixtures', 'daemons.sh');
const XSD = join(ROOT, 'test', 'schemas', 'jenkins-junit.xsd');
const WEAK_LOCK = '/tmp/weak-fixture.lock';
// The default suite without @slow and without the noisy-neighbour measurements: those judge CPU shares
// and throughput over seconds, so with four shards running at once on two cores their verdicts move
// with the load, not with the split (which knows nothing of families: test/unit/scale.test.ts).
const SUITE = ['--tags', 'not @slow and not @noisy-neighbours'];
const LONG = { timeoutMs: 900_000 };
// The fleet's selection: isolation (what the issue names) and the protocol checks (conformance, so
// the matrix has rows; about a second per target).
const NO_CAPS_PROFILE = `name: no-capabilities
description: a profile that allows no capability at all, so ISO-01 must report a finding
multiTenant: false
promises:
  seccomp: true
  defaultCapabilities: []
`;
const FLEET_PATHS = [join(ROOT, 'features', 'isolation'), join(ROOT, 'features', 'conformance', 'protocol.feature')];

function xmllint(file: string) {
  const r = spawnSync('xmllint', ['--noout', '--schema', XSD, file], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

const outcomesById = (summary: any) => new Map<string, string>(summary.scenarios.map((s: any) => [s.id, s.outcome]));
const readSummary = (dir: string) => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));

/** Runs at most `limit` at a time (the CI agents of a pipeline, on this machine). */
async function pooled<T>(jobs: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  }));
  return results;
}

async function shardsOf(cwd: string, n: number, limit: number): Promise<KeelhaulResult[]> {
  return pooled(Array.from({ length: n }, (_, i) => () => runKeelhaul(['run', ...SUITE, '--target', DOCKER, '--shard', `${i + 1}/${n}`, '--reports', `shards-${n}/s${i + 1}`], { cwd, ...LONG })), limit);
}

/**
 * keelhaul with the weak fixture unplanted, under its shared lock (COMMON.md: flock, taken first, as every
 * planting test takes it), for as long as the run lasts.
 */
function runUnderWeakLock(args: string[], cwd: string, timeoutMs = 900_000): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  const script = 'bash "$0" plant weak none >/dev/null 2>&1 || exit 99; exec "$@"';
  return new Promise((resolvePromise, reject) => {
    const child = spawn('flock', [WEAK_LOCK, 'bash', '-c', script, DAEMONS, process.execPath, BIN, ...args], { cwd, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`fleet did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`)); }, timeoutMs);
    child.on('close', (exitCode) => { clearTimeout(timer); resolvePromise({ exitCode, stdout, stderr }); });
  });
}

describe('shards of the default suite on Docker', () => {
  const cwd = project({});
  let whole: KeelhaulResult;
  let three: KeelhaulResult[];
  let seven: KeelhaulResult[];

  // Run on first use (not in a before hook): a --test-name-pattern that selects none of these tests runs none of it.
  let runs: Promise<void> | undefined;
  const ran = () => (runs ??= (async () => {
    assert.ok(await reachable(DOCKER), `Docker is not reachable at ${DOCKER}`);
    // The unsharded run beside the three shards (four agents), then the seven shards four at a time.
    [whole, three] = await Promise.all([
      runKeelhaul(['run', ...SUITE, '--target', DOCKER, '--reports', 'whole'], { cwd, ...LONG }),
      shardsOf(cwd, 3, 3),
    ]);
    seven = await shardsOf(cwd, 7, 4);
  })());

  test('the unsharded run and every shard ran; each shard says i/n and the selection size', async () => {
    await ran();
    assert.ok(whole.summary, whole.stderr);
    const total = whole.summary.scenarios.length;
    assert.ok(total > 100, `the default suite without @slow and @noisy-neighbours has ${total} scenarios`);
    for (const [n, shards] of [[3, three], [7, seven]] as const) {
      shards.forEach((r, i) => {
        assert.ok(r.summary, `shard ${i + 1}/${n}: no summary.json\n${r.stderr}`);
        assert.notEqual(r.exitCode, 2, r.stderr);
        assert.deepEqual({ ...r.summary.shard, balancedBy: undefined, scenarios: undefined }, { index: i + 1, total: n, selectionSize: total, balancedBy: undefined, scenarios: undefined });
        assert.equal(r.summary.scenarios.length, r.summary.shard.scenarios, `shard ${i + 1}/${n} ran what it planned`);
        assert.match(r.stderr, new RegExp(`shard ${i + 1}/${n}: \\d+ of ${total} scenario`));
      });
    }
  });

  for (const n of [3, 7]) {
    test(`${n} shards: every scenario ran exactly once, and the merge has the unsharded outcome per scenario ID`, async () => {
      await ran();
      const shards = n === 3 ? three : seven;
      const ids = shards.flatMap((r) => r.summary.scenarios.map((s: any) => s.id));
      assert.equal(new Set(ids).size, ids.length, 'no scenario in two shards');
      assert.deepEqual([...ids].sort(), whole.summary.scenarios.map((s: any) => s.id).sort(), 'every scenario in one shard');
      const merged = await runKeelhaul(['merge', ...shards.map((_, i) => `shards-${n}/s${i + 1}`), '--reports', `merged-${n}`], { cwd });
      assert.equal(merged.exitCode, whole.exitCode, merged.stdout + merged.stderr);
      assert.equal(merged.summary.exitCode, whole.exitCode);
      assert.notEqual(merged.summary.run, whole.summary.run);
      assert.deepEqual(merged.summary.parts.map((p: any) => p.run), shards.map((r) => r.summary.run), 'each part\'s run id kept');
      assert.deepEqual(merged.summary.parts.map((p: any) => p.target), shards.map(() => DOCKER));
      assert.deepEqual(merged.summary.incomplete, []);
      const expected = outcomesById(whole.summary);
      const got = outcomesById(merged.summary);
      const differ = [...expected].filter(([id, o]) => got.get(id) !== o).map(([id, o]) => `${id}: unsharded ${o}, merged ${got.get(id)}`);
      assert.deepEqual(differ, [], 'outcome per scenario ID');
      assert.deepEqual(merged.summary.outcomes, whole.summary.outcomes);
      // junit.xml: valid for Jenkins (the XSD reports.test.ts validates against), one testcase per scenario.
      const junit = join(merged.reportsDir, 'junit.xml');
      const lint = xmllint(junit);
      assert.equal(lint.status, 0, lint.output);
      assert.equal((readFileSync(junit, 'utf8').match(/<testcase /g) ?? []).length, whole.summary.scenarios.length);
      assert.equal(JSON.parse(readFileSync(join(merged.reportsDir, 'cucumber.json'), 'utf8')).flatMap((f: any) => f.elements).length, whole.summary.scenarios.length);
      assert.ok(readdirSync(join(merged.reportsDir, 'allure-results')).filter((f) => f.endsWith('-result.json')).length >= whole.summary.scenarios.length);
      assert.ok(existsSync(join(merged.reportsDir, 'divergence-matrix.json')));
      assert.equal(JSON.parse(readFileSync(join(merged.reportsDir, 'divergence-matrix.json'), 'utf8')).columns.length, 1);
      assert.match(readFileSync(join(merged.reportsDir, 'report.html'), 'utf8'), /<html/);
    });
  }

  test('a merge with a shard missing names it and is incomplete: exit 5, never a pass', async () => {
    await ran();
    const merged = await runKeelhaul(['merge', 'shards-3/s1', 'shards-3/s3', '--reports', 'missing'], { cwd });
    assert.equal(merged.exitCode, 5, merged.stdout + merged.stderr);
    assert.match(merged.stdout, /INCOMPLETE: .*shard 2\/3 is missing/);
    assert.deepEqual(merged.summary.incomplete, [`${DOCKER}: shard 2/3 is missing`]);
    const gone = await runKeelhaul(['merge', 'shards-3/s1', 'shards-3/s2', 'shards-3/nowhere', 'shards-3/s3', '--reports', 'gone'], { cwd });
    assert.equal(gone.exitCode, 5);
    assert.match(gone.stdout, /INCOMPLETE: shards-3\/nowhere: no summary\.json/);
  });

  test('--durations takes a summary.json (this run\'s) and says the split is balanced by duration', async () => {
    await ran();
    // Against a socket that is not there: the split is planned (and printed) before the platform is needed.
    const r = await runKeelhaul(['run', ...SUITE, '--target', 'unix:///nonexistent/keelhaul-test.sock', '--shard', '2/3', '--durations', 'whole/summary.json'], { cwd });
    assert.equal(r.exitCode, 4, r.stderr);
    assert.match(r.stderr, new RegExp(`shard 2/3: \\d+ of ${whole.summary.scenarios.length} scenario\\(s\\), balanced by duration`));
  });
});

describe('shards: bad values, an empty shard, an interrupted shard', () => {
  const cwd = project({});
  const network = join(ROOT, 'features', 'isolation', 'network.feature');

  test('--shard 0/3, 4/3, x: exit 2 with a one-line cause; --durations without --shard too', async () => {
    for (const bad of ['0/3', '4/3', 'x']) {
      const r = await runKeelhaul(['run', network, '--target', DOCKER, '--shard', bad], { cwd });
      assert.equal(r.exitCode, 2, `${bad}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /--shard/);
    }
    const r = await runKeelhaul(['run', network, '--target', DOCKER, '--durations', 'x.json'], { cwd });
    assert.equal(r.exitCode, 2);
    const unreadable = await runKeelhaul(['run', network, '--target', DOCKER, '--shard', '1/2', '--durations', 'nowhere.json'], { cwd });
    assert.equal(unreadable.exitCode, 2);
    assert.match(unreadable.stderr, /--durations nowhere\.json cannot be read/);
  });

  test('an empty shard (more shards than scenarios) is exit 0 with a note and a summary the merge counts', async () => {
    const r = await runKeelhaul(['run', join(ROOT, 'features', 'isolation', 'tenants.feature'), '--target', DOCKER, '--shard', '2/2', '--reports', 'empty'], { cwd });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stderr, /shard 2\/2 is empty/);
    assert.equal(r.summary.scenarios.length, 0);
    assert.equal(r.summary.shard.selectionSize, 1);
  });

  test('a shard interrupted (exit 130) is named by the merge: exit 5', async () => {
    const one = await runKeelhaul(['run', network, '--target', DOCKER, '--shard', '1/2', '--reports', 'net/s1'], { cwd });
    assert.ok([0, 1].includes(one.exitCode!), one.stderr);
    const two = await runKeelhaul(['run', network, '--target', DOCKER, '--shard', '2/2', '--reports', 'net/s2'], {
      cwd, onOutput: { match: /keelhaul: shard 2\/2/, then: (child) => setTimeout(() => child.kill('SIGINT'), 2500) },
    });
    assert.equal(two.exitCode, 130, two.stderr);
    assert.equal(two.summary.exitCode, 130);
    assert.deepEqual(await labelledContainers(DOCKER, two.summary.run), []);
    const merged = await runKeelhaul(['merge', 'net/s1', 'net/s2', '--reports', 'net/merged'], { cwd });
    assert.equal(merged.exitCode, 5, merged.stdout + merged.stderr);
    assert.match(merged.stdout, /INCOMPLETE: net\/s2 .*shard 2\/2\) was interrupted \(exit 130\)/);
  });
});

describe('a fleet of five engines, three at a time', () => {
  const cwd = project({});
  let plainStarted = false;

  before(async () => {
    if (!(await reachable(PLAIN))) {
      execFileSync('bash', [DAEMONS, 'up', 'plain'], { stdio: ['ignore', 'ignore', 'inherit'] });
      plainStarted = true;
    }
    for (const host of [DOCKER, PODMAN, HARDENED, WEAK, PLAIN]) assert.ok(await reachable(host), `${host} is not reachable`);
  });

  after(() => {
    // Up again for whoever comes next (the stop test takes it down); left as found otherwise.
    if (plainStarted) execFileSync('bash', [DAEMONS, 'down', 'plain'], { stdio: ['ignore', 'ignore', 'inherit'] });
  });

  test('a matrix column per target, the worst exit code, nothing labelled left', async () => {
    // Podman under a profile of its own that allows no capability: ISO-01 is a finding there (exit 1),
    // so the fleet's exit code is the worst of differing ones, and a target's profile= is honoured.
    writeFileSync(join(cwd, 'no-caps.yaml'), NO_CAPS_PROFILE);
    writeFileSync(join(cwd, 'fleet.txt'), [
      `${DOCKER} name=docker`, `${PODMAN} name=podman profile=no-caps.yaml`, `${HARDENED} name=hardened`, `${WEAK} name=weak`, `${PLAIN} name=plain`, '',
    ].join('\n'));
    const fleet = await runUnderWeakLock(['run', ...FLEET_PATHS, '--targets', 'fleet.txt', '--concurrency', '3', '--reports', 'fleet'], cwd);
    assert.notEqual(fleet.exitCode, 99, 'the weak fixture could not be unplanted');
    const summary = readSummary(join(cwd, 'fleet'));
    const names = ['docker', 'podman', 'hardened', 'weak', 'plain'];
    assert.deepEqual(summary.columns.map((c: any) => c.column), names);
    const codes = names.map((n) => readSummary(join(cwd, 'fleet', n)).exitCode);
    assert.equal(fleet.exitCode, worstExitCode(codes), `${codes}\n${fleet.stdout.slice(-3000)}\n${fleet.stderr.slice(-3000)}`);
    assert.equal(summary.exitCode, fleet.exitCode);
    for (const c of codes) assert.ok([0, 1].includes(c), `every target judged: ${codes}\n${fleet.stderr.slice(-3000)}`);
    assert.equal(codes[1], 1, 'podman under the no-capabilities profile: a finding');
    assert.equal(readSummary(join(cwd, 'fleet', 'podman')).scenarios.find((s: any) => s.id === 'ISO-01').outcome, 'finding');
    assert.equal(readSummary(join(cwd, 'fleet', 'podman')).profile, 'no-capabilities');
    assert.equal(fleet.exitCode, 1);
    const matrix = JSON.parse(readFileSync(join(cwd, 'fleet', 'divergence-matrix.json'), 'utf8'));
    assert.deepEqual(matrix.columns.map((c: any) => c.target), names);
    assert.ok(matrix.rows.length >= 8 && matrix.rows.every((r: any) => r.cells.every(Boolean)), 'every protocol check in every column');
    // Bounded: never more than three target runs at once (their start and end times).
    const spans = names.map((n) => { const s = readSummary(join(cwd, 'fleet', n)); const t = Date.parse(s.startedAt); return [t, t + s.durationMs] as const; });
    const most = Math.max(...spans.map(([t]) => spans.filter(([a, b]) => a <= t && t < b).length));
    assert.ok(most <= 3, `${most} targets ran at once`);
    assert.ok(most >= 2, `the fleet ran targets side by side (${most} at most)`);
    const junit = xmllint(join(cwd, 'fleet', 'junit.xml'));
    assert.equal(junit.status, 0, junit.output);
    assert.match(readFileSync(join(cwd, 'fleet', 'junit.xml'), 'utf8'), /classname="\[podman\] /);
    for (const [i, host] of [DOCKER, PODMAN, HARDENED, WEAK, PLAIN].entries()) {
      assert.deepEqual(await labelledContainers(host, summary.parts[i].run), [], `${names[i]}: labelled containers left`);
    }
  });

  test('a target stopped in the middle: its column says unreachable (exit 4), the others complete', async () => {
    writeFileSync(join(cwd, 'stop.txt'), `${PLAIN} name=plain\n${DOCKER} name=docker\n${HARDENED} name=hardened\n`);
    let stopped = false;
    const fleet = await runKeelhaul(['run', ...FLEET_PATHS, '--targets', 'stop.txt', '--concurrency', '3', '--reports', 'stop'], {
      cwd, ...LONG,
      onOutput: {
        match: /\[plain\] keelhaul \[\s*3\//,
        then: () => { execFileSync('bash', [DAEMONS, 'down', 'plain'], { stdio: 'ignore' }); stopped = true; },
      },
    });
    try {
      assert.ok(stopped, 'plain was stopped mid-run');
      assert.equal(fleet.exitCode, 4, fleet.stdout.slice(-2000) + fleet.stderr.slice(-2000));
      const summary = fleet.summary;
      const plain = summary.columns.find((c: any) => c.column === 'plain');
      assert.deepEqual({ exitCode: plain.exitCode, unreachable: plain.unreachable }, { exitCode: 4, unreachable: true });
      const matrix = JSON.parse(readFileSync(join(cwd, 'stop', 'divergence-matrix.json'), 'utf8'));
      assert.match(matrix.columns.find((c: any) => c.target.startsWith('plain')).target, /unreachable/);
      assert.match(readFileSync(join(cwd, 'stop', 'report.html'), 'utf8'), /plain \(unreachable\)/);
      // A stopping dockerd answers 500s on the connections it already had for seconds (CI saw exit 5
      // from that): every broken check on plain says the platform was gone, none blames the check.
      for (const s of readSummary(join(cwd, 'stop', 'plain')).scenarios.filter((x: any) => x.outcome === 'error')) {
        assert.match(s.reason, /stopped answering|cannot reach/, `${s.id}: ${s.reason}`);
      }
      const selection = readSummary(join(cwd, 'stop', 'docker')).scenarios.length;
      assert.ok(selection > 30, `${selection} scenarios`);
      for (const name of ['docker', 'hardened']) {
        const own = readSummary(join(cwd, 'stop', name));
        assert.ok([0, 1].includes(own.exitCode), `${name}: exit ${own.exitCode}`);
        assert.equal(own.scenarios.length, selection, `${name} complete`);
        assert.equal(own.outcomes.error, 0, `${name}: no error`);
      }
      assert.deepEqual(await labelledContainers(DOCKER, summary.parts.find((p: any) => p.column === 'docker').run), []);
      assert.deepEqual(await labelledContainers(HARDENED, summary.parts.find((p: any) => p.column === 'hardened').run), []);
    } finally {
      execFileSync('bash', [DAEMONS, 'up', 'plain'], { stdio: 'ignore' });
      // What the stopped engine kept of that run (it could not be swept while down): removed by its label.
      const run = fleet.summary?.parts?.find((p: any) => p.column === 'plain')?.run;
      if (run) await runKeelhaul(['clean', '--target', PLAIN, '--run', run], { cwd });
    }
  });
});
