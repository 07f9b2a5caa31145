// Probes for escapes judged by their precondition, never by exploiting them (ISO-19, ISO-20).
//
// ISO-19, CVE-2024-21626: runc before 1.1.12 leaked a host directory descriptor into the container's
// init, so a working directory of /proc/self/fd/N put the process in a host directory outside its
// root. The probe container runs only `readlink /proc/self/cwd` and stats "." (metadata, nothing
// read): a cwd outside the container's root is one whose path, looked up from the container's root,
// is not the directory it is in (or not a path at all).
//
// ISO-20: helpers/keelhaul-syscalls.c asks for system calls the engines' default seccomp profiles
// forbid, with arguments the kernel rejects before doing anything; EPERM/ENOSYS is a refusal, any
// other error means the call reached the kernel's argument checks, so no filter stopped it.
import { keyValueRecord } from './formats.js';

export const SYSCALL_HELPER_PATH = '/bin/keelhaul-syscalls';

/** The script ISO-19 runs in a container whose working directory is /proc/self/fd/N. */
export const CWD_PROBE = [
  'c=$(readlink /proc/self/cwd 2>&1); echo "cwd=$c"',
  'echo "dot=$(stat -c %d:%i . 2>&1)"',
  'echo "named=$(stat -c %d:%i "$c" 2>&1)"',
  'echo "getcwd=$(pwd -P 2>&1)"',
  'echo "probe=done"',
].join('\n');

export interface CwdObservation {
  fd: number;
  /** Refused at create or start, with the platform's words. */
  refused?: string;
  cwd?: string;
  outside?: boolean;
  why: string;
}

export function judgeCwd(fd: number, stdout: string): CwdObservation {
  const v = keyValueRecord(stdout);
  if (v.probe !== 'done' || v.cwd === undefined) return { fd, why: `the probe did not finish (${stdout.trim().slice(0, 120) || 'no output'})` };
  const dev = /^\d+:\d+$/;
  if (!v.cwd.startsWith('/')) return { fd, cwd: v.cwd, outside: true, why: `readlink /proc/self/cwd says "${v.cwd}": not a path in the container` };
  if (!dev.test(v.dot ?? '')) return { fd, cwd: v.cwd, why: `stat . failed (${v.dot})` };
  if (v.named !== v.dot) {
    return { fd, cwd: v.cwd, outside: true, why: `the working directory (${v.dot}) is not "${v.cwd}" as seen from the container's root (${v.named}); getcwd says "${v.getcwd || '(error)'}": it lies outside the container's root` };
  }
  return { fd, cwd: v.cwd, outside: false, why: `working directory ${v.cwd}, inside the container` };
}

/** A platform refusal that is about the working directory (not some unrelated failure). */
export function refusalIsAboutCwd(message: string): boolean {
  return /\/proc\/self\/fd|cwd|working dir|workdir|chdir|mkdir|outside of container mount namespace root|not a directory/i.test(message);
}

// ---- seccomp (ISO-20) -----------------------------------------------------------------------------

export const SECCOMP_PROBE = [
  `if [ -x ${SYSCALL_HELPER_PATH} ]; then ${SYSCALL_HELPER_PATH}; else echo "sc.helper=absent"; fi`,
  'echo "Seccomp=$(sed -n "s/^Seccomp:[[:space:]]*//p" /proc/self/status)"',
].join('\n');

