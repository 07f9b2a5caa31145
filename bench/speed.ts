// The "Speed" section of `npm run bench` (parts userstartup, check, isohard, suite). How each figure is
// measured is in bench/README.md; in short, every keelhaul or cucumber-js process runs under
// `/usr/bin/time -f '%e %U %S %M'`, which gives its CPU time (user + sys) and its peak RSS, and each
// ratio compares two sides measured alternately (ABBA) within the same bench run, because these
// machines are shared and noisy and a figure from another run would compare two different loads.
import { planPauseOf } from '../support/probe-plan.js';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { PlatformClient } from '../adapters/platform/docker-client.js';
import { watchEvents } from '../test/helpers/events.js';

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number, digits = 0) => +x.toFixed(digits);

export interface Measured {
  wallMs: number;
  /** user + sys of the process and of the children it waited for (cucumber's parallel workers, tools). */
  cpuMs: number;
  /** ru_maxrss: the largest single process of that tree, not a sum. */
  peakRssMiB: number;
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Run `command args` under GNU time. Wall time is the parent's clock around the whole spawn (time's
 * own %e has 10 ms steps); CPU and RSS are what wait4() reports for the child. A detached process the
 * child leaves behind (keelhaul's reaper, run/reaper.ts) is not waited for, so it is not counted.
 */
// Asynchronous (not spawnSync) so that an event watch (watchCreates) keeps reading while the child runs.
export function measured(command: string, args: string[], cwd: string, timeoutMs = 1_800_000): Promise<Measured> {
  const out = join(cwd, `.time-${process.pid}`);
  rmSync(out, { force: true });
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-o', out, '-f', '%e %U %S %M', command, ...args], { cwd, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr!.setEncoding('utf8').on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (status) => {
      clearTimeout(timer);
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      // time writes "Command exited with non-zero status N" (or "...terminated by signal") before the figures.
      const last = existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n').pop()! : '';
      rmSync(out, { force: true });
      const [, user, sys, maxKiB] = last.split(' ').map(Number);
      if (![user, sys, maxKiB].every((x) => Number.isFinite(x))) return reject(new Error(`bench: /usr/bin/time gave no figures for ${command} ${args.join(' ')}: "${last}"`));
      resolve({ wallMs, cpuMs: (user! + sys!) * 1000, peakRssMiB: maxKiB! / 1024, status, stdout, stderr });
    });
  });
}

/** The medians of a side's runs, and their exit codes (a pair whose sides failed compares nothing). */
function side(runs: Measured[]) {
  return {
    wallMs: round(median(runs.map((m) => m.wallMs))),
    cpuMs: round(median(runs.map((m) => m.cpuMs))),
    peakRssMiB: round(median(runs.map((m) => m.peakRssMiB)), 1),
    exits: [...new Set(runs.map((m) => m.status))],
  };
}

/**
 * n rounds of A and B alternated ABBA (A B, B A, A B, ...), so that a load that drifts during the
 * measurement falls on both sides alike; one unrecorded warm-up of each first (file cache, compiled
 * code cache).
 */
export async function pair(a: (i: number) => Promise<Measured>, b: (i: number) => Promise<Measured>, n: number, log: (line: string) => void) {
  await a(-1);
  await b(-1);
  const as: Measured[] = [];
  const bs: Measured[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) {
      as.push(await a(i));
      bs.push(await b(i));
    } else {
      bs.push(await b(i));
      as.push(await a(i));
    }
  }
  for (const [name, runs] of [['keelhaul', as], ['cucumber-js', bs]] as const) {
    const failed = runs.find((m) => m.status !== 0);
    if (failed) log(`bench: ${name} exited ${failed.status}: ${lastLine(failed.stderr || failed.stdout)}`);
  }
  const ours = side(as);
  const bare = side(bs);
  return {
    keelhaul: ours, cucumber: bare,
    ratio: round(ours.wallMs / bare.wallMs, 2), cpuRatio: round(ours.cpuMs / bare.cpuMs, 2), rssRatio: round(ours.peakRssMiB / bare.peakRssMiB, 2),
    rounds: n,
  };
}

const lastLine = (text: string) => text.trim().split('\n').pop()?.slice(0, 300) ?? '';

/**
 * The user's own project: a one-scenario feature whose one step is defined in the user's step file, a
 * Given that does nothing (no container, no API call). node_modules is linked in so that bare
 * cucumber-js resolves the file's `import ... from '@cucumber/cucumber'` to the same copy it runs
 * from (keelhaul answers that import itself: support/loader/resolve-hook.ts).
 */
