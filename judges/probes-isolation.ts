// Probe scripts for the isolation and hardening families, and their decoders. One busybox `sh`
// script per container prints key=value lines; repeated keys (mnt, sock, exists) are collected.
// The probe only reads, except for attempts that change nothing even when they succeed:
// `unshare -U true` (a throw-away user namespace for one child), `nsenter` into the shell's own uts
// namespace, `hostname` set to its current value (skipped when the uts namespace is the host's),
// `mount` of a filesystem type that does not exist (the permission check comes first), a device node
// in the container's /tmp opened read-only for zero bytes, `ping` of loopback, and
// `( true >> /proc/sys/kernel/core_pattern )`: an open for append that writes nothing.

/** Paths moby and podman mask (moby oci/defaults.go; newer releases add /proc/interrupts and powercap). */
export const MASKED_PATHS = [
  '/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug', '/proc/latency_stats', '/proc/timer_stats',
  '/proc/scsi', '/proc/acpi', '/sys/firmware',
];
/** Kernel interfaces that must be read-only inside a container (moby readonlyPaths, plus /sys). */
export const KERNEL_INTERFACES = ['/proc/sys', '/proc/sysrq-trigger', '/proc/irq', '/proc/bus', '/proc/fs', '/sys', '/sys/kernel/uevent_helper'];
/** Masked only by newer engines: reported, not judged. */
export const MASKED_PATHS_NEWER = ['/proc/interrupts', '/sys/devices/virtual/powercap'];

const ATTEMPT = (name: string, command: string) =>
  `o=$( ( ${command} ) 2>&1 ); echo "try.${name}=$?:$(printf %s "$o" | tr '\\n' ' ' | head -c 200)"`;

export const ISOLATION_PROBE = [
  'for k in CapEff CapBnd CapInh CapAmb Seccomp NoNewPrivs; do echo "$k=$(sed -n "s/^$k:[[:space:]]*//p" /proc/self/status)"; done',
  'echo "cap_last_cap=$(cat /proc/sys/kernel/cap_last_cap 2>/dev/null)"',
  'for n in pid net ipc uts mnt user cgroup; do echo "ns.$n=$(readlink /proc/self/ns/$n 2>/dev/null)"; done',
  'echo "kernel=$(uname -r)"',
  'echo "uid_map=$(head -n 1 /proc/self/uid_map | tr -s " " | sed "s/^ //")"',
  'echo "lsm=$(cat /proc/self/attr/current 2>/dev/null | tr -d "\\0")"',
  'while IFS= read -r l; do echo "mnt=$l"; done < /proc/self/mountinfo',
  'while IFS= read -r l; do echo "cgroup=$l"; done < /proc/self/cgroup',
  // Every path looked at is reported either way, so a step can tell "absent" from "never examined".
  `for p in ${[...MASKED_PATHS, ...MASKED_PATHS_NEWER, ...KERNEL_INTERFACES, '/proc/sys/kernel/core_pattern'].join(' ')}; do if [ -e "$p" ]; then echo "exists=$p"; else echo "absent=$p"; fi; done`,
  'echo "oom_score_adj=$(cat /proc/self/oom_score_adj 2>/dev/null)"',
  'echo "oom_kill_disable=$(sed -n "s/^oom_kill_disable //p" /sys/fs/cgroup/memory/memory.oom_control 2>/dev/null)"',
  'echo "swappiness=$(cat /proc/sys/vm/swappiness 2>/dev/null)"',
  'echo "mem_limit=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max 2>/dev/null)"',
  'echo "pids_limit=$(cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max 2>/dev/null)"',
  'echo "cpu_quota=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cut -d " " -f 1 /sys/fs/cgroup/cpu.max 2>/dev/null)"',
  'echo "devices_list=$(head -n 3 /sys/fs/cgroup/devices/devices.list 2>/dev/null | tr \'\\n\' \';\')"',
  'echo "kallsyms=$(head -n 1 /proc/kallsyms 2>/dev/null | cut -d " " -f 1)"',
  'echo "procs=$(ls -d /proc/[0-9]* 2>/dev/null | wc -l)"',
  // Sockets: on the root filesystem, and any mount point that is itself a socket (a bind-mounted one).
  'find / -xdev -type s 2>/dev/null | head -n 20 | while IFS= read -r s; do echo "sock=$s"; done',
  'awk \'{ print $5 }\' /proc/self/mountinfo | while IFS= read -r m; do [ -S "$m" ] && echo "sock=$m"; done',
  // cgroup filesystems: open each controller's cgroup.procs for append (writes nothing). Under a user
  // namespace the mounts are rw but the files belong to the host's root, so the flags alone mislead.
  'awk \'{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) ~ /^cgroup2?$/) print $5; break } }\' /proc/self/mountinfo | while IFS= read -r m; do',
  '  o=$( ( true >> "$m/cgroup.procs" ) 2>&1 ); echo "cgw=$m|$?:$(printf %s "$o" | tr \'\\n\' \' \' | head -c 120)"',
  'done',
  // Attempts (see the header: none of them changes anything when it succeeds).
  ATTEMPT('unshare_user', 'unshare -U true'),
  ATTEMPT('setns', 'nsenter -t $$ -u true'),
  ATTEMPT('syslog', 'dmesg -s 64 >/dev/null'),
  'if [ "$(readlink /proc/self/ns/uts)" = "uts:[4026531838]" ]; then echo "try.sethostname=skipped:the uts namespace is the host\'s"; else',
  ATTEMPT('sethostname', 'hostname "$(hostname)"'),
  'fi',
  ATTEMPT('mount', 'mount -t keelhaul-no-such-fs none /tmp'),
  ATTEMPT('core_pattern_open', 'true >> /proc/sys/kernel/core_pattern'),
  ATTEMPT('raw_socket', 'ping -c 1 -W 1 127.0.0.1 >/dev/null'),
  // Device nodes the device cgroup must refuse: the disk behind the engine's file binds (field 3 of a
  // /dev-backed mount), a loop device and /dev/fuse. Each node is created in /tmp, opened read-only
  // for nothing (`true < node`) and removed.
  'dev=$(awk \'{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 2) ~ /^\\/dev\\//) { print $3; exit } ; break } }\' /proc/self/mountinfo)',
  'echo "blockdev=$dev"',
  'for n in ${dev:+"b:$dev"} b:7:0 c:10:229; do',
  '  t=${n%%:*}; mm=${n#*:}; f=/tmp/keelhaul-dev; rm -f $f',
  '  o=$(mknod $f $t ${mm%%:*} ${mm#*:} 2>&1); r=$?; echo "mknod=$t $mm|$r:$(printf %s "$o" | tr \'\\n\' \' \')"',
  '  if [ $r -eq 0 ]; then o=$( ( true < $f ) 2>&1 ); echo "devopen=$t $mm|$?:$(printf %s "$o" | tr \'\\n\' \' \')"; fi',
  '  rm -f $f',
  'done',
  'if [ -n "$KEELHAUL_DEVICE" ]; then', ATTEMPT('open_device', 'true < "$KEELHAUL_DEVICE"'), 'fi',
  'if [ -n "$KEELHAUL_HOSTDIR" ]; then echo "hostdir_entries=$(ls "$KEELHAUL_HOSTDIR" 2>/dev/null | wc -l)"; fi',
  'echo "probe=done"',
].join('\n');