/** Forbidden by both moby's and Podman's (containers/common) default profiles for a default container. */
export const FORBIDDEN_BY_EVERY_DEFAULT = [
  'bpf', 'perf_event_open', 'userfaultfd', 'open_by_handle_at', 'clock_settime', 'add_key', 'request_key',
  'kexec_load', 'kexec_file_load', 'init_module', 'finit_module', 'delete_module', 'iopl', 'ioperm', 'swapon', 'acct', 'reboot',
];
/** Forbidden by moby's default profile, allowed by Podman's (measured on Podman 4.3): reported. */
export const FORBIDDEN_BY_DOCKER_ONLY = ['keyctl', 'setns', 'unshare', 'mbind', 'process_vm_readv'];
/** Allowed by moby before 25.0 and by Podman 4.x: reported. */
export const REPORTED_ONLY = ['io_uring_setup'];
/** The kernel checks a capability before the arguments: their EPERM proves nothing about the filter. */
export const CAPABILITY_CHECKED_FIRST = ['kexec_load', 'kexec_file_load', 'init_module', 'finit_module', 'delete_module', 'swapon', 'acct', 'reboot'];

export type SyscallVerdict = 'refused' | 'allowed' | 'refused-or-absent' | 'unknown';

export interface SyscallResult {
  name: string;
  errno: number;
  errnoName: string;
  verdict: SyscallVerdict;
  note?: string;
}

export interface SeccompReport {
  helper: boolean;
  finished: boolean;
  seccompMode?: string;
  control?: SyscallResult;
  calls: SyscallResult[];
}

function classify(name: string, errno: number, errnoName: string): SyscallResult {
  if (errno === 1) {
    return CAPABILITY_CHECKED_FIRST.includes(name)
      ? { name, errno, errnoName, verdict: 'refused', note: 'EPERM; the kernel\'s own capability check answers EPERM too, so this alone does not prove a filter' }
      : { name, errno, errnoName, verdict: 'refused' };
  }
  if (errno === 38) return { name, errno, errnoName, verdict: 'refused-or-absent', note: 'ENOSYS: not in this kernel, or a filter that answers ENOSYS (Podman\'s default answer)' };
  return { name, errno, errnoName, verdict: 'allowed', note: `${errnoName}: the call reached the kernel's argument checks` };
}

export function parseSeccompProbe(stdout: string): SeccompReport {
  const report: SeccompReport = { helper: true, finished: false, calls: [] };
  for (const line of stdout.split('\n')) {
    const m = /^sc\.([a-z0-9_]+)=(\S+)(?: (\S+))?$/.exec(line.trim());
    if (m) {
      if (m[1] === 'helper' && m[2] === 'absent') report.helper = false;
      else if (m[1] === 'done') report.finished = true;
      else {
        const result = classify(m[1]!, Number(m[2]), m[3] ?? '');
        if (m[1] === 'control_close') report.control = result;
        else report.calls.push(result);
      }
      continue;
    }
    const s = /^Seccomp=(.*)$/.exec(line.trim());
    if (s) report.seccompMode = s[1]!.trim();
  }
  return report;
}

export interface SeccompJudgement {
  verdict: 'pass' | 'finding' | 'inconclusive';
  why: string;
  allowed: string[];
  reported: string[];
}

export function judgeSeccomp(report: SeccompReport): SeccompJudgement {
  const none = { allowed: [], reported: [] };
  if (!report.helper) return { verdict: 'inconclusive', why: `the probe image has no ${SYSCALL_HELPER_PATH}`, ...none };
  if (!report.finished) return { verdict: 'inconclusive', why: 'the syscall helper did not finish', ...none };
  // The helper's own control: close(-1) is allowed everywhere and must say EBADF.
  if (!report.control || report.control.errno !== 9) return { verdict: 'inconclusive', why: `the control call close(-1) answered ${report.control?.errnoName || 'nothing'}, not EBADF: the helper's answers mean nothing here`, ...none };
  const allowed = report.calls.filter((c) => FORBIDDEN_BY_EVERY_DEFAULT.includes(c.name) && c.verdict === 'allowed').map((c) => `${c.name} (${c.errnoName})`);
  const reported = report.calls.filter((c) => !FORBIDDEN_BY_EVERY_DEFAULT.includes(c.name) && c.verdict === 'allowed').map((c) => `${c.name} (${c.errnoName})`);
  const judged = report.calls.filter((c) => FORBIDDEN_BY_EVERY_DEFAULT.includes(c.name));
  if (judged.length === 0) return { verdict: 'inconclusive', why: 'the helper reported none of the forbidden calls', allowed, reported };
  if (allowed.length > 0) {
    return { verdict: 'finding', why: `the seccomp filter (Seccomp: ${report.seccompMode ?? '?'}) let through calls every engine's default profile forbids: ${allowed.join(', ')}`, allowed, reported };
  }
  // A filter must be seen refusing (EPERM) at least one call that, unfiltered, reaches the kernel's
  // argument checks: ENOSYS may be a missing syscall, and a capability-checked call's EPERM the kernel's.
  const proof = judged.filter((c) => c.verdict === 'refused' && !CAPABILITY_CHECKED_FIRST.includes(c.name));
  if (proof.length === 0) return { verdict: 'inconclusive', why: 'no forbidden call was refused with EPERM where only a filter answers EPERM (the rest were ENOSYS, or capability-checked): no sign of the filter itself', allowed, reported };
  return { verdict: 'pass', why: `refused: ${proof.map((c) => `${c.name} (${c.errnoName})`).join(', ')}`, allowed, reported };
}

