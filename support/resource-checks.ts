// What each noisy-neighbours step does (RES-01..15), one named helper a step, so that the step file
// only reads its arguments (issue 15: thin steps). The scripts, parsers and rules are in
// judges/resources.ts; the parties and measurements in support/noisy-neighbours.ts.
import { PlatformTimeout, isRefusal } from '../adapters/platform/docker-client.js';
import { oneLine } from '../judges/errors.js';
import {
  BLKIO_WEIGHT_PROBE, DATA_DEVICE_PROBE, LIMITS_PROBE, MiB, cgroupLimit, forkFloodScript, forkVictimScript, heartbeatGap, heartbeatScript,
  ioThrottleScript, isIdentityUidMap, judgeAllocation, judgeBlkioWeight, judgeCpuset, judgeFairShare, judgeFlood, judgeHeartbeat, judgeMemsw,
  judgeOomIsolation, judgePinnedRate, judgePriority, judgeQuota, judgeShm, judgeStorageQuota, judgeVictimForks, judgeWeights,
  judgeWriteThrottle, median, memoryOffenderScript, num, parseDataDevice, parseKeyValues, parseSize, round, shmWriterScript,
  storageQuotaScript, unboundedLogs, visibleQuota, type SpinResult,
} from '../judges/resources.js';
import {
  apply, bounded, execScript, hostCpus, needs, party, platformInfo, progress, res, runMemoryOffender, runParty, sleep, spinTogether,
  startIdle, startParty, waitForLog,
} from './noisy-neighbours.js';
import type { KeelhaulWorld } from './world.js';
import { OBSERVATION } from '../judges/observation-keys.js';

/** Not applicable when /info says the platform lacks the control. */
export async function requireControl(world: KeelhaulWorld, flag: string): Promise<void> {
  const info = await platformInfo(world);
  world.observe(`info.${flag}`, info[flag] ?? 'not reported');
  if (info[flag] === false) {
    const warning = (info.Warnings ?? []).find((w: string) => new RegExp(flag.replace(/Limit$/, ''), 'i').test(w));
    world.notApplicable(`the platform does not enforce ${flag} (/info ${flag}: false${warning ? `; ${warning}` : ''})`);
  }
}

/** Not applicable on a host with fewer CPUs. */
export async function requireCpus(world: KeelhaulWorld, n: number): Promise<void> {
  const cpus = await hostCpus(world);
  world.observe('hostCpus', cpus);
  if (cpus < n) world.notApplicable(`the host has ${cpus} CPU(s), fewer than ${n}`);
}

/** Every party read the same kernel boot id, tied to /info Name or ID; apart is not applicable. */
export async function proveCoLocation(world: KeelhaulWorld): Promise<void> {
  const info = await platformInfo(world);
  const { parties = {}, anchor } = res(world);
  world.observe('coLocation', { infoName: info.Name ?? null, infoId: info.ID ?? null, bootIds: parties });
  const roles = Object.keys(parties);
  if (roles.length < 2) world.inconclusive(`only ${roles.length} container(s) reported where they ran: co-location is unproven`);
  const missing = roles.filter((r) => !parties[r]);
  if (missing.length > 0) world.inconclusive(`${missing.join(', ')} could not read the kernel boot id: co-location is unproven`);
  if (new Set(Object.values(parties)).size !== 1) {
    // Apart: there is no neighbour to judge, which is no weakness (a platform spreading an account's containers).
    const asked = anchor && world.profile.semantics?.placement === 'swarm-affinity' ? ` although co-location was asked for (affinity:container==${anchor.slice(0, 12)})` : '';
    world.notApplicable(`victim and offender ran on different kernels (${roles.map((r) => `${r} ${parties[r]}`).join(', ')})${asked}: not neighbours, so there is nothing to judge`);
  }
  if (!info.Name && !info.ID) world.inconclusive('the platform reports no /info Name or ID to tie the containers to one host');
}

/** The victim: a heartbeat on the host clock every 0.1 s. */
export async function startHeartbeatVictim(world: KeelhaulWorld): Promise<void> {
  const id = await startParty(world, ['sh', '-c', heartbeatScript(600)], { Memory: 16 * MiB, MemorySwap: 16 * MiB, PidsLimit: 16 });
  res(world).victim = id;
  await waitForLog(world, id, /beat=/, 20_000);
}

