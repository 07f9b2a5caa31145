// Noisy neighbours (RES-01..15; docs/noisy-neighbours.md): a bounded offender beside a victim,
// measured from inside both. The scripts, parsers and verdict rules are in judges/resources.ts, the
// parties and measurements in support/noisy-neighbours.ts, what each step does in
// support/resource-checks.ts; this file reads the arguments and documents the steps.
import { Given, Then, When } from '@cucumber/cucumber';
import { LIMITS_PROBE, MiB, PRIORITY_SCRIPT, logWriterScript, parseKeyValues, parseSize, rootFsScript, shmWriterScript } from '../judges/resources.js';
import { INFO_CONTROLS, bounded, res as slot } from '../support/noisy-neighbours.js';
import * as res from '../support/resource-checks.js';
import { doc, itemsFrom } from '../support/step-docs.js';
import type { KeelhaulWorld } from '../support/world.js';

// ---- preflight and co-location ----------------------------------------------------------------

Given('the platform supports the {string} control', doc(
  'Reads the control\'s flag from GET /info (MemoryLimit, SwapLimit, CpuCfsQuota, CPUShares, CPUSet, PidsLimit, ...). A platform that says it lacks the control makes the scenario not-applicable with that reason; a platform that does not say is measured anyway.',
  'Given the platform supports the "SwapLimit" control',
  undefined, itemsFrom('/info control flags', INFO_CONTROLS),
), function (this: KeelhaulWorld, flag: string) {
  return res.requireControl(this, flag);
});

Given('the host has at least {int} CPUs', doc(
  'Not applicable when /info NCPU is smaller (pinning cannot be shown on one CPU).',
  'Given the host has at least 2 CPUs',
), function (this: KeelhaulWorld, n: number) {
  return res.requireCpus(this, n);
});

When('the victim and the offender shared a host', doc(
  'The proof of co-location every RES verdict needs: every container of the scenario read the same kernel boot id (/proc/sys/kernel/random/boot_id), recorded with the platform\'s /info Name and ID. Parties on different kernels (a platform that spreads containers over servers, affinity or not) make the scenario not-applicable with that reason; an unreadable boot id makes it inconclusive. On a swarm-affinity platform (Triton) every party after the first asks to be placed beside it (affinity:container==<id> in Env and the com.docker.swarm.affinities label).',
  'And the victim and the offender shared a host',
), function (this: KeelhaulWorld) {
  return res.proveCoLocation(this);
});

// ---- memory (RES-01, RES-02) --------------------------------------------------------------------

Given('a victim container that writes a heartbeat every 0.1 s', doc(
  'Starts a victim (16 MiB, 16 pids, no network) printing the host clock every 0.1 s for at most 30 s, and waits for its first beat.',
  'Given a victim container that writes a heartbeat every 0.1 s',
), function (this: KeelhaulWorld) {
  return res.startHeartbeatVictim(this);
});

When('an offender limited to {string} of memory and {string} of memory plus swap allocates {string}', doc(
  'Runs the offender (no network, 32 pids) that allocates anonymous memory through `tail` and prints tail\'s own exit status; with a victim running, waits a second more, then stops the victim and reads its heartbeat.',
  'When an offender limited to "32m" of memory and "32m" of memory plus swap allocates "64m"',
  90_000,
), function (this: KeelhaulWorld, memory: string, memsw: string, alloc: string) {
  return res.runAllocatingOffender(this, memory, memsw, alloc);
});

When('an offender limited to {string} of memory and {string} of memory plus swap writes {string} to a {string} \\/dev\\/shm', doc(
  'Runs an offender that fills /dev/shm (tmpfs pages are charged to the memory cgroup and can go to swap when swap is not limited) with dd, and prints dd\'s own exit status.',
  'When an offender limited to "32m" of memory and "32m" of memory plus swap writes "48m" to a "128m" /dev/shm',
  90_000,
), function (this: KeelhaulWorld, memory: string, memsw: string, size: string, shm: string) {
  return res.runShmOffender(this, memory, memsw, size, shm);
});

