// Isolation family (ISO-03..12, ISO-16..18): what a container can see or touch of its siblings and
// of the host. Every verdict comes from a probe inside the container (judges/probes-isolation.ts),
// never from `inspect`: the weak fixture daemon keeps `inspect` at the defaults while its runtime
// plants the weakness.
import { Given, Then, When, type DataTable } from '@cucumber/cucumber';
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import type { ContainerSpec, RunResult } from '../adapters/platform/docker-client.js';
import { hasCapability, parseCapabilityMask } from '../judges/capabilities.js';
import { Finding } from '../judges/errors.js';
import {
  engineSocketMounts, hostMounts, isMasked, isReadOnly, mountFor, overlayUpperdir, parseMountinfo, type MountEntry,
} from '../judges/mountinfo.js';
import { isNamespaceKind } from '../judges/namespaces.js';
import { parseProbeOutput } from '../judges/probe.js';
import {
  ISOLATION_PROBE, PATH_PROBE, incompleteIsolationProbe, mountRefused, observerScript, parseIsolationProbe, refused, resolvedPaths, siblingScript,
  type Attempt, type ProbeReport,
} from '../judges/probes-isolation.js';
import { doc, listArgument, type ArgumentCheck } from '../support/step-docs.js';
import type { KeelhaulWorld } from '../support/world.js';
import { probeContainer, type Probed } from '../support/default-probe.js';

const list = listArgument;

/** Paths are looked at inside the container: they must be absolute (a relative one names the probe's working folder). */
const absolutePaths: ArgumentCheck = (args) => {
  const paths = list(String(args[0] ?? ''));
  if (paths.length === 0) return 'this step judges absolute paths: give at least one';
  const relative = paths.filter((p) => !p.startsWith('/'));
  return relative.length > 0 ? `this step judges absolute paths inside the container; not ${relative.map((p) => `"${p}"`).join(', ')}` : undefined;
};

interface ExaminedPaths {
  exists: Set<string>;
  mounts: MountEntry[];
  /** Where an existing path really is (symlinks followed): its mount is judged there. */
  where: (path: string) => string;
  /** `( true >> PATH )` per path, when asked for. */
  opened: Record<string, Attempt>;
  /** 'the shared probe' or 'a follow-up container of the same configuration'. */
  by: string;
}

/**
 * What is known of these paths in the probed configuration. The shared probe looks at a fixed list;
 * any other path a feature names is looked at by a follow-up container of the same configuration
 * that examines exactly the paths given (judges/probes-isolation.ts PATH_PROBE), so a verdict is
 * never about a path nobody looked at (issue 14).
 */
async function examinePaths(world: KeelhaulWorld, paths: string[], openForWriting = false): Promise<ExaminedPaths> {
  const shared = probed(world);
  const seen = new Set([...shared.report.exists, ...shared.report.absent]);
  if (!openForWriting && paths.every((p) => seen.has(p))) {
    return { exists: new Set(shared.report.exists), mounts: shared.mounts, where: (p) => p, opened: {}, by: 'the shared probe' };
  }
  const env = [...(shared.spec.env ?? []), `KEELHAUL_PATHS=${paths.join('\n')}`, ...(openForWriting ? ['KEELHAUL_OPEN_FOR_WRITING=1'] : [])];
  const result = await world.probe(PATH_PROBE, { ...shared.spec, env });
  if (result.timedOut) throw new Error('the path probe container did not finish in time');
  const report = parseIsolationProbe(result.stdout);
  if (report.values.probe !== 'done' || report.mountLines.length === 0) {
    throw new Error(`the path probe did not finish (exit ${result.exitCode}; stderr: ${result.stderr.trim().slice(0, 200)})`);
  }
  const unseen = paths.filter((p) => !report.exists.includes(p) && !report.absent.includes(p));
  if (unseen.length > 0) throw new Error(`the path probe did not report ${unseen.join(', ')}`);
  const resolved = resolvedPaths(result.stdout);
  return {
    exists: new Set(report.exists), mounts: parseMountinfo(report.mountLines), where: (p) => resolved[p] ?? p,
    opened: report.keyed.wopen ?? {}, by: 'a follow-up container of the same configuration',
  };
}