/** The memory offender; with a victim running, stop it after and read its beats. */
export async function runAllocatingOffender(world: KeelhaulWorld, memory: string, memsw: string, alloc: string): Promise<void> {
  const offender = await runMemoryOffender(world, memory, memsw, (scale) => memoryOffenderScript(Math.round((parseSize(alloc) * scale) / MiB)));
  const state = res(world);
  state.offender = { ...offender, status: offender.kv.get('alloc_exit') ?? (offender.killedWhole ? 'container-killed' : undefined), requested: Math.round(parseSize(alloc) * offender.scale) };
  if (state.victim) {
    await sleep(1000);
    const victim = await world.platform.inspectContainer(state.victim, world.signal);
    await world.platform.killContainer(state.victim);
    const kv = parseKeyValues((await world.platform.logs(state.victim, false, world.signal)).stdout);
    state.victimRun = { running: victim.State?.Running === true, oomKilled: victim.State?.OOMKilled === true, completed: kv.get('victim') === 'done', beats: kv.all('beat').map(Number) };
    party(world, 'victim', kv.get('boot_id'));
  }
}

/** The /dev/shm offender; a /dev/shm too small to carry it past its limit is not applicable. */
export async function runShmOffender(world: KeelhaulWorld, memory: string, memsw: string, size: string, shm: string): Promise<void> {
  const offender = await runMemoryOffender(world, memory, memsw, (scale) => shmWriterScript(Math.round((parseSize(size) * scale) / MiB)), (scale) => ({ ShmSize: Math.round(parseSize(shm) * scale) }));
  const requested = Math.round(parseSize(size) * offender.scale);
  res(world).offender = { ...offender, status: offender.kv.get('dd_exit') ?? (offender.killedWhole ? 'container-killed' : undefined), requested };
  // A /dev/shm smaller than what is written (ShmSize ignored: Triton) stops dd with ENOSPC, not the memory limit.
  const shmKb = num(offender.kv.get('shm.size_kb'));
  if (shmKb !== undefined && shmKb * 1024 < requested) {
    world.notApplicable(`/dev/shm is ${Math.round(shmKb / 1024)} MiB, smaller than the ${requested / MiB} MiB written (the platform ignores ShmSize): tmpfs cannot carry the offender past its memory limit here`);
  }
}

/** RES-01/02: judgeAllocation. */
export function checkAllocationKilled(world: KeelhaulWorld): void {
  const o = needs(world, 'offender', 'offender ran');
  const inside = cgroupLimit(o.kv.get('memory.limit'));
  world.observe(OBSERVATION.offender, {
    requestedBytes: o.requested, limitBytes: o.limit, memoryLimitInside: inside ?? null, innerStatus: o.status ?? null,
    containerExitCode: o.inspect?.State?.ExitCode ?? null, oomKilled: o.inspect?.State?.OOMKilled ?? null,
    inspectMemory: o.inspect?.HostConfig?.Memory ?? null, oomKillCounter: num(o.kv.get('oom_kill')) ?? null,
    writtenKb: num(o.kv.get('written_kb')) ?? null, wholeContainerKilled: o.killedWhole,
  });
  world.settle(judgeAllocation({ ...o, insideRaw: o.kv.get('memory.limit'), inspectMemory: o.inspect?.HostConfig?.Memory ?? null }));
}

/** RES-01: judgeOomIsolation. */
export function checkOnlyOffenderOomKilled(world: KeelhaulWorld): void {
  const o = needs(world, 'offender', 'offender ran');
  const v = needs(world, 'victimRun', 'victim ran');
  const seen = { byInspect: o.inspect?.State?.OOMKilled === true, byCounter: (num(o.kv.get('oom_kill')) ?? 0) > 0, bySignal: o.status === '137' || o.killedWhole, status: o.status, oomKillRaw: o.kv.get('oom_kill') };
  world.observe('oom', { offenderInspect: seen.byInspect, offenderCounter: seen.byCounter, offenderInnerStatus: o.status, wholeContainerKilled: o.killedWhole, victimRunning: v.running, victimOOMKilled: v.oomKilled });
  if (!seen.byInspect && (seen.byCounter || seen.bySignal)) world.observe('inspectDivergence', 'the offender was SIGKILLed at its memory limit but inspect State.OOMKilled is false');
  world.settle(judgeOomIsolation(seen, v));
}

