// The fleet and merge section of `npm run bench` (issue 17), measured within one bench run:
//   fleet: the same selection against five engines (Docker, Podman, the hardened, weak and plain fixture
//     daemons) one after the other (the serial sum of five single-target runs), then as one
//     `run --targets FILE --concurrency 3`; target: fleet / serial <= 0.6.
//   merge: `keelhaul merge` of the reports of 10 shards (the selection split 10 ways on Docker); target < 2 s.
// The weak daemon runs with no plant, under the shared lock (flock /tmp/weak-fixture.lock) for as long
// as its runs last (its serial run and the fleet, back to back), never longer.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const WEAK_LOCK = '/tmp/weak-fixture.lock';

export interface FleetBenchOptions {
  root: string;
  work: string;
  log: (line: string) => void;
  repeats: number;
}

const TARGETS: Array<[string, string]> = [
  ['docker', 'unix:///var/run/docker.sock'],
  ['podman', 'unix:///run/podman/podman.sock'],
  ['hardened', 'unix:///run/keelhaul-fixtures/hardened/docker.sock'],
  ['plain', 'unix:///run/keelhaul-fixtures/plain/docker.sock'],
  ['weak', 'unix:///run/keelhaul-fixtures/weak/docker.sock'],
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function summaryOf(dir: string): any {
  const path = join(dir, 'summary.json');
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
}

export function benchFleet(o: FleetBenchOptions): Record<string, unknown> {
  const bin = join(o.root, 'dist', 'cli', 'main.js');
  const daemons = join(o.root, 'test', 'fixtures', 'daemons.sh');
  const selection = [join(o.root, 'features', 'isolation'), join(o.root, 'features', 'conformance', 'protocol.feature')];
  const dir = join(o.work, 'fleet');
  mkdirSync(dir, { recursive: true });
  spawnSync('bash', [daemons, 'up', 'plain'], { stdio: 'ignore' });
  const run = (args: string[]) => ['node', bin, 'run', ...selection, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const single = (name: string, url: string) => run(['--target', url, '--reports', join(dir, `single-${name}`)]);
  writeFileSync(join(dir, 'fleet.txt'), TARGETS.map(([name, url]) => `${url} name=${name}`).join('\n') + '\n');
  // One shell script, timed with date(1) around each run; the weak runs and the fleet under the lock.
  const timedLine = (label: string, command: string) => `t0=$(date +%s%N); ${command} >${dir}/${label}.log 2>&1; rc=$?; echo "${label} $(( ($(date +%s%N) - t0) / 1000000 )) $rc"`;
  const unlocked = TARGETS.filter(([n]) => n !== 'weak').map(([n, u]) => timedLine(`single-${n}`, single(n, u))).join('\n');
  const locked = [
    `bash '${daemons}' plant weak none >/dev/null 2>&1`,
    timedLine('single-weak', single('weak', TARGETS[4]![1])),
    timedLine('fleet', run(['--targets', join(dir, 'fleet.txt'), '--concurrency', '3', '--reports', join(dir, 'fleet')])),
  ].join('\n');
  o.log('bench: fleet: five single-target runs one after the other, then the fleet of five, 3 at a time');
  const first = spawnSync('bash', ['-c', unlocked], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  const second = spawnSync('flock', [WEAK_LOCK, 'bash', '-c', locked], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  const times = new Map<string, { ms: number; exit: number }>();
  for (const line of `${first.stdout}${second.stdout}`.split('\n')) {
    const m = /^(\S+) (\d+) (\d+)$/.exec(line.trim());
    if (m) times.set(m[1]!, { ms: Number(m[2]), exit: Number(m[3]) });
  }
  const singles = TARGETS.map(([n]) => ({ name: n, ...(times.get(`single-${n}`) ?? { ms: NaN, exit: -1 }), scenarios: summaryOf(join(dir, `single-${n}`))?.scenarios.length ?? 0 }));
  const serialMs = singles.reduce((t, s) => t + s.ms, 0);
  const fleet = times.get('fleet') ?? { ms: NaN, exit: -1 };
  const fleetSummary = summaryOf(join(dir, 'fleet'));
  const fleetResult = {
    serialMs, fleetMs: fleet.ms, ratio: +(fleet.ms / serialMs).toFixed(2), target: 0.6, concurrency: 3,
    singles, fleetExit: fleet.exit, fleetScenarios: fleetSummary?.scenarios.length ?? 0,
    // A faster fleet that judged less cannot pass: the same scenario count as the five single runs.
    sameScenarios: (fleetSummary?.scenarios.length ?? -1) === singles.reduce((t, s) => t + s.scenarios, 0),
  };

  // Merge: 10 shards of the same selection on Docker (5 at a time), then `keelhaul merge` of them, timed.
  o.log('bench: merge: 10 shards on Docker, then keelhaul merge of their reports');
  const shardsScript = Array.from({ length: 10 }, (_, i) => `${run(['--target', TARGETS[0]![1], '--shard', `${i + 1}/10`, '--reports', join(dir, `shard-${i + 1}`)])} >${dir}/shard-${i + 1}.log 2>&1 &${i % 5 === 4 ? '\nwait' : ''}`).join('\n');
  spawnSync('bash', ['-c', shardsScript], { stdio: 'ignore' });
  const mergeRuns = Array.from({ length: o.repeats }, (_, k) => {
    const started = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [bin, 'merge', ...Array.from({ length: 10 }, (_, i) => join(dir, `shard-${i + 1}`)), '--reports', join(dir, `merged-${k}`)], { encoding: 'utf8' });
    return { ms: Number(process.hrtime.bigint() - started) / 1e6, exit: r.status };
  });
  const merged = summaryOf(join(dir, 'merged-0'));
  const mergeResult = {
    shards: 10, mergeMs: Math.round(median(mergeRuns.map((m) => m.ms))), runs: mergeRuns.map((m) => Math.round(m.ms)), target: 2000,
    exit: mergeRuns[0]?.exit, scenarios: merged?.scenarios.length ?? 0, incomplete: merged?.incomplete ?? null,
    sameScenarios: (merged?.scenarios.length ?? -1) === (summaryOf(join(dir, 'single-docker'))?.scenarios.length ?? -2),
  };
  return { fleet: fleetResult, merge: mergeResult };
}

export function fleetRows(r: any): string[] {
  if (!r) return [];
  const f = r.fleet;
  const m = r.merge;
  return [
    '', 'fleet and merge',
    `  fleet of 5, --concurrency 3: ${(f.fleetMs / 1000).toFixed(1)} s vs serial sum ${(f.serialMs / 1000).toFixed(1)} s = ${f.ratio}x (target <= 0.6x); exit ${f.fleetExit}; ${f.fleetScenarios} scenarios${f.sameScenarios ? '' : ' (NOT the five single runs\' count)'}`,
    `    singles: ${f.singles.map((s: any) => `${s.name} ${(s.ms / 1000).toFixed(1)} s exit ${s.exit}`).join(', ')}`,
    `  merge of 10 shards: ${m.mergeMs} ms median of ${m.runs.length} (${m.runs.join(', ')} ms; target < 2000 ms); exit ${m.exit}; ${m.scenarios} scenarios${m.sameScenarios ? '' : ' (NOT the single Docker run\'s count)'}`,
  ];
}