function probed(world: KeelhaulWorld): Probed {
  const p = world.state.isolation as Probed | undefined;
  if (!p) throw new Error('no container was probed: start the scenario with "Given a container started with no options"');
  return p;
}

function describeAttempt(a: Attempt | undefined): string {
  if (!a) return 'not attempted';
  if (a.skipped) return `skipped (${a.message})`;
  return a.ok ? 'succeeded' : `refused: ${a.message || `exit ${a.exit}`}`;
}

Given('a container started with no options', doc(
  'Starts a busybox container with no options (no network) and examines it from the inside: capabilities, seccomp, namespaces, mountinfo, masked paths, sockets, and a few attempts that change nothing even when they succeed. Shared by every scenario of the run that asks for it.',
  'Given a container started with no options',
), async function (this: KeelhaulWorld) {
  this.state.isolation = await probeContainer(this);
});

// ---- sibling containers (ISO-03..05) -----------------------------------------------------------

interface Siblings {
  first: Record<string, string>;
  firstId: string;
  /** The first container's state right after the second one's attempts. */
  firstState: string;
  second: Record<string, string>;
  secondLines: string[];
  marker: string;
}

let siblingsOfWorker: Promise<Siblings> | undefined;

async function observeSiblings(world: KeelhaulWorld): Promise<Siblings> {
  const marker = `keelhaul-marker-${randomBytes(6).toString('hex')}`;
  // No network where the platform allows it (the default probe has found out; Triton refuses "none").
  const { networkMode } = await probeContainer(world);
  const firstId = await world.startContainer({ cmd: ['sh', '-c', siblingScript(marker)], hostConfig: { NetworkMode: networkMode } });
  // Wait (bounded) until the first container has reported its namespaces and left its marker.
  let logs = '';
  for (let i = 0; i < 40 && !/ready=yes/.test(logs); i++) {
    logs = (await world.platform.logs(firstId, false, world.signal)).stdout;
    if (!/ready=yes/.test(logs)) await new Promise((r) => setTimeout(r, 100));
  }
  if (!/ready=yes/.test(logs)) throw new Error('the first container did not report its namespaces within 4 s');
  const second = await world.runContainer({ cmd: ['sh', '-c', observerScript(marker)], hostConfig: { NetworkMode: networkMode } });
  if (!/probe=done/.test(second.stdout)) throw new Error(`the second container's probe did not finish (exit ${second.exitCode}; ${second.stderr.trim().slice(0, 200)})`);
  const secondLines = second.stdout.split('\n');
  const inspect = await world.platform.inspectContainer(firstId, world.signal);
  const firstState = inspect?.State?.Running === true ? 'running' : String(inspect?.State?.Status ?? 'unknown');
  return { first: parseProbeOutput(logs), firstId, firstState, second: parseProbeOutput(second.stdout), secondLines, marker };
}

Given('two containers started side by side with no options', doc(
  'Starts a first container that records its namespaces, leaves a marker file and waits with the marker in its command line; then a second one that looks for the first from the inside (namespaces, /proc, files, `kill -0`). Observed once per worker and shared by the scenarios that ask for it.',
  'Given two containers started side by side with no options',
  60_000,
), async function (this: KeelhaulWorld) {
  const pending = siblingsOfWorker ?? observeSiblings(this);
  if (!siblingsOfWorker) {
    siblingsOfWorker = pending;
    pending.catch(() => { siblingsOfWorker = undefined; });
  }
  this.state.siblings = await pending;
});

function siblings(world: KeelhaulWorld): Siblings {
  const s = world.state.siblings as Siblings | undefined;
  if (!s) throw new Error('start the scenario with "Given two containers started side by side with no options"');
  return s;
}