/** RES-01: judgeHeartbeat over the offender's window. */
export function checkHeartbeat(world: KeelhaulWorld, maxGap: number): void {
  const o = needs(world, 'offender', 'offender ran');
  const v = res(world).victimRun;
  const from = num(o.kv.get('start'));
  const to = o.end;
  if (!v || from === undefined || to === undefined) return world.inconclusive('the offender\'s window or the victim\'s beats are unknown');
  const gap = heartbeatGap(v.beats, from, to);
  world.observe(OBSERVATION.heartbeat, { ...gap, offenderWindowS: round(to - from, 2) });
  world.settle(judgeHeartbeat(gap, maxGap));
}

/** What `free` shows inside against the limit. */
export function reportMemoryView(world: KeelhaulWorld): void {
  const o = needs(world, 'offender', 'offender ran');
  const freeKb = num(o.kv.get('free.total_kb'));
  world.observe('memoryView', {
    limitBytes: o.limit, freeTotalBytes: freeKb === undefined ? null : freeKb * 1024,
    seesItsLimit: freeKb === undefined ? null : Math.abs(freeKb * 1024 - o.limit) <= o.limit * 0.1,
  });
}

/** RES-02: judgeMemsw, against the package where one decides it. */
export function checkMemswInside(world: KeelhaulWorld, expected: string): void {
  const o = needs(world, 'offender', 'offender ran');
  const raw = o.kv.get('memsw.limit');
  world.observe('memswInside', raw ?? null);
  // A package decides memory plus swap too (Triton: max_swap): judged against what the platform says it gave.
  const pkg = o.scale !== 1 ? { memorySwap: o.inspect?.HostConfig?.MemorySwap, label: o.inspect?.Config?.Labels?.['com.joyent.package'] } : undefined;
  world.settle(judgeMemsw(raw, { text: expected, bytes: parseSize(expected) }, pkg));
}

/** The host's swap, as `free` shows it inside. */
export function reportHostSwap(world: KeelhaulWorld): void {
  const swapKb = num(needs(world, 'offender', 'offender ran').kv.get('free.swap_kb'));
  world.observe('hostSwapBytes', swapKb === undefined ? null : swapKb * 1024);
  if (swapKb === 0) world.observe('swapNote', 'the host has no swap: the swap limit cannot be exercised here, only read');
}

/** RES-03: the limited container and an unlimited baseline, spun together per trial. */
export async function measureCpuQuota(world: KeelhaulWorld, cpus: number, trials: number, seconds: number): Promise<void> {
  const ncpu = await hostCpus(world);
  // A high weight lets the limited container reach its quota even when outside load is heavy:
  // the weight decides who runs, the quota how much at most.
  const limited = await startIdle(world, { NanoCpus: Math.round(cpus * 1e9), CpuShares: 4096 });
  const baseline = await startIdle(world, {});
  const limits = parseKeyValues((await execScript(world, limited, LIMITS_PROBE)).stdout);
  const visible = visibleQuota(limits);
  const runs: Array<Record<string, SpinResult>> = [];
  for (let t = 1; t <= trials; t++) {
    progress(world, `trial ${t}/${trials}: ${cpus}-CPU container (${ncpu} loops) beside an unlimited baseline, ${seconds} s`);
    runs.push(await spinTogether(world, [{ role: 'limited', id: limited, loops: ncpu }, { role: 'baseline', id: baseline, loops: 1 }], seconds));
  }
  res(world).quota = { cpus, visible, runs, nproc: limits.get('nproc') };
  world.attach(JSON.stringify({ cpus, visibleQuota: visible, runs }, null, 2), { mediaType: 'application/json', fileName: 'cpu-quota.json' });
}

/** RES-03: judgeQuota. */
export function checkCpuQuota(world: KeelhaulWorld, percent: number, slack: number): void {
  const q = needs(world, 'quota', 'CPU quota measurement');
  const rates = q.runs.map((r) => r.limited!.cpuRate);
  if (rates.some((r) => typeof r !== 'number')) world.inconclusive('the container\'s cgroup CPU accounting (cpuacct.usage / cpu.stat) is unreadable');
  const measured = rates as number[];
  const throttled = q.runs.map((r) => r.limited!.throttledDelta ?? 0);
  world.observe(OBSERVATION.cpuQuota, { quotaCpus: q.cpus, ceilingCpus: round(q.cpus * (1 + percent / 100) + slack, 3), visibleQuotaCpus: q.visible ?? null, rates: measured, medianRate: median(measured), nrThrottledDeltas: throttled, nprocInside: q.nproc ?? null });
  apply(world, judgeQuota({ quotaCpus: q.cpus, rates: measured, throttled, visibleQuota: q.visible, relative: percent / 100, absolute: slack }));
}