export interface Attempt {
  ok: boolean;
  exit: number;
  message: string;
  skipped?: boolean;
}

export interface ProbeReport {
  values: Record<string, string>;
  mountLines: string[];
  cgroupLines: string[];
  sockets: string[];
  exists: string[];
  /** Paths examined and found absent (with `exists`: every path the probe looked at). */
  absent: string[];
  attempts: Record<string, Attempt>;
  /** Attempts per subject: cgw (cgroup mount point -> open cgroup.procs for append), mknod and devopen ("b 7:0"). */
  keyed: Record<string, Record<string, Attempt>>;
}

const MULTI = new Set(['mnt', 'cgroup', 'sock', 'exists', 'absent']);
/** Keys whose values are `SUBJECT|exit:message` attempts, collected per subject. */
const KEYED = new Set(['cgw', 'mknod', 'devopen', 'wopen']);

export function parseIsolationProbe(stdout: string): ProbeReport {
  const report: ProbeReport = { values: {}, mountLines: [], cgroupLines: [], sockets: [], exists: [], absent: [], attempts: {}, keyed: {} };
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1);
    if (KEYED.has(key)) {
      const bar = value.lastIndexOf('|');
      if (bar > 0) (report.keyed[key] ??= {})[value.slice(0, bar)] = parseAttempt(value.slice(bar + 1));
    } else if (MULTI.has(key)) {
      if (key === 'mnt') report.mountLines.push(value);
      else if (key === 'cgroup') report.cgroupLines.push(value);
      else if (key === 'sock') { if (!report.sockets.includes(value)) report.sockets.push(value); }
      else if (key === 'absent') report.absent.push(value);
      else report.exists.push(value);
    } else if (key.startsWith('try.')) {
      report.attempts[key.slice(4)] = parseAttempt(value);
    } else {
      report.values[key] = value.trim();
    }
  }
  return report;
}

export function parseAttempt(value: string): Attempt {
  const colon = value.indexOf(':');
  const head = colon < 0 ? value : value.slice(0, colon);
  const message = (colon < 0 ? '' : value.slice(colon + 1)).trim();
  if (head === 'skipped') return { ok: false, exit: -1, message, skipped: true };
  const exit = Number(head);
  return { ok: exit === 0, exit, message };
}

/** Did the kernel (seccomp, capabilities, device cgroup, LSM) refuse the attempt? */
export function refused(attempt: Attempt | undefined): boolean | 'unknown' {
  if (!attempt || attempt.skipped) return 'unknown';
  if (attempt.ok) return false;
  if (/not permitted|permission denied|read-only file system|EPERM|EACCES|EROFS/i.test(attempt.message)) return true;
  // The applet is missing, or it failed for a reason unrelated to permission: nothing proven.
  if (/not found|applet/i.test(attempt.message)) return 'unknown';
  return 'unknown';
}