Then('the second container\'s {string} namespaces differ from the first\'s', doc(
  'Compares /proc/self/ns/<kind> of the two containers: an equal inode means they share that namespace.',
  'Then the second container\'s "pid, net, ipc, uts, mnt" namespaces differ from the first\'s',
), function (this: KeelhaulWorld, kinds: string) {
  const s = siblings(this);
  const shared: string[] = [];
  for (const kind of list(kinds)) {
    if (!isNamespaceKind(kind)) throw new Error(`"${kind}" is not a namespace kind`);
    const [a, b] = [s.first[`ns.${kind}`], s.second[`ns.${kind}`]];
    if (!a || !b) this.inconclusive(`the ${kind} namespace of ${a ? 'the second' : 'the first'} container is unreadable`);
    if (a === b) shared.push(`${kind} (${a})`);
  }
  this.observe('sharedWithSibling', shared);
  expect(shared, `the two containers share namespaces: ${shared.join(', ')}`).to.be.empty;
});

Then('the second container\'s {string} namespaces are reported', doc(
  'Records whether the two containers share these namespaces (on cgroup v1 without a cgroup namespace, and without user namespaces, they do by design). Never fails.',
  'Then the second container\'s "user, cgroup" namespaces are reported',
), function (this: KeelhaulWorld, kinds: string) {
  const s = siblings(this);
  const report: Record<string, string> = {};
  for (const kind of list(kinds)) report[kind] = s.first[`ns.${kind}`] === s.second[`ns.${kind}`] ? `shared (${s.first[`ns.${kind}`]})` : 'separate';
  this.observe('siblingNamespaces', report);
});

Then('the second container sees at most {int} processes', doc(
  'Counts the processes the second container sees in /proc: only its own shell and probe commands in a private pid namespace; a host pid namespace shows every process on the machine.',
  'Then the second container sees at most 10 processes',
), function (this: KeelhaulWorld, max: number) {
  const count = Number(siblings(this).second.procs);
  this.observe('processesSeen', count);
  if (!Number.isInteger(count)) this.inconclusive('the second container could not count its processes');
  expect(count, `the second container sees ${count} processes`).to.be.at.most(max);
});

Then('the second container finds no trace of the first container\'s processes', doc(
  'Fails if the first container\'s marker appears in any /proc/<pid>/cmdline the second container can read.',
  'Then the second container finds no trace of the first container\'s processes',
), function (this: KeelhaulWorld) {
  const s = siblings(this);
  const seen = s.secondLines.filter((l) => l.startsWith('seen=')).map((l) => l.slice(5));
  this.observe('siblingPidsSeen', seen);
  expect(seen, `the second container sees the first container's process as pid ${seen.join(', ')}`).to.be.empty;
});

Then('the second container cannot reach the first container\'s files', doc(
  'Fails if the first container\'s marker file is reachable from the second, by a search of its own filesystem or through /proc/<pid>/root.',
  'Then the second container cannot reach the first container\'s files',
), function (this: KeelhaulWorld) {
  const s = siblings(this);
  const reached = s.secondLines.filter((l) => /^(file|file_via_proc)=/.test(l)).map((l) => l.slice(l.indexOf('=') + 1));
  this.observe('siblingFilesReached', reached);
  expect(reached, `the second container reaches the first container's marker file at ${reached.join(', ')}`).to.be.empty;
});

Then('the second container cannot signal the first container\'s processes', doc(
  'If the second container can address a process of the first at all, `kill -0` (which delivers nothing) must be refused. A container that cannot see the other\'s processes cannot signal them.',
  'Then the second container cannot signal the first container\'s processes',
), function (this: KeelhaulWorld) {
  const s = siblings(this);
  const signals = s.secondLines.filter((l) => l.startsWith('signal=')).map((l) => l.slice(7));
  const delivered = signals.filter((v) => v.startsWith('0:'));
  this.observe('signalAttempts', signals.length === 0 ? 'no process of the first container was visible' : signals);
  expect(delivered.length, `kill -0 from the second container reached ${delivered.length} process(es) of the first`).to.equal(0);
});

Then('the first container is still running', doc(
  'The first container was still running right after the second one\'s attempts (inspected then).',
  'Then the first container is still running',
), function (this: KeelhaulWorld) {
  const state = siblings(this).firstState;
  this.observe('firstContainer', state);
  expect(state, `the first container is ${state} after the second one's attempts`).to.equal('running');
});

// ---- host filesystem, devices, kernel interfaces (ISO-06..09) ------------------------------------