/** The limited container's loops over the baseline's. */
export function reportQuotaThroughput(world: KeelhaulWorld): void {
  const { runs } = needs(world, 'quota', 'CPU quota measurement');
  const ratios = runs.map((r) => round(r.limited!.iterations / Math.max(1, r.baseline!.iterations)));
  world.observe(OBSERVATION.throughputRatio, { perTrial: ratios, median: round(median(ratios)), baselineRates: runs.map((r) => r.baseline!.cpuRate ?? null) });
}

/** RES-04: the victim and the greedy neighbour, idle until measured. */
export async function startFairnessParties(world: KeelhaulWorld): Promise<void> {
  const ncpu = await hostCpus(world);
  res(world).fair = {
    victim: await startIdle(world, {}), neighbour: await startIdle(world, {}),
    victimLoops: Math.max(1, Math.floor(ncpu / 2)), neighbourLoops: 4 * ncpu, runs: [],
  };
}

/** RES-04: interleaved trials, alone and beside the neighbour. */
export async function measureFairness(world: KeelhaulWorld, trials: number, seconds: number): Promise<void> {
  const f = needs(world, 'fair', 'victim and neighbour');
  for (let t = 1; t <= trials; t++) {
    progress(world, `trial ${t}/${trials}: victim alone (${f.victimLoops} loop(s)), ${seconds} s`);
    const alone = await spinTogether(world, [{ role: 'victim', id: f.victim, loops: f.victimLoops }], seconds);
    progress(world, `trial ${t}/${trials}: victim beside a neighbour with ${f.neighbourLoops} loops, ${seconds} s`);
    const together = await spinTogether(world, [{ role: 'victim', id: f.victim, loops: f.victimLoops }, { role: 'neighbour', id: f.neighbour, loops: f.neighbourLoops }], seconds);
    f.runs.push({ alone: alone.victim!, together });
  }
  world.attach(JSON.stringify(f.runs, null, 2), { mediaType: 'application/json', fileName: 'cpu-fairness.json' });
}

/** RES-04: judgeFairShare. */
export function checkFairShare(world: KeelhaulWorld, percent: number): void {
  const f = needs(world, 'fair', 'fairness measurement');
  const shares = f.runs.map((r) => round(r.together.victim!.iterations / Math.max(1, r.together.victim!.iterations + r.together.neighbour!.iterations)));
  const flat = f.victimLoops / (f.victimLoops + f.neighbourLoops);
  world.observe(OBSERVATION.fairShare, { perTrial: shares, median: round(median(shares)), minimum: percent / 100, threadLevelShare: round(flat), victimLoops: f.victimLoops, neighbourLoops: f.neighbourLoops });
  apply(world, judgeFairShare(shares, percent / 100, flat));
}

/** Contended over uncontended loops, and the CPU rates for report.html's chart. */
export function reportContention(world: KeelhaulWorld): void {
  const f = needs(world, 'fair', 'fairness measurement');
  const ratios = f.runs.map((r) => round(r.together.victim!.iterations / Math.max(1, r.alone.iterations)));
  world.observe('contendedOverAlone', { perTrial: ratios, median: round(median(ratios)), aloneIterations: f.runs.map((r) => r.alone.iterations) });
  // The CPU each got per trial (cgroup CPU seconds per wall second), for report.html's chart.
  const rates = (pick: (r: (typeof f.runs)[number]) => SpinResult) => f.runs.map((r) => (typeof pick(r).cpuRate === 'number' ? round(pick(r).cpuRate!, 3) : null));
  world.observe(OBSERVATION.cpuRates, {
    victimAlone: rates((r) => r.alone), victimBeside: rates((r) => r.together.victim!), neighbourBeside: rates((r) => r.together.neighbour!),
    victimLoops: f.victimLoops, neighbourLoops: f.neighbourLoops,
  });
}

