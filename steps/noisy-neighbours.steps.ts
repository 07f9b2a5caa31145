// Noisy neighbours (RES-01..15): a bounded offender beside a victim, measured from inside both.
// The scripts, parsers and verdict rules are in judges/resources.ts; this file only runs the
// containers, proves co-location, records the raw numbers and applies the rules.
import { Given, Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import { PlatformRefusal } from '../adapters/platform/docker-client.js';
import { Finding } from '../judges/errors.js';
import {
  LIMITS_PROBE, MiB, SPIN_SCRIPT, cgroupLimit, dataDeviceFromMountinfo, forkFloodScript, forkVictimScript, heartbeatGap,
  heartbeatScript, judgeFairShare, judgeQuota, judgeWeights, judgeWriteThrottle, median, memoryOffenderScript, num,
  parseKeyValues, parseSize, parseSpin, round, shmWriterScript, type KeyValues, type SpinResult, type Verdict,
} from '../judges/resources.js';
import { doc, itemsFrom } from '../support/step-docs.js';
import type { KeelhaulWorld } from '../support/world.js';

/**
 * Every RES container is bounded: no network, 64 MiB, 64 pids, unless a step asks for its own
 * limits. A platform that refuses NetworkMode none (Triton: profile semantics.noneNetwork false)
 * runs it on the network it gives instead; no RES container publishes a port either way.
 */
function bounded(world: KeelhaulWorld, hostConfig: Record<string, unknown> = {}): Record<string, unknown> {
  const network = world.profile.semantics?.noneNetwork === false ? {} : { NetworkMode: 'none' };
  return { ...network, Memory: 64 * MiB, MemorySwap: 64 * MiB, PidsLimit: 64, ...hostConfig };
}

/**
 * Co-location on a platform that spreads containers over servers (profile semantics.placement
 * swarm-affinity, as Triton documents in docs/api/features/placement.md): every party after the
 * scenario's first running one asks to be placed beside it, in Env and in the label. The kernel
 * boot id every party reads is still the proof (the co-location step below).
 */
function placement(world: KeelhaulWorld): { env?: string[]; labels?: Record<string, string> } {
  const anchor: string | undefined = world.state.anchor;
  if (world.profile.semantics?.placement !== 'swarm-affinity' || !anchor) return {};
  world.observe('affinity', `container==${anchor}`);
  return { env: [`affinity:container==${anchor}`], labels: { 'com.docker.swarm.affinities': JSON.stringify([`container==${anchor}`]) } };
}

/** A refused create that asked for co-location: the platform cannot place the parties together. */
function apartIfRefused(world: KeelhaulWorld, asked: { env?: string[] }, error: unknown): never {
  if (asked.env && error instanceof PlatformRefusal) {
    world.observe('placementRefused', { status: error.statusCode, message: error.rawMessage });
    world.notApplicable(`the platform could not place the parties on one server (${asked.env[0]}): ${error.statusCode} ${error.rawMessage.slice(0, 200)}; they are not neighbours, so there is nothing to judge`);
  }
  throw error;
}

/** A long-running party, bounded and placed beside the scenario's first one. */
async function startParty(world: KeelhaulWorld, cmd: string[], hostConfig: Record<string, unknown> = {}): Promise<string> {
  const asked = placement(world);
  let id: string;
  try {
    id = await world.startContainer({ cmd, hostConfig: bounded(world, hostConfig), ...asked });
  } catch (error) {
    return apartIfRefused(world, asked, error);
  }
  world.state.anchor ??= id;
  return id;
}

/** A party run to completion, bounded and placed beside the scenario's first running one. */
async function runParty(world: KeelhaulWorld, cmd: string[], hostConfig: Record<string, unknown> = {}, timeoutMs?: number) {
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
function platformMemory(world: KeelhaulWorld, bytes: number): number {
  const packages = world.profile.semantics?.memoryPackagesMiB;
  if (!packages?.length) return bytes;
  const mib = [...packages].sort((a, b) => a - b).find((p) => p * MiB >= bytes) ?? Math.max(...packages);
  return mib * MiB;
}

/** Idle containers that measurements exec into live at most this long. */
const IDLE_S = 120;

function progress(world: KeelhaulWorld, message: string): void {
  // On a terminal, first wipe the progress line this message would otherwise be glued to (it is redrawn within a second).
  process.stderr.write(`${process.stderr.isTTY ? '\r\u001b[2K' : ''}keelhaul: ${world.scenarioId}: ${message}\n`);
}

async function platformInfo(world: KeelhaulWorld): Promise<any> {
  if (!world.state.info) {
    const response = await world.platform.raw({ method: 'GET', path: '/info', signal: world.signal });
    if (response.status !== 200) throw new Error(`GET /info answered ${response.status}`);
    world.state.info = response.json();
  }
  return world.state.info;
}

async function hostCpus(world: KeelhaulWorld): Promise<number> {
  const n = Number((await platformInfo(world)).NCPU);
  return Number.isInteger(n) && n > 0 ? n : 1;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Record the kernel boot id a party read: the proof of co-location checked before any verdict. */
function party(world: KeelhaulWorld, role: string, bootId: string | undefined): void {
  (world.state.parties ??= {} as Record<string, string | undefined>)[role] = bootId;
}

/**
 * `reliesOn`: the HostConfig options the verdict rests on. A finding about an option the profile
 * says the platform ignores (semantics.ignoredOptions, with its source) is not-applicable with
 * that reason: the control is absent by design, documented, and CONF rows report it.
 */
function apply(world: KeelhaulWorld, verdict: Verdict, reliesOn: string[] = []): void {
  const ignored = world.profile.semantics?.ignoredOptions ?? {};
  const absent = reliesOn.filter((o) => o in ignored);
  if (verdict.outcome === 'finding' && absent.length > 0) {
    world.observe('wouldBeFinding', verdict.reason);
    world.notApplicable(`profile ${world.profile.name}: the platform ignores ${absent.map((o) => `${o} (${ignored[o]})`).join(', ')}, so it cannot be measured (${verdict.reason})`);
  }
  if (verdict.outcome === 'inconclusive') world.inconclusive(verdict.reason);
  if (verdict.outcome === 'finding') throw new Finding(verdict.reason);
  world.observe('verdict', verdict.reason);
}

async function startIdle(world: KeelhaulWorld, hostConfig: Record<string, unknown>): Promise<string> {
  return startParty(world, ['sleep', String(IDLE_S)], hostConfig);
}

async function execScript(world: KeelhaulWorld, id: string, script: string, args: string[] = [], timeoutMs = 30_000) {
  const result = await world.platform.exec(id, ['sh', '-c', script, 'keelhaul', ...args], { timeoutMs, signal: world.signal });
  if (result.timedOut) world.inconclusive(`a measurement in ${id.slice(0, 12)} did not finish in ${timeoutMs} ms`);
  return result;
}

/**
 * Run SPIN_SCRIPT in each party at the same host instant (a start mark on the shared
 * /proc/uptime clock, a second ahead) and return what each measured. A window whose parties
 * started more than a quarter of it apart is measured again once, then left inconclusive.
 */
async function spinTogether(world: KeelhaulWorld, parties: Array<{ role: string; id: string; loops: number }>, seconds: number): Promise<Record<string, SpinResult & { u0: number }>> {
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

async function waitForLog(world: KeelhaulWorld, id: string, pattern: RegExp, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { stdout } = await world.platform.logs(id, false, world.signal);
    if (pattern.test(stdout)) return stdout;
    if (Date.now() > deadline) world.inconclusive(`container ${id.slice(0, 12)} did not print ${pattern} within ${timeoutMs} ms`);
    await sleep(250);
  }
}

/** The resource-control flags of GET /info (moby api/types/system.Info): a name outside them is never reported, so never judged. */
const INFO_CONTROLS = ['MemoryLimit', 'SwapLimit', 'KernelMemory', 'KernelMemoryTCP', 'CpuCfsPeriod', 'CpuCfsQuota', 'CPUShares', 'CPUSet', 'PidsLimit', 'OomKillDisable'] as const;

// ---- preflight and co-location ----------------------------------------------------------------

Given('the platform supports the {string} control', doc(
  'Reads the control\'s flag from GET /info (MemoryLimit, SwapLimit, CpuCfsQuota, CPUShares, CPUSet, PidsLimit, ...). A platform that says it lacks the control makes the scenario not-applicable with that reason; a platform that does not say is measured anyway.',
  'Given the platform supports the "SwapLimit" control',
  undefined, itemsFrom('/info control flags', INFO_CONTROLS),
), async function (this: KeelhaulWorld, flag: string) {
  const info = await platformInfo(this);
  this.observe(`info.${flag}`, info[flag] ?? 'not reported');
  if (info[flag] === false) {
    const warning = (info.Warnings ?? []).find((w: string) => new RegExp(flag.replace(/Limit$/, ''), 'i').test(w));
    this.notApplicable(`the platform does not enforce ${flag} (/info ${flag}: false${warning ? `; ${warning}` : ''})`);
  }
});

Given('the host has at least {int} CPUs', doc(
  'Not applicable when /info NCPU is smaller (pinning cannot be shown on one CPU).',
  'Given the host has at least 2 CPUs',
), async function (this: KeelhaulWorld, n: number) {
  const cpus = await hostCpus(this);
  this.observe('hostCpus', cpus);
  if (cpus < n) this.notApplicable(`the host has ${cpus} CPU(s), fewer than ${n}`);
});

When('the victim and the offender shared a host', doc(
  'The proof of co-location every RES verdict needs: every container of the scenario read the same kernel boot id (/proc/sys/kernel/random/boot_id), recorded with the platform\'s /info Name and ID. Parties on different kernels (a platform that spreads containers over servers, affinity or not) make the scenario not-applicable with that reason; an unreadable boot id makes it inconclusive. On a swarm-affinity platform (Triton) every party after the first asks to be placed beside it (affinity:container==<id> in Env and the com.docker.swarm.affinities label).',
  'And the victim and the offender shared a host',
), async function (this: KeelhaulWorld) {
  const info = await platformInfo(this);
  const parties: Record<string, string | undefined> = this.state.parties ?? {};
  this.observe('coLocation', { infoName: info.Name ?? null, infoId: info.ID ?? null, bootIds: parties });
  const roles = Object.keys(parties);
  if (roles.length < 2) this.inconclusive(`only ${roles.length} container(s) reported where they ran: co-location is unproven`);
  const missing = roles.filter((r) => !parties[r]);
  if (missing.length > 0) this.inconclusive(`${missing.join(', ')} could not read the kernel boot id: co-location is unproven`);
  if (new Set(Object.values(parties)).size !== 1) {
    // Apart: there is no neighbour to judge, which is no weakness (a platform spreading an account's containers).
    const asked = this.state.anchor && this.profile.semantics?.placement === 'swarm-affinity' ? ` although co-location was asked for (affinity:container==${String(this.state.anchor).slice(0, 12)})` : '';
    this.notApplicable(`victim and offender ran on different kernels (${roles.map((r) => `${r} ${parties[r]}`).join(', ')})${asked}: not neighbours, so there is nothing to judge`);
  }
  if (!info.Name && !info.ID) this.inconclusive('the platform reports no /info Name or ID to tie the containers to one host');
});

// ---- memory (RES-01, RES-02) --------------------------------------------------------------------

Given('a victim container that writes a heartbeat every 0.1 s', doc(
  'Starts a victim (16 MiB, 16 pids, no network) printing the host clock every 0.1 s for at most 30 s, and waits for its first beat.',
  'Given a victim container that writes a heartbeat every 0.1 s',
), async function (this: KeelhaulWorld) {
  const id = await startParty(this, ['sh', '-c', heartbeatScript(300)], { Memory: 16 * MiB, MemorySwap: 16 * MiB, PidsLimit: 16 });
  this.state.victim = id;
  await waitForLog(this, id, /beat=/, 20_000);
});

/**
 * Runs a memory offender. On a platform that rounds memory up to a package, the limit is the
 * package's, not the request: the script gets `scale` (package / request) to size what it
 * allocates against the limit the platform chose, and that limit (read back from inspect, with
 * the com.joyent.package label) is what the verdicts compare with; the cgroup inside is read too.
 */
async function runMemoryOffender(world: KeelhaulWorld, memory: string, memsw: string, script: (scale: number) => string, extra: (scale: number) => Record<string, unknown> = () => ({})) {
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

When('an offender limited to {string} of memory and {string} of memory plus swap allocates {string}', doc(
  'Runs the offender (no network, 32 pids) that allocates anonymous memory through `tail` and prints tail\'s own exit status; with a victim running, waits a second more, then stops the victim and reads its heartbeat.',
  'When an offender limited to "32m" of memory and "32m" of memory plus swap allocates "64m"',
  90_000,
), async function (this: KeelhaulWorld, memory: string, memsw: string, alloc: string) {
  const offender = await runMemoryOffender(this, memory, memsw, (scale) => memoryOffenderScript(Math.round((parseSize(alloc) * scale) / MiB)));
  this.state.offender = { ...offender, status: offender.kv.get('alloc_exit') ?? (offender.killedWhole ? 'container-killed' : undefined), requested: Math.round(parseSize(alloc) * offender.scale) };
  if (this.state.victim) {
    await sleep(1000);
    const victim = await this.platform.inspectContainer(this.state.victim, this.signal);
    await this.platform.killContainer(this.state.victim);
    const { stdout } = await this.platform.logs(this.state.victim, false, this.signal);
    const kv = parseKeyValues(stdout);
    this.state.victimRun = { running: victim.State?.Running === true, oomKilled: victim.State?.OOMKilled === true, beats: kv.all('beat').map(Number) };
    party(this, 'victim', kv.get('boot_id'));
  }
});

When('an offender limited to {string} of memory and {string} of memory plus swap writes {string} to a {string} \\/dev\\/shm', doc(
  'Runs an offender that fills /dev/shm (tmpfs pages are charged to the memory cgroup and can go to swap when swap is not limited) with dd, and prints dd\'s own exit status.',
  'When an offender limited to "32m" of memory and "32m" of memory plus swap writes "48m" to a "128m" /dev/shm',
  90_000,
), async function (this: KeelhaulWorld, memory: string, memsw: string, size: string, shm: string) {
  const offender = await runMemoryOffender(this, memory, memsw, (scale) => shmWriterScript(Math.round((parseSize(size) * scale) / MiB)), (scale) => ({ ShmSize: Math.round(parseSize(shm) * scale) }));
  const requested = Math.round(parseSize(size) * offender.scale);
  this.state.offender = { ...offender, status: offender.kv.get('dd_exit') ?? (offender.killedWhole ? 'container-killed' : undefined), requested };
  // A /dev/shm smaller than what is written (ShmSize ignored: Triton) stops dd with ENOSPC, not the memory limit.
  const shmKb = num(offender.kv.get('shm.size_kb'));
  if (shmKb !== undefined && shmKb * 1024 < requested) {
    this.notApplicable(`/dev/shm is ${Math.round(shmKb / 1024)} MiB, smaller than the ${requested / MiB} MiB written (the platform ignores ShmSize): tmpfs cannot carry the offender past its memory limit here`);
  }
});

function offenderOf(world: KeelhaulWorld): { kv: KeyValues; inspect: any; status?: string; limit: number; asked: number; scale: number; memsw: number; requested: number; killedWhole: boolean; end?: number } {
  if (!world.state.offender) throw new Error('no offender ran in this scenario');
  return world.state.offender;
}

Then('the offender\'s allocation was killed at its limit', doc(
  'Passes when the offender\'s allocating process inside died (a non-zero status: 137 is the OOM killer\'s SIGKILL) and its cgroup shows the limit. A finding when it got everything it asked for: the limit is not enforced, whatever inspect says. The container\'s own exit code is not the evidence (PID 1 survives the child\'s OOM kill and exits 0).',
  'Then the offender\'s allocation was killed at its limit',
), function (this: KeelhaulWorld) {
  const o = offenderOf(this);
  const inside = cgroupLimit(o.kv.get('memory.limit'));
  const numbers = {
    requestedBytes: o.requested, limitBytes: o.limit, memoryLimitInside: inside ?? null, innerStatus: o.status ?? null,
    containerExitCode: o.inspect?.State?.ExitCode ?? null, oomKilled: o.inspect?.State?.OOMKilled ?? null,
    inspectMemory: o.inspect?.HostConfig?.Memory ?? null, oomKillCounter: num(o.kv.get('oom_kill')) ?? null,
    writtenKb: num(o.kv.get('written_kb')) ?? null, wholeContainerKilled: o.killedWhole,
  };
  this.observe('offender', numbers);
  if (o.status === undefined) this.inconclusive('the offender did not report its allocation\'s exit status');
  if (o.status === '0') {
    throw new Finding(`the offender got all ${o.requested / MiB} MiB it asked for in a container limited to ${o.limit / MiB} MiB${o.scale !== 1 ? ` (the platform's package for ${o.asked / MiB} MiB)` : ''} (memory limit inside: ${inside === 'unlimited' ? 'none' : inside}; inspect HostConfig.Memory: ${numbers.inspectMemory})`);
  }
  if (inside === 'unlimited' || (typeof inside === 'number' && inside > o.limit)) {
    throw new Finding(`the offender's cgroup memory limit is ${inside} although the platform ${o.scale !== 1 ? 'chose' : 'was asked for'} ${o.limit}`);
  }
});

Then('only the offender was OOM-killed', doc(
  'The offender\'s inspect shows State.OOMKilled (or its cgroup\'s oom_kill counter rose); the victim was still running when the offender ended and was never OOM-killed.',
  'And only the offender was OOM-killed',
), function (this: KeelhaulWorld) {
  const o = offenderOf(this);
  const v = this.state.victimRun;
  if (!v) throw new Error('no victim ran in this scenario');
  const oomByInspect = o.inspect?.State?.OOMKilled === true;
  const oomByCounter = (num(o.kv.get('oom_kill')) ?? 0) > 0;
  const oomBySignal = o.status === '137' || o.killedWhole;
  this.observe('oom', { offenderInspect: oomByInspect, offenderCounter: oomByCounter, offenderInnerStatus: o.status, wholeContainerKilled: o.killedWhole, victimRunning: v.running, victimOOMKilled: v.oomKilled });
  if (!oomByInspect && (oomByCounter || oomBySignal)) this.observe('inspectDivergence', 'the offender was SIGKILLed at its memory limit but inspect State.OOMKilled is false');
  expect(v.oomKilled, 'the victim was OOM-killed by its neighbour\'s allocation').to.equal(false);
  expect(v.running, 'the victim had stopped by the time the offender ended').to.equal(true);
  expect(oomByInspect || oomByCounter || oomBySignal, `no OOM kill is recorded for the offender (inner status ${o.status}, State.OOMKilled false, oom_kill counter ${o.kv.get('oom_kill')})`).to.equal(true);
});

Then('the victim\'s heartbeat went on with no gap over {int} seconds', doc(
  'Compares the victim\'s beats (host clock) with the offender\'s start and end: the longest silence over that window must stay under the bound, and beats must go on after the offender ended.',
  'And the victim\'s heartbeat went on with no gap over 2 seconds',
), function (this: KeelhaulWorld, maxGap: number) {
  const o = offenderOf(this);
  const v = this.state.victimRun;
  const from = num(o.kv.get('start'));
  const to = o.end;
  if (!v || from === undefined || to === undefined) this.inconclusive('the offender\'s window or the victim\'s beats are unknown');
  const gap = heartbeatGap(v.beats, from, to);
  this.observe('heartbeat', { ...gap, offenderWindowS: round(to - from, 2) });
  expect(gap.after, 'the victim\'s heartbeat stopped while the offender ran').to.be.greaterThan(0);
  expect(gap.maxGapS, `the victim's heartbeat stalled for ${gap.maxGapS} s while the offender ran`).to.be.at.most(maxGap);
});

Then('what the offender sees of its memory is reported', doc(
  'Records `free` and /proc/meminfo inside against the limit (without lxcfs, cgroup v1 containers see the host\'s memory). Never fails.',
  'And what the offender sees of its memory is reported',
), function (this: KeelhaulWorld) {
  const o = offenderOf(this);
  const freeKb = num(o.kv.get('free.total_kb'));
  this.observe('memoryView', {
    limitBytes: o.limit, freeTotalBytes: freeKb === undefined ? null : freeKb * 1024,
    seesItsLimit: freeKb === undefined ? null : Math.abs(freeKb * 1024 - o.limit) <= o.limit * 0.1,
  });
});

Then('the offender\'s memory plus swap limit reads {string} inside', doc(
  'Reads memory.memsw.limit_in_bytes (v1) or memory.swap.max (v2, swap alone) inside the offender: unlimited or larger than asked is a finding (swap can carry the container past its memory limit).',
  'Then the offender\'s memory plus swap limit reads "32m" inside',
), function (this: KeelhaulWorld, expected: string) {
  const o = offenderOf(this);
  const raw = o.kv.get('memsw.limit');
  const value = cgroupLimit(raw);
  this.observe('memswInside', raw ?? null);
  if (value === undefined) this.inconclusive(`the memory plus swap limit is unreadable inside ("${raw}")`);
  if (value === 'unlimited') throw new Finding(`the offender has no memory plus swap limit inside (${raw}) although ${expected} was requested`);
  if (o.scale !== 1) {
    // A package decides memory plus swap too (Triton: max_swap): judged against what the platform says it gave.
    const chosen = Number(o.inspect?.HostConfig?.MemorySwap);
    if (!(chosen > 0)) this.inconclusive(`the platform's package decides the swap limit, and inspect reports none (MemorySwap ${o.inspect?.HostConfig?.MemorySwap})`);
    expect(value, `memory plus swap limit inside is ${value}, more than the ${chosen} the platform reports (package ${o.inspect?.Config?.Labels?.['com.joyent.package'] ?? 'unnamed'})`).to.be.at.most(chosen);
    return;
  }
  expect(value, `memory plus swap limit inside is ${value}`).to.be.at.most(parseSize(expected));
});

Then('the host\'s swap is reported', doc(
  'Records the swap `free` shows inside (the host\'s): with none, swap cannot carry anything past a limit on this host at all.',
  'And the host\'s swap is reported',
), function (this: KeelhaulWorld) {
  const swapKb = num(offenderOf(this).kv.get('free.swap_kb'));
  this.observe('hostSwapBytes', swapKb === undefined ? null : swapKb * 1024);
  if (swapKb === 0) this.observe('swapNote', 'the host has no swap: the swap limit cannot be exercised here, only read');
});

// ---- CPU (RES-03..06) -------------------------------------------------------------------------

When('a container limited to {float} CPUs spins beside an unlimited baseline for {int} trials of {int} seconds', doc(
  'Starts a container limited with NanoCpus (and CPU shares 4096, so that outside load cannot keep it under its quota) and an unlimited baseline (both 64 MiB, 64 pids, no network). Each trial spins the limited one on as many loops as the host has CPUs and the baseline on one loop, in the same window, reading cpuacct.usage and cpu.stat nr_throttled before and after.',
  'When a container limited to 0.25 CPUs spins beside an unlimited baseline for 2 trials of 2 seconds',
  120_000,
), async function (this: KeelhaulWorld, cpus: number, trials: number, seconds: number) {
  const ncpu = await hostCpus(this);
  // A high weight lets the limited container reach its quota even when outside load is heavy:
  // the weight decides who runs, the quota how much at most.
  const limited = await startIdle(this, { NanoCpus: Math.round(cpus * 1e9), CpuShares: 4096 });
  const baseline = await startIdle(this, {});
  const limits = parseKeyValues((await execScript(this, limited, LIMITS_PROBE)).stdout);
  const quota = cgroupLimit(limits.get('cfs_quota'));
  const period = num(limits.get('cfs_period'));
  const cpuMax = limits.get('cpu.max');
  let visible: number | 'unlimited' | undefined = quota === 'unlimited' ? 'unlimited' : typeof quota === 'number' && period ? quota / period : undefined;
  if (visible === undefined && cpuMax && cpuMax !== 'NA') visible = cpuMax.startsWith('max') ? 'unlimited' : Number(cpuMax.split(' ')[0]) / Number(cpuMax.split(' ')[1]);
  const runs: Array<Record<string, SpinResult>> = [];
  for (let t = 1; t <= trials; t++) {
    progress(this, `trial ${t}/${trials}: ${cpus}-CPU container (${ncpu} loops) beside an unlimited baseline, ${seconds} s`);
    runs.push(await spinTogether(this, [{ role: 'limited', id: limited, loops: ncpu }, { role: 'baseline', id: baseline, loops: 1 }], seconds));
  }
  this.state.quota = { cpus, visible, runs, nproc: limits.get('nproc') };
  this.attach(JSON.stringify({ cpus, visibleQuota: visible, runs }, null, 2), { mediaType: 'application/json', fileName: 'cpu-quota.json' });
});

Then('the limited container used no more than its quota plus {int}% and {float} CPUs and was throttled', doc(
  'judgeQuota: the median CPU rate (cgroup CPU seconds per wall second) must stay under quota*(1+margin)+slack, and nr_throttled must rise. Outside load can only lower the rate, so the ceiling is safe on a busy machine; too little CPU and no throttling is inconclusive. A quota that is absent inside (-1) is a finding whatever inspect says.',
  'Then the limited container used no more than its quota plus 20% and 0.05 CPUs and was throttled',
), function (this: KeelhaulWorld, percent: number, slack: number) {
  const q = this.state.quota;
  const rates = q.runs.map((r: any) => r.limited.cpuRate);
  if (rates.some((r: unknown) => typeof r !== 'number')) this.inconclusive('the container\'s cgroup CPU accounting (cpuacct.usage / cpu.stat) is unreadable');
  const throttled = q.runs.map((r: any) => r.limited.throttledDelta ?? 0);
  this.observe('cpuQuota', { quotaCpus: q.cpus, ceilingCpus: round(q.cpus * (1 + percent / 100) + slack, 3), visibleQuotaCpus: q.visible ?? null, rates, medianRate: median(rates), nrThrottledDeltas: throttled, nprocInside: q.nproc ?? null });
  apply(this, judgeQuota({ quotaCpus: q.cpus, rates, throttled, visibleQuota: q.visible, relative: percent / 100, absolute: slack }));
});

Then('its throughput relative to the unlimited baseline is reported', doc(
  'Records the limited container\'s loop count over the one-loop unlimited baseline\'s in the same window (about the quota when the baseline gets a whole CPU; outside load raises it). Never fails.',
  'And its throughput relative to the unlimited baseline is reported',
), function (this: KeelhaulWorld) {
  const ratios = this.state.quota.runs.map((r: any) => round(r.limited.iterations / Math.max(1, r.baseline.iterations)));
  this.observe('throughputRatio', { perTrial: ratios, median: round(median(ratios)), baselineRates: this.state.quota.runs.map((r: any) => r.baseline.cpuRate ?? null) });
});

Given('a victim that spins on half of the host\'s CPUs and a neighbour with no CPU limit that spins on four times as many CPUs as the host has', doc(
  'Starts both (64 MiB, 64 pids, no network, equal default CPU weights). The victim asks for more than a thread\'s fair share, which is what makes a fairness test able to fail (attacks.md 4.4).',
  'Given a victim that spins on half of the host\'s CPUs and a neighbour with no CPU limit that spins on four times as many CPUs as the host has',
), async function (this: KeelhaulWorld) {
  const ncpu = await hostCpus(this);
  this.state.fair = {
    victim: await startIdle(this, {}), neighbour: await startIdle(this, {}),
    victimLoops: Math.max(1, Math.floor(ncpu / 2)), neighbourLoops: 4 * ncpu, runs: [] as any[],
  };
});

When('the victim is measured alone and beside the neighbour for {int} trials of {int} seconds', doc(
  'Interleaves trials: the victim alone, then victim and neighbour in the same window, so that drifting outside load touches both.',
  'When the victim is measured alone and beside the neighbour for 2 trials of 2 seconds',
  120_000,
), async function (this: KeelhaulWorld, trials: number, seconds: number) {
  const f = this.state.fair;
  for (let t = 1; t <= trials; t++) {
    progress(this, `trial ${t}/${trials}: victim alone (${f.victimLoops} loop(s)), ${seconds} s`);
    const alone = await spinTogether(this, [{ role: 'victim', id: f.victim, loops: f.victimLoops }], seconds);
    progress(this, `trial ${t}/${trials}: victim beside a neighbour with ${f.neighbourLoops} loops, ${seconds} s`);
    const together = await spinTogether(this, [{ role: 'victim', id: f.victim, loops: f.victimLoops }, { role: 'neighbour', id: f.neighbour, loops: f.neighbourLoops }], seconds);
    f.runs.push({ alone: alone.victim, together });
  }
  this.attach(JSON.stringify(f.runs, null, 2), { mediaType: 'application/json', fileName: 'cpu-fairness.json' });
});

Then('the victim kept at least {int}% of the CPU that it and the neighbour got together', doc(
  'judgeFairShare: the victim\'s loops over both containers\' loops in the same window (median of trials). Per-container scheduling gives 33% to 50%; scheduling threads, not containers, gives the victim its thread count\'s share (11% with 2 CPUs).',
  'Then the victim kept at least 22% of the CPU that it and the neighbour got together',
), function (this: KeelhaulWorld, percent: number) {
  const f = this.state.fair;
  const shares = f.runs.map((r: any) => round(r.together.victim.iterations / Math.max(1, r.together.victim.iterations + r.together.neighbour.iterations)));
  const flat = f.victimLoops / (f.victimLoops + f.neighbourLoops);
  this.observe('fairShare', { perTrial: shares, median: round(median(shares)), minimum: percent / 100, threadLevelShare: round(flat), victimLoops: f.victimLoops, neighbourLoops: f.neighbourLoops });
  apply(this, judgeFairShare(shares, percent / 100, flat));
});

Then('the victim\'s throughput beside the neighbour relative to alone is reported', doc(
  'Records the contended over uncontended loop counts per trial (outside load moves this; it is reported, not judged).',
  'And the victim\'s throughput beside the neighbour relative to alone is reported',
), function (this: KeelhaulWorld) {
  const ratios = this.state.fair.runs.map((r: any) => round(r.together.victim.iterations / Math.max(1, r.alone.iterations)));
  this.observe('contendedOverAlone', { perTrial: ratios, median: round(median(ratios)), aloneIterations: this.state.fair.runs.map((r: any) => r.alone.iterations) });
  // The CPU each got per trial (cgroup CPU seconds per wall second), for report.html's chart.
  const rates = (pick: (r: any) => SpinResult) => this.state.fair.runs.map((r: any) => (typeof pick(r).cpuRate === 'number' ? round(pick(r).cpuRate!, 3) : null));
  this.observe('cpuRates', {
    victimAlone: rates((r) => r.alone), victimBeside: rates((r) => r.together.victim), neighbourBeside: rates((r) => r.together.neighbour),
    victimLoops: this.state.fair.victimLoops, neighbourLoops: this.state.fair.neighbourLoops,
  });
});

When('containers with CPU shares {int} and {int} both spin on CPU {string} for {int} trials of {int} seconds', doc(
  'Starts two containers pinned to one CPU with the given CpuShares, and spins one loop in each in the same window: on one CPU the weights decide alone.',
  'When containers with CPU shares 4096 and 1024 both spin on CPU "0" for 2 trials of 2 seconds',
  120_000,
), async function (this: KeelhaulWorld, heavy: number, light: number, cpu: string, trials: number, seconds: number) {
  const a = await startIdle(this, { CpuShares: heavy, CpusetCpus: cpu });
  const b = await startIdle(this, { CpuShares: light, CpusetCpus: cpu });
  const runs = [];
  for (let t = 1; t <= trials; t++) {
    progress(this, `trial ${t}/${trials}: shares ${heavy} vs ${light} on CPU ${cpu}, ${seconds} s`);
    runs.push(await spinTogether(this, [{ role: 'heavy', id: a, loops: 1 }, { role: 'light', id: b, loops: 1 }], seconds));
  }
  this.state.weights = { heavy, light, runs };
  this.attach(JSON.stringify(runs, null, 2), { mediaType: 'application/json', fileName: 'cpu-shares.json' });
});

Then('the heavier container\'s throughput is at least {float} times the lighter one\'s', doc(
  'judgeWeights: the median ratio of loop counts must reach the bound (nominal: the weights\' ratio; equal weights give 1).',
  'Then the heavier container\'s throughput is at least 2 times the lighter one\'s',
), function (this: KeelhaulWorld, minRatio: number) {
  const w = this.state.weights;
  const ratios = w.runs.map((r: any) => round(r.heavy.iterations / Math.max(1, r.light.iterations), 2));
  this.observe('sharesRatio', { perTrial: ratios, median: round(median(ratios), 2), nominal: w.heavy / w.light, minimum: minRatio });
  apply(this, judgeWeights(ratios, minRatio, w.heavy / w.light), ['CpuShares', 'CpusetCpus']);
});

When('a container pinned to CPU {string} spins on {int} loops for {int} second(s)', doc(
  'Starts a container with CpusetCpus, reads nproc, Cpus_allowed_list and cpuset.cpus, and spins the loops once.',
  'When a container pinned to CPU "0" spins on 2 loops for 1 second',
  60_000,
), async function (this: KeelhaulWorld, cpus: string, loops: number, seconds: number) {
  const id = await startIdle(this, { CpusetCpus: cpus });
  const limits = parseKeyValues((await execScript(this, id, LIMITS_PROBE)).stdout);
  const run = await spinTogether(this, [{ role: 'pinned', id, loops }], seconds);
  this.state.pinned = { cpus, limits, spin: run.pinned };
});

Then('it sees {int} CPU(s) and may run only on CPU {string}', doc(
  'nproc and /proc/self/status Cpus_allowed_list inside must match the cpuset.',
  'Then it sees 1 CPU and may run only on CPU "0"',
), function (this: KeelhaulWorld, n: number, cpus: string) {
  const p = this.state.pinned;
  this.observe('cpuset', { requested: p.cpus, nproc: p.limits.get('nproc'), cpusAllowed: p.limits.get('cpus_allowed'), cpusetInside: p.limits.get('cpuset') });
  expect(p.limits.get('cpus_allowed'), 'the container may run on CPUs outside its cpuset').to.equal(cpus);
  expect(Number(p.limits.get('nproc')), 'nproc inside').to.equal(n);
});

Then('it used no more than {int} CPU(s) plus {int}% and {float} CPUs', doc(
  'The pinned container\'s cgroup CPU rate while spinning more loops than its cpuset has CPUs.',
  'And it used no more than 1 CPU plus 20% and 0.05 CPUs',
), function (this: KeelhaulWorld, n: number, percent: number, slack: number) {
  const rate = this.state.pinned.spin.cpuRate;
  if (typeof rate !== 'number') this.inconclusive('the container\'s CPU accounting is unreadable');
  const ceiling = n * (1 + percent / 100) + slack;
  this.observe('pinnedCpuRate', { rate, ceiling });
  expect(rate, `the pinned container used ${rate} CPUs`).to.be.at.most(ceiling);
});

// ---- pids (RES-07, RES-09) ----------------------------------------------------------------------

When('an offender with a pids limit of {int} tries to start {int} processes', doc(
  'Starts an offender whose bounded loop (never recursive) starts background sleeps until the count or the first fork failure, then holds its pids for 8 s.',
  'When an offender with a pids limit of 50 tries to start 100 processes',
  60_000,
), async function (this: KeelhaulWorld, limit: number, count: number) {
  const id = await startParty(this, ['sh', '-c', forkFloodScript(count, 8)], { PidsLimit: limit });
  const out = await waitForLog(this, id, /flood=done/, 30_000);
  const kv = parseKeyValues(out);
  this.state.flood = { id, limit, count, kv };
  party(this, 'offender', kv.get('boot_id'));
  this.attach(out, { mediaType: 'text/plain', fileName: 'fork-flood.txt' });
});

When('a victim forks {int} processes while the offender holds its pids', doc(
  'Runs a victim (64 pids, no network) that forks short-lived children one after another, while the offender still holds its processes; then stops the offender.',
  'And a victim forks 20 processes while the offender holds its pids',
  60_000,
), async function (this: KeelhaulWorld, count: number) {
  const result = await runParty(this, ['sh', '-c', forkVictimScript(count)], {}, 30_000);
  const kv = parseKeyValues(result.stdout);
  this.state.forkVictim = { count, kv, timedOut: result.timedOut };
  party(this, 'victim', kv.get('boot_id'));
  await this.platform.killContainer(this.state.flood.id);
});

Then('the offender\'s flood stopped at its pids limit', doc(
  'The flood must stop before its count, at or under the limit, with a fork error; a flood that started everything is a finding (the pids limit is not enforced, whatever inspect says).',
  'Then the offender\'s flood stopped at its pids limit',
), function (this: KeelhaulWorld) {
  const f = this.state.flood;
  const forked = num(f.kv.get('forked'));
  const inside = f.kv.get('pids.max');
  this.observe('forkFlood', { limit: f.limit, attempted: f.count, started: forked ?? null, pidsMaxInside: inside ?? null, pidsCurrent: f.kv.get('pids.current') ?? null, forkError: f.kv.get('fork_err') ?? null });
  if (forked === undefined) this.inconclusive('the offender did not report how many processes it started');
  // A platform whose own process cap replaces the requested one (profile CONF-C17: Triton's zone
  // max_lwps) is judged against its cap: a flood far under it shows nothing, and is not forked to
  // thousands on a shared platform.
  const capInside = Number(inside);
  const declared = this.profile.divergences?.['CONF-C17'];
  if (forked >= f.count && declared && Number.isInteger(capInside) && capInside > f.count) {
    this.notApplicable(`the platform replaces the pids limit of ${f.limit} with its own cap of ${capInside} (pids.max inside; profile ${this.profile.name} declares it: CONF-C17${declared.source ? `, ${declared.source}` : ''}): a flood of ${f.count} cannot reach it`);
  }
  if (forked >= f.count) throw new Finding(`the offender started all ${forked} processes under a pids limit of ${f.limit} (pids.max inside: ${inside})`);
  expect(forked, `the offender started ${forked} processes under a pids limit of ${f.limit}`).to.be.at.most(f.limit);
});

Then('the victim forked all {int} processes', doc(
  'The victim\'s forks, made while the offender held its pids, must all succeed.',
  'And the victim forked all 20 processes',
), function (this: KeelhaulWorld, count: number) {
  const v = this.state.forkVictim;
  this.observe('victimForks', { asked: count, forked: v.kv.get('forked') ?? null, error: v.kv.get('fork_err') || null });
  expect(Number(v.kv.get('forked')), `the victim could fork only ${v.kv.get('forked')} of ${count} (${v.kv.get('fork_err')})`).to.equal(count);
});

When('a container with an nproc ulimit of {int} and a pids limit of {int} tries to start {int} processes', doc(
  'Root in a container with RLIMIT_NPROC set (counted per user across the whole host, moby#12898) and a pids limit above the count.',
  'When a container with an nproc ulimit of 10 and a pids limit of 64 tries to start 20 processes',
), async function (this: KeelhaulWorld, nproc: number, pids: number, count: number) {
  let result;
  try {
    result = await this.runContainer({
      cmd: ['sh', '-c', forkFloodScript(count, 0)],
      hostConfig: bounded(this, { PidsLimit: pids, Ulimits: [{ Name: 'nproc', Soft: nproc, Hard: nproc }] }),
    }, 30_000);
  } catch (error) {
    if (!(error instanceof PlatformRefusal)) throw error;
    this.observe('refused', error.rawMessage);
    return this.notApplicable(`the platform refuses an nproc ulimit of ${nproc}: ${error.rawMessage}`);
  }
  this.state.nproc = { nproc, count, kv: parseKeyValues(result.stdout) };
});

Then('how many processes it started is reported', doc(
  'Records how many started and the fork error. Root is exempt from RLIMIT_NPROC only with CAP_SYS_RESOURCE, and the count is per uid across the host, so the ulimit neither isolates containers nor stops a root flood: the pids cgroup does. Never fails.',
  'Then how many processes it started is reported',
), function (this: KeelhaulWorld) {
  const n = this.state.nproc;
  const started = num(n.kv.get('forked'));
  this.observe('nprocUlimit', { ulimit: n.nproc, attempted: n.count, started: started ?? null, forkError: n.kv.get('fork_err') || null, uidMap: n.kv.get('uid_map') ?? null });
  this.observe('note', started !== undefined && started >= n.count
    ? 'the nproc ulimit did not stop the flood: only the pids cgroup bounds a container'
    : 'the nproc ulimit stopped the flood, but it counts the uid\'s processes host-wide: containers sharing a uid share it');
});

// ---- defaults and views (RES-08, RES-15) --------------------------------------------------------

When('a container with the platform\'s default settings reads its own limits', doc(
  'Probes a container with no options: pids.max, memory limit, CPU quota and shares, cpuset, nproc, free.',
  'When a container with the platform\'s default settings reads its own limits',
), async function (this: KeelhaulWorld) {
  const result = await this.probe(LIMITS_PROBE);
  this.state.defaults = parseKeyValues(result.stdout);
  this.attach(result.stdout, { mediaType: 'text/plain', fileName: 'default-limits.txt' });
});

When('a container limited to {string} and {int} CPU(s) reads what it sees of them', doc(
  'Probes a container with a memory limit and NanoCpus.',
  'And a container limited to "128m" and 1 CPU reads what it sees of them',
), async function (this: KeelhaulWorld, memory: string, cpus: number) {
  const result = await this.probe(LIMITS_PROBE, { hostConfig: { Memory: parseSize(memory), NanoCpus: cpus * 1e9, PidsLimit: 64 } });
  this.state.view = { memory: parseSize(memory), cpus, kv: parseKeyValues(result.stdout) };
});

Then('the default pids and memory limits are reported', doc(
  'Records pids.max and the memory limit of a default container. Unlimited defaults are reported as exposures (attacks.md RES-08: Docker has none, Podman 2048 pids): it is the platform\'s documented default, not a finding.',
  'Then the default pids and memory limits are reported',
), function (this: KeelhaulWorld) {
  const kv: KeyValues = this.state.defaults;
  const pids = cgroupLimit(kv.get('pids.max'));
  const memory = cgroupLimit(kv.get('memory.limit'));
  this.observe('defaults', { pidsMax: pids ?? null, memoryLimit: memory ?? null, cfsQuota: kv.get('cfs_quota') ?? null, cpuShares: kv.get('cpu.shares') ?? null, cpuset: kv.get('cpuset') ?? null });
  if (pids === 'unlimited') this.expose('no default pids limit: a container with no options can fork until the host runs out of pids');
  if (memory === 'unlimited') this.expose('no default memory limit: a container with no options can use all of the host\'s memory');
});

Then('what a limited container sees of its memory and CPUs is reported', doc(
  'Records what `free` and `nproc` show inside against the limits (the seeds show Triton\'s free reporting the package\'s 128M; cgroup v1 engines show the host\'s). Never fails.',
  'And what a limited container sees of its memory and CPUs is reported',
), function (this: KeelhaulWorld) {
  const v = this.state.view;
  const freeKb = num(v.kv.get('free.total_kb'));
  this.observe('limitView', {
    memoryLimitBytes: v.memory, freeTotalBytes: freeKb === undefined ? null : freeKb * 1024,
    freeShowsLimit: freeKb === undefined ? null : Math.abs(freeKb * 1024 - v.memory) <= v.memory * 0.1,
    cpusLimit: v.cpus, nprocInside: num(v.kv.get('nproc')) ?? null,
    nprocShowsLimit: num(v.kv.get('nproc')) === Math.ceil(v.cpus),
  });
});

When('a container with the platform\'s default settings reads its user mapping', doc(
  'Probes /proc/self/uid_map in a default container.',
  'When a container with the platform\'s default settings reads its user mapping',
), async function (this: KeelhaulWorld) {
  this.state.defaults = parseKeyValues((await this.probe(LIMITS_PROBE)).stdout);
});

Then('whether it shares per-user kernel limits with the host is reported', doc(
  'An identity uid_map (root is the host\'s root) means containers share the per-user kernel limits (RLIMIT_NPROC, inotify instances, keys) with each other and the host: reported as an exposure. A remapped user passes quietly.',
  'Then whether it shares per-user kernel limits with the host is reported',
), function (this: KeelhaulWorld) {
  const map = (this.state.defaults as KeyValues).get('uid_map') ?? '';
  const identity = /^0 0 \d+$/.test(map);
  this.observe('uidMap', map);
  this.observe('sharesPerUserLimits', identity);
  if (identity) this.expose('containers run as the host\'s uid 0: per-user kernel limits (nproc, inotify instances, keys) are shared with the host and every other container');
});

// ---- I/O, disk, logs, shm (RES-10..13) ------------------------------------------------------------

Given('the platform supports device write limits', doc(
  'Finds the engine\'s data disk from inside a container (the file system holding /etc/hosts in /proc/self/mountinfo, with /sys/dev/block when visible). Not applicable on a platform with no such device (not cgroup based).',
  'Given the platform supports device write limits',
), async function (this: KeelhaulWorld) {
  const result = await this.probe('cat /proc/self/mountinfo; mm=$(awk \'$5=="/etc/hosts"{print $3}\' /proc/self/mountinfo); echo "uevent.$(grep DEVNAME /sys/dev/block/$mm/uevent 2>/dev/null)"; ls /sys/fs/cgroup/blkio/blkio.throttle.write_bps_device /sys/fs/cgroup/io.max 2>/dev/null');
  const { device, majorMinor } = dataDeviceFromMountinfo(result.stdout);
  const devname = /uevent\.DEVNAME=(\S+)/.exec(result.stdout)?.[1];
  const path = devname ? `/dev/${devname}` : device;
  this.observe('dataDevice', { majorMinor: majorMinor ?? null, path: path ?? null });
  if (!path) this.notApplicable(`no block device backs the container's files (mountinfo major:minor ${majorMinor ?? 'none'})`);
  if (!/blkio\.throttle\.write_bps_device|io\.max/.test(result.stdout)) this.notApplicable('the container has no blkio throttle or io.max interface');
  this.state.device = path;
});

When('a container limited to {string} per second on its data disk writes {string} directly and {string} buffered', doc(
  'Runs a container with BlkioDeviceWriteBps on the data disk; times a dd with oflag=direct and a buffered dd on the host clock, then deletes the files.',
  'When a container limited to "5m" per second on its data disk writes "10m" directly and "10m" buffered',
  90_000,
), async function (this: KeelhaulWorld, limit: string, direct: string, buffered: string) {
  const bps = parseSize(limit);
  const dMiB = Math.round(parseSize(direct) / MiB);
  const bMiB = Math.round(parseSize(buffered) / MiB);
  progress(this, `writing ${dMiB} MiB directly through a ${limit}/s limit (about ${Math.round(dMiB * MiB / bps)} s)`);
  const script = [
    'now() { cut -d" " -f1 /proc/uptime; }',
    'echo "throttle=$(cat /sys/fs/cgroup/blkio/blkio.throttle.write_bps_device /sys/fs/cgroup/io.max 2>/dev/null | tr "\\n" " ")"',
    `a=$(now); dd if=/dev/zero of=/keelhaul-direct bs=1M count=${dMiB} oflag=direct 2>/tmp/e1; echo "direct_exit=$?"; b=$(now)`,
    'echo "direct_s=$(echo "$b $a" | awk \'{print $1-$2}\')"; echo "direct_err=$(tail -n 1 /tmp/e1)"',
    `a=$(now); dd if=/dev/zero of=/keelhaul-buffered bs=1M count=${bMiB} 2>/tmp/e2; echo "buffered_exit=$?"; b=$(now)`,
    'echo "buffered_s=$(echo "$b $a" | awk \'{print $1-$2}\')"',
    'rm -f /keelhaul-direct /keelhaul-buffered; echo "io=done"',
  ].join('\n');
  const result = await this.runContainer({ cmd: ['sh', '-c', script], hostConfig: bounded(this, { BlkioDeviceWriteBps: [{ Path: this.state.device, Rate: bps }] }) }, 60_000);
  const kv = parseKeyValues(result.stdout);
  this.attach(result.stdout + result.stderr, { mediaType: 'text/plain', fileName: 'io.txt' });
  if (kv.get('io') !== 'done') this.inconclusive(`the I/O measurement did not finish (exit ${result.exitCode}; ${result.stderr.trim().slice(0, 200)})`);
  if (kv.get('direct_exit') !== '0') this.inconclusive(`direct writes are not possible here: ${kv.get('direct_err')}`);
  this.state.io = { bps, directBytes: dMiB * MiB, bufferedBytes: bMiB * MiB, kv };
});

Then('its direct writes ran no faster than the limit plus {int}%', doc(
  'judgeWriteThrottle on the direct write\'s rate (outside load only slows writes, so the ceiling is safe).',
  'Then its direct writes ran no faster than the limit plus 50%',
), function (this: KeelhaulWorld, percent: number) {
  const io = this.state.io;
  const seconds = num(io.kv.get('direct_s')) ?? 0;
  const bytesPerSecond = io.directBytes / Math.max(seconds, 0.01);
  this.observe('directWrite', { limitBytesPerSecond: io.bps, bytes: io.directBytes, seconds, bytesPerSecond: Math.round(bytesPerSecond), throttleInside: io.kv.get('throttle') ?? null });
  apply(this, judgeWriteThrottle(bytesPerSecond, io.bps, percent / 100), ['BlkioDeviceWriteBps']);
});

Then('whether buffered writes were throttled is reported', doc(
  'Records the buffered write\'s rate: under cgroup v1 the page cache is written back outside the container\'s blkio throttle, so buffered writes are not throttled (attacks.md 4.4). Never fails.',
  'And whether buffered writes were throttled is reported',
), function (this: KeelhaulWorld) {
  const io = this.state.io;
  const seconds = num(io.kv.get('buffered_s')) ?? 0;
  const bytesPerSecond = io.bufferedBytes / Math.max(seconds, 0.01);
  const throttled = bytesPerSecond <= io.bps * 1.5;
  this.observe('bufferedWrite', { bytes: io.bufferedBytes, seconds, bytesPerSecond: Math.round(bytesPerSecond), throttled, cgroupVersion: this.fingerprint.cgroupVersion });
  if (!throttled) this.observe('bufferedNote', `buffered writes are not throttled (cgroup v${this.fingerprint.cgroupVersion}: the page cache is written back outside the container's limit)`);
});

When('a container with a blkio weight of {int} reads its I\\/O weight', doc(
  'Runs a container with BlkioWeight and reads blkio.weight (v1) or io.weight (v2), the files engines apply it to, plus the BFQ weight and the disk\'s active I/O scheduler for the report. A platform that refuses the option is recorded.',
  'When a container with a blkio weight of 300 reads its I/O weight',
), async function (this: KeelhaulWorld, weight: number) {
  try {
    const result = await this.runContainer({
      cmd: ['sh', '-c', 'for f in /sys/fs/cgroup/blkio/blkio.weight /sys/fs/cgroup/io.weight; do [ -r $f ] && echo "weight=$(head -n 1 $f)" && echo "file=$f" && break; done; echo "bfq=$(head -n 1 /sys/fs/cgroup/blkio/blkio.bfq.weight /sys/fs/cgroup/io.bfq.weight 2>/dev/null | tail -n 1)"; echo "scheduler=$(cat /sys/block/*/queue/scheduler 2>/dev/null | head -n 1)"; echo done=1'],
      hostConfig: bounded(this, { BlkioWeight: weight }),
    }, 30_000);
    this.state.weight = { requested: weight, kv: parseKeyValues(result.stdout) };
  } catch (error) {
    if (!(error instanceof PlatformRefusal)) throw error;
    this.state.weight = { requested: weight, refused: error.rawMessage };
  }
});

Then('its I\\/O weight is {int}', doc(
  'Not applicable when the platform refuses the option or the kernel offers no blkio.weight / io.weight (Docker then discards the weight with "No blkio weight support"). A weight file showing another value is a finding.',
  'Then its I/O weight is 300',
), async function (this: KeelhaulWorld, weight: number) {
  const w = this.state.weight;
  const warning = ((await platformInfo(this)).Warnings ?? []).find((x: string) => /blkio weight/i.test(x));
  this.observe('blkioWeight', { requested: w.requested, inside: w.kv?.get('weight') ?? null, file: w.kv?.get('file') ?? null, bfqWeight: w.kv?.get('bfq') || null, scheduler: w.kv?.get('scheduler') ?? null, refused: w.refused ?? null, infoWarning: warning ?? null });
  if (w.refused) this.notApplicable(`the platform refuses BlkioWeight: ${w.refused}`);
  const inside = w.kv.get('weight');
  if (inside === undefined) {
    this.notApplicable(`blkio weight is unsupported: the kernel offers no blkio.weight or io.weight file, so the weight is discarded (I/O scheduler ${w.kv.get('scheduler') || 'unknown'}${warning ? `; /info: ${warning}` : ''})`);
  }
  expect(Number(inside.replace(/^default\s+/, '')), `the container's I/O weight is ${inside}`).to.equal(weight);
});

When('a container reports its root file system and writes {string} to it', doc(
  'Probes df of / (a host-sized file system means the container shares the engine\'s disk) and writes then deletes a bounded file.',
  'When a container reports its root file system and writes "16m" to it',
), async function (this: KeelhaulWorld, size: string) {
  const mib = Math.round(parseSize(size) / MiB);
  const result = await this.runContainer({ cmd: ['sh', '-c', `echo "root_kb=$(df -k / | awk 'NR==2{print $2}')"; echo "avail_kb=$(df -k / | awk 'NR==2{print $4}')"; dd if=/dev/zero of=/keelhaul-fill bs=1M count=${mib} 2>/dev/null; echo "write_exit=$?"; rm -f /keelhaul-fill`], hostConfig: bounded(this, {}) }, 30_000);
  this.state.disk = { kv: parseKeyValues(result.stdout), size: parseSize(size) };
});

When('a container with a {string} root file system quota writes {string} to it', doc(
  'Asks for StorageOpt size; a platform that refuses it is recorded (overlay2 needs xfs with pquota). When accepted, writes more than the quota and records whether the write stopped.',
  'And a container with a "64m" root file system quota writes "96m" to it',
), async function (this: KeelhaulWorld, quota: string, size: string) {
  const mib = Math.round(parseSize(size) / MiB);
  try {
    const result = await this.runContainer({
      cmd: ['sh', '-c', `echo "root_kb=$(df -k / | awk 'NR==2{print $2}')"; dd if=/dev/zero of=/keelhaul-fill bs=1M count=${mib} 2>/tmp/e; echo "write_exit=$?"; echo "written_kb=$(du -k /keelhaul-fill | cut -f1)"; echo "err=$(tail -n 1 /tmp/e)"; rm -f /keelhaul-fill`],
      hostConfig: bounded(this, { StorageOpt: { size: quota } }),
    }, 60_000);
    this.state.storage = { quota: parseSize(quota), size: parseSize(size), kv: parseKeyValues(result.stdout) };
  } catch (error) {
    if (!(error instanceof PlatformRefusal)) throw error;
    this.state.storage = { quota: parseSize(quota), size: parseSize(size), refused: error.rawMessage };
  }
});

Then('the root file system quota held, or its absence is reported', doc(
  'A quota that was accepted must stop the write at about its size (a finding otherwise). A platform that refuses the quota lacks the control: not applicable, with its message and what df shows.',
  'Then the root file system quota held, or its absence is reported',
), function (this: KeelhaulWorld) {
  const d = this.state.disk;
  const q = this.state.storage;
  this.observe('rootFs', { sizeBytes: (num(d.kv.get('root_kb')) ?? 0) * 1024, availableBytes: (num(d.kv.get('avail_kb')) ?? 0) * 1024, boundedWriteExit: d.kv.get('write_exit') ?? null });
  this.observe('storageQuota', { requestedBytes: q.quota, refused: q.refused ?? null, writtenBytes: q.kv ? (num(q.kv.get('written_kb')) ?? 0) * 1024 : null, error: q.kv?.get('err') ?? null });
  if (q.refused) this.notApplicable(`no per-container disk quota: the platform refuses StorageOpt size (${q.refused}); containers share a ${Math.round((num(d.kv.get('root_kb')) ?? 0) / 1024 / 1024)} GiB file system`);
  const written = (num(q.kv.get('written_kb')) ?? 0) * 1024;
  if (q.kv.get('write_exit') === '0' && written >= q.size) {
    apply(this, { outcome: 'finding', reason: `the platform accepted a ${q.quota / MiB} MiB disk quota but the container wrote ${Math.round(written / MiB)} MiB` }, ['StorageOpt']);
  }
});

When('a container writes {string} to its standard output', doc(
  'Runs a container that prints a bounded amount of text, and inspects its log configuration.',
  'When a container writes "2m" to its standard output',
), async function (this: KeelhaulWorld, size: string) {
  const kib = Math.round(parseSize(size) / 1024);
  const result = await this.runContainer({ cmd: ['sh', '-c', `i=0; while [ $i -lt ${Math.ceil(kib / 64)} ]; do head -c 65535 /dev/zero | tr '\\0' x; echo; i=$((i+1)); done`], hostConfig: bounded(this, {}) }, 60_000);
  this.state.logs = { logConfig: result.inspect?.HostConfig?.LogConfig ?? null, bytesRead: result.stdout.length };
});

Then('its log rotation is reported', doc(
  'Passes with the log configuration recorded. A driver that keeps everything on the host (json-file or k8s-file with no max-size) is reported as an exposure: a container can fill the host\'s disk through its logs.',
  'Then its log rotation is reported',
), function (this: KeelhaulWorld) {
  const l = this.state.logs;
  const type = l.logConfig?.Type ?? 'unknown';
  const maxSize = l.logConfig?.Config?.['max-size'];
  this.observe('logConfig', { type, config: l.logConfig?.Config ?? null, bytesWritten: l.bytesRead });
  if (!maxSize && /json-file|k8s-file|local|unknown/.test(type) && type !== 'local') {
    this.expose(`container logs are unbounded: log driver ${type} with no max-size`);
  }
});

When('a container with the platform\'s default \\/dev\\/shm writes {string} to it', doc(
  'Runs a container with the platform\'s default /dev/shm (and a 256 MiB memory limit, so nothing reaches the host) that fills /dev/shm with dd.',
  'When a container with the platform\'s default /dev/shm writes "96m" to it',
), async function (this: KeelhaulWorld, size: string) {
  const result = await this.runContainer({ cmd: ['sh', '-c', shmWriterScript(Math.round(parseSize(size) / MiB))], hostConfig: bounded(this, { Memory: 256 * MiB, MemorySwap: 256 * MiB }) }, 60_000);
  this.state.shm = { size: parseSize(size), kv: parseKeyValues(result.stdout) };
});

Then('\\/dev\\/shm holds at most {string} and the write stopped there', doc(
  'df of /dev/shm inside must be at most the bound and the write must not get past it.',
  'Then /dev/shm holds at most "64m" and the write stopped there',
), function (this: KeelhaulWorld, bound: string) {
  const s = this.state.shm;
  const sizeBytes = (num(s.kv.get('shm.size_kb')) ?? 0) * 1024;
  const written = (num(s.kv.get('written_kb')) ?? 0) * 1024;
  this.observe('shm', { sizeBytes, writtenBytes: written, ddExit: s.kv.get('dd_exit') ?? null, ddError: s.kv.get('dd_err') || null });
  if (!sizeBytes) this.inconclusive('/dev/shm size is unreadable');
  expect(sizeBytes, `/dev/shm is ${Math.round(sizeBytes / MiB)} MiB`).to.be.at.most(parseSize(bound));
  expect(written, `the container wrote ${Math.round(written / MiB)} MiB to a ${Math.round(sizeBytes / MiB)} MiB /dev/shm`).to.be.at.most(sizeBytes + MiB);
});

// ---- scheduler priority (RES-14) ------------------------------------------------------------------

When('a container with the platform\'s default settings tries to raise its CPU and I\\/O priority', doc(
  'Tries renice -n -10, ionice real-time class, and chrt FIFO 50 when the image has chrt; records each exit status and message.',
  'When a container with the platform\'s default settings tries to raise its CPU and I/O priority',
), async function (this: KeelhaulWorld) {
  const script = [
    'renice -n -10 -p $$ >/tmp/o 2>&1; echo "renice=$?"; echo "renice_msg=$(tail -n 1 /tmp/o)"',
    'ionice -c 1 -n 0 -p $$ >/tmp/o 2>&1; echo "ionice=$?"; echo "ionice_msg=$(tail -n 1 /tmp/o)"',
    'if command -v chrt >/dev/null 2>&1; then chrt -f -p 50 $$ >/tmp/o 2>&1; echo "chrt=$?"; echo "chrt_msg=$(tail -n 1 /tmp/o)"; else echo "chrt=absent"; fi',
    'echo "nice_now=$(cut -d" " -f19 /proc/self/stat)"',
  ].join('\n');
  this.state.prio = parseKeyValues((await this.runContainer({ cmd: ['sh', '-c', script], hostConfig: bounded(this, {}) }, 30_000)).stdout);
});

Then('every attempt was refused', doc(
  'Each available attempt must fail (EACCES/EPERM: no CAP_SYS_NICE, no CAP_SYS_ADMIN); an absent tool is recorded, not passed.',
  'Then every attempt was refused',
), function (this: KeelhaulWorld) {
  const kv: KeyValues = this.state.prio;
  const report: Record<string, string | null> = {};
  const succeeded: string[] = [];
  for (const tool of ['renice', 'ionice', 'chrt']) {
    const status = kv.get(tool);
    report[tool] = status === undefined ? null : status === 'absent' ? 'absent' : `${status}: ${kv.get(`${tool}_msg`) ?? ''}`.trim();
    if (status === '0') succeeded.push(tool);
  }
  this.observe('priority', report);
  if (kv.get('renice') === undefined) this.inconclusive('the priority attempts did not run');
  expect(succeeded, `the container raised its priority with ${succeeded.join(', ')}`).to.be.empty;
});
