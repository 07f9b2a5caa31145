// Noisy neighbours (RES-01..15; docs/noisy-neighbours.md): a bounded offender beside a victim,
// measured from inside both. The scripts, parsers and verdict rules are in judges/resources.ts, the
// parties and measurements in support/noisy-neighbours.ts; this file reads the arguments and records.
import { Given, Then, When } from '@cucumber/cucumber';
import { isRefusal } from '../adapters/platform/docker-client.js';
import {
  BLKIO_WEIGHT_PROBE, DATA_DEVICE_PROBE, cgroupLimit, LIMITS_PROBE, MiB, PRIORITY_SCRIPT, forkFloodScript, forkVictimScript, heartbeatGap, heartbeatScript,
  ioThrottleScript, isIdentityUidMap, judgeAllocation, judgeBlkioWeight, judgeCpuset, judgeFairShare, judgeFlood, judgeHeartbeat, judgeMemsw,
  judgeOomIsolation, judgePinnedRate, judgePriority, judgeQuota, judgeShm, judgeStorageQuota, judgeVictimForks, judgeWeights,
  judgeWriteThrottle, logWriterScript, median, memoryOffenderScript, num, parseDataDevice, parseKeyValues, parseSize, rootFsScript, round,
  shmWriterScript, storageQuotaScript, unboundedLogs, visibleQuota, type SpinResult,
} from '../judges/resources.js';
import {
  INFO_CONTROLS, apply, bounded, execScript, hostCpus, needs, party, platformInfo, progress, res, runMemoryOffender, runParty, sleep,
  spinTogether, startIdle, startParty, waitForLog,
} from '../support/noisy-neighbours.js';
import { doc, itemsFrom } from '../support/step-docs.js';
import { settle } from '../support/verdicts.js';
import type { KeelhaulWorld } from '../support/world.js';

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
  const { parties = {}, anchor } = res(this);
  this.observe('coLocation', { infoName: info.Name ?? null, infoId: info.ID ?? null, bootIds: parties });
  const roles = Object.keys(parties);
  if (roles.length < 2) this.inconclusive(`only ${roles.length} container(s) reported where they ran: co-location is unproven`);
  const missing = roles.filter((r) => !parties[r]);
  if (missing.length > 0) this.inconclusive(`${missing.join(', ')} could not read the kernel boot id: co-location is unproven`);
  if (new Set(Object.values(parties)).size !== 1) {
    // Apart: there is no neighbour to judge, which is no weakness (a platform spreading an account's containers).
    const asked = anchor && this.profile.semantics?.placement === 'swarm-affinity' ? ` although co-location was asked for (affinity:container==${anchor.slice(0, 12)})` : '';
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
  res(this).victim = id;
  await waitForLog(this, id, /beat=/, 20_000);
});