Then('no host filesystem is mounted in it', doc(
  'Reads /proc/self/mountinfo: fails on any mount from a host disk other than the engine\'s own per-container files (/etc/hosts, /etc/hostname, /etc/resolv.conf), on the root of a disk filesystem, and on a second procfs or sysfs.',
  'Then no host filesystem is mounted in it',
), function (this: KeelhaulWorld) {
  const { mounts } = probed(this);
  const root = mountFor(mounts, '/');
  this.observe('rootFilesystem', root ? `${root.fsType} (${root.source})` : 'unknown');
  const found = hostMounts(mounts);
  this.observe('hostMounts', found);
  if (found.length > 0) throw new Finding(`host filesystem visible: ${found.map((m) => m.why).join('; ')}`);
});

Then('it cannot open host devices, even through device nodes it creates', doc(
  'Creates device nodes in the container\'s /tmp (mknod may succeed: CAP_MKNOD is a Docker default) for the disk behind the engine\'s file binds, a loop device and /dev/fuse, and opens each read-only without reading: the device cgroup must refuse every open.',
  'Then it cannot open host devices, even through device nodes it creates',
), function (this: KeelhaulWorld) {
  const { report } = probed(this);
  const made = report.keyed.mknod ?? {};
  const opened = report.keyed.devopen ?? {};
  const seen: Record<string, string> = {};
  const open: string[] = [];
  const unclear: string[] = [];
  for (const [node, mknod] of Object.entries(made)) {
    if (!mknod.ok) {
      seen[node] = `mknod ${describeAttempt(mknod)}`;
      continue;
    }
    const attempt = opened[node];
    seen[node] = `node created; open ${describeAttempt(attempt)}`;
    if (attempt?.ok) open.push(node);
    else if (refused(attempt) !== true) unclear.push(`${node}: ${attempt?.message || 'no answer'}`);
  }
  this.observe('deviceNodes', seen);
  if (Object.keys(made).length === 0) throw new Error('the probe tried no device node');
  if (open.length > 0) throw new Finding(`the container opened host device(s) ${open.join(', ')} through nodes it created`);
  // A node the kernel has no driver for fails with ENXIO/ENODEV: that proves nothing, but another refused one does.
  const refusedCount = Object.keys(made).length - unclear.length;
  if (refusedCount === 0) this.inconclusive(`no device open was refused by permission: ${unclear.join('; ')}`);
});

Then('{string} are read-only where they exist', doc(
  'For each path that exists in the container, the mount covering it (from /proc/self/mountinfo; symlinks followed) must be read-only. Paths the shared probe does not look at are examined by a container of the same configuration.',
  'Then "/proc/sys, /proc/sysrq-trigger, /sys" are read-only where they exist',
  undefined, absolutePaths,
), async function (this: KeelhaulWorld, paths: string) {
  const examined = await examinePaths(this, list(paths));
  const writable: string[] = [];
  const state: Record<string, string> = {};
  for (const path of list(paths)) {
    if (!examined.exists.has(path)) {
      state[path] = 'absent';
      continue;
    }
    const real = examined.where(path);
    const m = mountFor(examined.mounts, real);
    const via = real === path ? '' : ` (it is ${real})`;
    state[path] = m ? `${isReadOnly(m) ? 'ro' : 'rw'} (mount at ${m.mountPoint})${via}` : 'no mount';
    if (!m || !isReadOnly(m)) writable.push(`${path}${via} (${m ? `mounted rw at ${m.mountPoint}` : 'no mount covers it'})`);
  }
  this.observe('kernelInterfaces', state);
  this.observe('pathsExaminedBy', examined.by);
  expect(writable, `writable: ${writable.join(', ')}`).to.be.empty;
});