Then('the offender\'s allocation was killed at its limit', doc(
  'Passes when the offender\'s allocating process inside died (a non-zero status: 137 is the OOM killer\'s SIGKILL) and its cgroup shows the limit. A finding when it got everything it asked for: the limit is not enforced, whatever inspect says. The container\'s own exit code is not the evidence (PID 1 survives the child\'s OOM kill and exits 0).',
  'Then the offender\'s allocation was killed at its limit',
), function (this: KeelhaulWorld) {
  return res.checkAllocationKilled(this);
});

Then('only the offender was OOM-killed', doc(
  'The offender\'s inspect shows State.OOMKilled (or its cgroup\'s oom_kill counter rose); the victim was still running when the offender ended and was never OOM-killed.',
  'And only the offender was OOM-killed',
), function (this: KeelhaulWorld) {
  return res.checkOnlyOffenderOomKilled(this);
});

Then('the victim\'s heartbeat went on with no gap over {int} seconds', doc(
  'Compares the victim\'s beats (host clock) with the offender\'s start and end: the longest silence over that window must stay under the bound, and beats must go on after the offender ended.',
  'And the victim\'s heartbeat went on with no gap over 2 seconds',
), function (this: KeelhaulWorld, maxGap: number) {
  return res.checkHeartbeat(this, maxGap);
});

Then('what the offender sees of its memory is reported', doc(
  'Records `free` and /proc/meminfo inside against the limit (without lxcfs, cgroup v1 containers see the host\'s memory). Never fails.',
  'And what the offender sees of its memory is reported',
), function (this: KeelhaulWorld) {
  return res.reportMemoryView(this);
});

Then('the offender\'s memory plus swap limit reads {string} inside', doc(
  'Reads memory.memsw.limit_in_bytes (v1) or memory.swap.max (v2, swap alone) inside the offender: unlimited or larger than asked is a finding (swap can carry the container past its memory limit).',
  'Then the offender\'s memory plus swap limit reads "32m" inside',
), function (this: KeelhaulWorld, expected: string) {
  return res.checkMemswInside(this, expected);
});

Then('the host\'s swap is reported', doc(
  'Records the swap `free` shows inside (the host\'s): with none, swap cannot carry anything past a limit on this host at all.',
  'And the host\'s swap is reported',
), function (this: KeelhaulWorld) {
  return res.reportHostSwap(this);
});

// ---- CPU (RES-03..06) -------------------------------------------------------------------------

When('a container limited to {float} CPUs spins beside an unlimited baseline for {int} trials of {int} seconds', doc(
  'Starts a container limited with NanoCpus (and CPU shares 4096, so that outside load cannot keep it under its quota) and an unlimited baseline (both 64 MiB, 64 pids, no network). Each trial spins the limited one on as many loops as the host has CPUs and the baseline on one loop, in the same window, reading cpuacct.usage and cpu.stat nr_throttled before and after.',
  'When a container limited to 0.25 CPUs spins beside an unlimited baseline for 2 trials of 2 seconds',
  120_000,
), function (this: KeelhaulWorld, cpus: number, trials: number, seconds: number) {
  return res.measureCpuQuota(this, cpus, trials, seconds);
});

Then('the limited container used no more than its quota plus {int}% and {float} CPUs and was throttled', doc(
  'judgeQuota: the median CPU rate (cgroup CPU seconds per wall second) must stay under quota*(1+margin)+slack, and nr_throttled must rise. Outside load can only lower the rate, so the ceiling is safe on a busy machine; too little CPU and no throttling is inconclusive. A quota that is absent inside (-1) is a finding whatever inspect says.',
  'Then the limited container used no more than its quota plus 20% and 0.05 CPUs and was throttled',
), function (this: KeelhaulWorld, percent: number, slack: number) {
  return res.checkCpuQuota(this, percent, slack);
});