// ---- platform-injected secrets (ISO-21) -----------------------------------------------------------

/**
 * Names of the variables in the probe's own environment and in pid 1's (/proc/1/environ), each with
 * ":tokenlike" when its value looks like a credential (24+ characters of a token alphabet). Values
 * never leave the container: a report must not carry a secret it found.
 */
export const ENV_PROBE = [
  'tl=\'{ n = index($0, "="); if (n == 0) next; k = substr($0, 1, n - 1); v = substr($0, n + 1); t = (length(v) >= 24 && v ~ /^[A-Za-z0-9+\\/=_.-]+$/) ? "tokenlike" : ""; print k ":" t }\'',
  'echo "envself=$(env | awk "$tl" | tr \'\\n\' \' \')"',
  'echo "envinit=$(tr \'\\0\' \'\\n\' < /proc/1/environ 2>/dev/null | awk "$tl" | tr \'\\n\' \' \')"',
  'echo "probe=done"',
].join('\n');

/** What engines set in every container (Docker: PATH, HOSTNAME, HOME; Podman adds container, TERM) and the shell's own. */
export const ENGINE_ENV = ['PATH', 'HOSTNAME', 'HOME', 'TERM', 'container', 'PWD', 'OLDPWD', 'SHLVL', '_', 'tl'];
const CREDENTIAL_NAME = /SECRET|TOKEN|PASSW|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL|AUTH|SESSION|COOKIE|^AWS_|^AZURE_|^GOOGLE_|^GCP_|^VAULT_|^KUBERNETES_SERVICE|^DOCKER_AUTH|^NPM_TOKEN|^GITHUB_/i;

export interface EnvJudgement {
  finished: boolean;
  /** How many variable names were read in all: none means nothing was looked at. */
  seen: number;
  unexpected: string[];
  credentials: string[];
}

/** `imageEnv`: the names the image itself sets (Config.Env); `set`: the names keelhaul asked for. */
export function judgeEnv(stdout: string, imageEnv: string[], set: string[] = []): EnvJudgement {
  const v = keyValueRecord(stdout);
  const expected = new Set([...ENGINE_ENV, ...imageEnv, ...set]);
  const unexpected = new Set<string>();
  const credentials = new Set<string>();
  let seen = 0;
  for (const [where, text] of [['env', v.envself ?? ''], ['/proc/1/environ', v.envinit ?? '']] as const) {
    for (const item of text.split(/\s+/).filter(Boolean)) {
      const [name, flag] = [item.slice(0, item.lastIndexOf(':')), item.slice(item.lastIndexOf(':') + 1)];
      if (name) seen++;
      if (!name || expected.has(name)) continue;
      unexpected.add(`${name} (${where})`);
      if (CREDENTIAL_NAME.test(name) || flag === 'tokenlike') credentials.add(`${name}${flag === 'tokenlike' ? ' (a token-like value)' : ''}`);
    }
  }
  return { finished: v.probe === 'done', seen, unexpected: [...unexpected], credentials: [...credentials] };
}

