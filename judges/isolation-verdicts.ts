// Verdict rules of the isolation family's probe steps (ISO-01..12, ISO-16..18, ISO-10-DEEP), pure:
// each takes what the probe in the container reported (judges/probes-isolation.ts) and the profile
// terms it needs, and returns a Verdict for World.settle. Unit-tested on recorded probe outputs
// (test/unit/isolation-verdicts.test.ts, test/fixtures/probes/).
import { decodeCapabilities, formatMask, fullCapabilityMask, hasCapability, normaliseCapabilityName, parseCapabilityMask } from './capabilities.js';
import { engineSocketMounts, hostMounts, isMasked, isReadOnly, mountFor, overlayUpperdir, type MountEntry } from './mountinfo.js';
import { isNamespaceKind, judgeNamespace, kernelHasStaticMntNet, parseNamespaceLink } from './namespaces.js';
import { parseProbeOutput } from './probe.js';
import { mountRefused, refused, type Attempt, type ProbeReport } from './probes-isolation.js';
import { pass, verdictIf, type Verdict } from './verdict.js';

type Values = Record<string, string>;

export function describeAttempt(a: Attempt | undefined): string {
  if (!a) return 'not attempted';
  if (a.skipped) return `skipped (${a.message})`;
  return a.ok ? 'succeeded' : `refused: ${a.message || `exit ${a.exit}`}`;
}

// ---- a container's own privileges and namespaces (ISO-01, ISO-02) ---------------------------------

export function judgeForbiddenCapabilities(values: Values, names: string[]): Verdict {
  const effective = parseCapabilityMask(values.CapEff!);
  const held = names.map(normaliseCapabilityName).filter((name) => hasCapability(effective, name));
  return verdictIf(held.length > 0, 'finding', `the container holds ${held.join(', ')} (CapEff ${formatMask(effective)})`, { effectiveCapabilities: decodeCapabilities(effective) });
}

/** A bounding set holding every capability this kernel knows is the mark of a privileged container. */
export function judgeBoundingSet(values: Values): Verdict {
  const lastCap = Number(values.cap_last_cap);
  if (!Number.isInteger(lastCap)) return { outcome: 'inconclusive', why: `cap_last_cap is unreadable ("${values.cap_last_cap}")` };
  const full = fullCapabilityMask(lastCap);
  const bounding = parseCapabilityMask(values.CapBnd!);
  return verdictIf((bounding & full) === full, 'finding', `the bounding set ${formatMask(bounding)} is the full set ${formatMask(full)}`, { fullMask: formatMask(full) });
}

export function judgeWithinDefaults(values: Values, defaults: string[] | undefined, profile: string): Verdict {
  if (!defaults) return { outcome: 'not-applicable', why: `profile ${profile} declares no default capability set` };
  const extra = decodeCapabilities(parseCapabilityMask(values.CapEff!)).filter((name) => !defaults.includes(name));
  return verdictIf(extra.length > 0, 'finding', `capabilities beyond profile ${profile}'s defaults: ${extra.join(', ')}`);
}

/** Inheritable or ambient capabilities in a default container: the in-container sign of CVE-2022-24769 / CVE-2022-29162. */
export function judgeNoInheritable(values: Values): Verdict {
  const held: string[] = [];
  const observations: Record<string, string> = {};
  for (const key of ['CapInh', 'CapAmb'] as const) {
    const text = values[key];
    if (!/^[0-9a-f]{16}$/.test(text ?? '')) return { outcome: 'inconclusive', why: `${key} is unreadable in /proc/self/status ("${text ?? ''}")`, observations };
    const mask = parseCapabilityMask(text!);
    observations[key] = text!;
    if (mask !== 0n) held.push(`${key} ${formatMask(mask)} (${decodeCapabilities(mask).join(', ')})`);
  }
  return verdictIf(held.length > 0, 'finding', `a default container holds ${held.join('; ')}: the sign of CVE-2022-24769 / CVE-2022-29162`, observations);
}

/** Seccomp: 2 (filter mode), unless the profile does not promise seccomp. */
export function judgeSeccompMode(mode: string | undefined, promised: boolean | undefined, profile: string): Verdict {
  if (promised === false && mode !== '2') return { outcome: 'not-applicable', why: `profile ${profile} does not promise seccomp (Seccomp: ${mode || 'absent'})` };
  return verdictIf(mode !== '2', 'finding', `Seccomp mode is ${mode || 'absent'}, not 2 (filter)`);
}