Then('its throughput relative to the unlimited baseline is reported', doc(
  'Records the limited container\'s loop count over the one-loop unlimited baseline\'s in the same window (about the quota when the baseline gets a whole CPU; outside load raises it). Never fails.',
  'And its throughput relative to the unlimited baseline is reported',
), function (this: KeelhaulWorld) {
  return res.reportQuotaThroughput(this);
});

Given('a victim that spins on half of the host\'s CPUs and a neighbour with no CPU limit that spins on four times as many CPUs as the host has', doc(
  'Starts both (64 MiB, 64 pids, no network, equal default CPU weights). The victim asks for more than a thread\'s fair share, which is what makes a fairness test able to fail (attacks.md 4.4).',
  'Given a victim that spins on half of the host\'s CPUs and a neighbour with no CPU limit that spins on four times as many CPUs as the host has',
), function (this: KeelhaulWorld) {
  return res.startFairnessParties(this);
});

When('the victim is measured alone and beside the neighbour for {int} trials of {int} seconds', doc(
  'Interleaves trials: the victim alone, then victim and neighbour in the same window, so that drifting outside load touches both.',
  'When the victim is measured alone and beside the neighbour for 2 trials of 2 seconds',
  120_000,
), function (this: KeelhaulWorld, trials: number, seconds: number) {
  return res.measureFairness(this, trials, seconds);
});

Then('the victim kept at least {int}% of the CPU that it and the neighbour got together', doc(
  'judgeFairShare: the victim\'s loops over both containers\' loops in the same window (median of trials). Per-container scheduling gives 33% to 50%; scheduling threads, not containers, gives the victim its thread count\'s share (11% with 2 CPUs).',
  'Then the victim kept at least 22% of the CPU that it and the neighbour got together',
), function (this: KeelhaulWorld, percent: number) {
  return res.checkFairShare(this, percent);
});

Then('the victim\'s throughput beside the neighbour relative to alone is reported', doc(
  'Records the contended over uncontended loop counts per trial (outside load moves this; it is reported, not judged).',
  'And the victim\'s throughput beside the neighbour relative to alone is reported',
), function (this: KeelhaulWorld) {
  return res.reportContention(this);
});

When('containers with CPU shares {int} and {int} both spin on CPU {string} for {int} trials of {int} seconds', doc(
  'Starts two containers pinned to one CPU with the given CpuShares, and spins one loop in each in the same window: on one CPU the weights decide alone.',
  'When containers with CPU shares 4096 and 1024 both spin on CPU "0" for 2 trials of 2 seconds',
  120_000,
), function (this: KeelhaulWorld, heavy: number, light: number, cpu: string, trials: number, seconds: number) {
  return res.measureShares(this, heavy, light, cpu, trials, seconds);
});

Then('the heavier container\'s throughput is at least {float} times the lighter one\'s', doc(
  'judgeWeights: the median ratio of loop counts must reach the bound (nominal: the weights\' ratio; equal weights give 1).',
  'Then the heavier container\'s throughput is at least 2 times the lighter one\'s',
), function (this: KeelhaulWorld, minRatio: number) {
  return res.checkShares(this, minRatio);
});

When('a container pinned to CPU {string} spins on {int} loops for {int} second(s)', doc(
  'Starts a container with CpusetCpus, reads nproc, Cpus_allowed_list and cpuset.cpus, and spins the loops once.',
  'When a container pinned to CPU "0" spins on 2 loops for 1 second',
  60_000,
), function (this: KeelhaulWorld, cpus: string, loops: number, seconds: number) {
  return res.measurePinned(this, cpus, loops, seconds);
});

Then('it sees {int} CPU(s) and may run only on CPU {string}', doc(
  'nproc and /proc/self/status Cpus_allowed_list inside must match the cpuset.',
  'Then it sees 1 CPU and may run only on CPU "0"',
), function (this: KeelhaulWorld, n: number, cpus: string) {
  return res.checkCpuset(this, n, cpus);
});

