// npm run bench: what keelhaul costs on top of the containers it has to start.
// Every ratio is measured within one run (these machines are noisy): keelhaul against bare
// cucumber-js on the same feature, keelhaul's per-container-scenario time against a raw
// create/start/wait/remove loop, each family's wall time against its container floor, and
// --parallel 1/2/4, and the default suite from the image (as examples/ci/Jenkinsfile runs it)
// against the same suite natively; and the Speed figures (bench/speed.ts): start-up and `check` with
// the user's own step file against bare cucumber-js (wall, CPU, peak RSS), isolation + hardening against
// the concurrent container floor, the default suite's wall time. Writes bench/results.json and prints a
// table; how each figure is measured: bench/README.md.
//   tsx bench/bench.ts [--quick] [--engines docker,podman] [--families isolation,hardening,...]
//                      [--parts startup,userstartup,check,floor,scenario,families,isohard,suite,image,fleet]
//                      [--image keelhaul:local] [--probe-concurrency N]
// The fleet part (bench/fleet.ts): a fleet of five engines 3 at a time against the serial sum, and the
// merge of 10 shards' reports.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PlatformClient } from '../adapters/platform/docker-client.js';
import { resolveConnection } from '../adapters/platform/connection.js';
import { differences, imageSuite, nativeSuite, removeWorkspaces } from '../test/helpers/image.js';
import { benchFleet, fleetRows } from './fleet.js';
import {
  aloneScenarios, containerFloorTotal, countingCreates, isoHardRows, leftovers, measured, median, outcomesOf, pair, pairRows, runHasOption, suiteRows, summaryOf, userProject,
} from './speed.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'dist', 'cli', 'main.js');
const CUCUMBER = join(ROOT, 'node_modules', '@cucumber', 'cucumber', 'bin', 'cucumber.js');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const option = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : fallback;
};
const ENGINES: Record<string, string> = { docker: 'unix:///var/run/docker.sock', podman: 'unix:///run/podman/podman.sock' };
const engines = option('--engines', 'docker,podman').split(',');
const families = option('--families', readdirSync(join(ROOT, 'features')).filter((f) => f !== 'examples').join(',')).split(',');
const repeats = quick ? 3 : 5;
const ALL_PARTS = ['startup', 'userstartup', 'check', 'floor', 'scenario', 'families', 'isohard', 'suite', 'image', 'fleet'];
const parts = new Set(option('--parts', ALL_PARTS.join(',')).split(','));
for (const p of parts) if (!ALL_PARTS.includes(p)) throw new Error(`bench: unknown part "${p}" (parts: ${ALL_PARTS.join(', ')})`);
const IMAGE = option('--image', 'keelhaul:local');
// Passed to the isohard and suite runs only when given and this build's `run` has the flag.
const probeConcurrency = option('--probe-concurrency', '');

const log = (line: string) => process.stderr.write(line + '\n');