/** Namespaces compared with the kernel's initial ones; a kind that cannot be compared is not passed (issue 14). */
export function judgeHostNamespaces(values: Values, kinds: string[]): Verdict {
  const staticMntNet = kernelHasStaticMntNet(values.kernel ?? '');
  const shared: string[] = [];
  const unknown: string[] = [];
  const observations: Record<string, unknown> = {};
  for (const kind of kinds) {
    if (!isNamespaceKind(kind)) return { outcome: 'error', why: `"${kind}" is not a namespace kind`, observations };
    const link = values[`ns.${kind}`];
    if (!link) {
      unknown.push(`${kind} (not present)`);
      continue;
    }
    const verdict = judgeNamespace(kind, parseNamespaceLink(link).inode, staticMntNet);
    observations[`ns.${kind}`] = verdict;
    if (verdict.shared === true) shared.push(`${kind} (${verdict.reason})`);
    if (verdict.shared === 'unknown') unknown.push(kind);
  }
  if (unknown.length > 0) observations.namespacesNotComparable = unknown;
  if (shared.length > 0) return { outcome: 'finding', why: `shared with the host: ${shared.join('; ')}`, observations };
  return verdictIf(unknown.length > 0, 'inconclusive', `not comparable with the host's initial namespaces on this kernel: ${unknown.join(', ')}`, observations);
}

export function reportHostNamespaces(values: Values, kinds: string[], promisesUserNamespaces: boolean | undefined, profile: string): Verdict {
  const report: Record<string, string> = {};
  for (const kind of kinds) {
    if (!isNamespaceKind(kind)) return { outcome: 'error', why: `"${kind}" is not a namespace kind` };
    const link = values[`ns.${kind}`];
    const verdict = link ? judgeNamespace(kind, parseNamespaceLink(link).inode, kernelHasStaticMntNet(values.kernel ?? '')) : undefined;
    report[kind] = !verdict ? 'not present' : verdict.shared === true ? 'host' : verdict.shared === false ? 'private' : 'unknown';
  }
  return verdictIf(promisesUserNamespaces && report.user === 'host', 'finding',
    `profile ${profile} promises user namespaces, but the container runs in the host's user namespace`, { reportedNamespaces: report });
}

// ---- sibling containers (ISO-03..05) ----------------------------------------------------------------

/** What two containers side by side reported (judges/probes-isolation.ts siblingScript, observerScript). */
export interface Siblings {
  first: Values;
  /** The first container's state right after the second one's attempts. */
  firstState: string;
  second: Values;
  secondLines: string[];
}

export function parseSiblings(firstLogs: string, secondStdout: string, firstState: string): Siblings {
  return { first: parseProbeOutput(firstLogs), firstState, second: parseProbeOutput(secondStdout), secondLines: secondStdout.split('\n') };
}

const linesOf = (s: Siblings, pattern: RegExp): string[] => s.secondLines.filter((l) => pattern.test(l)).map((l) => l.slice(l.indexOf('=') + 1));

export function judgeSiblingNamespaces(s: Siblings, kinds: string[]): Verdict {
  const shared: string[] = [];
  for (const kind of kinds) {
    if (!isNamespaceKind(kind)) return { outcome: 'error', why: `"${kind}" is not a namespace kind` };
    const [a, b] = [s.first[`ns.${kind}`], s.second[`ns.${kind}`]];
    if (!a || !b) return { outcome: 'inconclusive', why: `the ${kind} namespace of ${a ? 'the second' : 'the first'} container is unreadable` };
    if (a === b) shared.push(`${kind} (${a})`);
  }
  return verdictIf(shared.length > 0, 'finding', `the two containers share namespaces: ${shared.join(', ')}`, { sharedWithSibling: shared });
}

export function reportSiblingNamespaces(s: Siblings, kinds: string[]): Verdict {
  const report: Record<string, string> = {};
  for (const kind of kinds) report[kind] = s.first[`ns.${kind}`] === s.second[`ns.${kind}`] ? `shared (${s.first[`ns.${kind}`]})` : 'separate';
  return pass({ siblingNamespaces: report });
}

export function judgeProcessCount(s: Siblings, max: number): Verdict {
  const count = Number(s.second.procs);
  const observations = { processesSeen: count };
  if (!Number.isInteger(count)) return { outcome: 'inconclusive', why: 'the second container could not count its processes', observations };
  return verdictIf(count > max, 'finding', `the second container sees ${count} processes`, observations);
}

export function judgeSiblingProcesses(s: Siblings): Verdict {
  const seen = linesOf(s, /^seen=/);
  return verdictIf(seen.length > 0, 'finding', `the second container sees the first container's process as pid ${seen.join(', ')}`, { siblingPidsSeen: seen });
}

