// Escapes judged by their precondition (ISO-19..24): a working directory through a leaked descriptor
// (CVE-2024-21626), what the seccomp filter really blocks, injected credentials, sockets anywhere,
// cgroup escape files and FUSE, LSM confinement. Nothing here exploits anything. Probes:
// judges/probes-escape.ts; rules: judges/escape-verdicts.ts; recipes: support/isolation-probes.ts.
import { Then, When } from '@cucumber/cucumber';
import * as judge from '../judges/escape-verdicts.js';
import { CGROUP_FUSE_PROBE, ENV_PROBE, LSM_PROBE, SECCOMP_PROBE, SOCKETS_PROBE, SYSCALL_HELPER_PATH } from '../judges/probes-escape.js';
import { imageEnvNames, listedLsmOf, runEscapeProbe, startWithWorkingDirectories, workingDirectoriesOf } from '../support/isolation-probes.js';
import { doc } from '../support/step-docs.js';
import { planProbes } from '../support/probe-plan.js';
import type { KeelhaulWorld } from '../support/world.js';

When('containers are started with their working directory at {string} for N from {int} to {int}', doc(
  'Starts one container per N (bounded: at most 16; all at once) whose WorkingDir is the path with N substituted, running only `readlink /proc/self/cwd` and a stat of "." (metadata, nothing read). Under runc before 1.1.12 (CVE-2024-21626) a leaked host descriptor made that working directory a host directory. The platform\'s refusal at create or start is recorded with its words.',
  'When containers are started with their working directory at "/proc/self/fd/N" for N from 3 to 9',
  120_000,
), async function (this: KeelhaulWorld, pattern: string, from: number, to: number) {
  await startWithWorkingDirectories(this, pattern, from, to);
});
// The probe plan (support/probe-plan.ts) runs these ahead: the same recipes, minus the verdict.
planProbes('containers are started with their working directory at {string} for N from {int} to {int}', (world, pattern, from, to) => startWithWorkingDirectories(world, String(pattern), Number(from), Number(to)));

Then('each was refused or ran in a working directory inside its own root', doc(
  'A finding for any container whose working directory lies outside its root filesystem (the path /proc/self/cwd names is not the directory it is in, as seen from the container\'s root): the precondition of CVE-2024-21626. Refused at start, or a working directory inside the container, passes. Inconclusive if a probe could not tell.',
  'Then each was refused or ran in a working directory inside its own root',
), function (this: KeelhaulWorld) {
  this.settle(judge.judgeWorkingDirectories(workingDirectoriesOf(this)));
});

Then('a default container\'s seccomp filter refuses the system calls every engine\'s default profile forbids', doc(
  `Runs ${SYSCALL_HELPER_PATH} (built from helpers/keelhaul-syscalls.c into the probe image when keelhaul seeds it) in a default container: it calls bpf, perf_event_open, userfaultfd, open_by_handle_at, clock_settime, add_key, request_key, kexec_load, init_module and others with arguments the kernel rejects before doing anything. EPERM is a refusal; EINVAL/EFAULT/EBADF means the call reached the kernel's argument checks, so no filter stopped it: a finding. ENOSYS is reported as "refused or not in this kernel". Calls Docker forbids but Podman allows (keyctl, setns, unshare, mbind, process_vm_readv) and io_uring_setup are reported. Inconclusive, with the reason, where the probe image has no helper.`,
  'Then a default container\'s seccomp filter refuses the system calls every engine\'s default profile forbids',
), async function (this: KeelhaulWorld) {
  this.settle(judge.seccompVerdict((await runEscapeProbe(this, SECCOMP_PROBE, 'seccomp probe container')).stdout, this.image));
});
planProbes('a default container\'s seccomp filter refuses the system calls every engine\'s default profile forbids', (world) => runEscapeProbe(world, SECCOMP_PROBE, 'seccomp probe container'));