/** RES-05: two weighted containers on one CPU, spun together per trial. */
export async function measureShares(world: KeelhaulWorld, heavy: number, light: number, cpu: string, trials: number, seconds: number): Promise<void> {
  const a = await startIdle(world, { CpuShares: heavy, CpusetCpus: cpu });
  const b = await startIdle(world, { CpuShares: light, CpusetCpus: cpu });
  const runs = [];
  for (let t = 1; t <= trials; t++) {
    progress(world, `trial ${t}/${trials}: shares ${heavy} vs ${light} on CPU ${cpu}, ${seconds} s`);
    runs.push(await spinTogether(world, [{ role: 'heavy', id: a, loops: 1 }, { role: 'light', id: b, loops: 1 }], seconds));
  }
  res(world).weights = { heavy, light, runs };
  world.attach(JSON.stringify(runs, null, 2), { mediaType: 'application/json', fileName: 'cpu-shares.json' });
}

/** RES-05: judgeWeights. */
export function checkShares(world: KeelhaulWorld, minRatio: number): void {
  const w = needs(world, 'weights', 'CPU shares measurement');
  const ratios = w.runs.map((r) => round(r.heavy!.iterations / Math.max(1, r.light!.iterations), 2));
  world.observe(OBSERVATION.sharesRatio, { perTrial: ratios, median: round(median(ratios), 2), nominal: w.heavy / w.light, minimum: minRatio });
  apply(world, judgeWeights(ratios, minRatio, w.heavy / w.light), ['CpuShares', 'CpusetCpus']);
}

/** RES-06: a pinned container's view and one spin. */
export async function measurePinned(world: KeelhaulWorld, cpus: string, loops: number, seconds: number): Promise<void> {
  const id = await startIdle(world, { CpusetCpus: cpus });
  const limits = parseKeyValues((await execScript(world, id, LIMITS_PROBE)).stdout);
  const run = await spinTogether(world, [{ role: 'pinned', id, loops }], seconds);
  res(world).pinned = { cpus, limits, spin: run.pinned! };
}

/** RES-06: judgeCpuset. */
export function checkCpuset(world: KeelhaulWorld, n: number, cpus: string): void {
  const p = needs(world, 'pinned', 'pinned container');
  world.observe('cpuset', { requested: p.cpus, nproc: p.limits.get('nproc'), cpusAllowed: p.limits.get('cpus_allowed'), cpusetInside: p.limits.get('cpuset') });
  world.settle(judgeCpuset(p.limits, n, cpus));
}

/** RES-06: judgePinnedRate. */
export function checkPinnedRate(world: KeelhaulWorld, n: number, percent: number, slack: number): void {
  const rate = needs(world, 'pinned', 'pinned container').spin.cpuRate;
  const verdict = judgePinnedRate(rate, n, percent, slack);
  if (verdict.outcome !== 'inconclusive') world.observe(OBSERVATION.pinnedCpuRate, { rate, ceiling: n * (1 + percent / 100) + slack });
  world.settle(verdict);
}

/** RES-07: the bounded fork flood, holding its pids. */
export async function startForkFlood(world: KeelhaulWorld, limit: number, count: number): Promise<void> {
  const id = await startParty(world, ['sh', '-c', forkFloodScript(count, 8)], { PidsLimit: limit });
  const out = await waitForLog(world, id, /flood=done/, 30_000);
  const kv = parseKeyValues(out);
  res(world).flood = { id, limit, count, kv };
  party(world, 'offender', kv.get('boot_id'));
  world.attach(out, { mediaType: 'text/plain', fileName: 'fork-flood.txt' });
}

/** RES-07: the victim forks while the flood holds its pids; then the flood is stopped. */
export async function runForkVictim(world: KeelhaulWorld, count: number): Promise<void> {
  const result = await runParty(world, ['sh', '-c', forkVictimScript(count)], {}, 30_000);
  const kv = parseKeyValues(result.stdout);
  res(world).forkVictim = { count, kv, timedOut: result.timedOut };
  party(world, 'victim', kv.get('boot_id'));
  // The flood is stopped as a courtesy: the verdict is already measured, and the scenario's clean-up
  // removes it by force. Where it shares the host's pid namespace (the weak fixture's host-pid plant),
  // a kill was seen to take more than its 10 s bound now and then: recorded, not an error.
  try {
    await world.platform.killContainer(needs(world, 'flood', 'fork flood').id);
  } catch (error) {
    if (!(error instanceof PlatformTimeout)) throw error;
    world.observe('floodKill', `${oneLine(error)}; left to the scenario's clean-up`);
  }
}

