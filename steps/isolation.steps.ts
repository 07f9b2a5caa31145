// Isolation family (ISO-03..12, ISO-16..18): what a container can see or touch of its siblings and of
// the host. Every verdict comes from a probe inside the container, never from `inspect`: the weak
// fixture daemon keeps `inspect` at the defaults while its runtime plants the weakness. Recipes:
// support/isolation-probes.ts; rules: judges/isolation-verdicts.ts.
import { Given, Then, When, type DataTable } from '@cucumber/cucumber';
import * as judge from '../judges/isolation-verdicts.js';
import { doc, listArgument as list, type ArgumentCheck } from '../support/step-docs.js';
import {
  examinePaths, observeSiblingsOnce, probeAskingNoNewPrivileges, probeDefaultContainer, probedOf, siblingsOf, tryTmpfsMount,
} from '../support/isolation-probes.js';
import { planProbes } from '../support/probe-plan.js';
import type { KeelhaulWorld } from '../support/world.js';

/** Paths are looked at inside the container: they must be absolute (a relative one names the probe's working folder). */
const absolutePaths: ArgumentCheck = (args) => {
  const paths = list(String(args[0] ?? ''));
  if (paths.length === 0) return 'this step judges absolute paths: give at least one';
  const relative = paths.filter((p) => !p.startsWith('/'));
  return relative.length > 0 ? `this step judges absolute paths inside the container; not ${relative.map((p) => `"${p}"`).join(', ')}` : undefined;
};

const attemptRows: ArgumentCheck = (args) => {
  const [header = [], ...rows] = (args[0] ?? []) as string[][];
  const column = header.indexOf('attempt');
  if (column < 0) return 'this step needs a table with an "attempt" column';
  const unknown = rows.map((r) => r[column] ?? '').filter((name) => !judge.ATTEMPTS[name]);
  return unknown.length > 0 ? `this step judges these attempts: ${Object.keys(judge.ATTEMPTS).join(', ')}; not ${unknown.map((u) => `"${u}"`).join(', ')}` : undefined;
};

// ---- the default probe: one function, two phrases (the second is the baseline family's) ----------------

const DEFAULT_PROBE = 'Starts a busybox container with no options (no network where the platform allows it) and examines it from the inside: capabilities, seccomp mode, no_new_privs, namespaces and user mapping, mountinfo, masked paths, sockets, and a few attempts that change nothing even when they succeed. Run once per worker and shared by every scenario that asks for it.';
Given('a container started with no options', doc(DEFAULT_PROBE, 'Given a container started with no options'), async function (this: KeelhaulWorld) {
  await probeDefaultContainer(this);
});
Given('a container with the platform\'s default settings', doc(`${DEFAULT_PROBE} The same step as "Given a container started with no options".`,
  'Given a container with the platform\'s default settings'), async function (this: KeelhaulWorld) {
  await probeDefaultContainer(this);
});
// The probe plan (support/probe-plan.ts) runs these ahead: the same recipes, minus the verdict.
planProbes('a container started with no options', probeDefaultContainer);
planProbes('a container with the platform\'s default settings', probeDefaultContainer);

// ---- sibling containers (ISO-03..05) -----------------------------------------------------------

Given('two containers started side by side with no options', doc(
  'Starts a first container that records its namespaces, leaves a marker file and waits with the marker in its command line; then a second one that looks for the first from the inside (namespaces, /proc, files, `kill -0`). Observed once per worker and shared by the scenarios that ask for it.',
  'Given two containers started side by side with no options',
  60_000,
), async function (this: KeelhaulWorld) {
  await observeSiblingsOnce(this);
});
planProbes('two containers started side by side with no options', observeSiblingsOnce);

Then('the second container\'s {string} namespaces differ from the first\'s', doc(
  'Compares /proc/self/ns/<kind> of the two containers: an equal inode means they share that namespace.',
  'Then the second container\'s "pid, net, ipc, uts, mnt" namespaces differ from the first\'s',
), function (this: KeelhaulWorld, kinds: string) {
  this.settle(judge.judgeSiblingNamespaces(siblingsOf(this), list(kinds)));
});

