// The noisy-neighbours family's parties on the platform (RES-01..15): bounded containers placed
// beside each other, measurements run in them at one host instant, and the memory offender. The
// scripts, parsers and verdict rules are in judges/resources.ts; docs/noisy-neighbours.md says why.
import { isRefusal } from '../adapters/platform/docker-client.js';
import { MiB, SPIN_SCRIPT, num, parseKeyValues, parseSize, parseSpin, round, type KeyValues, type SpinResult, type Verdict } from '../judges/resources.js';
import type { KeelhaulWorld } from './world.js';
import { OBSERVATION } from '../judges/observation-keys.js';

/** What a RES scenario carries from step to step (support/world.ts ScenarioContext). */
export interface ResourcesContext {
  /** The scenario's first running party: later ones ask to be placed beside it. */
  anchor?: string;
  /** Kernel boot id each party read, by role: the proof of co-location. */
  parties?: Record<string, string | undefined>;
  info?: any;
  victim?: string;
  victimRun?: { running: boolean; oomKilled: boolean; completed: boolean; beats: number[] };
  offender?: MemoryOffender & { status?: string; requested: number };
  quota?: { cpus: number; visible?: number | 'unlimited'; runs: Array<Record<string, SpinResult>>; nproc?: string };
  fair?: { victim: string; neighbour: string; victimLoops: number; neighbourLoops: number; runs: Array<{ alone: SpinResult; together: Record<string, SpinResult> }> };
  weights?: { heavy: number; light: number; runs: Array<Record<string, SpinResult>> };
  pinned?: { cpus: string; limits: KeyValues; spin: SpinResult };
  flood?: { id: string; limit: number; count: number; kv: KeyValues };
  forkVictim?: { count: number; kv: KeyValues; timedOut: boolean };
  nproc?: { nproc: number; count: number; kv: KeyValues };
  defaults?: KeyValues;
  view?: { memory: number; cpus: number; kv: KeyValues };
  device?: string;
  io?: { bps: number; directBytes: number; bufferedBytes: number; kv: KeyValues };
  weight?: { requested: number; kv?: KeyValues; refused?: string };
  disk?: { kv: KeyValues; size: number };
  storage?: { quota: number; size: number; kv?: KeyValues; refused?: string };
  logs?: { logConfig: any; bytesRead: number };
  shm?: { size: number; kv: KeyValues };
  prio?: KeyValues;
}

declare module './world.js' {
  interface ScenarioContext {
    res?: ResourcesContext;
  }
}

export function res(world: KeelhaulWorld): ResourcesContext {
  return (world.ctx.res ??= {});
}

/** A slot an earlier step of the scenario must have filled. */
export function needs<K extends keyof ResourcesContext>(world: KeelhaulWorld, key: K, what: string): NonNullable<ResourcesContext[K]> {
  const value = res(world)[key];
  if (value === undefined) throw new Error(`no ${what} in this scenario`);
  return value as NonNullable<ResourcesContext[K]>;
}

export interface MemoryOffender {
  kv: KeyValues;
  inspect: any;
  exitCode: number | null;
  limit: number;
  asked: number;
  scale: number;
  memsw: number;
  killedWhole: boolean;
  end?: number;
}

/**
 * Every RES container is bounded: no network, 64 MiB, 64 pids, unless a step asks for its own
 * limits. A platform that refuses NetworkMode none (Triton: profile semantics.noneNetwork false)
 * runs it on the network it gives instead; no RES container publishes a port either way.
 */
export function bounded(world: KeelhaulWorld, hostConfig: Record<string, unknown> = {}): Record<string, unknown> {
  const network = world.profile.semantics?.noneNetwork === false ? {} : { NetworkMode: 'none' };
  return { ...network, Memory: 64 * MiB, MemorySwap: 64 * MiB, PidsLimit: 64, ...hostConfig };
}

/**
 * Co-location on a platform that spreads containers over servers (profile semantics.placement
 * swarm-affinity, as Triton documents in docs/api/features/placement.md): every party after the
 * scenario's first running one asks to be placed beside it, in Env and in the label. The kernel
 * boot id every party reads is still the proof (the co-location step below).
 */
export function placement(world: KeelhaulWorld): { env?: string[]; labels?: Record<string, string> } {
  const anchor: string | undefined = res(world).anchor;
  if (world.profile.semantics?.placement !== 'swarm-affinity' || !anchor) return {};
  world.observe('affinity', `container==${anchor}`);
  return { env: [`affinity:container==${anchor}`], labels: { 'com.docker.swarm.affinities': JSON.stringify([`container==${anchor}`]) } };
}

/** A refused create that asked for co-location: the platform cannot place the parties together. */
export function apartIfRefused(world: KeelhaulWorld, asked: { env?: string[] }, error: unknown): never {
  if (asked.env && isRefusal(error)) {
    world.observe('placementRefused', { status: error.statusCode, message: error.rawMessage });
    world.notApplicable(`the platform could not place the parties on one server (${asked.env[0]}): ${error.statusCode} ${error.rawMessage.slice(0, 200)}; they are not neighbours, so there is nothing to judge`);
  }
  throw error;
}