/** RES-07: judgeFlood, against a cap the profile declares (CONF-C17). */
export function checkFlood(world: KeelhaulWorld): void {
  const f = needs(world, 'flood', 'fork flood');
  const forked = num(f.kv.get('forked'));
  const inside = f.kv.get('pids.max');
  world.observe(OBSERVATION.forkFlood, { limit: f.limit, attempted: f.count, started: forked ?? null, pidsMaxInside: inside ?? null, pidsCurrent: f.kv.get('pids.current') ?? null, forkError: f.kv.get('fork_err') ?? null });
  const declared = world.profile.divergences?.['CONF-C17'];
  world.settle(judgeFlood({ limit: f.limit, count: f.count, forked, pidsMaxInside: inside }, declared && { profile: world.profile.name, source: declared.source }));
}

/** RES-07: judgeVictimForks. */
export function checkVictimForks(world: KeelhaulWorld, count: number): void {
  const v = needs(world, 'forkVictim', 'forking victim');
  world.observe(OBSERVATION.victimForks, { asked: count, forked: v.kv.get('forked') ?? null, error: v.kv.get('fork_err') || null });
  world.settle(judgeVictimForks(v.kv, count));
}

/** RES-09: a flood under an nproc ulimit; a refused ulimit is not applicable. */
export async function runNprocFlood(world: KeelhaulWorld, nproc: number, pids: number, count: number): Promise<void> {
  try {
    const result = await world.runContainer({
      cmd: ['sh', '-c', forkFloodScript(count, 0)],
      hostConfig: bounded(world, { PidsLimit: pids, Ulimits: [{ Name: 'nproc', Soft: nproc, Hard: nproc }] }),
    }, 30_000);
    res(world).nproc = { nproc, count, kv: parseKeyValues(result.stdout) };
  } catch (error) {
    if (!isRefusal(error)) throw error;
    world.observe('refused', error.rawMessage);
    world.notApplicable(`the platform refuses an nproc ulimit of ${nproc}: ${error.rawMessage}`);
  }
}

/** RES-09: what the ulimit did, and why it is no isolation. */
export function reportNprocFlood(world: KeelhaulWorld): void {
  const n = needs(world, 'nproc', 'nproc ulimit run');
  const started = num(n.kv.get('forked'));
  world.observe(OBSERVATION.nprocUlimit, { ulimit: n.nproc, attempted: n.count, started: started ?? null, forkError: n.kv.get('fork_err') || null, uidMap: n.kv.get('uid_map') ?? null });
  world.observe('note', started !== undefined && started >= n.count
    ? 'the nproc ulimit did not stop the flood: only the pids cgroup bounds a container'
    : 'the nproc ulimit stopped the flood, but it counts the uid\'s processes host-wide: containers sharing a uid share it');
}

/** RES-08: LIMITS_PROBE in a default container. */
export async function probeDefaultLimits(world: KeelhaulWorld): Promise<void> {
  const result = await world.probe(LIMITS_PROBE);
  res(world).defaults = parseKeyValues(result.stdout);
  world.attach(result.stdout, { mediaType: 'text/plain', fileName: 'default-limits.txt' });
}

/** RES-08: unlimited defaults are exposures. */
export function reportDefaultLimits(world: KeelhaulWorld): void {
  const kv = needs(world, 'defaults', 'default container');
  const pids = cgroupLimit(kv.get('pids.max'));
  const memory = cgroupLimit(kv.get('memory.limit'));
  world.observe('defaults', { pidsMax: pids ?? null, memoryLimit: memory ?? null, cfsQuota: kv.get('cfs_quota') ?? null, cpuShares: kv.get('cpu.shares') ?? null, cpuset: kv.get('cpuset') ?? null });
  if (pids === 'unlimited') world.expose('no default pids limit: a container with no options can fork until the host runs out of pids');
  if (memory === 'unlimited') world.expose('no default memory limit: a container with no options can use all of the host\'s memory');
}

/** RES-08: what free and nproc show against the limits. */
export function reportLimitView(world: KeelhaulWorld): void {
  const v = needs(world, 'view', 'limited container');
  const freeKb = num(v.kv.get('free.total_kb'));
  world.observe('limitView', {
    memoryLimitBytes: v.memory, freeTotalBytes: freeKb === undefined ? null : freeKb * 1024,
    freeShowsLimit: freeKb === undefined ? null : Math.abs(freeKb * 1024 - v.memory) <= v.memory * 0.1,
    cpusLimit: v.cpus, nprocInside: num(v.kv.get('nproc')) ?? null,
    nprocShowsLimit: num(v.kv.get('nproc')) === Math.ceil(v.cpus),
  });
}