function timed(command: string, commandArgs: string[], cwd: string): { ms: number; status: number | null; stdout: string; stderr: string } {
  const started = process.hrtime.bigint();
  const r = spawnSync(command, commandArgs, { cwd, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' }, maxBuffer: 64 * 1024 * 1024 });
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function keelhaul(runArgs: string[], cwd: string) {
  return timed(process.execPath, [BIN, 'run', ...runArgs], cwd);
}

const work = mkdtempSync(join(tmpdir(), 'keelhaul-bench-'));
writeFileSync(join(work, 'ping.feature'), 'Feature: ping\n  Scenario: the API answers\n    Given the platform answers a ping\n');
const CONTAINER_SCENARIOS = 10;
writeFileSync(join(work, 'containers.feature'), 'Feature: containers\n' + Array.from({ length: CONTAINER_SCENARIOS }, (_, i) =>
  `  Scenario: container ${i}\n    Given a fresh container runs "true"\n`).join(''));
writeFileSync(join(work, 'steps.mjs'), `import { Given } from '@cucumber/cucumber';
Given('a fresh container runs {string}', async function (cmd) {
  const r = await this.runContainer({ cmd: ['sh', '-c', cmd], hostConfig: { NetworkMode: 'none' } });
  if (r.exitCode !== 0) throw new Error('exit ' + r.exitCode);
});
`);

/** Per-container ms of the raw floor. */
const containerFloor = async (client: PlatformClient, count: number, inFlight: number) => (await containerFloorTotal(client, count, inFlight)) / count;

const user = userProject(work, ROOT);
// Each Speed run gets its own --run-id, so that what it left on the engine can be found by label.
const benchId = `bench-${process.pid}-${Date.now().toString(36)}`;
let runCount = 0;
const runIds = new Set<string>();
const nextRunId = () => {
  const id = `${benchId}-${++runCount}`;
  runIds.add(id);
  return id;
};

const results: any = {
  machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, date: new Date().toISOString() },
  engines: {},
};

/** cucumber-js on the user's feature writing the report formats every keelhaul run writes (DESIGN.md Reports). */
const cucumberReports = join(user, 'cucumber-reports');
const cucumberWithReports = () => measured(process.execPath, [CUCUMBER, 'user.feature', '--import', 'user-steps.mjs', '--format', 'summary',
  '--format', `message:${join(cucumberReports, 'messages.ndjson')}`, '--format', `junit:${join(cucumberReports, 'junit.xml')}`, '--format', `json:${join(cucumberReports, 'cucumber.json')}`,
  '--format', `allure-cucumberjs/reporter:${join(cucumberReports, 'allure.log')}`, '--format-options', JSON.stringify({ resultsDir: join(cucumberReports, 'allure-results') })], user);

// The reports' price in cucumber-js itself (no platform: once, not per engine): cucumber-js writing
// those formats against bare cucumber-js, on the same feature. Whatever writes them through
// cucumber-js's formatters pays about this before it does any work of its own; 1.3x of bare leaves
// (1.3 - this ratio) x bare's wall for everything else keelhaul does (bench/README.md).
if (parts.has('userstartup')) {
  log('bench: cucumber-js writing the report formats keelhaul writes, against bare cucumber-js');
  results.reportsPrice = await pair(cucumberWithReports,
    () => measured(process.execPath, [CUCUMBER, 'user.feature', '--import', 'user-steps.mjs', '--format', 'summary'], user), repeats, log);
}

// `check` needs no platform: measured once, not per engine.
if (parts.has('check')) {
  log('bench: keelhaul check vs cucumber-js --dry-run, with the user\'s step file');
  results.check = {
    ...await pair(
      () => measured(process.execPath, [BIN, 'check', 'user.feature', '--require', 'user-steps.mjs'], user),
      () => measured(process.execPath, [CUCUMBER, '--dry-run', 'user.feature', '--import', 'user-steps.mjs', '--format', 'summary'], user),
      repeats, log),
    target: 1.2,
  };
}
const passProbeConcurrency = probeConcurrency !== '' && (parts.has('isohard') || parts.has('suite')) && runHasOption(BIN, '--probe-concurrency');
if (probeConcurrency !== '' && !passProbeConcurrency) log(`bench: this build's run has no --probe-concurrency; --probe-concurrency ${probeConcurrency} not passed`);
const probeArgs = passProbeConcurrency ? ['--probe-concurrency', probeConcurrency] : [];

for (const engine of engines) {
  const target = ENGINES[engine]!;
  const client = new PlatformClient(resolveConnection({ target }), '1.41', `${benchId}-${engine}-floor`);
  runIds.add(client.runId);
  try {
    await client.raw({ method: 'GET', path: '/_ping', unversioned: true, timeoutMs: 3000 });
  } catch {
    log(`bench: ${engine} is not reachable at ${target}; skipped`);
    continue;
  }
  const r: any = (results.engines[engine] = { target });
  // Start-up with keelhaul's own steps: a feature whose one step is keelhaul's (a ping), against bare
  // cucumber-js loading keelhaul's compiled support and steps itself.
  if (parts.has('startup')) {
    log(`bench: ${engine}: start-up, keelhaul's own steps`);
    keelhaul(['ping.feature', '--target', target, '--reports', join(work, 'warm')], work); // warm caches
    const ours = Array.from({ length: repeats }, () => keelhaul(['ping.feature', '--target', target, '--reports', join(work, 'r-start')], work).ms);
    const worldParameters = JSON.stringify({ runId: 'bench', target, apiVersion: '1.41', image: 'busybox:latest', containerTimeoutMs: 60000, profile: { name: 'docker', multiTenant: false } });
    const bare = Array.from({ length: repeats }, () => timed(process.execPath, [CUCUMBER, 'ping.feature', '--import', join(ROOT, 'dist/support/*.js'), '--import', join(ROOT, 'dist/steps/**/*.js'), '--world-parameters', worldParameters, '--format', 'summary'], work).ms);
    r.startupOwnSteps = { keelhaulMs: median(ours), cucumberMs: median(bare), ratio: +(median(ours) / median(bare)).toFixed(2), target: 1.3 };
  }

  // Start-up with the user's own step file: `keelhaul run --require` against cucumber-js --import.
  if (parts.has('userstartup')) {
    log(`bench: ${engine}: start-up, the user's own step file`);
    r.startupUserSteps = {
      ...await pair(
        () => measured(process.execPath, [BIN, 'run', 'user.feature', '--require', 'user-steps.mjs', '--target', target, '--reports', join(work, 'r-user'), '--run-id', nextRunId()], user),
        () => measured(process.execPath, [CUCUMBER, 'user.feature', '--import', 'user-steps.mjs', '--format', 'summary'], user),
        repeats, log),
      target: 1.3,
    };
    // The same keelhaul runs against cucumber-js writing the report formats every keelhaul run writes
    // (DESIGN.md Reports: messages, JUnit, cucumber JSON, Allure results), into a folder of its own:
    // how much of the ratio above is the reports' price, and how much is keelhaul's own work
    // (platform preflight, authoring dry run, probe image, reaper, sweep, summary.json, report.html).
    log(`bench: ${engine}: start-up, the user's own step file, against cucumber-js writing the same reports`);
    r.startupUserStepsSameReports = {
      ...await pair(
        () => measured(process.execPath, [BIN, 'run', 'user.feature', '--require', 'user-steps.mjs', '--target', target, '--reports', join(work, 'r-user'), '--run-id', nextRunId()], user),
        cucumberWithReports, repeats, log),
    };
    // The floor of the platform calls every run makes, whatever else it does: a node process asking
    // /version and /info (the preflight), the probe image and the other runs' containers, and the
    // sweep's three label lists, with node's own http client, against a node process that asks
    // nothing. With the reports' price above, it bounds what any run that writes those reports and
    // talks to the platform can cost against bare cucumber-js.
    if (target.startsWith('unix://')) {
      log(`bench: ${engine}: the platform calls every run makes, from a bare node process`);
      const calls = join(work, 'platform-calls.mjs');
      writeFileSync(calls, `import http from 'node:http';
const ask = (path) => new Promise((resolve, reject) => http.get({ socketPath: ${JSON.stringify(target.replace(/^unix:\/\//, ''))}, path, headers: { host: 'docker' } }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject));
const label = encodeURIComponent(JSON.stringify({ label: ['keelhaul.run=bench-nothing'] }));
await Promise.all([ask('/version'), ask('/v1.41/info')]);
await ask('/v1.41/images/busybox:latest/json');
await ask('/v1.41/containers/json?all=1&filters=' + encodeURIComponent(JSON.stringify({ label: ['keelhaul.run'] })));
await Promise.all([ask('/v1.41/containers/json?all=1&filters=' + label), ask('/v1.41/networks?filters=' + label), ask('/v1.41/volumes?filters=' + label)]);
`);
      r.platformCalls = await pair(() => measured(process.execPath, [calls], work), () => measured(process.execPath, ['-e', '0'], work), repeats, log);
    }
  }

  // Isolation + hardening serial, each run followed by the raw floor for as many containers as that
  // run created, as many in flight as its probe plan ran (summary.json probePlan.concurrency, else 1).
  if (parts.has('isohard')) {
    const rounds = quick ? 1 : 3;
    const walls: number[] = [], floors: number[] = [], ratios: number[] = [], cpu: number[] = [], rss: number[] = [], timing: number[] = [], exits = new Set<number | null>();
    let containers = 0, concurrency = 1, scenarios = 0, aloneContainers = 0;
    const bounds: number[] = [], boundRatios: number[] = [], created: number[] = [], plans: unknown[] = [];
    await containerFloorTotal(client, 2, 1); // warm the engine's image and layer caches
    for (let i = 0; i < rounds; i++) {
      log(`bench: ${engine}: isolation + hardening serial, round ${i + 1} of ${rounds}`);
      const runId = nextRunId();
      const reports = join(work, `r-isohard-${engine}-${i}`);
      const counted = await countingCreates(target, runId, () => measured(process.execPath, [BIN, 'run', join(ROOT, 'features', 'isolation'), join(ROOT, 'features', 'hardening'),
        '--tags', 'not @slow and not @deep', '--target', target, '--reports', reports, '--run-id', runId, ...probeArgs], work));
      const run = counted.result;
      const summary = summaryOf(reports);
      containers = counted.containers;
      // Creates seen on the event stream, and what the plan did (summary.json probePlan): a count that
      // moves between rounds with the plan's counts steady is the event stream's, not keelhaul's.
      created.push(counted.containers); plans.push(summary?.probePlan);
      concurrency = Number(summary?.probePlan?.concurrency) || 1;
      scenarios = summary?.scenarios?.length ?? 0;
      const floor = containers > 0 ? await containerFloorTotal(client, containers, concurrency) : NaN;
      walls.push(run.wallMs); floors.push(floor); ratios.push(run.wallMs / floor); cpu.push(run.cpuMs); rss.push(run.peakRssMiB); exits.add(run.status);
      // The @timing scenarios (network reachability) run with the probe plan paused, one container
      // life and nc timeout after another: their own time, from summary.json, is part of the limit.
      const alone = aloneScenarios(summary, counted.byScenario);
      timing.push(alone.ms);
      // The lower bound: what runs alone, plus the raw floor of the other scenarios' containers at the plan's concurrency.
      const restFloor = alone.otherContainers > 0 ? await containerFloorTotal(client, alone.otherContainers, concurrency) : 0;
      bounds.push(alone.ms + restFloor); boundRatios.push(run.wallMs / (alone.ms + restFloor)); aloneContainers = alone.containers;
    }
    r.isoHard = {
      wallMs: Math.round(median(walls)), floorMs: Math.round(median(floors)), floorRatio: +median(ratios).toFixed(2), containers, concurrency, scenarios,
      cpuMs: Math.round(median(cpu)), peakRssMiB: +median(rss).toFixed(1), exits: [...exits], rounds, probeArgs,
      timingMs: Math.round(median(timing)), timingContainers: aloneContainers,
      lowerBoundMs: Math.round(median(bounds)), lowerBoundRatio: +median(boundRatios).toFixed(2),
      perRound: walls.map((w, i) => ({ wallMs: Math.round(w), floorMs: Math.round(floors[i]!), ratio: +ratios[i]!.toFixed(2), timingMs: timing[i], lowerBoundMs: Math.round(bounds[i]!), containers: created[i], probePlan: plans[i] })),
      targets: { wallMs: 8000, floorRatio: 1.3 },
    };
  }

  // The default suite (no paths: the shipped features/) without @slow, serial, once.
  if (parts.has('suite')) {
    log(`bench: ${engine}: default suite serial without @slow`);
    const runId = nextRunId();
    const reports = join(work, `r-suite-${engine}`);
    const { result: run, containers, byScenario } = await countingCreates(target, runId,
      () => measured(process.execPath, [BIN, 'run', '--tags', 'not @slow', '--target', target, '--reports', reports, '--run-id', runId, ...probeArgs], work));
    const summary = summaryOf(reports);
    const { outcomes, counts } = outcomesOf(summary);
    // The same lower bound as isolation + hardening's: what runs alone (ports, noisy neighbours,
    // network @timing, attacks and examples) plus the floor of the other containers at the plan's concurrency.
    const alone = aloneScenarios(summary, byScenario);
    const concurrency = Number(summary?.probePlan?.concurrency) || 1;
    const restFloor = alone.otherContainers > 0 ? await containerFloorTotal(client, alone.otherContainers, concurrency) : 0;
    r.suite = {
      wallMs: Math.round(run.wallMs), cpuMs: Math.round(run.cpuMs), peakRssMiB: +run.peakRssMiB.toFixed(1), exitCode: run.status,
      containers, scenarios: summary?.scenarios?.length ?? 0, counts, outcomes, probeArgs, target: { wallMs: 40_000 },
      alone: { ms: alone.ms, scenarios: alone.scenarios, containers: alone.containers }, otherContainers: alone.otherContainers, concurrency,
      otherFloorMs: Math.round(restFloor), lowerBoundMs: Math.round(alone.ms + restFloor), probePlan: summary?.probePlan,
    };
  }

  if (parts.has('floor') || parts.has('scenario') || parts.has('families')) {
    log(`bench: ${engine}: container floor`);
    await containerFloor(client, 2, 1);
    r.floor = { serialMs: +(await containerFloor(client, quick ? 6 : 10, 1)).toFixed(1), in4Ms: +(await containerFloor(client, quick ? 8 : 12, 4)).toFixed(1) };
  }

  if (parts.has('scenario')) {
    log(`bench: ${engine}: per container scenario`);
    const withSteps = ['--require', 'steps.mjs', '--target', target];
    const base = median(Array.from({ length: repeats }, () => keelhaul(['ping.feature', ...withSteps, '--reports', join(work, 'r-base')], work).ms));
    const many = median(Array.from({ length: quick ? 1 : 3 }, () => keelhaul(['containers.feature', ...withSteps, '--reports', join(work, 'r-many')], work).ms));
    const perScenario = (many - base) / CONTAINER_SCENARIOS;
    r.containerScenario = { perScenarioMs: +perScenario.toFixed(1), floorMs: r.floor.serialMs, overheadMs: +(perScenario - r.floor.serialMs).toFixed(1), target: 20 };
  }

  r.families = {};
  for (const family of parts.has('families') ? families : []) {
    if (!existsSync(join(ROOT, 'features', family))) continue;
    r.families[family] = {};
    for (const parallel of quick ? [1] : [1, 2, 4]) {
      log(`bench: ${engine}: ${family} --parallel ${parallel}`);
      const reports = join(work, `r-${engine}-${family}-${parallel}`);
      const runId = nextRunId();
      // The containers counted from the live event stream (speed.ts watchCreates: /events?since= loses
      // the early ones on a busy engine).
      const { result: run, containers: started } = await countingCreates(target, runId, () => measured(process.execPath, [BIN, 'run', join(ROOT, 'features', family),
        '--target', target, '--tags', 'not @slow and not @deep', '--parallel', String(parallel), '--reports', reports, '--run-id', runId], work));
      const summary = summaryOf(reports);
      r.families[family][`parallel${parallel}`] = {
        wallMs: Math.round(run.wallMs), exitCode: run.status, scenarios: summary?.scenarios.length ?? 0, containers: started,
        floorRatio: started > 0 ? +(run.wallMs / (started * r.floor.serialMs)).toFixed(2) : null,
      };
    }
    const f = r.families[family];
    if (f.parallel4) f.speedup4 = +(f.parallel1.wallMs / f.parallel4.wallMs).toFixed(2);
  }
  if (Object.keys(r.families).length === 0) delete r.families;

  // The image is how users meet keelhaul (CI jobs, bin/keelhaul-docker): its wall time for the
  // default suite without @slow against the native CLI's, one after the other on the same engine
  // (never at once), with the outcomes compared so that a faster run that judged less cannot pass.
  if (parts.has('image') && target.startsWith('unix://')) {
    const inspect = spawnSync('docker', ['image', 'inspect', IMAGE], { stdio: 'ignore' });
    if (inspect.status !== 0) {
      log(`bench: ${engine}: image ${IMAGE} not found (npm run build:image); image part skipped`);
    } else {
      log(`bench: ${engine}: default suite without @slow, natively then from ${IMAGE}`);
      const native = await nativeSuite(target);
      const image = await imageSuite(IMAGE, target.replace(/^unix:\/\//, ''));
      const differing = differences(native, image);
      removeWorkspaces();
      r.image = {
        image: IMAGE, nativeMs: native.wallMs, imageMs: image.wallMs, ratio: +(image.wallMs / native.wallMs).toFixed(2), target: 1.1,
        nativeExit: native.exitCode, imageExit: image.exitCode, scenarios: native.summary?.scenarios.length ?? 0, differing,
      };
    }
  }

  // What the Speed runs and the floors left behind (by their run ids): 0, or the results say so.
  r.leftBehind = await leftovers(client, runIds, log);
}

if (parts.has('fleet')) results.fleet = benchFleet({ root: ROOT, work, log, repeats });

// A partial bench (--parts) never overwrites the full figures the README quotes.
const allParts = ALL_PARTS.every((p) => parts.has(p));
writeFileSync(join(ROOT, 'bench', allParts ? 'results.json' : `results-${[...parts].join('-')}.json`), JSON.stringify(results, null, 2) + '\n');
const rows: string[] = [`machine: ${results.machine.cpus} x ${results.machine.model}, ${results.machine.memoryGiB} GiB, node ${results.machine.node}`];
if (results.reportsPrice) {
  const p = results.reportsPrice;
  rows.push(`reports' price in cucumber-js: cucumber-js writing messages, JUnit, JSON and Allure ${p.keelhaul.wallMs} ms vs bare ${p.cucumber.wallMs} ms = ${p.ratio}x wall, ${p.cpuRatio}x CPU; ` +
    `1.3x of bare leaves ${Math.round((1.3 - p.ratio) * p.cucumber.wallMs)} ms for all of keelhaul's own work; median of ${p.rounds}`);
}
for (const [engine, r] of Object.entries<any>(results.engines)) {
  rows.push('', `${engine}`);
  const own = r.startupOwnSteps;
  if (own) rows.push(`  start-up, keelhaul's own steps: keelhaul ${own.keelhaulMs.toFixed(0)} ms vs cucumber-js ${own.cucumberMs.toFixed(0)} ms = ${own.ratio}x (target <= 1.3x)`);
  rows.push(...pairRows('start-up, the user\'s own step file', r.startupUserSteps, 1.3));
  if (r.platformCalls && results.reportsPrice) {
    const extra = r.platformCalls.keelhaul.wallMs - r.platformCalls.cucumber.wallMs;
    const extraCpu = r.platformCalls.keelhaul.cpuMs - r.platformCalls.cucumber.cpuMs;
    const bare = results.reportsPrice.cucumber;
    rows.push(`  the platform calls every run makes (/version, /info, image, other runs, sweep), from bare node: +${extra} ms wall, +${extraCpu} ms CPU; with the reports' price: ` +
      `${results.reportsPrice.ratio}x + ${(extra / bare.wallMs).toFixed(2)}x = ${(results.reportsPrice.ratio + extra / bare.wallMs).toFixed(2)}x of bare cucumber-js's wall ` +
      `(CPU ${results.reportsPrice.cpuRatio}x + ${(extraCpu / bare.cpuMs).toFixed(2)}x) before any other work`);
  }
  if (r.startupUserStepsSameReports) rows.push(...pairRows('the same, against cucumber-js writing the same report formats (messages, JUnit, JSON, Allure)', r.startupUserStepsSameReports, 1.3).map((line, i) => (i === 0 ? line.replace(/ \(target <= [\d.]+x\)/, '') : line)));
  if (r.floor) rows.push(`  container floor: ${r.floor.serialMs} ms serial, ${r.floor.in4Ms} ms each with 4 in flight`);
  if (r.containerScenario) rows.push(`  per container scenario: ${r.containerScenario.perScenarioMs} ms = floor + ${r.containerScenario.overheadMs} ms (target <= 20 ms)`);
  if (r.image) {
    rows.push(`  default suite without @slow (${r.image.scenarios} scenarios): image ${(r.image.imageMs / 1000).toFixed(1)} s vs native ${(r.image.nativeMs / 1000).toFixed(1)} s = ${r.image.ratio}x (target <= 1.1x); exit ${r.image.imageExit} vs ${r.image.nativeExit}; ${r.image.differing.length} scenario(s) judged differently`);
    for (const d of r.image.differing) rows.push(`    ${d}`);
  }
  if (Object.keys(r.families ?? {}).length > 0) rows.push('  family             par  wall ms  scen  cont  wall/(cont x floor)  exit');
  for (const [family, byPar] of Object.entries<any>(r.families ?? {})) {
    for (const [par, v] of Object.entries<any>(byPar)) {
      if (!par.startsWith('parallel')) continue;
      rows.push(`  ${family.padEnd(18)} ${par.replace('parallel', '').padStart(3)} ${String(v.wallMs).padStart(8)} ${String(v.scenarios).padStart(5)} ${String(v.containers).padStart(5)} ${String(v.floorRatio ?? '-').padStart(20)} ${String(v.exitCode).padStart(5)}`);
    }
    if (byPar.speedup4) rows.push(`  ${family.padEnd(18)} speed-up with --parallel 4: ${byPar.speedup4}x`);
  }
  rows.push(...isoHardRows(r.isoHard), ...suiteRows(r.suite));
  if (r.leftBehind) rows.push(`  LEFT BEHIND: ${r.leftBehind} object(s) labelled with the bench's run ids (removed)`);
}
if (results.check) rows.push('', 'no engine', ...pairRows('keelhaul check vs cucumber-js --dry-run', results.check, 1.2));
rows.push(...fleetRows(results.fleet));
process.stdout.write(rows.join('\n') + '\n');