Then('no credentials appear in a default container\'s environment that keelhaul did not set', doc(
  'Reads the variable names of a default container\'s environment and of its pid 1 (/proc/1/environ), never their values, and compares them with what keelhaul set (nothing), what the image sets (Config.Env) and what engines always set (PATH, HOSTNAME, HOME, TERM, container). A finding for an unexpected variable that looks like a credential (SECRET, TOKEN, PASSWORD, *_KEY, AWS_*, ... or a 24+ character token-like value): a platform that injects secrets into every container hands them to every image. Other unexpected variables are recorded.',
  'Then no credentials appear in a default container\'s environment that keelhaul did not set',
), async function (this: KeelhaulWorld) {
  const result = await runEscapeProbe(this, ENV_PROBE, 'environment probe');
  this.settle(judge.envVerdict(result, await imageEnvNames(this)));
});
planProbes('no credentials appear in a default container\'s environment that keelhaul did not set', (world) => runEscapeProbe(world, ENV_PROBE, 'environment probe'));

Then('no engine, containerd, systemd or D-Bus socket is found on any of its mounts or in its network namespace', doc(
  'Searches a default container for unix sockets across every mount (a bounded find: 8 levels, 50 hits, 5 s, /proc and /sys pruned), which also finds a host /run bound in where /run is a tmpfs, and lists /proc/net/unix (abstract sockets included: a host network namespace shows containerd-shim\'s). A finding for any Docker, containerd, containerd-shim, Podman, CRI-O/kubelet, systemd or D-Bus socket.',
  'Then no engine, containerd, systemd or D-Bus socket is found on any of its mounts or in its network namespace',
), async function (this: KeelhaulWorld) {
  this.settle(judge.socketsVerdict(await runEscapeProbe(this, SOCKETS_PROBE, 'socket probe')));
});
planProbes('no engine, containerd, systemd or D-Bus socket is found on any of its mounts or in its network namespace', (world) => runEscapeProbe(world, SOCKETS_PROBE, 'socket probe'));

Then('its cgroup release_agent and devices.allow files cannot be opened for writing, and no FUSE mount is writable', doc(
  'Opens every release_agent and devices.allow under /sys/fs/cgroup for append in a subshell (which writes nothing): a successful open is a finding (release_agent runs a host program as root when a cgroup empties; devices.allow opens the host\'s devices). Also a finding: a FUSE mount (LXCFS is fuse.lxcfs) mounted read-write. Not applicable where the container sees no cgroup v1 hierarchy and no FUSE mount (cgroup v2 has neither file).',
  'Then its cgroup release_agent and devices.allow files cannot be opened for writing, and no FUSE mount is writable',
), async function (this: KeelhaulWorld) {
  this.settle(judge.cgroupFuseVerdict(await runEscapeProbe(this, CGROUP_FUSE_PROBE, 'cgroup and FUSE probe')));
});
planProbes('its cgroup release_agent and devices.allow files cannot be opened for writing, and no FUSE mount is writable', (world) => runEscapeProbe(world, CGROUP_FUSE_PROBE, 'cgroup and FUSE probe'));

Then('a default container is confined by the LSM the daemon lists', doc(
  'Where /info SecurityOptions lists AppArmor or SELinux, reads /proc/self/attr/current in a default container: "unconfined", "kernel", an unconfined SELinux type, or no readable label means the listed LSM does not confine it: a finding on a multi-tenant profile or one with `promises.lsmConfinement: true`, an exposure otherwise. Not applicable where the daemon lists neither.',
  'Then a default container is confined by the LSM the daemon lists',
), async function (this: KeelhaulWorld) {
  const lsm = listedLsmOf(this);
  const strict = this.profile.multiTenant || this.profile.promises?.lsmConfinement === true;
  this.settle(judge.lsmVerdict(await runEscapeProbe(this, LSM_PROBE, 'LSM probe'), lsm, strict));
});