Then('it used no more than {int} CPU(s) plus {int}% and {float} CPUs', doc(
  'The pinned container\'s cgroup CPU rate while spinning more loops than its cpuset has CPUs.',
  'And it used no more than 1 CPU plus 20% and 0.05 CPUs',
), function (this: KeelhaulWorld, n: number, percent: number, slack: number) {
  return res.checkPinnedRate(this, n, percent, slack);
});

// ---- pids (RES-07, RES-09) ----------------------------------------------------------------------

When('an offender with a pids limit of {int} tries to start {int} processes', doc(
  'Starts an offender whose bounded loop (never recursive) starts background sleeps until the count or the first fork failure, then holds its pids for 8 s.',
  'When an offender with a pids limit of 50 tries to start 100 processes',
  60_000,
), function (this: KeelhaulWorld, limit: number, count: number) {
  return res.startForkFlood(this, limit, count);
});

When('a victim forks {int} processes while the offender holds its pids', doc(
  'Runs a victim (64 pids, no network) that forks short-lived children one after another, while the offender still holds its processes; then stops the offender.',
  'And a victim forks 20 processes while the offender holds its pids',
  60_000,
), function (this: KeelhaulWorld, count: number) {
  return res.runForkVictim(this, count);
});

Then('the offender\'s flood stopped at its pids limit', doc(
  'The flood must stop before its count, at or under the limit, with a fork error; a flood that started everything is a finding (the pids limit is not enforced, whatever inspect says).',
  'Then the offender\'s flood stopped at its pids limit',
), function (this: KeelhaulWorld) {
  return res.checkFlood(this);
});

Then('the victim forked all {int} processes', doc(
  'The victim\'s forks, made while the offender held its pids, must all succeed.',
  'And the victim forked all 20 processes',
), function (this: KeelhaulWorld, count: number) {
  return res.checkVictimForks(this, count);
});

When('a container with an nproc ulimit of {int} and a pids limit of {int} tries to start {int} processes', doc(
  'Root in a container with RLIMIT_NPROC set (counted per user across the whole host, moby#12898) and a pids limit above the count.',
  'When a container with an nproc ulimit of 10 and a pids limit of 64 tries to start 20 processes',
), function (this: KeelhaulWorld, nproc: number, pids: number, count: number) {
  return res.runNprocFlood(this, nproc, pids, count);
});

Then('how many processes it started is reported', doc(
  'Records how many started and the fork error. Root is exempt from RLIMIT_NPROC only with CAP_SYS_RESOURCE, and the count is per uid across the host, so the ulimit neither isolates containers nor stops a root flood: the pids cgroup does. Never fails.',
  'Then how many processes it started is reported',
), function (this: KeelhaulWorld) {
  return res.reportNprocFlood(this);
});

// ---- defaults and views (RES-08, RES-15) --------------------------------------------------------

When('a container with the platform\'s default settings reads its own limits', doc(
  'Probes a container with no options: pids.max, memory limit, CPU quota and shares, cpuset, nproc, free.',
  'When a container with the platform\'s default settings reads its own limits',
), function (this: KeelhaulWorld) {
  return res.probeDefaultLimits(this);
});

When('a container limited to {string} and {int} CPU(s) reads what it sees of them', doc(
  'Probes a container with a memory limit and NanoCpus.',
  'And a container limited to "128m" and 1 CPU reads what it sees of them',
), async function (this: KeelhaulWorld, memory: string, cpus: number) {
  const result = await this.probe(LIMITS_PROBE, { hostConfig: { Memory: parseSize(memory), NanoCpus: cpus * 1e9, PidsLimit: 64 } });
  slot(this).view = { memory: parseSize(memory), cpus, kv: parseKeyValues(result.stdout) };
});

Then('the default pids and memory limits are reported', doc(
  'Records pids.max and the memory limit of a default container. Unlimited defaults are reported as exposures (attacks.md RES-08: Docker has none, Podman 2048 pids): it is the platform\'s documented default, not a finding.',
  'Then the default pids and memory limits are reported',
), function (this: KeelhaulWorld) {
  return res.reportDefaultLimits(this);
});

