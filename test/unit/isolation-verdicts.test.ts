// The isolation family's verdict rules on probe outputs recorded from real engines
// (test/fixtures/probes/README.md): they pass on Docker, Podman and the hardened fixture, and each
// planted weakness of the weak fixture daemon is a finding naming it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as iso from '../../judges/isolation-verdicts.js';
import { parseMountinfo } from '../../judges/mountinfo.js';
import { parseIsolationProbe, resolvedPaths } from '../../judges/probes-isolation.js';
import type { Verdict } from '../../judges/verdict.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'probes');
const recorded = (name: string) => readFileSync(join(DIR, `${name}.txt`), 'utf8');
const DOCKER_DEFAULTS = ['CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE'];
const PODMAN_DEFAULTS = DOCKER_DEFAULTS.filter((c) => !['NET_RAW', 'MKNOD', 'AUDIT_WRITE'].includes(c));

function probed(engine: string) {
  const report = parseIsolationProbe(recorded(`${engine}.isolation`));
  return { report, mounts: parseMountinfo(report.mountLines), values: report.values };
}

/** The path probe's report as examinePaths returns it. */
function examined(engine: string): iso.ExaminedPaths {
  const stdout = recorded(`${engine}.path`);
  const r = parseIsolationProbe(stdout);
  return { exists: new Set(r.exists), mounts: parseMountinfo(r.mountLines), resolved: resolvedPaths(stdout), opened: r.keyed.wopen ?? {}, by: 'a follow-up container' };
}

function siblings(engine: string): iso.Siblings {
  return iso.parseSiblings(recorded(`${engine}.sibling`), recorded(`${engine}.observer`), 'running');
}

const outcome = (v: Verdict) => `${v.outcome}${v.why ? `: ${v.why}` : ''}`;
function passes(v: Verdict, what: string) {
  assert.equal(v.outcome, 'pass', `${what}: ${outcome(v)}`);
}
function finds(v: Verdict, why: RegExp, what: string) {
  assert.equal(v.outcome, 'finding', `${what}: ${outcome(v)}`);
  assert.match(v.why!, why, what);
}

const MASKED = ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug', '/proc/scsi', '/sys/firmware'];
const KERNEL = ['/proc/sys', '/proc/sysrq-trigger', '/sys'];
const ATTEMPT_ROWS = ['join another namespace', 'read the kernel log', 'change the hostname', 'mount a filesystem'].map((attempt) => ({ attempt, 'what it would allow': 'x' }));

for (const [engine, defaults] of [['docker', DOCKER_DEFAULTS], ['hardened', DOCKER_DEFAULTS], ['podman', PODMAN_DEFAULTS]] as const) {
  test(`${engine}: a default container passes every probe verdict`, () => {
    const { report, mounts, values } = probed(engine);
    passes(iso.judgeForbiddenCapabilities(values, ['SYS_ADMIN', 'sys_module', 'CAP_SYS_PTRACE', 'DAC_READ_SEARCH', 'NET_ADMIN']), 'ISO-01 capabilities');
    passes(iso.judgeBoundingSet(values), 'ISO-01 bounding set');
    passes(iso.judgeWithinDefaults(values, [...defaults], engine), 'ISO-01 defaults');
    passes(iso.judgeNoInheritable(values), 'ISO-01 inheritable');
    passes(iso.judgeSeccompMode(values.Seccomp, true, engine), 'ISO-01/10 seccomp');
    passes(iso.judgeHostNamespaces(values, ['pid', 'net', 'ipc', 'uts', 'mnt']), 'ISO-02');
    passes(iso.judgeHostMounts(mounts), 'ISO-06');
    passes(iso.judgeDeviceNodes(report), 'ISO-07');
    passes(iso.judgeCgroupMounts(report, mounts), 'ISO-08 cgroup');
    passes(iso.judgeReadOnlyPaths(examined(engine), KERNEL), 'ISO-08 kernel interfaces');
    passes(iso.judgeOpenForWriting(examined(engine), ['/proc/sys/kernel/core_pattern']), 'ISO-08 core_pattern');
    passes(iso.judgeMasked(examined(engine), MASKED), 'ISO-09');
    passes(iso.judgeAttempts(report, ATTEMPT_ROWS), 'ISO-10');
    passes(iso.judgeControlSockets(report, mounts), 'ISO-12');
    passes(iso.judgeDefaultNoNewPrivs(values.NoNewPrivs, false, engine), 'ISO-18');
    const s = siblings(engine);
    passes(iso.judgeSiblingNamespaces(s, ['pid', 'net', 'ipc', 'uts', 'mnt']), 'ISO-03');
    passes(iso.judgeProcessCount(s, 10), 'ISO-03 processes');
    passes(iso.judgeSiblingProcesses(s), 'ISO-04');
    passes(iso.judgeSiblingFiles(s), 'ISO-04 files');
    passes(iso.judgeSiblingSignals(s), 'ISO-05');
  });
}