Then('its cgroup filesystems cannot be written', doc(
  'Every cgroup (v1 controller) or cgroup2 mount must be read-only, or, where it is mounted read-write inside a user namespace, its control files must refuse an open for writing (`( true >> cgroup.procs )`, which writes nothing). A writable cgroupfs lets a container change its own limits or, on v1, reach release_agent.',
  'Then its cgroup filesystems cannot be written',
), function (this: KeelhaulWorld) {
  const { report, mounts } = probed(this);
  const cgroups = mounts.filter((m) => m.fsType === 'cgroup' || m.fsType === 'cgroup2');
  const writable: string[] = [];
  const state: Record<string, string> = {};
  for (const m of cgroups) {
    if (isReadOnly(m)) {
      state[m.mountPoint] = 'ro';
      continue;
    }
    const attempt = report.keyed.cgw?.[m.mountPoint];
    state[m.mountPoint] = `rw mount; cgroup.procs ${describeAttempt(attempt)}`;
    if (!attempt || attempt.ok) writable.push(m.mountPoint);
  }
  this.observe('cgroupMounts', state);
  expect(writable, `writable cgroup filesystems: ${writable.join(', ')}`).to.be.empty;
});

Then('{string} cannot be opened for writing', doc(
  'Opens each file for append in a subshell and writes nothing (`( true >> FILE )`): busybox `test -w` is always true for root. The open must fail (read-only file system or permission denied). Only regular files are opened (a device or FIFO can act on an open); a path that is absent is not-applicable, one that is not a regular file inconclusive.',
  'Then "/proc/sys/kernel/core_pattern" cannot be opened for writing',
  undefined, absolutePaths,
), async function (this: KeelhaulWorld, paths: string) {
  const given = list(paths);
  const { report } = probed(this);
  // The shared probe already opened core_pattern; any other file is opened by a follow-up container.
  const examined = given.length === 1 && given[0] === '/proc/sys/kernel/core_pattern' && report.attempts.core_pattern_open
    ? { exists: new Set(report.exists), opened: { [given[0]]: report.attempts.core_pattern_open } as Record<string, Attempt>, by: 'the shared probe' }
    : await examinePaths(this, given, true);
  const state: Record<string, string> = {};
  const opened: string[] = [];
  const unclear: string[] = [];
  for (const path of given) {
    if (!examined.exists.has(path)) {
      state[path] = 'absent';
      continue;
    }
    const attempt = examined.opened[path];
    state[path] = describeAttempt(attempt);
    if (attempt?.ok) opened.push(path);
    else if (refused(attempt) !== true) unclear.push(`${path}: ${attempt?.message || 'no answer'}`);
  }
  this.observe('openForWriting', given.length === 1 ? state[given[0]!] : state);
  this.observe('pathsExaminedBy', examined.by);
  if (opened.length > 0) throw new Finding(`${opened.join(', ')} opened for writing (nothing was written)`);
  if (given.every((p) => !examined.exists.has(p))) this.notApplicable(`${given.join(', ')} ${given.length > 1 ? 'do' : 'does'} not exist in the container`);
  if (unclear.length > 0) this.inconclusive(`not refused by permission, so not proven unwritable: ${unclear.join('; ')}`);
});

Then('{string} are masked or absent', doc(
  'Each path must either not exist or be hidden by a mask placed exactly on it: /dev/null bound over a file or a read-only tmpfs over a folder (what moby and podman do). Any other mount there, such as the engine\'s bind of /etc/hostname, shows real content. Paths the shared probe does not look at are examined by a container of the same configuration.',
  'Then "/proc/kcore, /proc/keys, /proc/timer_list" are masked or absent',
  undefined, absolutePaths,
), async function (this: KeelhaulWorld, paths: string) {
  const examined = await examinePaths(this, list(paths));
  const state: Record<string, string> = {};
  const open: string[] = [];
  for (const path of list(paths)) {
    if (!examined.exists.has(path)) state[path] = 'absent';
    else if (isMasked(examined.mounts, path)) state[path] = 'masked';
    else {
      state[path] = 'readable';
      open.push(path);
    }
  }
  this.observe('maskedPaths', state);
  this.observe('pathsExaminedBy', examined.by);
  expect(open, `not masked: ${open.join(', ')}`).to.be.empty;
});

Then('the masking of {string} is reported', doc(
  'Records whether these paths are masked (newer engine releases mask them; older ones do not). Never fails; paths the shared probe does not look at are examined by a container of the same configuration.',
  'Then the masking of "/proc/interrupts" is reported',
  undefined, absolutePaths,
), async function (this: KeelhaulWorld, paths: string) {
  const examined = await examinePaths(this, list(paths));
  const state: Record<string, string> = {};
  for (const path of list(paths)) state[path] = !examined.exists.has(path) ? 'absent' : isMasked(examined.mounts, path) ? 'masked' : 'readable';
  this.observe('maskedByNewerEngines', state);
});