Then('what a limited container sees of its memory and CPUs is reported', doc(
  'Records what `free` and `nproc` show inside against the limits (the seeds show Triton\'s free reporting the package\'s 128M; cgroup v1 engines show the host\'s). Never fails.',
  'And what a limited container sees of its memory and CPUs is reported',
), function (this: KeelhaulWorld) {
  return res.reportLimitView(this);
});

When('a container with the platform\'s default settings reads its user mapping', doc(
  'Probes /proc/self/uid_map in a default container.',
  'When a container with the platform\'s default settings reads its user mapping',
), async function (this: KeelhaulWorld) {
  slot(this).defaults = parseKeyValues((await this.probe(LIMITS_PROBE)).stdout);
});

Then('whether it shares per-user kernel limits with the host is reported', doc(
  'An identity uid_map (root is the host\'s root) means containers share the per-user kernel limits (RLIMIT_NPROC, inotify instances, keys) with each other and the host: reported as an exposure. A remapped user passes quietly.',
  'Then whether it shares per-user kernel limits with the host is reported',
), function (this: KeelhaulWorld) {
  return res.reportUidMap(this);
});

// ---- I/O, disk, logs, shm (RES-10..13) ------------------------------------------------------------

Given('the platform supports device write limits', doc(
  'Finds the engine\'s data disk from inside a container (the file system holding /etc/hosts in /proc/self/mountinfo, with /sys/dev/block when visible). Not applicable on a platform with no such device (not cgroup based).',
  'Given the platform supports device write limits',
), function (this: KeelhaulWorld) {
  return res.requireDataDevice(this);
});

When('a container limited to {string} per second on its data disk writes {string} directly and {string} buffered', doc(
  'Runs a container with BlkioDeviceWriteBps on the data disk; times a dd with oflag=direct and a buffered dd on the host clock, then deletes the files.',
  'When a container limited to "5m" per second on its data disk writes "10m" directly and "10m" buffered',
  90_000,
), function (this: KeelhaulWorld, limit: string, direct: string, buffered: string) {
  return res.measureWriteThrottle(this, limit, direct, buffered);
});

Then('its direct writes ran no faster than the limit plus {int}%', doc(
  'judgeWriteThrottle on the direct write\'s rate (outside load only slows writes, so the ceiling is safe).',
  'Then its direct writes ran no faster than the limit plus 50%',
), function (this: KeelhaulWorld, percent: number) {
  return res.checkWriteThrottle(this, percent);
});

Then('whether buffered writes were throttled is reported', doc(
  'Records the buffered write\'s rate: under cgroup v1 the page cache is written back outside the container\'s blkio throttle, so buffered writes are not throttled (attacks.md 4.4). Never fails.',
  'And whether buffered writes were throttled is reported',
), function (this: KeelhaulWorld) {
  return res.reportBufferedWrites(this);
});

When('a container with a blkio weight of {int} reads its I\\/O weight', doc(
  'Runs a container with BlkioWeight and reads blkio.weight (v1) or io.weight (v2), the files engines apply it to, plus the BFQ weight and the disk\'s active I/O scheduler for the report. A platform that refuses the option is recorded.',
  'When a container with a blkio weight of 300 reads its I/O weight',
), function (this: KeelhaulWorld, weight: number) {
  return res.probeBlkioWeight(this, weight);
});

Then('its I\\/O weight is {int}', doc(
  'Not applicable when the platform refuses the option or the kernel offers no blkio.weight / io.weight (Docker then discards the weight with "No blkio weight support"). A weight file showing another value is a finding.',
  'Then its I/O weight is 300',
), function (this: KeelhaulWorld, weight: number) {
  return res.checkBlkioWeight(this, weight);
});