Then('the second container\'s {string} namespaces are reported', doc(
  'Records whether the two containers share these namespaces (on cgroup v1 without a cgroup namespace, and without user namespaces, they do by design). Never fails.',
  'Then the second container\'s "user, cgroup" namespaces are reported',
), function (this: KeelhaulWorld, kinds: string) {
  this.settle(judge.reportSiblingNamespaces(siblingsOf(this), list(kinds)));
});

Then('the second container sees at most {int} processes', doc(
  'Counts the processes the second container sees in /proc: only its own shell and probe commands in a private pid namespace; a host pid namespace shows every process on the machine.',
  'Then the second container sees at most 10 processes',
), function (this: KeelhaulWorld, max: number) {
  this.settle(judge.judgeProcessCount(siblingsOf(this), max));
});

Then('the second container finds no trace of the first container\'s processes', doc(
  'Fails if the first container\'s marker appears in any /proc/<pid>/cmdline the second container can read.',
  'Then the second container finds no trace of the first container\'s processes',
), function (this: KeelhaulWorld) {
  this.settle(judge.judgeSiblingProcesses(siblingsOf(this)));
});

Then('the second container cannot reach the first container\'s files', doc(
  'Fails if the first container\'s marker file is reachable from the second, by a search of its own filesystem or through /proc/<pid>/root.',
  'Then the second container cannot reach the first container\'s files',
), function (this: KeelhaulWorld) {
  this.settle(judge.judgeSiblingFiles(siblingsOf(this)));
});

Then('the second container cannot signal the first container\'s processes', doc(
  'If the second container can address a process of the first at all, `kill -0` (which delivers nothing) must be refused. A container that cannot see the other\'s processes cannot signal them.',
  'Then the second container cannot signal the first container\'s processes',
), function (this: KeelhaulWorld) {
  this.settle(judge.judgeSiblingSignals(siblingsOf(this)));
});

Then('the first container is still running', doc(
  'The first container was still running right after the second one\'s attempts (inspected then).',
  'Then the first container is still running',
), function (this: KeelhaulWorld) {
  this.settle(judge.judgeFirstRunning(siblingsOf(this)));
});

// ---- host filesystem, devices, kernel interfaces (ISO-06..09) ------------------------------------

Then('no host filesystem is mounted in it', doc(
  'Reads /proc/self/mountinfo: fails on any mount from a host disk other than the engine\'s own per-container files (/etc/hosts, /etc/hostname, /etc/resolv.conf), on the root of a disk filesystem, and on a second procfs or sysfs.',
  'Then no host filesystem is mounted in it',
), function (this: KeelhaulWorld) {
  this.settle(judge.judgeHostMounts(probedOf(this).mounts));
});

Then('it cannot open host devices, even through device nodes it creates', doc(
  'Creates device nodes in the container\'s /tmp (mknod may succeed: CAP_MKNOD is a Docker default) for the disk behind the engine\'s file binds, a loop device and /dev/fuse, and opens each read-only without reading: the device cgroup must refuse every open.',
  'Then it cannot open host devices, even through device nodes it creates',
), function (this: KeelhaulWorld) {
  this.settle(judge.judgeDeviceNodes(probedOf(this).report));
});

Then('{string} are read-only where they exist', doc(
  'For each path that exists in the container, the mount covering it (from /proc/self/mountinfo; symlinks followed) must be read-only. Paths the shared probe does not look at are examined by a container of the same configuration.',
  'Then "/proc/sys, /proc/sysrq-trigger, /sys" are read-only where they exist',
  undefined, absolutePaths,
), async function (this: KeelhaulWorld, paths: string) {
  this.settle(judge.judgeReadOnlyPaths(await examinePaths(this, list(paths)), list(paths)));
});
planProbes('{string} are read-only where they exist', (world, paths) => examinePaths(world, list(String(paths))));

Then('its cgroup filesystems cannot be written', doc(
  'Every cgroup (v1 controller) or cgroup2 mount must be read-only, or, where it is mounted read-write inside a user namespace, its control files must refuse an open for writing (`( true >> cgroup.procs )`, which writes nothing). A writable cgroupfs lets a container change its own limits or, on v1, reach release_agent.',
  'Then its cgroup filesystems cannot be written',
), function (this: KeelhaulWorld) {
  const { report, mounts } = probedOf(this);
  this.settle(judge.judgeCgroupMounts(report, mounts));
});