test('what each engine allows by its documented defaults is an exposure, not a finding', () => {
  const docker = probed('docker').report;
  assert.equal(iso.judgeRawSockets(docker, DOCKER_DEFAULTS, 'docker').outcome, 'exposure', 'ISO-16: NET_RAW is a Docker default');
  assert.equal(iso.judgeRawSockets(docker, PODMAN_DEFAULTS, 'podman').outcome, 'finding', 'raw sockets where the defaults exclude NET_RAW');
  passes(iso.judgeRawSockets(probed('podman').report, PODMAN_DEFAULTS, 'podman'), 'ISO-16 on podman: ping fails');
  passes(iso.judgeUserNamespaceCreation(docker.attempts.unshare_user, undefined), 'ISO-11 on docker');
  const podman = probed('podman').report.attempts.unshare_user;
  assert.equal(iso.judgeUserNamespaceCreation(podman, false).outcome, 'exposure', 'ISO-11: podman\'s profile allows it');
  finds(iso.judgeUserNamespaceCreation(podman, undefined), /created a new user namespace/, 'ISO-11 where nothing allows it');
});

test('weak fixture, cap-sys-admin host-pid engine-socket unmask rw-sys devices-all: each plant is the finding of its scenario', () => {
  const { report, mounts, values } = probed('weak-a');
  finds(iso.judgeForbiddenCapabilities(values, ['SYS_ADMIN', 'SYS_MODULE']), /holds SYS_ADMIN/, 'ISO-01 cap-sys-admin');
  finds(iso.judgeWithinDefaults(values, DOCKER_DEFAULTS, 'docker'), /beyond profile docker's defaults: SYS_ADMIN/, 'ISO-01 defaults');
  finds(iso.judgeHostNamespaces(values, ['pid', 'net']), /shared with the host: pid/, 'ISO-02 host-pid');
  finds(iso.judgeControlSockets(report, mounts), /docker\.sock/, 'ISO-12 engine-socket');
  finds(iso.judgeDeviceNodes(report), /opened host device\(s\) b 7:0, c 10:229/, 'ISO-07 devices-all');
  finds(iso.judgeReadOnlyPaths(examined('weak-a'), KERNEL), /\/sys \(mounted rw at \/sys\)/, 'ISO-08 rw-sys');
  finds(iso.judgeMasked(examined('weak-a'), MASKED), /not masked: .*\/proc\/keys/, 'ISO-09 unmask');
  const s = siblings('weak-a');
  finds(iso.judgeSiblingNamespaces(s, ['pid', 'net']), /share namespaces: pid/, 'ISO-03 host-pid');
  finds(iso.judgeProcessCount(s, 10), /sees \d+ processes/, 'ISO-03 processes');
  finds(iso.judgeSiblingProcesses(s), /sees the first container's process as pid \d+/, 'ISO-04 host-pid');
  finds(iso.judgeSiblingSignals(s), /kill -0 .* reached [1-9]/, 'ISO-05 host-pid');
});

test('weak fixture, no-seccomp host-net rw-cgroup host-root inheritable-caps', () => {
  const { report, mounts, values } = probed('weak-b');
  finds(iso.judgeSeccompMode(values.Seccomp, true, 'docker'), /Seccomp mode is 0/, 'ISO-10 no-seccomp');
  assert.equal(iso.judgeSeccompMode(values.Seccomp, false, 'triton').outcome, 'not-applicable', 'a profile that does not promise seccomp');
  finds(iso.judgeUserNamespaceCreation(report.attempts.unshare_user, undefined), /created a new user namespace/, 'ISO-11 no-seccomp');
  finds(iso.judgeHostMounts(mounts), /mounted at \/host/, 'ISO-06 host-root');
  finds(iso.judgeNoInheritable(values), /CapInh 0x0*a80425fb .*CVE-2022-24769/, 'ISO-01 inheritable-caps');
  finds(iso.judgeHostNamespaces(values, ['pid', 'net']), /shared with the host: net/, 'ISO-02 host-net');
  finds(iso.judgeSiblingNamespaces(siblings('weak-b'), ['pid', 'net']), /share namespaces: net/, 'ISO-03 host-net');
});

test('unreadable or missing probe values are inconclusive or an error, never a pass', () => {
  assert.equal(iso.judgeBoundingSet({ CapBnd: '000001ffffffffff' }).outcome, 'inconclusive');
  assert.equal(iso.judgeNoInheritable({ CapInh: '' }).outcome, 'inconclusive');
  assert.equal(iso.judgeHostNamespaces({}, ['pid']).outcome, 'inconclusive', 'a namespace not present is not compared');
  assert.equal(iso.judgeHostNamespaces({}, ['nope']).outcome, 'error');
  assert.equal(iso.judgeWithinDefaults({ CapEff: '0' }, undefined, 'x').outcome, 'not-applicable');
  assert.equal(iso.judgeDeviceNodes(parseIsolationProbe('probe=done')).outcome, 'error', 'no device node tried');
  assert.equal(iso.judgeProcessCount(iso.parseSiblings('', 'probe=done', 'running'), 10).outcome, 'inconclusive');
  assert.equal(iso.judgeSiblingNamespaces(iso.parseSiblings('', 'probe=done', 'running'), ['pid']).outcome, 'inconclusive');
  assert.equal(iso.judgeAttempts(parseIsolationProbe('try.setns=1:nsenter: not found'), [{ attempt: 'join another namespace' }]).outcome, 'inconclusive');
  assert.equal(iso.judgeAttempts(parseIsolationProbe(''), [{ attempt: 'fly' }]).outcome, 'error');
  const none: iso.ExaminedPaths = { exists: new Set(), mounts: [], resolved: {}, opened: {}, by: 'x' };
  assert.equal(iso.judgeOpenForWriting(none, ['/proc/sys/kernel/core_pattern']).outcome, 'not-applicable');
  finds(iso.judgeFirstRunning(iso.parseSiblings('', '', 'exited')), /is exited/, 'ISO-05 first container');
});

test('ISO-10-DEEP and ISO-18 rules', () => {
  finds(iso.judgeTmpfsMount('0:'), /mounted a tmpfs/, 'a mounted tmpfs');
  passes(iso.judgeTmpfsMount('255:mount: permission denied (are you root?)'), 'refused');
  assert.equal(iso.judgeTmpfsMount('').outcome, 'inconclusive');
  finds(iso.judgeDefaultNoNewPrivs('0', true, 'strict'), /promises no_new_privs/, 'promised');
  finds(iso.judgeRequestedNoNewPrivs('0', undefined, 'docker'), /NoNewPrivs: 0/, 'asked for and ignored');
  assert.equal(iso.judgeRequestedNoNewPrivs('0', { class: 'ignored', source: 'x' }, 'triton').outcome, 'exposure');
  passes(iso.judgeRequestedNoNewPrivs('1', undefined, 'docker'), 'in effect');
  const leaks = iso.infoLeaks(probed('docker').report, probed('docker').mounts);
  assert.equal(typeof leaks.kernel, 'string');
  assert.match(String(leaks.containerIdInCgroup ?? leaks.hostPathOfWritableLayer), /[0-9a-f]{64}|\//);
});
