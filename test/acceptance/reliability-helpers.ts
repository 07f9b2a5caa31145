// Shared by the reliability-*.test.ts files: a small multi-family workload that keeps labelled
// containers, networks and volumes alive, leftover counting by run id, foreign objects, a seeded RNG.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, api, ensureBusybox, type KeelhaulResult } from '../helpers/keelhaul.js';

export const BASELINE = readFileSync(join(ROOT, 'features', 'isolation', 'baseline.feature'), 'utf8');
export const HARDENING_OPTIONS = readFileSync(join(ROOT, 'features', 'hardening', 'options.feature'), 'utf8');

/** A --require'd user step file (plain JS): a labelled network, volume and sleeping container per scenario. */
export const SLEEPER_STEPS = `
import { When } from '@cucumber/cucumber';
const tag = () => Math.random().toString(36).slice(2, 8);
When('a labelled network, volume and container live for {int} ms', { timeout: 60000 }, async function (ms) {
  process.stderr.write('sleepers: run ' + this.parameters.runId + ' ' + this.scenarioId + ' begins\\n');
  const p = this.platform;
  const net = await p.createNetwork('keelhaul-rel-' + tag(), this.scenarioId);
  this.resources.track('network', net);
  const vol = await p.createVolume('keelhaul-rel-' + tag(), this.scenarioId);
  this.resources.track('volume', vol);
  const id = await this.startContainer({ cmd: ['sleep', '300'], hostConfig: { NetworkMode: 'none', Binds: [vol + ':/data'] } });
  process.stderr.write('sleepers: ' + this.scenarioId + ' container ' + id.slice(0, 12) + ' started\\n');
  await new Promise((r) => setTimeout(r, ms));
});
`;

export function sleeperFeature(count: number, ms: number, tags = '@reliability'): string {
  const rows = Array.from({ length: count }, (_, i) => `      | ${i + 1} |`).join('\n');
  return `${tags}\nFeature: labelled sleepers\n  Scenario Outline: sleeper <n>\n    When a labelled network, volume and container live for ${ms} ms\n    Examples:\n      | n |\n${rows}\n`;
}

/** The run id of a finished or interrupted run: summary.json, else the lines keelhaul or the sleepers print. */
export function runIdOf(r: KeelhaulResult): string | undefined {
  if (r.summary?.run) return r.summary.run;
  const m = /keelhaul: SIG\w+: (?:cleaning up run|run) (\S+)/.exec(r.stderr) ?? /sleepers: run (\S+)/.exec(r.stderr);
  return m?.[1];
}

export interface Leftovers { containers: string[]; networks: string[]; volumes: string[] }

/** Everything on the engine labelled keelhaul.run=<runId>. */
export async function leftovers(host: string, runId: string): Promise<Leftovers> {
  const filters = encodeURIComponent(JSON.stringify({ label: [`keelhaul.run=${runId}`] }));
  const [c, n, v] = await Promise.all([
    api(host, `/containers/json?all=1&filters=${filters}`),
    api(host, `/networks?filters=${filters}`),
    api(host, `/volumes?filters=${filters}`),
  ]);
  return {
    containers: (Array.isArray(c.body) ? c.body : []).map((x: any) => x.Id.slice(0, 12)),
    networks: (Array.isArray(n.body) ? n.body : []).map((x: any) => x.Name),
    volumes: (v.body?.Volumes ?? []).map((x: any) => x.Name),
  };
}

export const NOTHING: Leftovers = { containers: [], networks: [], volumes: [] };

/** Foreign objects keelhaul must never touch: unlabelled, keelhaul-looking names, keelhaul.* labels but no keelhaul.run. */
export interface Foreign { containers: string[]; networks: string[]; volumes: string[] }

export async function createForeign(host: string, prefix: string): Promise<Foreign> {
  const variants: Array<{ name: string; labels: Record<string, string> }> = [
    { name: `${prefix}-plain`, labels: {} },
    { name: `keelhaul-${prefix}-lookalike`, labels: {} },
    { name: `keelhaul-rel-${prefix}`, labels: { 'keelhaul.scenario': 'ISO-01', 'keelhaul.note': 'not keelhaul.run' } },
    { name: `${prefix}-runlike`, labels: { 'keelhaul.runner': 'x', 'keelhaul.run-id': 'y', 'keelhaulrun': 'z' } },
  ];
  await ensureBusybox(host);
  const foreign: Foreign = { containers: [], networks: [], volumes: [] };
  for (const { name, labels } of variants) {
    const c = await api(host, `/containers/create?name=${encodeURIComponent(name)}`, 'POST', {
      Image: 'busybox:latest', Cmd: ['sleep', '900'], Labels: labels, HostConfig: { NetworkMode: 'none' },
    });
    if (c.status !== 201) throw new Error(`foreign container ${name}: ${c.status} ${JSON.stringify(c.body)}`);
    await api(host, `/containers/${c.body.Id}/start`, 'POST');
    foreign.containers.push(c.body.Id);
    const n = await api(host, '/networks/create', 'POST', { Name: name, Labels: labels, Internal: true });
    if (n.status !== 201) throw new Error(`foreign network ${name}: ${n.status} ${JSON.stringify(n.body)}`);
    foreign.networks.push(n.body.Id);
    const v = await api(host, '/volumes/create', 'POST', { Name: name, Labels: labels });
    if (v.status !== 201) throw new Error(`foreign volume ${name}: ${v.status} ${JSON.stringify(v.body)}`);
    foreign.volumes.push(v.body.Name);
  }
  return foreign;
}