/** RES-15: an identity uid_map is an exposure. */
export function reportUidMap(world: KeelhaulWorld): void {
  const map = needs(world, 'defaults', 'default container').get('uid_map') ?? '';
  const identity = isIdentityUidMap(map);
  world.observe('uidMap', map);
  world.observe('sharesPerUserLimits', identity);
  if (identity) world.expose('containers run as the host\'s uid 0: per-user kernel limits (nproc, inotify instances, keys) are shared with the host and every other container');
}

/** RES-10: the data disk and a throttle interface, or not applicable. */
export async function requireDataDevice(world: KeelhaulWorld): Promise<void> {
  const { path, majorMinor, throttle } = parseDataDevice((await world.probe(DATA_DEVICE_PROBE)).stdout);
  world.observe('dataDevice', { majorMinor: majorMinor ?? null, path: path ?? null });
  if (!path) world.notApplicable(`no block device backs the container's files (mountinfo major:minor ${majorMinor ?? 'none'})`);
  if (!throttle) world.notApplicable('the container has no blkio throttle or io.max interface');
  res(world).device = path;
}

/** RES-10: direct and buffered writes through a device write limit. */
export async function measureWriteThrottle(world: KeelhaulWorld, limit: string, direct: string, buffered: string): Promise<void> {
  const bps = parseSize(limit);
  const dMiB = Math.round(parseSize(direct) / MiB);
  const bMiB = Math.round(parseSize(buffered) / MiB);
  progress(world, `writing ${dMiB} MiB directly through a ${limit}/s limit (about ${Math.round(dMiB * MiB / bps)} s)`);
  const result = await world.runContainer({ cmd: ['sh', '-c', ioThrottleScript(dMiB, bMiB)], hostConfig: bounded(world, { BlkioDeviceWriteBps: [{ Path: res(world).device, Rate: bps }] }) }, 60_000);
  const kv = parseKeyValues(result.stdout);
  world.attach(result.stdout + result.stderr, { mediaType: 'text/plain', fileName: 'io.txt' });
  if (kv.get('io') !== 'done') world.inconclusive(`the I/O measurement did not finish (exit ${result.exitCode}; ${result.stderr.trim().slice(0, 200)})`);
  if (kv.get('direct_exit') !== '0') world.inconclusive(`direct writes are not possible here: ${kv.get('direct_err')}`);
  res(world).io = { bps, directBytes: dMiB * MiB, bufferedBytes: bMiB * MiB, kv };
}

/** RES-10: judgeWriteThrottle. */
export function checkWriteThrottle(world: KeelhaulWorld, percent: number): void {
  const io = needs(world, 'io', 'I/O measurement');
  const seconds = num(io.kv.get('direct_s')) ?? 0;
  const bytesPerSecond = io.directBytes / Math.max(seconds, 0.01);
  world.observe(OBSERVATION.directWrite, { limitBytesPerSecond: io.bps, bytes: io.directBytes, seconds, bytesPerSecond: Math.round(bytesPerSecond), throttleInside: io.kv.get('throttle') ?? null });
  apply(world, judgeWriteThrottle(bytesPerSecond, io.bps, percent / 100), ['BlkioDeviceWriteBps']);
}

/** RES-10: the buffered write's rate (cgroup v1 writes the page cache back outside the throttle). */
export function reportBufferedWrites(world: KeelhaulWorld): void {
  const io = needs(world, 'io', 'I/O measurement');
  const seconds = num(io.kv.get('buffered_s')) ?? 0;
  const bytesPerSecond = io.bufferedBytes / Math.max(seconds, 0.01);
  const throttled = bytesPerSecond <= io.bps * 1.5;
  world.observe(OBSERVATION.bufferedWrite, { bytes: io.bufferedBytes, seconds, bytesPerSecond: Math.round(bytesPerSecond), throttled, cgroupVersion: world.fingerprint.cgroupVersion });
  if (!throttled) world.observe('bufferedNote', `buffered writes are not throttled (cgroup v${world.fingerprint.cgroupVersion}: the page cache is written back outside the container's limit)`);
}