/** A long-running party, bounded and placed beside the scenario's first one. */
export async function startParty(world: KeelhaulWorld, cmd: string[], hostConfig: Record<string, unknown> = {}): Promise<string> {
  const asked = placement(world);
  let id: string;
  try {
    id = await world.startContainer({ cmd, hostConfig: bounded(world, hostConfig), ...asked });
  } catch (error) {
    return apartIfRefused(world, asked, error);
  }
  res(world).anchor ??= id;
  return id;
}

/** A party run to completion, bounded and placed beside the scenario's first running one. */
export async function runParty(world: KeelhaulWorld, cmd: string[], hostConfig: Record<string, unknown> = {}, timeoutMs?: number) {
  const asked = placement(world);
  try {
    return await world.runContainer({ cmd, hostConfig: bounded(world, hostConfig), ...asked }, timeoutMs);
  } catch (error) {
    return apartIfRefused(world, asked, error);
  }
}

/**
 * The memory the platform gives a container that asks for `bytes`: the smallest of the profile's
 * packages that holds it (Triton rounds -m up: sdc-docker lib/backends/sdc/containers.js:1018), or
 * the request itself.
 */
export function platformMemory(world: KeelhaulWorld, bytes: number): number {
  const packages = world.profile.semantics?.memoryPackagesMiB;
  if (!packages?.length) return bytes;
  const mib = [...packages].sort((a, b) => a - b).find((p) => p * MiB >= bytes) ?? Math.max(...packages);
  return mib * MiB;
}

/** Idle containers that measurements exec into live at most this long. */
export const IDLE_S = 120;

export function progress(world: KeelhaulWorld, message: string): void {
  // On a terminal, first wipe the progress line this message would otherwise be glued to (it is redrawn within a second).
  process.stderr.write(`${process.stderr.isTTY ? '\r\u001b[2K' : ''}keelhaul: ${world.scenarioId}: ${message}\n`);
}

export async function platformInfo(world: KeelhaulWorld): Promise<any> {
  if (!res(world).info) {
    const response = await world.platform.raw({ method: 'GET', path: '/info', signal: world.signal });
    if (response.status !== 200) throw new Error(`GET /info answered ${response.status}`);
    res(world).info = response.json();
  }
  return res(world).info;
}

export async function hostCpus(world: KeelhaulWorld): Promise<number> {
  const n = Number((await platformInfo(world)).NCPU);
  return Number.isInteger(n) && n > 0 ? n : 1;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Record the kernel boot id a party read: the proof of co-location checked before any verdict. */
export function party(world: KeelhaulWorld, role: string, bootId: string | undefined): void {
  (res(world).parties ??= {})[role] = bootId;
}

/**
 * `reliesOn`: the HostConfig options the verdict rests on. A finding about an option the profile
 * says the platform ignores (semantics.ignoredOptions, with its source) is not-applicable with
 * that reason: the control is absent by design, documented, and CONF rows report it.
 */
export function apply(world: KeelhaulWorld, verdict: Verdict, reliesOn: string[] = []): void {
  const ignored = world.profile.semantics?.ignoredOptions ?? {};
  const absent = reliesOn.filter((o) => o in ignored);
  if (verdict.outcome === 'finding' && absent.length > 0) {
    world.observe('wouldBeFinding', verdict.why);
    world.notApplicable(`profile ${world.profile.name}: the platform ignores ${absent.map((o) => `${o} (${ignored[o]})`).join(', ')}, so it cannot be measured (${verdict.why})`);
  }
  world.settle(verdict);
  world.observe(OBSERVATION.verdict, verdict.why);
}

export async function startIdle(world: KeelhaulWorld, hostConfig: Record<string, unknown>): Promise<string> {
  return startParty(world, ['sleep', String(IDLE_S)], hostConfig);
}

export async function execScript(world: KeelhaulWorld, id: string, script: string, args: string[] = [], timeoutMs = 30_000) {
  const result = await world.platform.exec(id, ['sh', '-c', script, 'keelhaul', ...args], { timeoutMs, signal: world.signal });
  if (result.timedOut) world.inconclusive(`a measurement in ${id.slice(0, 12)} did not finish in ${timeoutMs} ms`);
  return result;
}

/**
 * Run SPIN_SCRIPT in each party at the same host instant (a start mark on the shared
 * /proc/uptime clock, a second ahead) and return what each measured. A window whose parties
 * started more than a quarter of it apart is measured again once, then left inconclusive.
 */
export async function spinTogether(world: KeelhaulWorld, parties: Array<{ role: string; id: string; loops: number }>, seconds: number): Promise<Record<string, SpinResult & { u0: number }>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const clock = await execScript(world, parties[0]!.id, 'cut -d" " -f1 /proc/uptime');
    const now = Number(clock.stdout.trim());
    if (!Number.isFinite(now)) throw new Error(`cannot read the host clock in a container: "${clock.stdout.trim()}"`);
    const start = Math.round((now + 1.0) * 100);
    const outputs = await Promise.all(parties.map((p) => execScript(world, p.id, SPIN_SCRIPT, [String(start), String(p.loops), String(seconds)], (seconds + 30) * 1000)));
    const results: Record<string, SpinResult & { u0: number }> = {};
    parties.forEach((p, i) => {
      const parsed = parseSpin(outputs[i]!.stdout);
      if (!parsed) world.inconclusive(`the ${p.role}'s measurement gave no result (exit ${outputs[i]!.exitCode}; ${outputs[i]!.stderr.trim().slice(0, 200)})`);
      results[p.role] = { ...parsed, u0: Number(parseKeyValues(outputs[i]!.stdout).get('u0')) };
      party(world, p.role, parsed.bootId);
    });
    const starts = Object.values(results).map((r) => r.u0);
    const skew = Math.max(...starts) - Math.min(...starts);
    if (skew <= seconds / 4) return results;
    progress(world, `parties started ${round(skew, 2)} s apart; measuring again`);
  }
  return world.inconclusive(`the parties could not be started within ${seconds / 4} s of each other: the machine is too slow to measure`);
}