/** Which foreign objects are gone (should be none). */
export async function missingForeign(host: string, f: Foreign): Promise<string[]> {
  const missing: string[] = [];
  for (const id of f.containers) if ((await api(host, `/containers/${id}/json`)).status !== 200) missing.push(`container ${id.slice(0, 12)}`);
  for (const id of f.networks) if ((await api(host, `/networks/${id}`)).status !== 200) missing.push(`network ${id.slice(0, 12)}`);
  for (const name of f.volumes) if ((await api(host, `/volumes/${name}`)).status !== 200) missing.push(`volume ${name}`);
  return missing;
}

export async function removeForeign(host: string, f: Foreign): Promise<void> {
  for (const id of f.containers) await api(host, `/containers/${id}?force=1&v=1`, 'DELETE').catch(() => undefined);
  for (const id of f.networks) await api(host, `/networks/${id}`, 'DELETE').catch(() => undefined);
  for (const name of f.volumes) await api(host, `/volumes/${name}`, 'DELETE').catch(() => undefined);
}

/** mulberry32: a small seeded PRNG, so a failing random schedule can be replayed (KEELHAUL_RELIABILITY_SEED). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** No stack trace in what the user sees. */
export function hasStackTrace(text: string): boolean {
  return /\n\s+at .+[:(]\d+/.test(text) || /\bat (async )?\S+ \(.*:\d+:\d+\)/.test(text);
}

/** The private engine of test/fixtures/tls/remote.sh (also reachable on a unix socket). */
export const PRIVATE_SOCKET = 'unix:///run/keelhaul-fixtures/tls/docker.sock';
export const REMOTE_SH = join(ROOT, 'test', 'fixtures', 'tls', 'remote.sh');

export function remote(...args: string[]): void {
  execFileSync('bash', [REMOTE_SH, ...args], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
}

/** The conformance scenarios that create containers over raw HTTP (POST /containers/create), besides the World's creates. */
export const RAW_CREATES = {
  'features/2-conformance/options.feature': readFileSync(join(ROOT, 'features', 'conformance', 'options.feature'), 'utf8'),
  'features/2-conformance/lifecycle.feature': readFileSync(join(ROOT, 'features', 'conformance', 'lifecycle.feature'), 'utf8'),
};
export const RAW_CREATE_TAGS = '@CONF-C9 or @CONF-L24';

/** A run id of our own (passed with --run-id), so that a run is found even when it printed nothing. */
export function testRunId(prefix: string): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

export interface RunProcess { pid: number; ppid: number; cmd: string }

function procFile(pid: string, name: string): string {
  try {
    return readFileSync(`/proc/${pid}/${name}`, 'utf8');
  } catch {
    return '';
  }
}

/**
 * The live processes of a run: its main process (`--run-id <id>` on its command line) and whatever it
 * started (parallel workers, the reaper: KEELHAUL_RUN=<id> in their environment, or <id> in their argv).
 * Zombies do not count (they hold nothing: no socket, no pipe); neither does this test process.
 */
export function processesOfRun(runId: string): RunProcess[] {
  const found: RunProcess[] = [];
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    if (Number(pid) === process.pid) continue;
    const cmdline = procFile(pid, 'cmdline').split('\0');
    const environ = procFile(pid, 'environ').split('\0');
    // keelhaul renames its main process "keelhaul <args>" (one string) once its first line has run.
    const titled = cmdline.join(' ').split(' ');
    if (!titled.includes(runId) && !environ.includes(`KEELHAUL_RUN=${runId}`)) continue;
    const stat = procFile(pid, 'stat');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X' || stat === '') continue;
    found.push({ pid: Number(pid), ppid: Number(fields[1]), cmd: cmdline.join(' ').trim().slice(0, 160) });
  }
  return found;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait (bounded) until no process of the run is alive; returns those still alive at the deadline. */
export async function processesGone(runId: string, timeoutMs: number): Promise<RunProcess[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alive = processesOfRun(runId);
    if (alive.length === 0 || Date.now() >= deadline) return alive;
    await sleep(100);
  }
}

/** Wait (bounded) until nothing on the engine carries the run's label; returns what is left at the deadline. */
export async function labelGone(host: string, runId: string, timeoutMs: number): Promise<{ left: Leftovers; afterMs: number }> {
  const started = Date.now();
  for (;;) {
    const left = await leftovers(host, runId);
    const empty = left.containers.length + left.networks.length + left.volumes.length === 0;
    if (empty || Date.now() - started >= timeoutMs) return { left, afterMs: Date.now() - started };
    await sleep(200);
  }
}

/** An unlabelled container started before a run, that the run (and its reaper) must leave alone. */
export async function bystander(host: string, name: string): Promise<string> {
  await ensureBusybox(host);
  const created = await api(host, `/containers/create?name=${encodeURIComponent(name)}`, 'POST', {
    Image: 'busybox:latest', Cmd: ['sleep', '900'], HostConfig: { NetworkMode: 'none' },
  });
  if (created.status !== 201) throw new Error(`bystander ${name}: ${created.status} ${JSON.stringify(created.body)}`);
  await api(host, `/containers/${created.body.Id}/start`, 'POST');
  return created.body.Id;
}
