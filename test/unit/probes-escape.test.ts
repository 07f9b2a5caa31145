import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeCwd, judgeSeccomp, parseSeccompProbe, refusalIsAboutCwd } from '../../judges/probes-escape.js';

test('ISO-19: a working directory is outside the root when its path, seen from the root, is another directory', () => {
  // Measured on the weak fixture with the cwd-outside-root plant: a detached host directory.
  const outside = judgeCwd(7, 'cwd=/\ndot=65024:16638334\nnamed=90:1515710\ngetcwd=\nprobe=done\n');
  assert.equal(outside.outside, true);
  assert.match(outside.why, /outside the container's root/);
  // What a vulnerable runc gives: the host's /sys/fs/cgroup, which the container also has, as another directory.
  assert.equal(judgeCwd(7, 'cwd=/sys/fs/cgroup\ndot=25:1\nnamed=31:1\ngetcwd=(unreachable)/sys/fs/cgroup\nprobe=done').outside, true);
  assert.equal(judgeCwd(7, 'cwd=(unreachable)/x\ndot=1:2\nnamed=x\nprobe=done').outside, true);
  assert.equal(judgeCwd(4, 'cwd=/proc/self/fd/4\ndot=5:9\nnamed=5:9\ngetcwd=/\nprobe=done').outside, false);
  assert.equal(judgeCwd(4, 'sh: cannot run').outside, undefined, 'an unfinished probe is no verdict');
});

test('ISO-19: only a refusal about the working directory counts as refused', () => {
  assert.ok(refusalIsAboutCwd('OCI runtime create failed: runc create failed: unable to start container process: error during container init: mkdir /proc/self/fd/7: not a directory: unknown'));
  assert.ok(refusalIsAboutCwd('current working directory is outside of container mount namespace root -- possible container breakout detected'));
  assert.ok(!refusalIsAboutCwd('No such image: busybox:latest'));
});

const ALLOW_ALL = `sc.control_close=9 EBADF
sc.bpf=22 EINVAL
sc.keyctl=95 EOPNOTSUPP
sc.add_key=14 EFAULT
sc.perf_event_open=14 EFAULT
sc.userfaultfd=22 EINVAL
sc.kexec_load=38 ENOSYS
sc.swapon=1 EPERM
sc.done=1
Seccomp=2`;
const DOCKER_DEFAULT = `sc.control_close=9 EBADF
sc.bpf=1 EPERM
sc.keyctl=1 EPERM
sc.add_key=1 EPERM
sc.perf_event_open=1 EPERM
sc.userfaultfd=1 EPERM
sc.io_uring_setup=14 EFAULT
sc.kexec_load=1 EPERM
sc.swapon=1 EPERM
sc.done=1
Seccomp=2`;

test('ISO-20: a filter that blocks nothing is a finding although Seccomp says 2 (vacuous pass 4)', () => {
  const j = judgeSeccomp(parseSeccompProbe(ALLOW_ALL));
  assert.equal(j.verdict, 'finding');
  assert.match(j.why, /Seccomp: 2\) let through .*bpf \(EINVAL\), add_key \(EFAULT\), perf_event_open \(EFAULT\), userfaultfd \(EINVAL\)/);
  assert.deepEqual(j.reported, ['keyctl (EOPNOTSUPP)']);
});

test('ISO-20: Docker\'s default profile passes; io_uring_setup is reported, not judged', () => {
  const j = judgeSeccomp(parseSeccompProbe(DOCKER_DEFAULT));
  assert.equal(j.verdict, 'pass');
  assert.deepEqual(j.reported, ['io_uring_setup (EFAULT)']);
});

test('ISO-20: no helper, a broken control, or refusals only where the kernel checks capabilities first: inconclusive', () => {
  assert.equal(judgeSeccomp(parseSeccompProbe('sc.helper=absent\nSeccomp=2')).verdict, 'inconclusive');
  assert.match(judgeSeccomp(parseSeccompProbe('sc.helper=absent\nSeccomp=2')).why, /no \/bin\/keelhaul-syscalls/);
  assert.equal(judgeSeccomp(parseSeccompProbe(DOCKER_DEFAULT.replace('sc.control_close=9 EBADF', 'sc.control_close=1 EPERM'))).verdict, 'inconclusive');
  assert.equal(judgeSeccomp(parseSeccompProbe(DOCKER_DEFAULT.replace('sc.done=1', ''))).verdict, 'inconclusive');
  const onlyCapChecked = 'sc.control_close=9 EBADF\nsc.bpf=38 ENOSYS\nsc.kexec_load=1 EPERM\nsc.swapon=1 EPERM\nsc.done=1';
  assert.equal(judgeSeccomp(parseSeccompProbe(onlyCapChecked)).verdict, 'inconclusive');
});