Then('{string} cannot be opened for writing', doc(
  'Opens each file for append in a subshell and writes nothing (`( true >> FILE )`): busybox `test -w` is always true for root. The open must fail (read-only file system or permission denied). Only regular files are opened (a device or FIFO can act on an open); a path that is absent is not-applicable, one that is not a regular file inconclusive.',
  'Then "/proc/sys/kernel/core_pattern" cannot be opened for writing',
  undefined, absolutePaths,
), async function (this: KeelhaulWorld, paths: string) {
  this.settle(judge.judgeOpenForWriting(await examinePaths(this, list(paths), true), list(paths)));
});
planProbes('{string} cannot be opened for writing', (world, paths) => examinePaths(world, list(String(paths)), true));

Then('{string} are masked or absent', doc(
  'Each path must either not exist or be hidden by a mask placed exactly on it: /dev/null bound over a file or a read-only tmpfs over a folder (what moby and podman do). Any other mount there, such as the engine\'s bind of /etc/hostname, shows real content. Paths the shared probe does not look at are examined by a container of the same configuration.',
  'Then "/proc/kcore, /proc/keys, /proc/timer_list" are masked or absent',
  undefined, absolutePaths,
), async function (this: KeelhaulWorld, paths: string) {
  this.settle(judge.judgeMasked(await examinePaths(this, list(paths)), list(paths)));
});
planProbes('{string} are masked or absent', (world, paths) => examinePaths(world, list(String(paths))));

Then('the masking of {string} is reported', doc(
  'Records whether these paths are masked (newer engine releases mask them; older ones do not). Never fails; paths the shared probe does not look at are examined by a container of the same configuration.',
  'Then the masking of "/proc/interrupts" is reported',
  undefined, absolutePaths,
), async function (this: KeelhaulWorld, paths: string) {
  this.settle(judge.reportMasking(await examinePaths(this, list(paths)), list(paths)));
});
planProbes('the masking of {string} is reported', (world, paths) => examinePaths(world, list(String(paths))));

// ---- seccomp and user namespaces (ISO-10, ISO-11, ISO-10-DEEP) ----------------------------------------

Then('the kernel refuses each of these attempts:', doc(
  'Each row names an attempt the probe made (join another namespace, read the kernel log, change the hostname, mount a filesystem, create a user namespace); each must have been refused with a permission error. An attempt that failed for another reason is inconclusive.',
  'Then the kernel refuses each of these attempts:\n  | attempt | what it would allow |\n  | read the kernel log | host kernel addresses and messages |',
  undefined, attemptRows,
), function (this: KeelhaulWorld, table: DataTable) {
  this.settle(judge.judgeAttempts(probedOf(this).report, table.hashes()));
});

// One function, two phrases (ISO-01 says "seccomp filtering is on", ISO-10 "a seccomp filter is in force").
function seccompInForce(this: KeelhaulWorld): void {
  this.settle(judge.judgeSeccompMode(probedOf(this).report.values.Seccomp, this.profile.promises?.seccomp, this.profile.name));
}
const SECCOMP = 'Fails unless /proc/self/status shows Seccomp: 2 (filter mode). Not applicable when the profile does not promise seccomp (e.g. a non-Linux kernel).';
Then('a seccomp filter is in force', doc(SECCOMP, 'Then a seccomp filter is in force'), seccompInForce);
Then('seccomp filtering is on', doc(`${SECCOMP} The same step as "Then a seccomp filter is in force".`, 'Then seccomp filtering is on'), seccompInForce);

Then('it cannot create a user namespace, unless the profile allows it', doc(
  'Runs `unshare -U true` (a throw-away user namespace for one command): inside a new user namespace a process holds every capability, the precondition of CVE-2022-0492. Docker\'s default seccomp profile refuses it; a profile with `promises.blocksUserNamespaceCreation: false` (podman, whose default profile allows it) records it as an exposure instead.',
  'Then it cannot create a user namespace, unless the profile allows it',
), function (this: KeelhaulWorld) {
  const blocks = (this.profile.promises as { blocksUserNamespaceCreation?: boolean } | undefined)?.blocksUserNamespaceCreation;
  this.settle(judge.judgeUserNamespaceCreation(probedOf(this).report.attempts.unshare_user, blocks));
});