export function userProject(work: string, root: string): string {
  const dir = join(work, 'user');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'user.feature'), 'Feature: user steps\n  Scenario: a step of the user\'s own\n    Given the user\'s step does nothing\n');
  writeFileSync(join(dir, 'user-steps.mjs'), `import { Given } from '@cucumber/cucumber';\nGiven("the user's step does nothing", function () {});\n`);
  if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** The raw floor: `count` busybox containers created, started, waited for and removed, `inFlight` at a time; total wall ms. */
export async function containerFloorTotal(client: PlatformClient, count: number, inFlight: number): Promise<number> {
  const one = async (i: number) => {
    const id = await client.createContainer({ image: 'busybox:latest', cmd: ['true'], hostConfig: { NetworkMode: 'none' } }, `bench-floor-${i}`);
    await client.startContainer(id);
    await client.waitContainer(id, 30_000);
    await client.removeContainer(id);
  };
  const started = process.hrtime.bigint();
  let next = 0;
  await Promise.all(Array.from({ length: Math.max(1, Math.min(inFlight, count)) }, async () => {
    while (next < count) await one(next++);
  }));
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/**
 * Count the containers created with the label keelhaul.run=runId from now until stop()
 * (test/helpers/events.ts), each container once: Podman 4.3's event stream here sometimes delivers a
 * run's create events twice (a run of isolation + hardening counted 122 with every scenario's count
 * doubled, 61 in the runs before and after it, summary.json's probePlan the same in all four).
 */
export function watchCreates(target: string, runId: string): { ready: Promise<void>; stop: () => Promise<{ creates: number; byScenario: Map<string, number> }> } {
  let creates = 0;
  const byScenario = new Map<string, number>();
  const seen = new Set<string>();
  const watch = watchEvents(target, { type: ['container'], event: ['create'], label: [`keelhaul.run=${runId}`] }, (e) => {
    const id = String(e.Actor?.ID ?? e.id ?? '');
    if (id && seen.has(id)) return;
    if (id) seen.add(id);
    creates++;
    const scenario = String(e.Actor?.Attributes?.['keelhaul.scenario'] ?? '');
    byScenario.set(scenario, (byScenario.get(scenario) ?? 0) + 1);
  });
  return { ready: watch.ready, stop: async () => { await watch.stop(); return { creates, byScenario }; } };
}

/** A run's container count (and per scenario ID, from the containers' keelhaul.scenario label) by watching the events while `run` lasts. */
export async function countingCreates<T>(target: string, runId: string, run: () => Promise<T>): Promise<{ result: T; containers: number; byScenario: Map<string, number> }> {
  const watch = watchCreates(target, runId);
  await watch.ready;
  const result = await run();
  const { creates, byScenario } = await watch.stop();
  return { result, containers: creates, byScenario };
}

/**
 * The scenarios of a run that keep the probe plan paused from their start to their end
 * (support/probe-plan.ts planPauseOf: @timing, noisy neighbours, ports; attacks and examples, which
 * stop it taking new work at their start): they run alone, one after the other, by design. Their
 * time (summary.json) and the containers the other scenarios made give a run's lower bound: that
 * time plus the raw floor of the other containers at the plan's concurrency.
 */
export function aloneScenarios(summary: any, byScenario: Map<string, number>): { ms: number; scenarios: number; containers: number; otherContainers: number } {
  const alone = (summary?.scenarios ?? []).filter((s: any) => planPauseOf(s.tags ?? [], false) !== 'never');
  const ids = new Set<string>(alone.map((s: any) => String(s.id)));
  let containers = 0, otherContainers = 0;
  for (const [scenario, n] of byScenario) {
    if (ids.has(scenario)) containers += n;
    else otherContainers += n;
  }
  return { ms: alone.reduce((sum: number, s: any) => sum + s.durationMs, 0), scenarios: alone.length, containers, otherContainers };
}

/**
 * What the bench's own runs and floors left on the engine (containers, networks, volumes labelled with
 * one of `runIds`); removed, and counted so that the results say so.
 */
export async function leftovers(client: PlatformClient, runIds: Set<string>, log: (line: string) => void): Promise<number> {
  const ours = (labels: Record<string, string>) => runIds.has(labels['keelhaul.run'] ?? '');
  const containers = (await client.listContainersByLabel('keelhaul.run')).filter((c) => ours(c.labels));
  const networks = (await client.listNetworksByLabel('keelhaul.run')).filter((n) => ours(n.labels));
  const volumes = (await client.listVolumesByLabel('keelhaul.run')).filter((v) => ours(v.labels));
  for (const c of containers) {
    log(`bench: left behind: container ${c.id.slice(0, 12)} of run ${c.labels['keelhaul.run']} (${c.state}); removing it`);
    await client.removeContainer(c.id);
  }
  for (const n of networks) {
    log(`bench: left behind: network ${n.id.slice(0, 12)} of run ${n.labels['keelhaul.run']}; removing it`);
    await client.raw({ method: 'DELETE', path: `/networks/${n.id}`, timeoutMs: 20_000 }).catch(() => undefined);
  }
  for (const v of volumes) {
    log(`bench: left behind: volume ${v.id} of run ${v.labels['keelhaul.run']}; removing it`);
    await client.raw({ method: 'DELETE', path: `/volumes/${encodeURIComponent(v.id)}?force=1`, timeoutMs: 20_000 }).catch(() => undefined);
  }
  return containers.length + networks.length + volumes.length;
}

export function summaryOf(reports: string): any {
  const path = join(reports, 'summary.json');
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
}

/** Outcome per scenario ID (an outline's rows share their ID: the second is ID#2, ...) and the count of each outcome. */
export function outcomesOf(summary: any): { outcomes: Record<string, string>; counts: Record<string, number> } {
  const outcomes: Record<string, string> = {};
  const counts: Record<string, number> = {};
  for (const s of summary?.scenarios ?? []) {
    let key = s.id || s.location;
    for (let n = 2; key in outcomes; n++) key = `${s.id || s.location}#${n}`;
    outcomes[key] = s.outcome;
    counts[s.outcome] = (counts[s.outcome] ?? 0) + 1;
  }
  return { outcomes, counts };
}

/** Whether this build's `run` has --probe-concurrency (another change adds it): the bench passes it only then. */
export function runHasOption(bin: string, option: string): boolean {
  const r = spawnSync(process.execPath, [bin, 'run', '--help'], { encoding: 'utf8' });
  return (r.stdout ?? '').includes(option);
}

const fmtS = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const fmtSide = (s: any) => `${s.wallMs} ms wall, ${s.cpuMs} ms CPU, ${s.peakRssMiB} MiB`;

export function pairRows(label: string, r: any, target: number): string[] {
  if (!r) return [];
  return [
    `  ${label}: ${r.ratio}x wall (target <= ${target}x), ${r.cpuRatio}x CPU, ${r.rssRatio}x peak RSS; median of ${r.rounds}`,
    `    keelhaul    ${fmtSide(r.keelhaul)}; exit ${r.keelhaul.exits.join(',')}`,
    `    cucumber-js ${fmtSide(r.cucumber)}; exit ${r.cucumber.exits.join(',')}`,
  ];
}

export function isoHardRows(r: any): string[] {
  if (!r) return [];
  return [
    `  isolation + hardening serial (not @slow/@deep): ${fmtS(r.wallMs)} (target <= 8 s); ${r.containers} containers, floor ${fmtS(r.floorMs)} at ${r.concurrency} in flight = ${r.floorRatio}x (target <= 1.3x); ` +
      `${r.cpuMs} ms CPU, ${r.peakRssMiB} MiB; ${r.scenarios} scenarios, exit ${r.exits.join(',')}; median of ${r.rounds}`,
    ...(r.timingMs !== undefined ? [`    of which the @timing scenarios (network reachability, the probe plan paused): ${fmtS(r.timingMs)}`] : []),
    ...(r.lowerBoundMs !== undefined ? [`    lower bound: those ${fmtS(r.timingMs)} + the floor of the other ${r.containers - (r.timingContainers ?? 0)} containers at ${r.concurrency} in flight = ${fmtS(r.lowerBoundMs)}; wall / lower bound = ${r.lowerBoundRatio}x`] : []),
  ];
}

export function suiteRows(r: any): string[] {
  if (!r) return [];
  const counts = Object.entries<number>(r.counts).map(([k, v]) => `${v} ${k}`).join(', ');
  return [
    `  default suite serial (not @slow): ${fmtS(r.wallMs)} (target <= 40 s); ${r.scenarios} scenarios (${counts}); ${r.containers} containers; ${r.cpuMs} ms CPU, ${r.peakRssMiB} MiB; exit ${r.exitCode}`,
    ...(r.lowerBoundMs !== undefined ? [`    lower bound: ${r.alone.scenarios} scenarios that run alone (ports, noisy neighbours, @timing, attacks, examples) ${fmtS(r.alone.ms)} + the floor of the other ${r.otherContainers} containers at ${r.concurrency} in flight ${fmtS(r.otherFloorMs)} = ${fmtS(r.lowerBoundMs)}; wall / lower bound = ${(r.wallMs / r.lowerBoundMs).toFixed(2)}x`] : []),
  ];
}