// ---- seccomp and user namespaces (ISO-10, ISO-11) --------------------------------------------------

const ATTEMPTS: Record<string, { key: string; judge: (a: Attempt | undefined) => boolean | 'unknown' }> = {
  'join another namespace': { key: 'setns', judge: refused },
  'read the kernel log': { key: 'syslog', judge: refused },
  'change the hostname': { key: 'sethostname', judge: refused },
  'mount a filesystem': { key: 'mount', judge: mountRefused },
  'create a user namespace': { key: 'unshare_user', judge: refused },
};

Then('the kernel refuses each of these attempts:', doc(
  'Each row names an attempt the probe made (join another namespace, read the kernel log, change the hostname, mount a filesystem, create a user namespace); each must have been refused with a permission error. An attempt that failed for another reason is inconclusive.',
  'Then the kernel refuses each of these attempts:\n  | attempt | what it would allow |\n  | read the kernel log | host kernel addresses and messages |',
  undefined,
  (args) => {
    const [header = [], ...rows] = (args[0] ?? []) as string[][];
    const column = header.indexOf('attempt');
    if (column < 0) return 'this step needs a table with an "attempt" column';
    const unknown = rows.map((r) => r[column] ?? '').filter((name) => !ATTEMPTS[name]);
    return unknown.length > 0 ? `this step judges these attempts: ${Object.keys(ATTEMPTS).join(', ')}; not ${unknown.map((u) => `"${u}"`).join(', ')}` : undefined;
  },
), function (this: KeelhaulWorld, table: DataTable) {
  const { report } = probed(this);
  const allowed: string[] = [];
  const unknown: string[] = [];
  const seen: Record<string, string> = {};
  for (const row of table.hashes()) {
    const name = row.attempt ?? '';
    const known = ATTEMPTS[name];
    if (!known) throw new Error(`unknown attempt "${name}" (known: ${Object.keys(ATTEMPTS).join(', ')})`);
    const attempt = report.attempts[known.key];
    seen[name] = describeAttempt(attempt);
    const verdict = known.judge(attempt);
    if (verdict === false) allowed.push(`${name}${row['what it would allow'] ? ` (${row['what it would allow']})` : ''}`);
    if (verdict === 'unknown') unknown.push(`${name}: ${describeAttempt(attempt)}`);
  }
  this.observe('attempts', seen);
  expect(allowed, `the container was allowed to ${allowed.join('; ')}`).to.be.empty;
  if (unknown.length > 0) this.inconclusive(`could not tell: ${unknown.join('; ')}`);
});

Then('a seccomp filter is in force', doc(
  'Fails unless /proc/self/status shows Seccomp: 2 (filter mode). Not applicable when the profile does not promise seccomp.',
  'Then a seccomp filter is in force',
), function (this: KeelhaulWorld) {
  const mode = probed(this).report.values.Seccomp;
  if (this.profile.promises?.seccomp === false && mode !== '2') this.notApplicable(`profile ${this.profile.name} does not promise seccomp (Seccomp: ${mode || 'absent'})`);
  expect(mode, `Seccomp mode is ${mode || 'absent'}, not 2 (filter)`).to.equal('2');
});

Then('it cannot create a user namespace, unless the profile allows it', doc(
  'Runs `unshare -U true` (a throw-away user namespace for one command): inside a new user namespace a process holds every capability, the precondition of CVE-2022-0492. Docker\'s default seccomp profile refuses it; a profile with `promises.blocksUserNamespaceCreation: false` (podman, whose default profile allows it) records it as an exposure instead.',
  'Then it cannot create a user namespace, unless the profile allows it',
), function (this: KeelhaulWorld) {
  const attempt = probed(this).report.attempts.unshare_user;
  this.observe('unshareUser', describeAttempt(attempt));
  const verdict = refused(attempt);
  if (verdict === true) return;
  if (verdict === 'unknown') this.inconclusive(`unshare -U failed for another reason: ${attempt?.message || 'no answer'}`);
  const blocks = (this.profile.promises as { blocksUserNamespaceCreation?: boolean } | undefined)?.blocksUserNamespaceCreation;
  if (blocks === false) {
    this.expose('a container can create user namespaces (unshare -U succeeded): the precondition of CVE-2022-0492-style escapes');
    return;
  }
  throw new Finding('the container created a new user namespace (unshare -U succeeded): the precondition of CVE-2022-0492-style escapes');
});