export async function waitForLog(world: KeelhaulWorld, id: string, pattern: RegExp, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { stdout } = await world.platform.logs(id, false, world.signal);
    if (pattern.test(stdout)) return stdout;
    if (Date.now() > deadline) world.inconclusive(`container ${id.slice(0, 12)} did not print ${pattern} within ${timeoutMs} ms`);
    await sleep(250);
  }
}


/** The resource-control flags of GET /info (moby api/types/system.Info): a name outside them is never reported, so never judged. */
export const INFO_CONTROLS = ['MemoryLimit', 'SwapLimit', 'KernelMemory', 'KernelMemoryTCP', 'CpuCfsPeriod', 'CpuCfsQuota', 'CPUShares', 'CPUSet', 'PidsLimit', 'OomKillDisable'] as const;

/**
 * Runs a memory offender. On a platform that rounds memory up to a package, the limit is the
 * package's, not the request: the script gets `scale` (package / request) to size what it
 * allocates against the limit the platform chose, and that limit (read back from inspect, with
 * the com.joyent.package label) is what the verdicts compare with; the cgroup inside is read too.
 */
export async function runMemoryOffender(world: KeelhaulWorld, memory: string, memsw: string, script: (scale: number) => string, extra: (scale: number) => Record<string, unknown> = () => ({})): Promise<MemoryOffender> {
  const asked = parseSize(memory);
  const expected = platformMemory(world, asked);
  const scale = expected / asked;
  const result = await runParty(world, ['sh', '-c', script(scale)], { Memory: asked, MemorySwap: parseSize(memsw), PidsLimit: 32, ...extra(scale) }, 60_000);
  if (result.timedOut) world.inconclusive('the memory offender did not finish in 60 s');
  const inspected = Number(result.inspect?.HostConfig?.Memory);
  const chosen = {
    askedBytes: asked, packageBytes: scale === 1 ? null : expected, inspectMemory: Number.isFinite(inspected) ? inspected : null,
    inspectMemorySwap: result.inspect?.HostConfig?.MemorySwap ?? null, packageLabel: result.inspect?.Config?.Labels?.['com.joyent.package'] ?? null,
  };
  world.observe('platformMemory', chosen);
  // The limit the platform chose: the request, or (packages) what inspect says it gave.
  const limit = scale !== 1 && inspected > 0 ? inspected : asked;
  if (scale !== 1 && inspected > 0 && inspected !== expected) {
    world.inconclusive(`the platform chose ${inspected / MiB} MiB (package ${chosen.packageLabel ?? 'unnamed'}) where the profile's packages give ${expected / MiB} MiB for ${asked / MiB} MiB: the offender was sized for another limit`);
  }
  const kv = parseKeyValues(result.stdout);
  world.attach(result.stdout + (result.stderr ? `\n--- stderr\n${result.stderr}` : ''), { mediaType: 'text/plain', fileName: 'offender.txt' });
  // Podman (observed): the OOM killer takes the container's PID 1 too, so the script never ends
  // and the container exits 137 with State.OOMKilled false. keelhaul did not kill it (no timeout).
  const killedWhole = kv.get('offender') !== 'done' && result.exitCode === 137;
  if (kv.get('offender') !== 'done' && !killedWhole) {
    world.inconclusive(`the offender's script did not finish (exit ${result.exitCode}; ${result.stderr.trim().slice(0, 200)})`);
  }
  party(world, 'offender', kv.get('boot_id'));
  let end = num(kv.get('end'));
  if (end === undefined) {
    // The host-clock time the container ended: its FinishedAt, shifted by the wall-to-uptime offset it printed.
    const finished = Date.parse(result.inspect?.State?.FinishedAt ?? '') / 1000;
    const wall = num(kv.get('wall'));
    const start = num(kv.get('start'));
    if (Number.isFinite(finished) && wall !== undefined && start !== undefined) end = round(finished - (wall - start), 2);
  }
  return { kv, inspect: result.inspect, exitCode: result.exitCode, limit, asked, scale, memsw: parseSize(memsw), killedWhole, end };
}
