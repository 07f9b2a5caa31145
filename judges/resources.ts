// Noisy neighbours (RES-*): the busybox scripts that measure resource isolation from inside a
// container, the parsers for what they print, and the rules that turn numbers into verdicts.
// Pure: no I/O. The rules carry margins wide enough that a shared, noisy 2-core machine gives
// the same verdict every time (attacks.md 4.4, 4.5): every CPU verdict compares quantities that
// outside noise scales alike (a share of what two containers got together, a cgroup's own CPU
// time against the wall clock, a throttling counter), never an absolute throughput.
import { MiB, cgroupLimit, cpuMaxCpus, num, parseKeyValues, type KeyValues } from './formats.js';
import { finding, inconclusive, notApplicable, pass, type Verdict } from './verdict.js';

export type { Verdict } from './verdict.js';

// ---- parsing (key=value lines, cgroup limits and sizes: judges/formats.ts, the one home) ---------

export { MiB, cgroupLimit, cpuMaxCpus, num, parseKeyValues, parseSize, type KeyValues } from './formats.js';

/** cpu.stat: "nr_periods 30\nnr_throttled 28\n..." -> { nr_periods: 30, ... } */
export function parseCpuStat(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(\w+)\s+(\d+)$/.exec(line.trim());
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** The block device (mount source and major:minor) of the file system that holds /etc/hosts: the engine's data disk. */
export function dataDeviceFromMountinfo(mountinfo: string): { device?: string; majorMinor?: string } {
  for (const line of mountinfo.split('\n')) {
    const fields = line.trim().split(' ');
    if (fields[4] !== '/etc/hosts') continue;
    const dash = fields.indexOf('-');
    const source = dash > 0 ? fields[dash + 2] : undefined;
    return { majorMinor: fields[2], device: source && source.startsWith('/dev/') ? source : undefined };
  }
  return {};
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

// ---- the measuring scripts --------------------------------------------------------------------

/** Shell functions every RES script starts with: cgroup v1/v2 file lookup and the host clock. */
export const RES_PRELUDE = [
  'cg() { for f in "$@"; do if [ -r "$f" ]; then cat "$f"; return; fi; done; echo NA; }',
  'now() { cut -d" " -f1 /proc/uptime; }',
  'CPUACCT="/sys/fs/cgroup/cpuacct/cpuacct.usage /sys/fs/cgroup/cpu,cpuacct/cpuacct.usage"',
  'CPUSTAT="/sys/fs/cgroup/cpu/cpu.stat /sys/fs/cgroup/cpu,cpuacct/cpu.stat /sys/fs/cgroup/cpu.stat"',
  'usage() { u=$(cg $CPUACCT); if [ "$u" = NA ]; then u=$(cg /sys/fs/cgroup/cpu.stat | awk \'$1=="usage_usec"{print $2*1000}\'); fi; echo "${u:-NA}"; }',
  'throttled() { cg $CPUSTAT | awk \'$1=="nr_throttled"{print $2}\'; }',
  'echo "boot_id=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null)"',
].join('\n');

/** What a container can read about its own limits (cgroup v1 and v2 paths). */
export const LIMITS_PROBE = [
  RES_PRELUDE,
  'echo "memory.limit=$(cg /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max)"',
  'echo "memsw.limit=$(cg /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes /sys/fs/cgroup/memory.swap.max)"',
  'echo "pids.max=$(cg /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max)"',
  'echo "cfs_quota=$(cg /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us)"',
  'echo "cfs_period=$(cg /sys/fs/cgroup/cpu/cpu.cfs_period_us /sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us)"',
  'echo "cpu.max=$(cg /sys/fs/cgroup/cpu.max)"',
  'echo "cpu.shares=$(cg /sys/fs/cgroup/cpu/cpu.shares /sys/fs/cgroup/cpu.weight)"',
  'echo "cpuset=$(cg /sys/fs/cgroup/cpuset/cpuset.cpus /sys/fs/cgroup/cpuset.cpus.effective)"',
  'echo "nproc=$(nproc 2>/dev/null)"',
  'echo "cpus_allowed=$(sed -n "s/^Cpus_allowed_list:[[:space:]]*//p" /proc/self/status)"',
  'echo "free.total_kb=$(free 2>/dev/null | awk \'$1=="Mem:"{print $2}\')"',
  'echo "free.swap_kb=$(free 2>/dev/null | awk \'$1=="Swap:"{print $2}\')"',
  'echo "meminfo.total_kb=$(awk \'$1=="MemTotal:"{print $2}\' /proc/meminfo)"',
  'echo "uid_map=$(head -n 1 /proc/self/uid_map | tr -s " " | sed "s/^ //")"',
].join('\n');

/**
 * CPU measurement, run by exec in an idle container: wait until the host clock reaches $1
 * (hundredths of a second of /proc/uptime, shared by every container on one kernel), then spin
 * $2 counting loops for $3 seconds; print each loop's count and the cgroup's CPU time and
 * throttling counter before and after. Starting every party at the same host instant makes
 * victim and offender measure the same window.
 */
export const SPIN_SCRIPT = [
  RES_PRELUDE,
  'START=$1; K=$2; T=$3',
  'w=0; while [ "$(now | tr -d .)" -lt "$START" ] && [ $w -lt 500 ]; do sleep 0.02; w=$((w+1)); done',
  'echo "u0=$(now)"; echo "c0=$(usage)"; echo "thr0=$(throttled)"',
  'i=0; while [ $i -lt "$K" ]; do timeout -s TERM "$T" sh -c \'n=0; trap "echo iter=\\$n; exit 0" TERM; while :; do n=$((n+1)); done\' & i=$((i+1)); done; wait',
  'echo "u1=$(now)"; echo "c1=$(usage)"; echo "thr1=$(throttled)"',
  'echo "spin=done"',
].join('\n');

export interface SpinResult {
  iterations: number;
  loops: number;
  wallS: number;
  /** CPU seconds of the container's cgroup per wall second (1.0 = one full CPU), when readable. */
  cpuRate?: number;
  throttledDelta?: number;
  bootId?: string;
}

export function parseSpin(text: string): SpinResult | undefined {
  const kv = parseKeyValues(text);
  if (kv.get('spin') !== 'done') return undefined;
  const iters = kv.all('iter').map(Number).filter(Number.isFinite);
  const u0 = num(kv.get('u0'));
  const u1 = num(kv.get('u1'));
  if (u0 === undefined || u1 === undefined || u1 <= u0) return undefined;
  const wallS = u1 - u0;
  const c0 = num(kv.get('c0'));
  const c1 = num(kv.get('c1'));
  const t0 = num(kv.get('thr0'));
  const t1 = num(kv.get('thr1'));
  return {
    iterations: iters.reduce((a, b) => a + b, 0),
    loops: iters.length,
    wallS: round(wallS, 2),
    cpuRate: c0 !== undefined && c1 !== undefined ? round((c1 - c0) / 1e9 / wallS) : undefined,
    throttledDelta: t0 !== undefined && t1 !== undefined ? t1 - t0 : undefined,
    bootId: kv.get('boot_id') || undefined,
  };
}

/**
 * The memory offender: report its limits, allocate `allocMiB` of anonymous memory through
 * `tail` (which buffers newline-less input: peak RSS about the input size), print tail's own exit
 * status (137 = SIGKILL, the OOM killer), and exit 0 so that only State.OOMKilled and the inner
 * status tell what happened: the kernel kills the child while PID 1 lives on (attacks.md 4.4).
 */
export function memoryOffenderScript(allocMiB: number): string {
  return [
    LIMITS_PROBE,
    'echo "start=$(now)"; echo "wall=$(date +%s)"',
    `head -c ${allocMiB}m /dev/zero | tail > /dev/null; echo "alloc_exit=$?"`,
    'echo "end=$(now)"',
    'echo "failcnt=$(cg /sys/fs/cgroup/memory/memory.failcnt)"',
    'echo "oom_kill=$(cg /sys/fs/cgroup/memory/memory.oom_control /sys/fs/cgroup/memory.events | awk \'$1=="oom_kill"{print $2}\')"',
    'echo "offender=done"',
  ].join('\n');
}

/** Write `mib` MiB to /dev/shm (tmpfs: charged to the memory cgroup), print dd's status and what got written. */
export function shmWriterScript(mib: number): string {
  return [
    LIMITS_PROBE,
    'echo "shm.size_kb=$(df -k /dev/shm | awk \'NR==2{print $2}\')"',
    'echo "start=$(now)"; echo "wall=$(date +%s)"',
    `dd if=/dev/zero of=/dev/shm/keelhaul-fill bs=1M count=${mib} 2>/tmp/dd.err; echo "dd_exit=$?"`,
    'echo "dd_err=$(tr "\\n" " " < /tmp/dd.err)"',
    'echo "written_kb=$(du -k /dev/shm/keelhaul-fill 2>/dev/null | cut -f1)"',
    'rm -f /dev/shm/keelhaul-fill',
    'echo "end=$(now)"',
    'echo "offender=done"',
  ].join('\n');
}

/** The victim's heartbeat: a line with the host clock every 0.1 s, at most `beats` of them. */
export function heartbeatScript(beats: number): string {
  return [
    RES_PRELUDE,
    `i=0; while [ $i -lt ${beats} ]; do echo "beat=$(now)"; i=$((i+1)); sleep 0.1; done`,
    'echo "victim=done"',
  ].join('\n');
}

/**
 * A bounded fork flood: a subshell starts at most `count` background sleeps (never recursive) and
 * dies at the first fork failure (ash exits on "can't fork"); then, with builtins only (a fork
 * would fail at the limit), report how many started and the error, and hold for `holdS` seconds
 * so the pids stay taken while the victim forks.
 */
export function forkFloodScript(count: number, holdS: number): string {
  return [
    LIMITS_PROBE,
    'mkfifo /tmp/hold; echo 0 > /tmp/n; true > /tmp/fork.err',
    `( i=0; while [ $i -lt ${count} ]; do sleep ${holdS + 5} & i=$((i+1)); echo $i > /tmp/n; done ) 2>/tmp/fork.err`,
    'read n < /tmp/n; echo "forked=$n"',
    'e=""; read e < /tmp/fork.err; echo "fork_err=$e"',
    'pc=NA; read pc < /sys/fs/cgroup/pids/pids.current || read pc < /sys/fs/cgroup/pids.current; echo "pids.current=$pc"',
    'echo "flood=done"',
    `read -t ${holdS} x <> /tmp/hold`,
    'echo "held=done"',
  ].join('\n');
}

/** The victim's side of a fork flood: fork `count` short-lived children one after another. */
export function forkVictimScript(count: number): string {
  return [
    RES_PRELUDE,
    `ok=0; i=0; while [ $i -lt ${count} ]; do if ( true ); then ok=$((ok+1)); fi; i=$((i+1)); done 2>/tmp/err`,
    'echo "forked=$ok"',
    'echo "fork_err=$(head -n 1 /tmp/err)"',
    'echo "victim=done"',
  ].join('\n');
}

// ---- rules ---------------------------------------------------------------------------------

/** Beats (host uptime seconds) -> the longest silence within [from, to], and whether beats went on after `to`. */
export function heartbeatGap(beats: number[], from: number, to: number): { maxGapS: number; before: number; during: number; after: number } {
  const sorted = [...beats].sort((a, b) => a - b);
  let maxGap = 0;
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (b >= from && a <= to) maxGap = Math.max(maxGap, b - a);
  }
  return {
    maxGapS: round(maxGap, 2),
    before: sorted.filter((b) => b < from).length,
    during: sorted.filter((b) => b >= from && b <= to).length,
    after: sorted.filter((b) => b > to).length,
  };
}

export interface QuotaJudgement {
  quotaCpus: number;
  /** Per trial: the limited container's CPU rate and its nr_throttled increase. */
  rates: number[];
  throttled: number[];
  /** cfs_quota_us / cfs_period_us read inside, in CPUs ('unlimited' when -1 / max). */
  visibleQuota?: number | 'unlimited';
  /** Allowed overshoot: rate <= quota * (1 + relative) + absolute. */
  relative?: number;
  absolute?: number;
}

/**
 * RES-03: a CPU quota is honoured when the container's own CPU time never exceeds the quota by
 * more than the margin, and the kernel throttled it. Noise can only push the rate down, never up,
 * so the upper bound is safe on a busy machine; a container that got far less than its quota and
 * was never throttled proves nothing (inconclusive).
 */
export function judgeQuota(j: QuotaJudgement): Verdict {
  const relative = j.relative ?? 0.2;
  const absolute = j.absolute ?? 0.05;
  const ceiling = j.quotaCpus * (1 + relative) + absolute;
  const rate = median(j.rates);
  const throttled = j.throttled.reduce((a, b) => a + b, 0);
  if (j.visibleQuota === 'unlimited') {
    return { outcome: 'finding', why: `the container's cgroup has no CPU quota (cfs_quota_us -1) although ${j.quotaCpus} CPUs were requested; it used ${round(rate, 2)} CPUs` };
  }
  if (rate > ceiling) {
    return { outcome: 'finding', why: `the container used ${round(rate, 2)} CPUs (median of ${j.rates.length} trials) with a quota of ${j.quotaCpus}: more than the ${round(ceiling, 2)} allowed` };
  }
  if (throttled === 0) {
    // Reaching the quota without a single throttled period is impossible under a working quota;
    // falling short of it only means the machine was too busy to tell.
    if (rate < j.quotaCpus * 0.9) {
      return { outcome: 'inconclusive', why: `the container got only ${round(rate, 2)} CPUs and was never throttled: the machine was too busy to reach the quota of ${j.quotaCpus}` };
    }
    return { outcome: 'finding', why: `the container reached ${round(rate, 2)} CPUs and the kernel never throttled it (nr_throttled did not rise): no quota is enforced` };
  }
  return { outcome: 'pass', why: `${round(rate, 2)} CPUs used under a quota of ${j.quotaCpus} (ceiling ${round(ceiling, 2)}), throttled ${throttled} times` };
}

/**
 * RES-04: the victim's share of the CPU that victim and neighbour got together in the same
 * window. Per-container scheduling gives a victim that asks for half the machine between a third
 * (its group's weight on one CPU against half the neighbour's) and a half (observed 0.35 to 0.49
 * under heavy outside load); scheduling threads instead of containers gives it its thread count's
 * share (1 of 9 with 8 neighbour loops on 2 CPUs: 0.11). Outside noise scales both alike.
 */
export function judgeFairShare(shares: number[], minShare: number, flatShare: number): Verdict {
  const share = median(shares);
  if (share < minShare) {
    return { outcome: 'finding', why: `the victim got ${round(share * 100, 1)}% of the CPU it and the neighbour received together (at least ${round(minShare * 100)}% expected; ${round(flatShare * 100)}% is what thread-level scheduling with no container isolation gives)` };
  }
  return { outcome: 'pass', why: `the victim kept ${round(share * 100, 1)}% of the contended CPU (minimum ${round(minShare * 100)}%)` };
}

/** RES-05: the heavier container's throughput over the lighter one's, against the minimum ratio. */
export function judgeWeights(ratios: number[], minRatio: number, nominal: number): Verdict {
  const ratio = median(ratios);
  if (!Number.isFinite(ratio)) return { outcome: 'inconclusive', why: 'no throughput was measured' };
  if (ratio < minRatio) {
    return { outcome: 'finding', why: `the weighted containers' throughput ratio is ${round(ratio, 2)}:1, below ${minRatio}:1 (weights ${nominal}:1; equal weights give 1:1)` };
  }
  return { outcome: 'pass', why: `throughput ratio ${round(ratio, 2)}:1 for weights ${nominal}:1 (minimum ${minRatio}:1)` };
}

/** Bytes per second for a write of `bytes` that took `seconds`. */
export function rate(bytes: number, seconds: number): number {
  return seconds > 0 ? bytes / seconds : Number.POSITIVE_INFINITY;
}

/** RES-10: a direct write through a throttled device must not beat the limit by more than the margin. */
export function judgeWriteThrottle(bytesPerSecond: number, limit: number, relative = 0.5): Verdict {
  const ceiling = limit * (1 + relative);
  const mb = (n: number) => `${round(n / 1e6, 2)} MB/s`;
  if (bytesPerSecond > ceiling) {
    return { outcome: 'finding', why: `direct writes ran at ${mb(bytesPerSecond)} through a ${mb(limit)} limit (ceiling ${mb(ceiling)})` };
  }
  return { outcome: 'pass', why: `direct writes ran at ${mb(bytesPerSecond)} under a ${mb(limit)} limit` };
}

// ---- the one-shot probes of RES-08..15 ---------------------------------------------------------

/** The engine's data disk: mountinfo, the /sys/dev/block name of the device holding /etc/hosts, and the throttle files. */
export const DATA_DEVICE_PROBE = 'cat /proc/self/mountinfo; mm=$(awk \'$5=="/etc/hosts"{print $3}\' /proc/self/mountinfo); echo "uevent.$(grep DEVNAME /sys/dev/block/$mm/uevent 2>/dev/null)"; ls /sys/fs/cgroup/blkio/blkio.throttle.write_bps_device /sys/fs/cgroup/io.max 2>/dev/null';

/** What DATA_DEVICE_PROBE found: the device's path, and whether the container has a write throttle interface. */
export function parseDataDevice(stdout: string): { path?: string; majorMinor?: string; throttle: boolean } {
  const { device, majorMinor } = dataDeviceFromMountinfo(stdout);
  const devname = /uevent\.DEVNAME=(\S+)/.exec(stdout)?.[1];
  return { path: devname ? `/dev/${devname}` : device, majorMinor, throttle: /blkio\.throttle\.write_bps_device|io\.max/.test(stdout) };
}

/** Time a direct (oflag=direct) and a buffered write of whole MiB on the host clock, then delete both files. */
export function ioThrottleScript(directMiB: number, bufferedMiB: number): string {
  return [
    'now() { cut -d" " -f1 /proc/uptime; }',
    'echo "throttle=$(cat /sys/fs/cgroup/blkio/blkio.throttle.write_bps_device /sys/fs/cgroup/io.max 2>/dev/null | tr "\\n" " ")"',
    `a=$(now); dd if=/dev/zero of=/keelhaul-direct bs=1M count=${directMiB} oflag=direct 2>/tmp/e1; echo "direct_exit=$?"; b=$(now)`,
    'echo "direct_s=$(echo "$b $a" | awk \'{print $1-$2}\')"; echo "direct_err=$(tail -n 1 /tmp/e1)"',
    `a=$(now); dd if=/dev/zero of=/keelhaul-buffered bs=1M count=${bufferedMiB} 2>/tmp/e2; echo "buffered_exit=$?"; b=$(now)`,
    'echo "buffered_s=$(echo "$b $a" | awk \'{print $1-$2}\')"',
    'rm -f /keelhaul-direct /keelhaul-buffered; echo "io=done"',
  ].join('\n');
}

/** The I/O weight files engines apply BlkioWeight to (v1, v2), the BFQ weight and the disk's scheduler. */
export const BLKIO_WEIGHT_PROBE = 'for f in /sys/fs/cgroup/blkio/blkio.weight /sys/fs/cgroup/io.weight; do [ -r $f ] && echo "weight=$(head -n 1 $f)" && echo "file=$f" && break; done; echo "bfq=$(head -n 1 /sys/fs/cgroup/blkio/blkio.bfq.weight /sys/fs/cgroup/io.bfq.weight 2>/dev/null | tail -n 1)"; echo "scheduler=$(cat /sys/block/*/queue/scheduler 2>/dev/null | head -n 1)"; echo done=1';

/** df of / and a bounded write of `mib` MiB to it, deleted again. */
export function rootFsScript(mib: number): string {
  return `echo "root_kb=$(df -k / | awk 'NR==2{print $2}')"; echo "avail_kb=$(df -k / | awk 'NR==2{print $4}')"; dd if=/dev/zero of=/keelhaul-fill bs=1M count=${mib} 2>/dev/null; echo "write_exit=$?"; rm -f /keelhaul-fill`;
}

/** Write `mib` MiB to / (past a quota, when there is one) and report what got written and dd's error. */
export function storageQuotaScript(mib: number): string {
  return `echo "root_kb=$(df -k / | awk 'NR==2{print $2}')"; dd if=/dev/zero of=/keelhaul-fill bs=1M count=${mib} 2>/tmp/e; echo "write_exit=$?"; echo "written_kb=$(du -k /keelhaul-fill | cut -f1)"; echo "err=$(tail -n 1 /tmp/e)"; rm -f /keelhaul-fill`;
}

/** Print about `kib` KiB of text to standard output, in lines of 64 KiB. */
export function logWriterScript(kib: number): string {
  return `i=0; while [ $i -lt ${Math.ceil(kib / 64)} ]; do head -c 65535 /dev/zero | tr '\\0' x; echo; i=$((i+1)); done`;
}

/** Try to raise CPU and I/O priority (renice, ionice real-time, chrt FIFO when present): each exit status and message. */
export const PRIORITY_SCRIPT = [
  'renice -n -10 -p $$ >/tmp/o 2>&1; echo "renice=$?"; echo "renice_msg=$(tail -n 1 /tmp/o)"',
  'ionice -c 1 -n 0 -p $$ >/tmp/o 2>&1; echo "ionice=$?"; echo "ionice_msg=$(tail -n 1 /tmp/o)"',
  'if command -v chrt >/dev/null 2>&1; then chrt -f -p 50 $$ >/tmp/o 2>&1; echo "chrt=$?"; echo "chrt_msg=$(tail -n 1 /tmp/o)"; else echo "chrt=absent"; fi',
  'echo "nice_now=$(cut -d" " -f19 /proc/self/stat)"',
].join('\n');

// ---- the rules of RES-01, 02, 06..15 -----------------------------------------------------------

/** The CPU quota the limited container sees, in CPUs: v1 cfs quota over period, else v2 cpu.max. */
export function visibleQuota(limits: KeyValues): number | 'unlimited' | undefined {
  const quota = cgroupLimit(limits.get('cfs_quota'));
  const period = num(limits.get('cfs_period'));
  const visible = quota === 'unlimited' ? 'unlimited' : typeof quota === 'number' && period ? quota / period : undefined;
  return visible ?? cpuMaxCpus(limits.get('cpu.max'));
}

export interface AllocationSeen {
  /** The allocating process's own exit status ('0': it got everything), or 'container-killed'. */
  status?: string;
  requested: number;
  limit: number;
  asked: number;
  /** Package over request (1: the platform gave what was asked). */
  scale: number;
  /** memory.limit_in_bytes / memory.max as read inside. */
  insideRaw?: string;
  inspectMemory: unknown;
}

/** RES-01/02: the offender's allocation must die at its limit, and its cgroup must show that limit. */
export function judgeAllocation(o: AllocationSeen): Verdict {
  const inside = cgroupLimit(o.insideRaw);
  if (o.status === undefined) return inconclusive('the offender did not report its allocation\'s exit status');
  if (o.status === '0') {
    return finding(`the offender got all ${o.requested / MiB} MiB it asked for in a container limited to ${o.limit / MiB} MiB${o.scale !== 1 ? ` (the platform's package for ${o.asked / MiB} MiB)` : ''} (memory limit inside: ${inside === 'unlimited' ? 'none' : inside}; inspect HostConfig.Memory: ${o.inspectMemory})`);
  }
  if (inside === 'unlimited' || (typeof inside === 'number' && inside > o.limit)) {
    return finding(`the offender's cgroup memory limit is ${inside} although the platform ${o.scale !== 1 ? 'chose' : 'was asked for'} ${o.limit}`);
  }
  return pass(`the offender's allocation ended with status ${o.status} under a ${o.limit / MiB} MiB limit`);
}

/** RES-01: the OOM kill must take the offender (by inspect, its cgroup counter or its SIGKILL) and spare the victim. */
export function judgeOomIsolation(o: { byInspect: boolean; byCounter: boolean; bySignal: boolean; status?: string; oomKillRaw?: string }, victim: { running: boolean; oomKilled: boolean; completed?: boolean }): Verdict {
  if (victim.oomKilled) return finding('the victim was OOM-killed by its neighbour\'s allocation');
  // A victim that printed its last line ended its own bounded heartbeat: the offender outlasted it (a
  // slow, loaded machine: seen in CI), which says nothing about the neighbour; one that did not was stopped.
  if (!victim.running && victim.completed) return inconclusive('the victim\'s bounded heartbeat ended on its own before the offender did: the machine was too slow to watch the victim through the allocation');
  if (!victim.running) return finding('the victim had stopped by the time the offender ended');
  if (!(o.byInspect || o.byCounter || o.bySignal)) return finding(`no OOM kill is recorded for the offender (inner status ${o.status}, State.OOMKilled false, oom_kill counter ${o.oomKillRaw})`);
  return pass('only the offender was OOM-killed');
}

/** RES-01: the victim's heartbeat must go on after the offender, with no silence over `maxGapS`. */
export function judgeHeartbeat(gap: { maxGapS: number; after: number }, maxGapS: number): Verdict {
  if (!(gap.after > 0)) return finding('the victim\'s heartbeat stopped while the offender ran');
  if (gap.maxGapS > maxGapS) return finding(`the victim's heartbeat stalled for ${gap.maxGapS} s while the offender ran`);
  return pass(`the victim's longest silence was ${gap.maxGapS} s`);
}

/**
 * RES-02: the memory plus swap limit inside (v1 memsw, v2 swap.max) must be at most the request, or
 * where a package decides it (Triton max_swap), at most what the platform says it gave.
 */
export function judgeMemsw(raw: string | undefined, expected: { text: string; bytes: number }, pkg?: { memorySwap: unknown; label?: string }): Verdict {
  const value = cgroupLimit(raw);
  if (value === undefined) return inconclusive(`the memory plus swap limit is unreadable inside ("${raw}")`);
  if (value === 'unlimited') return finding(`the offender has no memory plus swap limit inside (${raw}) although ${expected.text} was requested`);
  if (pkg) {
    const chosen = Number(pkg.memorySwap);
    if (!(chosen > 0)) return inconclusive(`the platform's package decides the swap limit, and inspect reports none (MemorySwap ${pkg.memorySwap})`);
    if (value > chosen) return finding(`memory plus swap limit inside is ${value}, more than the ${chosen} the platform reports (package ${pkg.label ?? 'unnamed'})`);
    return pass(`memory plus swap limit inside is ${value}, within the package's ${chosen}`);
  }
  if (value > expected.bytes) return finding(`memory plus swap limit inside is ${value}, more than the ${expected.bytes} requested`);
  return pass(`memory plus swap limit inside is ${value}`);
}

/**
 * RES-07: a fork flood must stop at its pids limit. A platform whose own declared cap (profile
 * CONF-C17: Triton's zone max_lwps) replaces the request is judged against that cap: a flood far
 * under it shows nothing, and is not forked to thousands on a shared platform.
 */
export function judgeFlood(f: { limit: number; count: number; forked?: number; pidsMaxInside?: string }, declaredCap?: { profile: string; source?: string }): Verdict {
  const { forked } = f;
  if (forked === undefined) return inconclusive('the offender did not report how many processes it started');
  const capInside = Number(f.pidsMaxInside);
  if (forked >= f.count && declaredCap && Number.isInteger(capInside) && capInside > f.count) {
    return notApplicable(`the platform replaces the pids limit of ${f.limit} with its own cap of ${capInside} (pids.max inside; profile ${declaredCap.profile} declares it: CONF-C17${declaredCap.source ? `, ${declaredCap.source}` : ''}): a flood of ${f.count} cannot reach it`);
  }
  if (forked >= f.count) return finding(`the offender started all ${forked} processes under a pids limit of ${f.limit} (pids.max inside: ${f.pidsMaxInside})`);
  if (forked > f.limit) return finding(`the offender started ${forked} processes under a pids limit of ${f.limit}`);
  return pass(`the flood stopped at ${forked} processes under a pids limit of ${f.limit}`);
}

/** RES-07: the victim's forks, made while the offender held its pids, must all succeed. */
export function judgeVictimForks(kv: KeyValues, count: number): Verdict {
  if (Number(kv.get('forked')) !== count) return finding(`the victim could fork only ${kv.get('forked')} of ${count} (${kv.get('fork_err')})`);
  return pass(`the victim forked all ${count}`);
}

/** RES-06: nproc and Cpus_allowed_list inside must match the cpuset. */
export function judgeCpuset(limits: KeyValues, n: number, cpus: string): Verdict {
  if (limits.get('cpus_allowed') !== cpus) return finding(`the container may run on CPUs outside its cpuset (Cpus_allowed_list ${limits.get('cpus_allowed')}, cpuset ${cpus})`);
  if (Number(limits.get('nproc')) !== n) return finding(`nproc inside is ${limits.get('nproc')}, not ${n}`);
  return pass(`it sees ${n} CPU(s) and may run only on ${cpus}`);
}

/** RES-06: a pinned container's cgroup CPU rate must stay within its cpuset's CPUs plus the margin. */
export function judgePinnedRate(rate: number | undefined, n: number, percent: number, slack: number): Verdict {
  if (typeof rate !== 'number') return inconclusive('the container\'s CPU accounting is unreadable');
  const ceiling = n * (1 + percent / 100) + slack;
  if (rate > ceiling) return finding(`the pinned container used ${rate} CPUs (ceiling ${ceiling})`);
  return pass(`the pinned container used ${rate} CPUs (ceiling ${ceiling})`);
}

/** RES-10: a weight file must show the weight asked for; a refused option or no weight file is not applicable. */
export function judgeBlkioWeight(w: { weight?: string; scheduler?: string; refused?: string }, requested: number, infoWarning?: string): Verdict {
  if (w.refused) return notApplicable(`the platform refuses BlkioWeight: ${w.refused}`);
  if (w.weight === undefined) {
    return notApplicable(`blkio weight is unsupported: the kernel offers no blkio.weight or io.weight file, so the weight is discarded (I/O scheduler ${w.scheduler || 'unknown'}${infoWarning ? `; /info: ${infoWarning}` : ''})`);
  }
  if (Number(w.weight.replace(/^default\s+/, '')) !== requested) return finding(`the container's I/O weight is ${w.weight}, not ${requested}`);
  return pass(`the container's I/O weight is ${requested}`);
}

/** RES-11: an accepted disk quota must stop the write; a refused one means there is no such control. */
export function judgeStorageQuota(q: { quota: number; size: number; refused?: string; writeExit?: string; writtenBytes: number }, sharedRootKb: number): Verdict {
  if (q.refused) return notApplicable(`no per-container disk quota: the platform refuses StorageOpt size (${q.refused}); containers share a ${Math.round(sharedRootKb / 1024 / 1024)} GiB file system`);
  if (q.writeExit === '0' && q.writtenBytes >= q.size) return finding(`the platform accepted a ${q.quota / MiB} MiB disk quota but the container wrote ${Math.round(q.writtenBytes / MiB)} MiB`);
  return pass(`the ${q.quota / MiB} MiB disk quota held`);
}

/** RES-12: a log driver keeping everything on the host (json-file, k8s-file, no max-size) lets a container fill its disk. */
export function unboundedLogs(logConfig: { Type?: string; Config?: Record<string, string> } | null): string | undefined {
  const type = logConfig?.Type ?? 'unknown';
  if (!logConfig?.Config?.['max-size'] && /json-file|k8s-file|local|unknown/.test(type) && type !== 'local') return `container logs are unbounded: log driver ${type} with no max-size`;
  return undefined;
}

/** RES-13: /dev/shm must be at most the bound, and the write must not get past its size. */
export function judgeShm(sizeBytes: number, writtenBytes: number, boundBytes: number): Verdict {
  if (!sizeBytes) return inconclusive('/dev/shm size is unreadable');
  if (sizeBytes > boundBytes) return finding(`/dev/shm is ${Math.round(sizeBytes / MiB)} MiB, more than ${Math.round(boundBytes / MiB)} MiB`);
  if (writtenBytes > sizeBytes + MiB) return finding(`the container wrote ${Math.round(writtenBytes / MiB)} MiB to a ${Math.round(sizeBytes / MiB)} MiB /dev/shm`);
  return pass(`/dev/shm is ${Math.round(sizeBytes / MiB)} MiB and the write stopped there`);
}

/** RES-14: every priority raise the image could try must have been refused (an absent tool is recorded, not passed). */
export function judgePriority(kv: KeyValues): { report: Record<string, string | null>; verdict: Verdict } {
  const report: Record<string, string | null> = {};
  const succeeded: string[] = [];
  for (const tool of ['renice', 'ionice', 'chrt']) {
    const status = kv.get(tool);
    report[tool] = status === undefined ? null : status === 'absent' ? 'absent' : `${status}: ${kv.get(`${tool}_msg`) ?? ''}`.trim();
    if (status === '0') succeeded.push(tool);
  }
  if (kv.get('renice') === undefined) return { report, verdict: inconclusive('the priority attempts did not run') };
  if (succeeded.length > 0) return { report, verdict: finding(`the container raised its priority with ${succeeded.join(', ')}`) };
  return { report, verdict: pass('every attempt to raise the priority was refused') };
}

/** RES-15: an identity uid_map (root is the host's root) shares per-user kernel limits with the host. */
export function isIdentityUidMap(map: string): boolean {
  return /^0 0 \d+$/.test(map);
}