/**
 * `mount -t keelhaul-no-such-fs`: the permission check comes before the filesystem type lookup, so
 * "No such device" (or any non-permission error) means the container was allowed to mount.
 */
export function mountRefused(attempt: Attempt | undefined): boolean | 'unknown' {
  if (!attempt || attempt.skipped) return 'unknown';
  if (/not permitted|permission denied/i.test(attempt.message)) return true;
  if (/no such device|unknown filesystem|no such file/i.test(attempt.message) || attempt.ok) return false;
  return 'unknown';
}

export function incompleteIsolationProbe(report: ProbeReport): string | undefined {
  if (report.values.probe !== 'done') return 'the probe did not finish';
  if (!/^[0-9a-f]{16}$/.test(report.values.CapEff ?? '')) return `the probe found no readable capability set (CapEff="${report.values.CapEff ?? ''}")`;
  if (report.mountLines.length === 0) return 'the probe could not read /proc/self/mountinfo';
  return undefined;
}

// ---- paths a step names (issue 14: no verdict on a path nobody looked at) ---------------------------

/**
 * For paths a feature names that the shared probe does not examine: run in a container of the same
 * configuration, the paths given in $KEELHAUL_PATHS (one a line, never spliced into the script).
 * Reports each path as exists/absent, where a symlink leads (`resolved=PATH|REAL`), the mount table,
 * and, with $KEELHAUL_OPEN_FOR_WRITING set, an open for append that writes nothing (`wopen`), tried
 * on regular files only: opening a device or a FIFO can have effects of its own.
 */
export const PATH_PROBE = [
  'printf "%s\\n" "$KEELHAUL_PATHS" | while IFS= read -r p; do',
  '  [ -n "$p" ] || continue',
  '  if [ -e "$p" ]; then echo "exists=$p"; echo "resolved=$p|$(readlink -f "$p" 2>/dev/null)"; else echo "absent=$p"; continue; fi',
  '  if [ -n "$KEELHAUL_OPEN_FOR_WRITING" ]; then',
  '    if [ -f "$p" ]; then o=$( ( true >> "$p" ) 2>&1 ); echo "wopen=$p|$?:$(printf %s "$o" | tr \'\\n\' \' \' | head -c 200)"',
  '    else echo "wopen=$p|skipped:not a regular file, not opened"; fi',
  '  fi',
  'done',
  'while IFS= read -r l; do echo "mnt=$l"; done < /proc/self/mountinfo',
  'echo "probe=done"',
].join('\n');

/** `resolved=PATH|REAL` lines of the path probe: where each existing path really is. */
export function resolvedPaths(stdout: string): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('resolved=')) continue;
    const value = line.slice('resolved='.length);
    const bar = value.lastIndexOf('|');
    if (bar > 0 && value.slice(bar + 1)) resolved[value.slice(0, bar)] = value.slice(bar + 1);
  }
  return resolved;
}

// ---- sibling containers (ISO-03..05) -------------------------------------------------------------

/** Container A: reports its namespaces, leaves a marker file, and waits with the marker in its command line. */
export function siblingScript(marker: string): string {
  return [
    'for n in pid net ipc uts mnt user cgroup; do echo "ns.$n=$(readlink /proc/self/ns/$n 2>/dev/null)"; done',
    `touch /tmp/${marker}`,
    'echo "ready=yes"',
    // The marker must stay in this process's command line: no exec.
    `sleep 120; echo ${marker} >/dev/null`,
  ].join('\n');
}

/**
 * Container B: its namespaces, how many processes it sees, whether it finds A's marker in any
 * command line (built from two halves, so B's own command line never contains it), whether it can
 * reach A's marker file, and whether it could signal A (`kill -0` sends nothing).
 */
export function observerScript(marker: string): string {
  const cut = marker.lastIndexOf('-');
  const [head, tail] = [marker.slice(0, cut), marker.slice(cut + 1)];
  return [
    'for n in pid net ipc uts mnt user cgroup; do echo "ns.$n=$(readlink /proc/self/ns/$n 2>/dev/null)"; done',
    'echo "procs=$(ls -d /proc/[0-9]* 2>/dev/null | wc -l)"',
    `h=${head}; t=${tail}; m="$h-$t"`,
    'for d in /proc/[0-9]*; do',
    '  p=${d#/proc/}; [ "$p" = "$$" ] && continue',
    '  c=$(tr "\\0" " " < "$d/cmdline" 2>/dev/null)',
    '  case "$c" in *"$m"*)',
    '    echo "seen=$p"',
    '    [ -e "$d/root/tmp/$m" ] && echo "file_via_proc=$d/root/tmp/$m"',
    '    o=$(kill -0 "$p" 2>&1); echo "signal=$?:$(printf %s "$o" | tr "\\n" " ")"',
    '  ;; esac',
    'done',
    'f=$(find / -xdev -name "$m" 2>/dev/null | head -n 1); [ -n "$f" ] && echo "file=$f"',
    'echo "probe=done"',
  ].join('\n');
}