export function judgeSiblingFiles(s: Siblings): Verdict {
  const reached = linesOf(s, /^(file|file_via_proc)=/);
  return verdictIf(reached.length > 0, 'finding', `the second container reaches the first container's marker file at ${reached.join(', ')}`, { siblingFilesReached: reached });
}

/** `kill -0` delivers nothing; a container that cannot see the other's processes cannot signal them. */
export function judgeSiblingSignals(s: Siblings): Verdict {
  const signals = linesOf(s, /^signal=/);
  const delivered = signals.filter((v) => v.startsWith('0:'));
  return verdictIf(delivered.length > 0, 'finding', `kill -0 from the second container reached ${delivered.length} process(es) of the first`,
    { signalAttempts: signals.length === 0 ? 'no process of the first container was visible' : signals });
}

export function judgeFirstRunning(s: Siblings): Verdict {
  return verdictIf(s.firstState !== 'running', 'finding', `the first container is ${s.firstState} after the second one's attempts`, { firstContainer: s.firstState });
}

// ---- host filesystem, devices, kernel interfaces (ISO-06..09) ---------------------------------------

/** What is known of the paths a step names (the shared probe, or a follow-up container that looked at exactly those). */
export interface ExaminedPaths {
  exists: Set<string>;
  mounts: MountEntry[];
  /** Where an existing path really is (symlinks followed): its mount is judged there. */
  resolved: Record<string, string>;
  /** `( true >> PATH )` per path, when asked for. */
  opened: Record<string, Attempt>;
  /** 'the shared probe' or 'a follow-up container of the same configuration'. */
  by: string;
}

export function judgeHostMounts(mounts: MountEntry[]): Verdict {
  const root = mountFor(mounts, '/');
  const found = hostMounts(mounts);
  return verdictIf(found.length > 0, 'finding', `host filesystem visible: ${found.map((m) => m.why).join('; ')}`,
    { rootFilesystem: root ? `${root.fsType} (${root.source})` : 'unknown', hostMounts: found });
}

/** Device nodes the probe made (mknod may succeed: CAP_MKNOD is a Docker default) must not open. */
export function judgeDeviceNodes(report: ProbeReport): Verdict {
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
  const observations = { deviceNodes: seen };
  if (Object.keys(made).length === 0) return { outcome: 'error', why: 'the probe tried no device node', observations };
  if (open.length > 0) return { outcome: 'finding', why: `the container opened host device(s) ${open.join(', ')} through nodes it created`, observations };
  // A node the kernel has no driver for fails with ENXIO/ENODEV: that proves nothing, but another refused one does.
  return verdictIf(Object.keys(made).length === unclear.length, 'inconclusive', `no device open was refused by permission: ${unclear.join('; ')}`, observations);
}

export function judgeReadOnlyPaths(examined: ExaminedPaths, paths: string[]): Verdict {
  const writable: string[] = [];
  const state: Record<string, string> = {};
  for (const path of paths) {
    if (!examined.exists.has(path)) {
      state[path] = 'absent';
      continue;
    }
    const real = examined.resolved[path] ?? path;
    const m = mountFor(examined.mounts, real);
    const via = real === path ? '' : ` (it is ${real})`;
    state[path] = m ? `${isReadOnly(m) ? 'ro' : 'rw'} (mount at ${m.mountPoint})${via}` : 'no mount';
    if (!m || !isReadOnly(m)) writable.push(`${path}${via} (${m ? `mounted rw at ${m.mountPoint}` : 'no mount covers it'})`);
  }
  return verdictIf(writable.length > 0, 'finding', `writable: ${writable.join(', ')}`, { kernelInterfaces: state, pathsExaminedBy: examined.by });
}

/** cgroup mounts read-only, or (read-write inside a user namespace) with control files that refuse an open for writing. */
export function judgeCgroupMounts(report: ProbeReport, mounts: MountEntry[]): Verdict {
  const writable: string[] = [];
  const state: Record<string, string> = {};
  for (const m of mounts.filter((e) => e.fsType === 'cgroup' || e.fsType === 'cgroup2')) {
    if (isReadOnly(m)) {
      state[m.mountPoint] = 'ro';
      continue;
    }
    const attempt = report.keyed.cgw?.[m.mountPoint];
    state[m.mountPoint] = `rw mount; cgroup.procs ${describeAttempt(attempt)}`;
    if (!attempt || attempt.ok) writable.push(m.mountPoint);
  }
  return verdictIf(writable.length > 0, 'finding', `writable cgroup filesystems: ${writable.join(', ')}`, { cgroupMounts: state });
}