When('it tries to mount a tmpfs in its own mount namespace', doc(
  '@deep: really mounts a tmpfs on a fresh directory of the container\'s /tmp and unmounts it at once. Changes nothing outside the container.',
  'When it tries to mount a tmpfs in its own mount namespace',
  60_000,
), async function (this: KeelhaulWorld) {
  const script = 'mkdir -p /tmp/keelhaul-deep && o=$(mount -t tmpfs keelhaul /tmp/keelhaul-deep 2>&1); r=$?; [ $r -eq 0 ] && umount /tmp/keelhaul-deep; echo "mount=$r:$o"';
  const result = await this.runContainer({ cmd: ['sh', '-c', script], hostConfig: { NetworkMode: 'none' } });
  const line = result.stdout.split('\n').find((l) => l.startsWith('mount=')) ?? '';
  this.state.deepMount = line.slice(6);
});

Then('the mount is refused', doc(
  'The tmpfs mount of the previous step must have failed with a permission error.',
  'Then the mount is refused',
), function (this: KeelhaulWorld) {
  const text = String(this.state.deepMount ?? '');
  this.observe('tmpfsMount', text);
  if (text.startsWith('0:')) throw new Finding('the container mounted a tmpfs: it holds CAP_SYS_ADMIN or its seccomp profile allows mount');
  if (!/not permitted|permission denied/i.test(text)) this.inconclusive(`the mount failed for another reason: ${text || 'no answer'}`);
});

// ---- control-plane sockets (ISO-12) --------------------------------------------------------------

Then('no engine control socket is present in it', doc(
  'Looks for sockets on the container\'s root filesystem (`find / -xdev -type s`), for mount points that are sockets (a bind-mounted socket), and for engine socket names in /proc/self/mountinfo. Presence is the finding; nothing is sent to a socket.',
  'Then no engine control socket is present in it',
), function (this: KeelhaulWorld) {
  const { report, mounts } = probed(this);
  const mountPoints = new Set(mounts.map((m) => m.mountPoint));
  const bound = report.sockets.filter((s) => mountPoints.has(s));
  const named = engineSocketMounts(mounts).map((m) => `${m.mountPoint} (from ${m.root})`);
  this.observe('sockets', report.sockets);
  const found = [...new Set([...bound.map((s) => `${s} (a socket mounted from outside)`), ...named])];
  expect(found, `control-plane socket(s) inside the container: ${found.join(', ')}`).to.be.empty;
});

// ---- raw sockets, information leaks, no_new_privs (ISO-16..18) -------------------------------------

Then('raw sockets work only if the profile\'s default capabilities include NET_RAW', doc(
  'Pings loopback (a raw ICMP socket). With NET_RAW in the profile\'s default set (Docker) a working raw socket is recorded as an exposure (packet forging on the container\'s network); without it (Podman) it must fail.',
  'Then raw sockets work only if the profile\'s default capabilities include NET_RAW',
), function (this: KeelhaulWorld) {
  const { report } = probed(this);
  const attempt = report.attempts.raw_socket;
  const netRaw = hasCapability(parseCapabilityMask(report.values.CapEff!), 'NET_RAW');
  this.observe('rawSocket', describeAttempt(attempt));
  this.observe('NET_RAW', netRaw);
  if (!attempt?.ok) return;
  const defaults = this.profile.promises?.defaultCapabilities;
  if (defaults?.includes('NET_RAW')) {
    this.expose('raw sockets work (NET_RAW is a default capability): a container can forge packets on its network');
    return;
  }
  if (!defaults) {
    this.expose(`raw sockets work; profile ${this.profile.name} declares no default capability set to judge them by`);
    return;
  }
  throw new Finding(`raw sockets work although profile ${this.profile.name}'s default capabilities exclude NET_RAW`);
});