// ---- engine and system sockets anywhere (ISO-22) --------------------------------------------------

/**
 * Sockets across every mount (ISO-12 searches the root filesystem and socket mount points only):
 * a bounded find (8 levels, 50 hits, 5 s) with /proc and /sys pruned; and the unix sockets of the
 * container's network namespace from /proc/net/unix, which names abstract sockets too (a host
 * network namespace shows containerd-shim's, CVE-2020-15257).
 */
export const SOCKETS_PROBE = [
  // find's own exit status is printed (find_exit=): a search the 5 s bound cut short has not looked
  // everywhere, so it can never be what a pass rests on (the first 50 sockets are kept either way).
  '{ timeout 5 find / -maxdepth 8 \\( -path /proc -o -path /sys \\) -prune -o -type s -print 2>/dev/null; echo "find_exit=$?"; } | awk \'/^find_exit=/ { print; next } n < 50 { print "sockany=" $0; n++ }\'',
  'echo "netunix_readable=$(test -r /proc/net/unix && echo yes || echo no)"',
  'awk \'NR > 1 && NF >= 8 { print $8 }\' /proc/net/unix 2>/dev/null | sort -u | head -n 300 | while IFS= read -r p; do echo "netunix=$p"; done',
  'echo "probe=done"',
].join('\n');

const CONTROL_SOCKETS: Array<[RegExp, string]> = [
  [/(^|\/)docker\.sock$|\/docker\/.*\.sock$|^@?\/?var\/run\/docker/, 'Docker engine'],
  [/containerd-shim/, 'containerd-shim (CVE-2020-15257)'],
  [/containerd(\.sock)?(\.ttrpc)?$|\/containerd\/.*\.sock/, 'containerd'],
  [/podman(\.sock)?$|\/podman\/.*\.sock/, 'Podman'],
  [/crio\.sock$|cri-dockerd\.sock$|dockershim\.sock$|kubelet.*\.sock$|buildkitd\.sock$/, 'another container runtime or kubelet'],
  [/systemd\/private$|systemd\/notify$|systemd\/journal\//, 'systemd'],
  [/dbus|system_bus_socket$|\/run\/user\/\d+\/bus$/, 'D-Bus'],
];

export interface SocketJudgement {
  finished: boolean;
  /** The file search was stopped by its time bound (busybox timeout: 124 or the TERM status 143). */
  searchCut: boolean;
  netUnixReadable: boolean;
  found: string[];
  all: string[];
}

export function judgeSockets(stdout: string): SocketJudgement {
  const all = new Set<string>();
  const found: string[] = [];
  let finished = false;
  let netUnixReadable = false;
  let searchCut = false;
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const [key, value] = [line.slice(0, eq), line.slice(eq + 1).trim()];
    if (key === 'probe') finished = value === 'done';
    if (key === 'find_exit') searchCut = value === '124' || value === '143' || value === '137';
    if (key === 'netunix_readable') netUnixReadable = value === 'yes';
    if ((key !== 'sockany' && key !== 'netunix') || !value) continue;
    const where = key === 'sockany' ? value : `${value} (in /proc/net/unix)`;
    all.add(where);
    const kind = CONTROL_SOCKETS.find(([pattern]) => pattern.test(value));
    if (kind && !found.some((f) => f.startsWith(`${where}:`))) found.push(`${where}: ${kind[1]}`);
  }
  return { finished, searchCut, netUnixReadable, found, all: [...all] };
}

// ---- cgroup escape files and FUSE mounts (ISO-23) -------------------------------------------------

/**
 * release_agent and devices.allow under /sys/fs/cgroup, each opened for append in a subshell (an
 * open that writes nothing: `( true >> FILE )`), and every FUSE mount (LXCFS is fuse.lxcfs) with its
 * per-mount options from /proc/self/mountinfo.
 */