When('a container reports its root file system and writes {string} to it', doc(
  'Probes df of / (a host-sized file system means the container shares the engine\'s disk) and writes then deletes a bounded file.',
  'When a container reports its root file system and writes "16m" to it',
), async function (this: KeelhaulWorld, size: string) {
  const result = await this.runContainer({ cmd: ['sh', '-c', rootFsScript(Math.round(parseSize(size) / MiB))], hostConfig: bounded(this, {}) }, 30_000);
  slot(this).disk = { kv: parseKeyValues(result.stdout), size: parseSize(size) };
});

When('a container with a {string} root file system quota writes {string} to it', doc(
  'Asks for StorageOpt size; a platform that refuses it is recorded (overlay2 needs xfs with pquota). When accepted, writes more than the quota and records whether the write stopped.',
  'And a container with a "64m" root file system quota writes "96m" to it',
), function (this: KeelhaulWorld, quota: string, size: string) {
  return res.runStorageQuota(this, quota, size);
});

Then('the root file system quota held, or its absence is reported', doc(
  'A quota that was accepted must stop the write at about its size (a finding otherwise). A platform that refuses the quota lacks the control: not applicable, with its message and what df shows.',
  'Then the root file system quota held, or its absence is reported',
), function (this: KeelhaulWorld) {
  return res.checkStorageQuota(this);
});

When('a container writes {string} to its standard output', doc(
  'Runs a container that prints a bounded amount of text, and inspects its log configuration.',
  'When a container writes "2m" to its standard output',
), async function (this: KeelhaulWorld, size: string) {
  const result = await this.runContainer({ cmd: ['sh', '-c', logWriterScript(Math.round(parseSize(size) / 1024))], hostConfig: bounded(this, {}) }, 60_000);
  slot(this).logs = { logConfig: result.inspect?.HostConfig?.LogConfig ?? null, bytesRead: result.stdout.length };
});

Then('its log rotation is reported', doc(
  'Passes with the log configuration recorded. A driver that keeps everything on the host (json-file or k8s-file with no max-size) is reported as an exposure: a container can fill the host\'s disk through its logs.',
  'Then its log rotation is reported',
), function (this: KeelhaulWorld) {
  return res.reportLogRotation(this);
});

When('a container with the platform\'s default \\/dev\\/shm writes {string} to it', doc(
  'Runs a container with the platform\'s default /dev/shm (and a 256 MiB memory limit, so nothing reaches the host) that fills /dev/shm with dd.',
  'When a container with the platform\'s default /dev/shm writes "96m" to it',
), async function (this: KeelhaulWorld, size: string) {
  const result = await this.runContainer({ cmd: ['sh', '-c', shmWriterScript(Math.round(parseSize(size) / MiB))], hostConfig: bounded(this, { Memory: 256 * MiB, MemorySwap: 256 * MiB }) }, 60_000);
  slot(this).shm = { size: parseSize(size), kv: parseKeyValues(result.stdout) };
});

Then('\\/dev\\/shm holds at most {string} and the write stopped there', doc(
  'df of /dev/shm inside must be at most the bound and the write must not get past it.',
  'Then /dev/shm holds at most "64m" and the write stopped there',
), function (this: KeelhaulWorld, bound: string) {
  return res.checkShm(this, bound);
});

// ---- scheduler priority (RES-14) ------------------------------------------------------------------

When('a container with the platform\'s default settings tries to raise its CPU and I\\/O priority', doc(
  'Tries renice -n -10, ionice real-time class, and chrt FIFO 50 when the image has chrt; records each exit status and message.',
  'When a container with the platform\'s default settings tries to raise its CPU and I/O priority',
), async function (this: KeelhaulWorld) {
  slot(this).prio = parseKeyValues((await this.runContainer({ cmd: ['sh', '-c', PRIORITY_SCRIPT], hostConfig: bounded(this, {}) }, 30_000)).stdout);
});

Then('every attempt was refused', doc(
  'Each available attempt must fail (EACCES/EPERM: no CAP_SYS_NICE, no CAP_SYS_ADMIN); an absent tool is recorded, not passed.',
  'Then every attempt was refused',
), function (this: KeelhaulWorld) {
  return res.checkPriorityRefused(this);
});