Then('what it can learn about the host is recorded', doc(
  'Records, never fails: the container id in /proc/self/cgroup, the host path of its writable layer (overlay upperdir), the kernel release, whether /proc/kallsyms shows real addresses, whether the kernel log is readable, its LSM label (/proc/self/attr/current).',
  'Then what it can learn about the host is recorded',
), function (this: KeelhaulWorld) {
  const { report, mounts } = probed(this);
  const idInCgroup = report.cgroupLines.map((l) => /[0-9a-f]{64}/.exec(l)?.[0]).find(Boolean);
  const kallsyms = report.values.kallsyms ?? '';
  const leaks = {
    containerIdInCgroup: idInCgroup ?? null,
    hostPathOfWritableLayer: overlayUpperdir(mounts) ?? null,
    kernel: report.values.kernel,
    kallsymsAddresses: kallsyms === '' ? 'unreadable' : /^0+$/.test(kallsyms) ? 'zeroed' : 'real addresses',
    kernelLog: report.attempts.syslog?.ok ? 'readable' : 'refused',
    lsmLabel: report.values.lsm || null,
  };
  this.observe('infoLeaks', leaks);
  this.attach(JSON.stringify(leaks, null, 2), { mediaType: 'application/json', fileName: 'info-leaks.json' });
});

Then('its no_new_privs flag is reported, and required only where the profile promises it', doc(
  'Reads NoNewPrivs from /proc/self/status of a default container. 0 is stock Docker\'s documented default and is reported; it is a finding only under a profile with `promises.noNewPrivileges: true`.',
  'Then its no_new_privs flag is reported, and required only where the profile promises it',
), function (this: KeelhaulWorld) {
  const value = probed(this).report.values.NoNewPrivs;
  this.observe('NoNewPrivs', value);
  if (this.profile.promises?.noNewPrivileges) {
    expect(value, `profile ${this.profile.name} promises no_new_privs, but a default container has NoNewPrivs: ${value || 'absent'}`).to.equal('1');
  }
});

When('a container asks for no-new-privileges', doc(
  'Starts a container with SecurityOpt ["no-new-privileges"] and probes it. A platform that refuses the option makes the scenario not applicable; one that accepts and ignores it fails the next step.',
  'When a container asks for no-new-privileges',
), async function (this: KeelhaulWorld) {
  const { networkMode } = await probeContainer(this);
  try {
    this.state.isolation = await probeContainer(this, { hostConfig: { NetworkMode: networkMode, SecurityOpt: ['no-new-privileges'] } });
  } catch (error) {
    // Refusing the option is honest (Triton marks --security-opt unsupported); ignoring it is not.
    if ((error as Error)?.name === 'PlatformRefusal') this.notApplicable(`the platform refuses SecurityOpt no-new-privileges: ${(error as { rawMessage?: string }).rawMessage}`);
    throw error;
  }
});

Then('it runs with no_new_privs set', doc(
  'A container that asked for no-new-privileges must show NoNewPrivs: 1 from the inside, whatever `inspect` says. A profile that declares --security-opt ignored (CONF-C5 class ignored: Triton, whose zones stand in for it) makes an unset flag an exposure, reported as CONF-C5 reports it, not a finding.',
  'Then it runs with no_new_privs set',
), function (this: KeelhaulWorld) {
  const value = probed(this).report.values.NoNewPrivs;
  this.observe('NoNewPrivsRequested', value);
  const declared = this.profile.divergences?.['CONF-C5'];
  if (value !== '1' && declared?.class === 'ignored') {
    this.expose(`no-new-privileges was asked for and is not in effect (NoNewPrivs: ${value || 'absent'}): profile ${this.profile.name} declares --security-opt ignored (CONF-C5${declared.source ? `: ${declared.source}` : ''})`);
    return;
  }
  expect(value, `the container asked for no-new-privileges but runs with NoNewPrivs: ${value || 'absent'}`).to.equal('1');
});