export const CGROUP_FUSE_PROBE = [
  'find /sys/fs/cgroup -maxdepth 4 \\( -name release_agent -o -name devices.allow \\) 2>/dev/null | head -n 40 | while IFS= read -r f; do',
  '  o=$( ( true >> "$f" ) 2>&1 ); echo "cgopen=$f|$?:$(printf %s "$o" | tr \'\\n\' \' \' | head -c 160)"',
  'done',
  'awk \'{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) ~ /^fuse/) print $5 " " $(i + 1) " " $6; break } }\' /proc/self/mountinfo | while IFS= read -r l; do echo "fuse=$l"; done',
  'echo "cgroup_v1=$(awk \'{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup") { print "yes"; exit } ; break } }\' /proc/self/mountinfo)"',
  'echo "probe=done"',
].join('\n');

export interface CgroupFuseJudgement {
  finished: boolean;
  cgroupV1: boolean;
  /** Files opened for writing (a finding), and the refusals seen. */
  openable: string[];
  refused: string[];
  writableFuse: string[];
  fuse: string[];
}

export function judgeCgroupFuse(stdout: string): CgroupFuseJudgement {
  const j: CgroupFuseJudgement = { finished: false, cgroupV1: false, openable: [], refused: [], writableFuse: [], fuse: [] };
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const [key, value] = [line.slice(0, eq), line.slice(eq + 1).trim()];
    if (key === 'probe') j.finished = value === 'done';
    else if (key === 'cgroup_v1') j.cgroupV1 = value === 'yes';
    else if (key === 'cgopen') {
      const bar = value.lastIndexOf('|');
      const [file, result] = [value.slice(0, bar), value.slice(bar + 1)];
      if (result.startsWith('0:')) j.openable.push(file);
      else j.refused.push(`${file} (${result.slice(result.indexOf(':') + 1).trim() || 'refused'})`);
    } else if (key === 'fuse') {
      const [mountPoint, fsType, options] = value.split(' ');
      j.fuse.push(`${mountPoint} (${fsType}, ${options})`);
      if ((options ?? '').split(',').includes('rw')) j.writableFuse.push(`${mountPoint} (${fsType}, mounted rw)`);
    }
  }
  return j;
}

// ---- default LSM confinement (ISO-24) -------------------------------------------------------------

export const LSM_PROBE = 'l=$(cat /proc/self/attr/current 2>&1 | tr -d "\\0"); r=$?; echo "lsm=$l"; echo "probe=done"';

/** Which LSM the daemon lists in /info SecurityOptions (name=apparmor, name=selinux). */
export function listedLsm(securityOptions: string[]): 'apparmor' | 'selinux' | undefined {
  if (securityOptions.some((o) => /^name=apparmor\b/.test(o))) return 'apparmor';
  if (securityOptions.some((o) => /^name=selinux\b/.test(o))) return 'selinux';
  return undefined;
}

export interface LsmJudgement {
  finished: boolean;
  label: string;
  confined: boolean;
  why: string;
}

export function judgeLsm(stdout: string, lsm: 'apparmor' | 'selinux'): LsmJudgement {
  const label = /^lsm=(.*)$/m.exec(stdout)?.[1]?.trim() ?? '';
  const finished = /^probe=done$/m.test(stdout);
  if (!label || /invalid argument|can't open|no such file|read error/i.test(label)) {
    return { finished, label, confined: false, why: `the daemon lists ${lsm}, but a default container has no readable LSM label (${label || 'empty'}): no LSM confines it` };
  }
  if (/^(unconfined|kernel)\b/.test(label) || /:unconfined_t:|:kernel_t:|:spc_t:/.test(label)) {
    return { finished, label, confined: false, why: `the daemon lists ${lsm}, but a default container runs as "${label}"` };
  }
  return { finished, label, confined: true, why: `confined as "${label}"` };
}