/** RES-10-WEIGHT: the weight files, or the platform's refusal. */
export async function probeBlkioWeight(world: KeelhaulWorld, weight: number): Promise<void> {
  try {
    const result = await world.runContainer({ cmd: ['sh', '-c', BLKIO_WEIGHT_PROBE], hostConfig: bounded(world, { BlkioWeight: weight }) }, 30_000);
    res(world).weight = { requested: weight, kv: parseKeyValues(result.stdout) };
  } catch (error) {
    if (!isRefusal(error)) throw error;
    res(world).weight = { requested: weight, refused: error.rawMessage };
  }
}

/** RES-10-WEIGHT: judgeBlkioWeight. */
export async function checkBlkioWeight(world: KeelhaulWorld, weight: number): Promise<void> {
  const w = needs(world, 'weight', 'I/O weight run');
  const warning = ((await platformInfo(world)).Warnings ?? []).find((x: string) => /blkio weight/i.test(x));
  world.observe('blkioWeight', { requested: w.requested, inside: w.kv?.get('weight') ?? null, file: w.kv?.get('file') ?? null, bfqWeight: w.kv?.get('bfq') || null, scheduler: w.kv?.get('scheduler') ?? null, refused: w.refused ?? null, infoWarning: warning ?? null });
  world.settle(judgeBlkioWeight({ weight: w.kv?.get('weight'), scheduler: w.kv?.get('scheduler'), refused: w.refused }, weight, warning));
}

/** RES-11: a write past a StorageOpt quota, or the platform's refusal. */
export async function runStorageQuota(world: KeelhaulWorld, quota: string, size: string): Promise<void> {
  const sizes = { quota: parseSize(quota), size: parseSize(size) };
  try {
    const result = await world.runContainer({ cmd: ['sh', '-c', storageQuotaScript(Math.round(parseSize(size) / MiB))], hostConfig: bounded(world, { StorageOpt: { size: quota } }) }, 60_000);
    res(world).storage = { ...sizes, kv: parseKeyValues(result.stdout) };
  } catch (error) {
    if (!isRefusal(error)) throw error;
    res(world).storage = { ...sizes, refused: error.rawMessage };
  }
}

/** RES-11: judgeStorageQuota. */
export function checkStorageQuota(world: KeelhaulWorld): void {
  const d = needs(world, 'disk', 'root file system probe');
  const q = needs(world, 'storage', 'disk quota run');
  const writtenBytes = q.kv ? (num(q.kv.get('written_kb')) ?? 0) * 1024 : null;
  world.observe('rootFs', { sizeBytes: (num(d.kv.get('root_kb')) ?? 0) * 1024, availableBytes: (num(d.kv.get('avail_kb')) ?? 0) * 1024, boundedWriteExit: d.kv.get('write_exit') ?? null });
  world.observe('storageQuota', { requestedBytes: q.quota, refused: q.refused ?? null, writtenBytes, error: q.kv?.get('err') ?? null });
  const verdict = judgeStorageQuota({ ...q, writeExit: q.kv?.get('write_exit'), writtenBytes: writtenBytes ?? 0 }, num(d.kv.get('root_kb')) ?? 0);
  if (verdict.outcome === 'finding') apply(world, verdict, ['StorageOpt']);
  world.settle(verdict);
}

/** RES-12: unbounded logs are an exposure. */
export function reportLogRotation(world: KeelhaulWorld): void {
  const l = needs(world, 'logs', 'log writer');
  world.observe('logConfig', { type: l.logConfig?.Type ?? 'unknown', config: l.logConfig?.Config ?? null, bytesWritten: l.bytesRead });
  const unbounded = unboundedLogs(l.logConfig);
  if (unbounded) world.expose(unbounded);
}

/** RES-13: judgeShm. */
export function checkShm(world: KeelhaulWorld, bound: string): void {
  const s = needs(world, 'shm', '/dev/shm writer');
  const sizeBytes = (num(s.kv.get('shm.size_kb')) ?? 0) * 1024;
  const written = (num(s.kv.get('written_kb')) ?? 0) * 1024;
  world.observe(OBSERVATION.shm, { sizeBytes, writtenBytes: written, ddExit: s.kv.get('dd_exit') ?? null, ddError: s.kv.get('dd_err') || null });
  world.settle(judgeShm(sizeBytes, written, parseSize(bound)));
}

/** RES-14: judgePriority. */
export function checkPriorityRefused(world: KeelhaulWorld): void {
  const { report, verdict } = judgePriority(needs(world, 'prio', 'priority attempt'));
  world.observe('priority', report);
  world.settle(verdict);
}