When('it tries to mount a tmpfs in its own mount namespace', doc(
  '@deep: really mounts a tmpfs on a fresh directory of the container\'s /tmp and unmounts it at once. Changes nothing outside the container.',
  'When it tries to mount a tmpfs in its own mount namespace',
  60_000,
), async function (this: KeelhaulWorld) {
  await tryTmpfsMount(this);
});

Then('the mount is refused', doc(
  'The tmpfs mount of the previous step must have failed with a permission error.',
  'Then the mount is refused',
), function (this: KeelhaulWorld) {
  this.settle(judge.judgeTmpfsMount(this.ctx.deepMount ?? ''));
});

// ---- control-plane sockets, raw sockets, information leaks, no_new_privs (ISO-12, ISO-16..18) ----------

Then('no engine control socket is present in it', doc(
  'Looks for sockets on the container\'s root filesystem (`find / -xdev -type s`), for mount points that are sockets (a bind-mounted socket), and for engine socket names in /proc/self/mountinfo. Presence is the finding; nothing is sent to a socket.',
  'Then no engine control socket is present in it',
), function (this: KeelhaulWorld) {
  const { report, mounts } = probedOf(this);
  this.settle(judge.judgeControlSockets(report, mounts));
});

Then('raw sockets work only if the profile\'s default capabilities include NET_RAW', doc(
  'Pings loopback (a raw ICMP socket). With NET_RAW in the profile\'s default set (Docker) a working raw socket is recorded as an exposure (packet forging on the container\'s network); without it (Podman) it must fail.',
  'Then raw sockets work only if the profile\'s default capabilities include NET_RAW',
), function (this: KeelhaulWorld) {
  this.settle(judge.judgeRawSockets(probedOf(this).report, this.profile.promises?.defaultCapabilities, this.profile.name));
});

Then('what it can learn about the host is recorded', doc(
  'Records, never fails: the container id in /proc/self/cgroup, the host path of its writable layer (overlay upperdir), the kernel release, whether /proc/kallsyms shows real addresses, whether the kernel log is readable, its LSM label (/proc/self/attr/current).',
  'Then what it can learn about the host is recorded',
), function (this: KeelhaulWorld) {
  const leaks = judge.infoLeaks(probedOf(this).report, probedOf(this).mounts);
  this.observe('infoLeaks', leaks);
  this.attach(JSON.stringify(leaks, null, 2), { mediaType: 'application/json', fileName: 'info-leaks.json' });
});

Then('its no_new_privs flag is reported, and required only where the profile promises it', doc(
  'Reads NoNewPrivs from /proc/self/status of a default container. 0 is stock Docker\'s documented default and is reported; it is a finding only under a profile with `promises.noNewPrivileges: true`.',
  'Then its no_new_privs flag is reported, and required only where the profile promises it',
), function (this: KeelhaulWorld) {
  this.settle(judge.judgeDefaultNoNewPrivs(probedOf(this).report.values.NoNewPrivs, this.profile.promises?.noNewPrivileges, this.profile.name));
});

When('a container asks for no-new-privileges', doc(
  'Starts a container with SecurityOpt ["no-new-privileges"] and probes it. A platform that refuses the option makes the scenario not applicable; one that accepts and ignores it fails the next step.',
  'When a container asks for no-new-privileges',
), async function (this: KeelhaulWorld) {
  await probeAskingNoNewPrivileges(this);
});
planProbes('a container asks for no-new-privileges', probeAskingNoNewPrivileges);

Then('it runs with no_new_privs set', doc(
  'A container that asked for no-new-privileges must show NoNewPrivs: 1 from the inside, whatever `inspect` says. A profile that declares --security-opt ignored (CONF-C5 class ignored: Triton, whose zones stand in for it) makes an unset flag an exposure, reported as CONF-C5 reports it, not a finding.',
  'Then it runs with no_new_privs set',
), function (this: KeelhaulWorld) {
  this.settle(judge.judgeRequestedNoNewPrivs(probedOf(this).report.values.NoNewPrivs, this.profile.divergences?.['CONF-C5'], this.profile.name));
});