When('an offender limited to {string} of memory and {string} of memory plus swap allocates {string}', doc(
  'Runs the offender (no network, 32 pids) that allocates anonymous memory through `tail` and prints tail\'s own exit status; with a victim running, waits a second more, then stops the victim and reads its heartbeat.',
  'When an offender limited to "32m" of memory and "32m" of memory plus swap allocates "64m"',
  90_000,
), async function (this: KeelhaulWorld, memory: string, memsw: string, alloc: string) {
  const offender = await runMemoryOffender(this, memory, memsw, (scale) => memoryOffenderScript(Math.round((parseSize(alloc) * scale) / MiB)));
  const state = res(this);
  state.offender = { ...offender, status: offender.kv.get('alloc_exit') ?? (offender.killedWhole ? 'container-killed' : undefined), requested: Math.round(parseSize(alloc) * offender.scale) };
  if (state.victim) {
    await sleep(1000);
    const victim = await this.platform.inspectContainer(state.victim, this.signal);
    await this.platform.killContainer(state.victim);
    const kv = parseKeyValues((await this.platform.logs(state.victim, false, this.signal)).stdout);
    state.victimRun = { running: victim.State?.Running === true, oomKilled: victim.State?.OOMKilled === true, beats: kv.all('beat').map(Number) };
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
  res(this).offender = { ...offender, status: offender.kv.get('dd_exit') ?? (offender.killedWhole ? 'container-killed' : undefined), requested };
  // A /dev/shm smaller than what is written (ShmSize ignored: Triton) stops dd with ENOSPC, not the memory limit.
  const shmKb = num(offender.kv.get('shm.size_kb'));
  if (shmKb !== undefined && shmKb * 1024 < requested) {
    this.notApplicable(`/dev/shm is ${Math.round(shmKb / 1024)} MiB, smaller than the ${requested / MiB} MiB written (the platform ignores ShmSize): tmpfs cannot carry the offender past its memory limit here`);
  }
});

Then('the offender\'s allocation was killed at its limit', doc(
  'Passes when the offender\'s allocating process inside died (a non-zero status: 137 is the OOM killer\'s SIGKILL) and its cgroup shows the limit. A finding when it got everything it asked for: the limit is not enforced, whatever inspect says. The container\'s own exit code is not the evidence (PID 1 survives the child\'s OOM kill and exits 0).',
  'Then the offender\'s allocation was killed at its limit',
), function (this: KeelhaulWorld) {
  const o = needs(this, 'offender', 'offender ran');
  const inside = cgroupLimit(o.kv.get('memory.limit'));
  this.observe('offender', {
    requestedBytes: o.requested, limitBytes: o.limit, memoryLimitInside: inside ?? null, innerStatus: o.status ?? null,
    containerExitCode: o.inspect?.State?.ExitCode ?? null, oomKilled: o.inspect?.State?.OOMKilled ?? null,
    inspectMemory: o.inspect?.HostConfig?.Memory ?? null, oomKillCounter: num(o.kv.get('oom_kill')) ?? null,
    writtenKb: num(o.kv.get('written_kb')) ?? null, wholeContainerKilled: o.killedWhole,
  });
  settle(this, judgeAllocation({ ...o, insideRaw: o.kv.get('memory.limit'), inspectMemory: o.inspect?.HostConfig?.Memory ?? null }));
});

Then('only the offender was OOM-killed', doc(
  'The offender\'s inspect shows State.OOMKilled (or its cgroup\'s oom_kill counter rose); the victim was still running when the offender ended and was never OOM-killed.',
  'And only the offender was OOM-killed',
), function (this: KeelhaulWorld) {
  const o = needs(this, 'offender', 'offender ran');
  const v = needs(this, 'victimRun', 'victim ran');
  const seen = { byInspect: o.inspect?.State?.OOMKilled === true, byCounter: (num(o.kv.get('oom_kill')) ?? 0) > 0, bySignal: o.status === '137' || o.killedWhole, status: o.status, oomKillRaw: o.kv.get('oom_kill') };
  this.observe('oom', { offenderInspect: seen.byInspect, offenderCounter: seen.byCounter, offenderInnerStatus: o.status, wholeContainerKilled: o.killedWhole, victimRunning: v.running, victimOOMKilled: v.oomKilled });
  if (!seen.byInspect && (seen.byCounter || seen.bySignal)) this.observe('inspectDivergence', 'the offender was SIGKILLed at its memory limit but inspect State.OOMKilled is false');
  settle(this, judgeOomIsolation(seen, v));
});

Then('the victim\'s heartbeat went on with no gap over {int} seconds', doc(
  'Compares the victim\'s beats (host clock) with the offender\'s start and end: the longest silence over that window must stay under the bound, and beats must go on after the offender ended.',
  'And the victim\'s heartbeat went on with no gap over 2 seconds',
), function (this: KeelhaulWorld, maxGap: number) {
  const o = needs(this, 'offender', 'offender ran');
  const v = res(this).victimRun;
  const from = num(o.kv.get('start'));
  const to = o.end;
  if (!v || from === undefined || to === undefined) return this.inconclusive('the offender\'s window or the victim\'s beats are unknown');
  const gap = heartbeatGap(v.beats, from, to);
  this.observe('heartbeat', { ...gap, offenderWindowS: round(to - from, 2) });
  settle(this, judgeHeartbeat(gap, maxGap));
});

Then('what the offender sees of its memory is reported', doc(
  'Records `free` and /proc/meminfo inside against the limit (without lxcfs, cgroup v1 containers see the host\'s memory). Never fails.',
  'And what the offender sees of its memory is reported',
), function (this: KeelhaulWorld) {
  const o = needs(this, 'offender', 'offender ran');
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
  const o = needs(this, 'offender', 'offender ran');
  const raw = o.kv.get('memsw.limit');
  this.observe('memswInside', raw ?? null);
  // A package decides memory plus swap too (Triton: max_swap): judged against what the platform says it gave.
  const pkg = o.scale !== 1 ? { memorySwap: o.inspect?.HostConfig?.MemorySwap, label: o.inspect?.Config?.Labels?.['com.joyent.package'] } : undefined;
  settle(this, judgeMemsw(raw, { text: expected, bytes: parseSize(expected) }, pkg));
});

Then('the host\'s swap is reported', doc(
  'Records the swap `free` shows inside (the host\'s): with none, swap cannot carry anything past a limit on this host at all.',
  'And the host\'s swap is reported',
), function (this: KeelhaulWorld) {
  const swapKb = num(needs(this, 'offender', 'offender ran').kv.get('free.swap_kb'));
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
  const visible = visibleQuota(limits);
  const runs: Array<Record<string, SpinResult>> = [];
  for (let t = 1; t <= trials; t++) {
    progress(this, `trial ${t}/${trials}: ${cpus}-CPU container (${ncpu} loops) beside an unlimited baseline, ${seconds} s`);
    runs.push(await spinTogether(this, [{ role: 'limited', id: limited, loops: ncpu }, { role: 'baseline', id: baseline, loops: 1 }], seconds));
  }
  res(this).quota = { cpus, visible, runs, nproc: limits.get('nproc') };
  this.attach(JSON.stringify({ cpus, visibleQuota: visible, runs }, null, 2), { mediaType: 'application/json', fileName: 'cpu-quota.json' });
});

Then('the limited container used no more than its quota plus {int}% and {float} CPUs and was throttled', doc(
  'judgeQuota: the median CPU rate (cgroup CPU seconds per wall second) must stay under quota*(1+margin)+slack, and nr_throttled must rise. Outside load can only lower the rate, so the ceiling is safe on a busy machine; too little CPU and no throttling is inconclusive. A quota that is absent inside (-1) is a finding whatever inspect says.',
  'Then the limited container used no more than its quota plus 20% and 0.05 CPUs and was throttled',
), function (this: KeelhaulWorld, percent: number, slack: number) {
  const q = needs(this, 'quota', 'CPU quota measurement');
  const rates = q.runs.map((r) => r.limited!.cpuRate);
  if (rates.some((r) => typeof r !== 'number')) this.inconclusive('the container\'s cgroup CPU accounting (cpuacct.usage / cpu.stat) is unreadable');
  const measured = rates as number[];
  const throttled = q.runs.map((r) => r.limited!.throttledDelta ?? 0);
  this.observe('cpuQuota', { quotaCpus: q.cpus, ceilingCpus: round(q.cpus * (1 + percent / 100) + slack, 3), visibleQuotaCpus: q.visible ?? null, rates: measured, medianRate: median(measured), nrThrottledDeltas: throttled, nprocInside: q.nproc ?? null });
  apply(this, judgeQuota({ quotaCpus: q.cpus, rates: measured, throttled, visibleQuota: q.visible, relative: percent / 100, absolute: slack }));
});

Then('its throughput relative to the unlimited baseline is reported', doc(
  'Records the limited container\'s loop count over the one-loop unlimited baseline\'s in the same window (about the quota when the baseline gets a whole CPU; outside load raises it). Never fails.',
  'And its throughput relative to the unlimited baseline is reported',
), function (this: KeelhaulWorld) {
  const { runs } = needs(this, 'quota', 'CPU quota measurement');
  const ratios = runs.map((r) => round(r.limited!.iterations / Math.max(1, r.baseline!.iterations)));
  this.observe('throughputRatio', { perTrial: ratios, median: round(median(ratios)), baselineRates: runs.map((r) => r.baseline!.cpuRate ?? null) });
});

Given('a victim that spins on half of the host\'s CPUs and a neighbour with no CPU limit that spins on four times as many CPUs as the host has', doc(
  'Starts both (64 MiB, 64 pids, no network, equal default CPU weights). The victim asks for more than a thread\'s fair share, which is what makes a fairness test able to fail (attacks.md 4.4).',
  'Given a victim that spins on half of the host\'s CPUs and a neighbour with no CPU limit that spins on four times as many CPUs as the host has',
), async function (this: KeelhaulWorld) {
  const ncpu = await hostCpus(this);
  res(this).fair = {
    victim: await startIdle(this, {}), neighbour: await startIdle(this, {}),
    victimLoops: Math.max(1, Math.floor(ncpu / 2)), neighbourLoops: 4 * ncpu, runs: [],
  };
});

When('the victim is measured alone and beside the neighbour for {int} trials of {int} seconds', doc(
  'Interleaves trials: the victim alone, then victim and neighbour in the same window, so that drifting outside load touches both.',
  'When the victim is measured alone and beside the neighbour for 2 trials of 2 seconds',
  120_000,
), async function (this: KeelhaulWorld, trials: number, seconds: number) {
  const f = needs(this, 'fair', 'victim and neighbour');
  for (let t = 1; t <= trials; t++) {
    progress(this, `trial ${t}/${trials}: victim alone (${f.victimLoops} loop(s)), ${seconds} s`);
    const alone = await spinTogether(this, [{ role: 'victim', id: f.victim, loops: f.victimLoops }], seconds);
    progress(this, `trial ${t}/${trials}: victim beside a neighbour with ${f.neighbourLoops} loops, ${seconds} s`);
    const together = await spinTogether(this, [{ role: 'victim', id: f.victim, loops: f.victimLoops }, { role: 'neighbour', id: f.neighbour, loops: f.neighbourLoops }], seconds);
    f.runs.push({ alone: alone.victim!, together });
  }
  this.attach(JSON.stringify(f.runs, null, 2), { mediaType: 'application/json', fileName: 'cpu-fairness.json' });
});

Then('the victim kept at least {int}% of the CPU that it and the neighbour got together', doc(
  'judgeFairShare: the victim\'s loops over both containers\' loops in the same window (median of trials). Per-container scheduling gives 33% to 50%; scheduling threads, not containers, gives the victim its thread count\'s share (11% with 2 CPUs).',
  'Then the victim kept at least 22% of the CPU that it and the neighbour got together',
), function (this: KeelhaulWorld, percent: number) {
  const f = needs(this, 'fair', 'fairness measurement');
  const shares = f.runs.map((r) => round(r.together.victim!.iterations / Math.max(1, r.together.victim!.iterations + r.together.neighbour!.iterations)));
  const flat = f.victimLoops / (f.victimLoops + f.neighbourLoops);
  this.observe('fairShare', { perTrial: shares, median: round(median(shares)), minimum: percent / 100, threadLevelShare: round(flat), victimLoops: f.victimLoops, neighbourLoops: f.neighbourLoops });
  apply(this, judgeFairShare(shares, percent / 100, flat));
});

Then('the victim\'s throughput beside the neighbour relative to alone is reported', doc(
  'Records the contended over uncontended loop counts per trial (outside load moves this; it is reported, not judged).',
  'And the victim\'s throughput beside the neighbour relative to alone is reported',
), function (this: KeelhaulWorld) {
  const f = needs(this, 'fair', 'fairness measurement');
  const ratios = f.runs.map((r) => round(r.together.victim!.iterations / Math.max(1, r.alone.iterations)));
  this.observe('contendedOverAlone', { perTrial: ratios, median: round(median(ratios)), aloneIterations: f.runs.map((r) => r.alone.iterations) });
  // The CPU each got per trial (cgroup CPU seconds per wall second), for report.html's chart.
  const rates = (pick: (r: (typeof f.runs)[number]) => SpinResult) => f.runs.map((r) => (typeof pick(r).cpuRate === 'number' ? round(pick(r).cpuRate!, 3) : null));
  this.observe('cpuRates', {
    victimAlone: rates((r) => r.alone), victimBeside: rates((r) => r.together.victim!), neighbourBeside: rates((r) => r.together.neighbour!),
    victimLoops: f.victimLoops, neighbourLoops: f.neighbourLoops,
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
  res(this).weights = { heavy, light, runs };
  this.attach(JSON.stringify(runs, null, 2), { mediaType: 'application/json', fileName: 'cpu-shares.json' });
});

Then('the heavier container\'s throughput is at least {float} times the lighter one\'s', doc(
  'judgeWeights: the median ratio of loop counts must reach the bound (nominal: the weights\' ratio; equal weights give 1).',
  'Then the heavier container\'s throughput is at least 2 times the lighter one\'s',
), function (this: KeelhaulWorld, minRatio: number) {
  const w = needs(this, 'weights', 'CPU shares measurement');
  const ratios = w.runs.map((r) => round(r.heavy!.iterations / Math.max(1, r.light!.iterations), 2));
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
  res(this).pinned = { cpus, limits, spin: run.pinned! };
});

Then('it sees {int} CPU(s) and may run only on CPU {string}', doc(
  'nproc and /proc/self/status Cpus_allowed_list inside must match the cpuset.',
  'Then it sees 1 CPU and may run only on CPU "0"',
), function (this: KeelhaulWorld, n: number, cpus: string) {
  const p = needs(this, 'pinned', 'pinned container');
  this.observe('cpuset', { requested: p.cpus, nproc: p.limits.get('nproc'), cpusAllowed: p.limits.get('cpus_allowed'), cpusetInside: p.limits.get('cpuset') });
  settle(this, judgeCpuset(p.limits, n, cpus));
});

Then('it used no more than {int} CPU(s) plus {int}% and {float} CPUs', doc(
  'The pinned container\'s cgroup CPU rate while spinning more loops than its cpuset has CPUs.',
  'And it used no more than 1 CPU plus 20% and 0.05 CPUs',
), function (this: KeelhaulWorld, n: number, percent: number, slack: number) {
  const rate = needs(this, 'pinned', 'pinned container').spin.cpuRate;
  const verdict = judgePinnedRate(rate, n, percent, slack);
  if (verdict.outcome !== 'inconclusive') this.observe('pinnedCpuRate', { rate, ceiling: n * (1 + percent / 100) + slack });
  settle(this, verdict);
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
  res(this).flood = { id, limit, count, kv };
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
  res(this).forkVictim = { count, kv, timedOut: result.timedOut };
  party(this, 'victim', kv.get('boot_id'));
  await this.platform.killContainer(needs(this, 'flood', 'fork flood').id);
});

Then('the offender\'s flood stopped at its pids limit', doc(
  'The flood must stop before its count, at or under the limit, with a fork error; a flood that started everything is a finding (the pids limit is not enforced, whatever inspect says).',
  'Then the offender\'s flood stopped at its pids limit',
), function (this: KeelhaulWorld) {
  const f = needs(this, 'flood', 'fork flood');
  const forked = num(f.kv.get('forked'));
  const inside = f.kv.get('pids.max');
  this.observe('forkFlood', { limit: f.limit, attempted: f.count, started: forked ?? null, pidsMaxInside: inside ?? null, pidsCurrent: f.kv.get('pids.current') ?? null, forkError: f.kv.get('fork_err') ?? null });
  const declared = this.profile.divergences?.['CONF-C17'];
  settle(this, judgeFlood({ limit: f.limit, count: f.count, forked, pidsMaxInside: inside }, declared && { profile: this.profile.name, source: declared.source }));
});

Then('the victim forked all {int} processes', doc(
  'The victim\'s forks, made while the offender held its pids, must all succeed.',
  'And the victim forked all 20 processes',
), function (this: KeelhaulWorld, count: number) {
  const v = needs(this, 'forkVictim', 'forking victim');
  this.observe('victimForks', { asked: count, forked: v.kv.get('forked') ?? null, error: v.kv.get('fork_err') || null });
  settle(this, judgeVictimForks(v.kv, count));
});

When('a container with an nproc ulimit of {int} and a pids limit of {int} tries to start {int} processes', doc(
  'Root in a container with RLIMIT_NPROC set (counted per user across the whole host, moby#12898) and a pids limit above the count.',
  'When a container with an nproc ulimit of 10 and a pids limit of 64 tries to start 20 processes',
), async function (this: KeelhaulWorld, nproc: number, pids: number, count: number) {
  try {
    const result = await this.runContainer({
      cmd: ['sh', '-c', forkFloodScript(count, 0)],
      hostConfig: bounded(this, { PidsLimit: pids, Ulimits: [{ Name: 'nproc', Soft: nproc, Hard: nproc }] }),
    }, 30_000);
    res(this).nproc = { nproc, count, kv: parseKeyValues(result.stdout) };
  } catch (error) {
    if (!isRefusal(error)) throw error;
    this.observe('refused', error.rawMessage);
    this.notApplicable(`the platform refuses an nproc ulimit of ${nproc}: ${error.rawMessage}`);
  }
});

Then('how many processes it started is reported', doc(
  'Records how many started and the fork error. Root is exempt from RLIMIT_NPROC only with CAP_SYS_RESOURCE, and the count is per uid across the host, so the ulimit neither isolates containers nor stops a root flood: the pids cgroup does. Never fails.',
  'Then how many processes it started is reported',
), function (this: KeelhaulWorld) {
  const n = needs(this, 'nproc', 'nproc ulimit run');
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
  res(this).defaults = parseKeyValues(result.stdout);
  this.attach(result.stdout, { mediaType: 'text/plain', fileName: 'default-limits.txt' });
});

When('a container limited to {string} and {int} CPU(s) reads what it sees of them', doc(
  'Probes a container with a memory limit and NanoCpus.',
  'And a container limited to "128m" and 1 CPU reads what it sees of them',
), async function (this: KeelhaulWorld, memory: string, cpus: number) {
  const result = await this.probe(LIMITS_PROBE, { hostConfig: { Memory: parseSize(memory), NanoCpus: cpus * 1e9, PidsLimit: 64 } });
  res(this).view = { memory: parseSize(memory), cpus, kv: parseKeyValues(result.stdout) };
});

Then('the default pids and memory limits are reported', doc(
  'Records pids.max and the memory limit of a default container. Unlimited defaults are reported as exposures (attacks.md RES-08: Docker has none, Podman 2048 pids): it is the platform\'s documented default, not a finding.',
  'Then the default pids and memory limits are reported',
), function (this: KeelhaulWorld) {
  const kv = needs(this, 'defaults', 'default container');
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
  const v = needs(this, 'view', 'limited container');
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
  res(this).defaults = parseKeyValues((await this.probe(LIMITS_PROBE)).stdout);
});

Then('whether it shares per-user kernel limits with the host is reported', doc(
  'An identity uid_map (root is the host\'s root) means containers share the per-user kernel limits (RLIMIT_NPROC, inotify instances, keys) with each other and the host: reported as an exposure. A remapped user passes quietly.',
  'Then whether it shares per-user kernel limits with the host is reported',
), function (this: KeelhaulWorld) {
  const map = needs(this, 'defaults', 'default container').get('uid_map') ?? '';
  const identity = isIdentityUidMap(map);
  this.observe('uidMap', map);
  this.observe('sharesPerUserLimits', identity);
  if (identity) this.expose('containers run as the host\'s uid 0: per-user kernel limits (nproc, inotify instances, keys) are shared with the host and every other container');
});

// ---- I/O, disk, logs, shm (RES-10..13) ------------------------------------------------------------

Given('the platform supports device write limits', doc(
  'Finds the engine\'s data disk from inside a container (the file system holding /etc/hosts in /proc/self/mountinfo, with /sys/dev/block when visible). Not applicable on a platform with no such device (not cgroup based).',
  'Given the platform supports device write limits',
), async function (this: KeelhaulWorld) {
  const { path, majorMinor, throttle } = parseDataDevice((await this.probe(DATA_DEVICE_PROBE)).stdout);
  this.observe('dataDevice', { majorMinor: majorMinor ?? null, path: path ?? null });
  if (!path) this.notApplicable(`no block device backs the container's files (mountinfo major:minor ${majorMinor ?? 'none'})`);
  if (!throttle) this.notApplicable('the container has no blkio throttle or io.max interface');
  res(this).device = path;
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
  const result = await this.runContainer({ cmd: ['sh', '-c', ioThrottleScript(dMiB, bMiB)], hostConfig: bounded(this, { BlkioDeviceWriteBps: [{ Path: res(this).device, Rate: bps }] }) }, 60_000);
  const kv = parseKeyValues(result.stdout);
  this.attach(result.stdout + result.stderr, { mediaType: 'text/plain', fileName: 'io.txt' });
  if (kv.get('io') !== 'done') this.inconclusive(`the I/O measurement did not finish (exit ${result.exitCode}; ${result.stderr.trim().slice(0, 200)})`);
  if (kv.get('direct_exit') !== '0') this.inconclusive(`direct writes are not possible here: ${kv.get('direct_err')}`);
  res(this).io = { bps, directBytes: dMiB * MiB, bufferedBytes: bMiB * MiB, kv };
});

Then('its direct writes ran no faster than the limit plus {int}%', doc(
  'judgeWriteThrottle on the direct write\'s rate (outside load only slows writes, so the ceiling is safe).',
  'Then its direct writes ran no faster than the limit plus 50%',
), function (this: KeelhaulWorld, percent: number) {
  const io = needs(this, 'io', 'I/O measurement');
  const seconds = num(io.kv.get('direct_s')) ?? 0;
  const bytesPerSecond = io.directBytes / Math.max(seconds, 0.01);
  this.observe('directWrite', { limitBytesPerSecond: io.bps, bytes: io.directBytes, seconds, bytesPerSecond: Math.round(bytesPerSecond), throttleInside: io.kv.get('throttle') ?? null });
  apply(this, judgeWriteThrottle(bytesPerSecond, io.bps, percent / 100), ['BlkioDeviceWriteBps']);
});

Then('whether buffered writes were throttled is reported', doc(
  'Records the buffered write\'s rate: under cgroup v1 the page cache is written back outside the container\'s blkio throttle, so buffered writes are not throttled (attacks.md 4.4). Never fails.',
  'And whether buffered writes were throttled is reported',
), function (this: KeelhaulWorld) {
  const io = needs(this, 'io', 'I/O measurement');
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
    const result = await this.runContainer({ cmd: ['sh', '-c', BLKIO_WEIGHT_PROBE], hostConfig: bounded(this, { BlkioWeight: weight }) }, 30_000);
    res(this).weight = { requested: weight, kv: parseKeyValues(result.stdout) };
  } catch (error) {
    if (!isRefusal(error)) throw error;
    res(this).weight = { requested: weight, refused: error.rawMessage };
  }
});

Then('its I\\/O weight is {int}', doc(
  'Not applicable when the platform refuses the option or the kernel offers no blkio.weight / io.weight (Docker then discards the weight with "No blkio weight support"). A weight file showing another value is a finding.',
  'Then its I/O weight is 300',
), async function (this: KeelhaulWorld, weight: number) {
  const w = needs(this, 'weight', 'I/O weight run');
  const warning = ((await platformInfo(this)).Warnings ?? []).find((x: string) => /blkio weight/i.test(x));
  this.observe('blkioWeight', { requested: w.requested, inside: w.kv?.get('weight') ?? null, file: w.kv?.get('file') ?? null, bfqWeight: w.kv?.get('bfq') || null, scheduler: w.kv?.get('scheduler') ?? null, refused: w.refused ?? null, infoWarning: warning ?? null });
  settle(this, judgeBlkioWeight({ weight: w.kv?.get('weight'), scheduler: w.kv?.get('scheduler'), refused: w.refused }, weight, warning));
});

When('a container reports its root file system and writes {string} to it', doc(
  'Probes df of / (a host-sized file system means the container shares the engine\'s disk) and writes then deletes a bounded file.',
  'When a container reports its root file system and writes "16m" to it',
), async function (this: KeelhaulWorld, size: string) {
  const result = await this.runContainer({ cmd: ['sh', '-c', rootFsScript(Math.round(parseSize(size) / MiB))], hostConfig: bounded(this, {}) }, 30_000);
  res(this).disk = { kv: parseKeyValues(result.stdout), size: parseSize(size) };
});

When('a container with a {string} root file system quota writes {string} to it', doc(
  'Asks for StorageOpt size; a platform that refuses it is recorded (overlay2 needs xfs with pquota). When accepted, writes more than the quota and records whether the write stopped.',
  'And a container with a "64m" root file system quota writes "96m" to it',
), async function (this: KeelhaulWorld, quota: string, size: string) {
  const sizes = { quota: parseSize(quota), size: parseSize(size) };
  try {
    const result = await this.runContainer({ cmd: ['sh', '-c', storageQuotaScript(Math.round(parseSize(size) / MiB))], hostConfig: bounded(this, { StorageOpt: { size: quota } }) }, 60_000);
    res(this).storage = { ...sizes, kv: parseKeyValues(result.stdout) };
  } catch (error) {
    if (!isRefusal(error)) throw error;
    res(this).storage = { ...sizes, refused: error.rawMessage };
  }
});

Then('the root file system quota held, or its absence is reported', doc(
  'A quota that was accepted must stop the write at about its size (a finding otherwise). A platform that refuses the quota lacks the control: not applicable, with its message and what df shows.',
  'Then the root file system quota held, or its absence is reported',
), function (this: KeelhaulWorld) {
  const d = needs(this, 'disk', 'root file system probe');
  const q = needs(this, 'storage', 'disk quota run');
  const writtenBytes = q.kv ? (num(q.kv.get('written_kb')) ?? 0) * 1024 : null;
  this.observe('rootFs', { sizeBytes: (num(d.kv.get('root_kb')) ?? 0) * 1024, availableBytes: (num(d.kv.get('avail_kb')) ?? 0) * 1024, boundedWriteExit: d.kv.get('write_exit') ?? null });
  this.observe('storageQuota', { requestedBytes: q.quota, refused: q.refused ?? null, writtenBytes, error: q.kv?.get('err') ?? null });
  const verdict = judgeStorageQuota({ ...q, writeExit: q.kv?.get('write_exit'), writtenBytes: writtenBytes ?? 0 }, num(d.kv.get('root_kb')) ?? 0);
  if (verdict.outcome === 'finding') apply(this, verdict, ['StorageOpt']);
  settle(this, verdict);
});

When('a container writes {string} to its standard output', doc(
  'Runs a container that prints a bounded amount of text, and inspects its log configuration.',
  'When a container writes "2m" to its standard output',
), async function (this: KeelhaulWorld, size: string) {
  const result = await this.runContainer({ cmd: ['sh', '-c', logWriterScript(Math.round(parseSize(size) / 1024))], hostConfig: bounded(this, {}) }, 60_000);
  res(this).logs = { logConfig: result.inspect?.HostConfig?.LogConfig ?? null, bytesRead: result.stdout.length };
});

Then('its log rotation is reported', doc(
  'Passes with the log configuration recorded. A driver that keeps everything on the host (json-file or k8s-file with no max-size) is reported as an exposure: a container can fill the host\'s disk through its logs.',
  'Then its log rotation is reported',
), function (this: KeelhaulWorld) {
  const l = needs(this, 'logs', 'log writer');
  this.observe('logConfig', { type: l.logConfig?.Type ?? 'unknown', config: l.logConfig?.Config ?? null, bytesWritten: l.bytesRead });
  const unbounded = unboundedLogs(l.logConfig);
  if (unbounded) this.expose(unbounded);
});

When('a container with the platform\'s default \\/dev\\/shm writes {string} to it', doc(
  'Runs a container with the platform\'s default /dev/shm (and a 256 MiB memory limit, so nothing reaches the host) that fills /dev/shm with dd.',
  'When a container with the platform\'s default /dev/shm writes "96m" to it',
), async function (this: KeelhaulWorld, size: string) {
  const result = await this.runContainer({ cmd: ['sh', '-c', shmWriterScript(Math.round(parseSize(size) / MiB))], hostConfig: bounded(this, { Memory: 256 * MiB, MemorySwap: 256 * MiB }) }, 60_000);
  res(this).shm = { size: parseSize(size), kv: parseKeyValues(result.stdout) };
});

Then('\\/dev\\/shm holds at most {string} and the write stopped there', doc(
  'df of /dev/shm inside must be at most the bound and the write must not get past it.',
  'Then /dev/shm holds at most "64m" and the write stopped there',
), function (this: KeelhaulWorld, bound: string) {
  const s = needs(this, 'shm', '/dev/shm writer');
  const sizeBytes = (num(s.kv.get('shm.size_kb')) ?? 0) * 1024;
  const written = (num(s.kv.get('written_kb')) ?? 0) * 1024;
  this.observe('shm', { sizeBytes, writtenBytes: written, ddExit: s.kv.get('dd_exit') ?? null, ddError: s.kv.get('dd_err') || null });
  settle(this, judgeShm(sizeBytes, written, parseSize(bound)));
});

// ---- scheduler priority (RES-14) ------------------------------------------------------------------

When('a container with the platform\'s default settings tries to raise its CPU and I\\/O priority', doc(
  'Tries renice -n -10, ionice real-time class, and chrt FIFO 50 when the image has chrt; records each exit status and message.',
  'When a container with the platform\'s default settings tries to raise its CPU and I/O priority',
), async function (this: KeelhaulWorld) {
  res(this).prio = parseKeyValues((await this.runContainer({ cmd: ['sh', '-c', PRIORITY_SCRIPT], hostConfig: bounded(this, {}) }, 30_000)).stdout);
});

Then('every attempt was refused', doc(
  'Each available attempt must fail (EACCES/EPERM: no CAP_SYS_NICE, no CAP_SYS_ADMIN); an absent tool is recorded, not passed.',
  'Then every attempt was refused',
), function (this: KeelhaulWorld) {
  const { report, verdict } = judgePriority(needs(this, 'prio', 'priority attempt'));
  this.observe('priority', report);
  settle(this, verdict);
});