export function judgeOpenForWriting(examined: ExaminedPaths, paths: string[]): Verdict {
  const state: Record<string, string> = {};
  const opened: string[] = [];
  const unclear: string[] = [];
  for (const path of paths) {
    if (!examined.exists.has(path)) {
      state[path] = 'absent';
      continue;
    }
    const attempt = examined.opened[path];
    state[path] = describeAttempt(attempt);
    if (attempt?.ok) opened.push(path);
    else if (refused(attempt) !== true) unclear.push(`${path}: ${attempt?.message || 'no answer'}`);
  }
  const observations = { openForWriting: paths.length === 1 ? state[paths[0]!] : state, pathsExaminedBy: examined.by };
  if (opened.length > 0) return { outcome: 'finding', why: `${opened.join(', ')} opened for writing (nothing was written)`, observations };
  if (paths.every((p) => !examined.exists.has(p))) return { outcome: 'not-applicable', why: `${paths.join(', ')} ${paths.length > 1 ? 'do' : 'does'} not exist in the container`, observations };
  return verdictIf(unclear.length > 0, 'inconclusive', `not refused by permission, so not proven unwritable: ${unclear.join('; ')}`, observations);
}

function maskState(examined: ExaminedPaths, paths: string[]): Record<string, string> {
  const state: Record<string, string> = {};
  for (const path of paths) state[path] = !examined.exists.has(path) ? 'absent' : isMasked(examined.mounts, path) ? 'masked' : 'readable';
  return state;
}

export function judgeMasked(examined: ExaminedPaths, paths: string[]): Verdict {
  const state = maskState(examined, paths);
  const open = paths.filter((p) => state[p] === 'readable');
  return verdictIf(open.length > 0, 'finding', `not masked: ${open.join(', ')}`, { maskedPaths: state, pathsExaminedBy: examined.by });
}

export function reportMasking(examined: ExaminedPaths, paths: string[]): Verdict {
  return pass({ maskedByNewerEngines: maskState(examined, paths) });
}

// ---- seccomp, user namespaces, mounts (ISO-10, ISO-11, ISO-10-DEEP) --------------------------------

/** The attempts the probe makes that a feature can name, with the rule that judges each. */
export const ATTEMPTS: Record<string, { key: string; judge: (a: Attempt | undefined) => boolean | 'unknown' }> = {
  'join another namespace': { key: 'setns', judge: refused },
  'read the kernel log': { key: 'syslog', judge: refused },
  'change the hostname': { key: 'sethostname', judge: refused },
  'mount a filesystem': { key: 'mount', judge: mountRefused },
  'create a user namespace': { key: 'unshare_user', judge: refused },
};

/** Rows of `| attempt | what it would allow |`: each attempt refused with a permission error. */
export function judgeAttempts(report: ProbeReport, rows: Array<Record<string, string>>): Verdict {
  const allowed: string[] = [];
  const unknown: string[] = [];
  const seen: Record<string, string> = {};
  for (const row of rows) {
    const name = row.attempt ?? '';
    const known = ATTEMPTS[name];
    if (!known) return { outcome: 'error', why: `unknown attempt "${name}" (known: ${Object.keys(ATTEMPTS).join(', ')})` };
    const attempt = report.attempts[known.key];
    seen[name] = describeAttempt(attempt);
    const verdict = known.judge(attempt);
    if (verdict === false) allowed.push(`${name}${row['what it would allow'] ? ` (${row['what it would allow']})` : ''}`);
    if (verdict === 'unknown') unknown.push(`${name}: ${describeAttempt(attempt)}`);
  }
  if (allowed.length > 0) return { outcome: 'finding', why: `the container was allowed to ${allowed.join('; ')}`, observations: { attempts: seen } };
  return verdictIf(unknown.length > 0, 'inconclusive', `could not tell: ${unknown.join('; ')}`, { attempts: seen });
}

/** `unshare -U true`: the precondition of CVE-2022-0492; an exposure where the profile says the platform allows it. */
export function judgeUserNamespaceCreation(attempt: Attempt | undefined, blocksUserNamespaceCreation: boolean | undefined): Verdict {
  const observations = { unshareUser: describeAttempt(attempt) };
  const verdict = refused(attempt);
  if (verdict === true) return pass(observations);
  if (verdict === 'unknown') return { outcome: 'inconclusive', why: `unshare -U failed for another reason: ${attempt?.message || 'no answer'}`, observations };
  const what = 'a container can create user namespaces (unshare -U succeeded): the precondition of CVE-2022-0492-style escapes';
  if (blocksUserNamespaceCreation === false) return { outcome: 'exposure', why: what, observations };
  return { outcome: 'finding', why: 'the container created a new user namespace (unshare -U succeeded): the precondition of CVE-2022-0492-style escapes', observations };
}