test('ISO-21: credentials-looking names or token-like values the container did not ask for are found; values never kept', async () => {
  const { judgeEnv } = await import('../../judges/probes-escape.js');
  const docker = judgeEnv('envself=HOSTNAME: SHLVL: HOME: PATH: PWD: \nenvinit=PATH: HOSTNAME: HOME: \nprobe=done', ['PATH']);
  assert.deepEqual(docker.credentials, []);
  assert.deepEqual(docker.unexpected, []);
  assert.ok(docker.seen > 0);
  const planted = judgeEnv('envself=PATH: KEELHAUL_PLANTED_API_TOKEN:tokenlike LANG: \nenvinit=PATH: \nprobe=done', ['PATH']);
  assert.deepEqual(planted.credentials, ['KEELHAUL_PLANTED_API_TOKEN (a token-like value)']);
  assert.deepEqual(planted.unexpected, ['KEELHAUL_PLANTED_API_TOKEN (env)', 'LANG (env)']);
  assert.deepEqual(judgeEnv('envself=PATH: FOO:tokenlike\nprobe=done', []).credentials, ['FOO (a token-like value)']);
  assert.deepEqual(judgeEnv('envself=PATH: AWS_REGION:\nprobe=done', []).credentials, ['AWS_REGION']);
  assert.equal(judgeEnv('envself=\nenvinit=\nprobe=done', []).seen, 0, 'nothing read is nothing looked at');
});

test('ISO-22: engine, containerd-shim, systemd and D-Bus sockets anywhere, files or /proc/net/unix', async () => {
  const { judgeSockets } = await import('../../judges/probes-escape.js');
  const clean = judgeSockets('netunix_readable=yes\nprobe=done');
  assert.deepEqual(clean.found, []);
  assert.ok(clean.finished);
  const found = judgeSockets([
    'sockany=/run/host/docker.sock', 'sockany=/tmp/app.sock', 'netunix_readable=yes',
    'netunix=@/containerd-shim/moby/0123/shim.sock@', 'netunix=/run/systemd/private', 'netunix=/run/dbus/system_bus_socket',
    'netunix=/run/podman/podman.sock', 'probe=done',
  ].join('\n'));
  assert.deepEqual(found.found, [
    '/run/host/docker.sock: Docker engine',
    '@/containerd-shim/moby/0123/shim.sock@ (in /proc/net/unix): containerd-shim (CVE-2020-15257)',
    '/run/systemd/private (in /proc/net/unix): systemd',
    '/run/dbus/system_bus_socket (in /proc/net/unix): D-Bus',
    '/run/podman/podman.sock (in /proc/net/unix): Podman',
  ]);
  assert.ok(found.all.includes('/tmp/app.sock'), 'other sockets are recorded, not judged');
  assert.equal(judgeSockets('sockany=/x.sock').finished, false);
});

test('ISO-23: an openable release_agent or devices.allow, or a read-write LXCFS mount, is a finding', async () => {
  const { judgeCgroupFuse } = await import('../../judges/probes-escape.js');
  const stock = judgeCgroupFuse('cgopen=/sys/fs/cgroup/devices/devices.allow|1:sh: can\'t create /sys/fs/cgroup/devices/devices.allow: Read-only file system\ncgroup_v1=yes\nprobe=done');
  assert.deepEqual(stock.openable, []);
  assert.equal(stock.refused.length, 1);
  const planted = judgeCgroupFuse('cgopen=/sys/fs/cgroup/devices/devices.allow|0:\ncgopen=/sys/fs/cgroup/memory/release_agent|0:\ncgroup_v1=yes\nprobe=done');
  assert.deepEqual(planted.openable, ['/sys/fs/cgroup/devices/devices.allow', '/sys/fs/cgroup/memory/release_agent']);
  // LXCFS as LXD and some Docker hosts mount it (what the probe's awk prints from mountinfo).
  const lxcfs = judgeCgroupFuse('fuse=/proc/meminfo fuse.lxcfs rw,nosuid,nodev,relatime\nfuse=/proc/cpuinfo fuse.lxcfs ro,nosuid,nodev,relatime\nprobe=done');
  assert.deepEqual(lxcfs.writableFuse, ['/proc/meminfo (fuse.lxcfs, mounted rw)']);
  assert.equal(lxcfs.fuse.length, 2);
});

test('ISO-24: unconfined, kernel, an unconfined SELinux type or no label under a listed LSM is not confinement', async () => {
  const { judgeLsm, listedLsm } = await import('../../judges/probes-escape.js');
  assert.equal(listedLsm(['name=seccomp,profile=default']), undefined);
  assert.equal(listedLsm(['name=apparmor', 'name=seccomp,profile=default']), 'apparmor');
  assert.equal(listedLsm(['name=selinux']), 'selinux');
  assert.equal(judgeLsm('lsm=docker-default (enforce)\nprobe=done', 'apparmor').confined, true);
  assert.equal(judgeLsm('lsm=system_u:system_r:container_t:s0:c12,c34\nprobe=done', 'selinux').confined, true);
  assert.equal(judgeLsm('lsm=unconfined\nprobe=done', 'apparmor').confined, false);
  assert.equal(judgeLsm('lsm=kernel\nprobe=done', 'apparmor').confined, false);
  assert.equal(judgeLsm('lsm=system_u:system_r:spc_t:s0\nprobe=done', 'selinux').confined, false);
  assert.match(judgeLsm('lsm=cat: read error: Invalid argument\nprobe=done', 'apparmor').why, /no readable LSM label/);
});