/** The mount line of the @deep tmpfs probe ("EXIT:output"). */
export function judgeTmpfsMount(text: string): Verdict {
  const observations = { tmpfsMount: text };
  if (text.startsWith('0:')) return { outcome: 'finding', why: 'the container mounted a tmpfs: it holds CAP_SYS_ADMIN or its seccomp profile allows mount', observations };
  return verdictIf(!/not permitted|permission denied/i.test(text), 'inconclusive', `the mount failed for another reason: ${text || 'no answer'}`, observations);
}

// ---- sockets, raw sockets, information leaks, no_new_privs (ISO-12, ISO-16..18) --------------------

export function judgeControlSockets(report: ProbeReport, mounts: MountEntry[]): Verdict {
  const mountPoints = new Set(mounts.map((m) => m.mountPoint));
  const bound = report.sockets.filter((s) => mountPoints.has(s)).map((s) => `${s} (a socket mounted from outside)`);
  const named = engineSocketMounts(mounts).map((m) => `${m.mountPoint} (from ${m.root})`);
  const found = [...new Set([...bound, ...named])];
  return verdictIf(found.length > 0, 'finding', `control-plane socket(s) inside the container: ${found.join(', ')}`, { sockets: report.sockets });
}

/** Working raw sockets: an exposure where NET_RAW is a profile default (Docker), a finding where the defaults exclude it. */
export function judgeRawSockets(report: ProbeReport, defaults: string[] | undefined, profile: string): Verdict {
  const attempt = report.attempts.raw_socket;
  const observations = { rawSocket: describeAttempt(attempt), NET_RAW: hasCapability(parseCapabilityMask(report.values.CapEff!), 'NET_RAW') };
  if (!attempt?.ok) return pass(observations);
  if (defaults?.includes('NET_RAW')) return { outcome: 'exposure', why: 'raw sockets work (NET_RAW is a default capability): a container can forge packets on its network', observations };
  if (!defaults) return { outcome: 'exposure', why: `raw sockets work; profile ${profile} declares no default capability set to judge them by`, observations };
  return { outcome: 'finding', why: `raw sockets work although profile ${profile}'s default capabilities exclude NET_RAW`, observations };
}

/** What a container can learn that helps an escape (recorded, never judged). */
export function infoLeaks(report: ProbeReport, mounts: MountEntry[]): Record<string, unknown> {
  const kallsyms = report.values.kallsyms ?? '';
  return {
    containerIdInCgroup: report.cgroupLines.map((l) => /[0-9a-f]{64}/.exec(l)?.[0]).find(Boolean) ?? null,
    hostPathOfWritableLayer: overlayUpperdir(mounts) ?? null,
    kernel: report.values.kernel,
    kallsymsAddresses: kallsyms === '' ? 'unreadable' : /^0+$/.test(kallsyms) ? 'zeroed' : 'real addresses',
    kernelLog: report.attempts.syslog?.ok ? 'readable' : 'refused',
    lsmLabel: report.values.lsm || null,
  };
}

/** A default container's no_new_privs: 0 is stock Docker's documented default, a finding only where the profile promises 1. */
export function judgeDefaultNoNewPrivs(value: string | undefined, promised: boolean | undefined, profile: string): Verdict {
  return verdictIf(promised && value !== '1', 'finding', `profile ${profile} promises no_new_privs, but a default container has NoNewPrivs: ${value || 'absent'}`, { NoNewPrivs: value });
}

/** A container that asked for no-new-privileges must get it; a profile declaring --security-opt ignored (CONF-C5) makes it an exposure. */
export function judgeRequestedNoNewPrivs(value: string | undefined, declared: { class: string; source?: string } | undefined, profile: string): Verdict {
  const observations = { NoNewPrivsRequested: value };
  if (value !== '1' && declared?.class === 'ignored') {
    return { outcome: 'exposure', observations, why: `no-new-privileges was asked for and is not in effect (NoNewPrivs: ${value || 'absent'}): profile ${profile} declares --security-opt ignored (CONF-C5${declared.source ? `: ${declared.source}` : ''})` };
  }
  return verdictIf(value !== '1', 'finding', `the container asked for no-new-privileges but runs with NoNewPrivs: ${value || 'absent'}`, observations);
}
