// Escapes judged by their precondition (ISO-19, ISO-20): a working directory through a leaked
// descriptor (CVE-2024-21626) and what the seccomp filter really blocks. The judges are in
// judges/probes-escape.ts; nothing here exploits anything.
import { Then, When } from '@cucumber/cucumber';
import { PlatformRefusal } from '../adapters/platform/docker-client.js';
import { Finding } from '../judges/errors.js';
import {
  CGROUP_FUSE_PROBE, CWD_PROBE, ENV_PROBE, LSM_PROBE, SECCOMP_PROBE, judgeLsm, listedLsm, SOCKETS_PROBE, judgeCgroupFuse, judgeEnv, judgeSockets, SYSCALL_HELPER_PATH, judgeCwd, judgeSeccomp, parseSeccompProbe, refusalIsAboutCwd, type CwdObservation,
} from '../judges/probes-escape.js';
import { doc } from '../support/step-docs.js';
import type { KeelhaulWorld } from '../support/world.js';

When('containers are started with their working directory at {string} for N from {int} to {int}', doc(
  'Starts one container per N (bounded: at most 16) whose WorkingDir is the path with N substituted, running only `readlink /proc/self/cwd` and a stat of "." (metadata, nothing read). Under runc before 1.1.12 (CVE-2024-21626) a leaked host descriptor made that working directory a host directory. The platform\'s refusal at create or start is recorded with its words.',
  'When containers are started with their working directory at "/proc/self/fd/N" for N from 3 to 9',
  120_000,
), async function (this: KeelhaulWorld, pattern: string, from: number, to: number) {
  if (!pattern.includes('N')) throw new Error(`"${pattern}" has no N to substitute`);
  if (to < from || to - from > 15) throw new Error(`N from ${from} to ${to}: give at most 16 values, in order`);
  const observed: CwdObservation[] = [];
  for (let fd = from; fd <= to; fd++) {
    const workingDir = pattern.replace('N', String(fd));
    try {
      // World.probe: no network where the platform allows it (its fallback where NetworkMode none is refused).
      const result = await this.probe(CWD_PROBE, { workingDir });
      observed.push(result.timedOut ? { fd, why: 'the container did not finish in time' } : judgeCwd(fd, result.stdout + (result.stderr ? `\n${result.stderr}` : '')));
    } catch (error) {
      if (!(error instanceof PlatformRefusal)) throw error;
      // Refused for the working directory is the defended outcome; refused for anything else says
      // nothing about it (sdc-docker answers a bare "problem starting container"): that container's
      // working directory could not be looked at, which the Then step reports as inconclusive.
      if (refusalIsAboutCwd(error.rawMessage)) observed.push({ fd, refused: error.rawMessage.slice(0, 300), why: 'refused at create or start' });
      else observed.push({ fd, why: `refused without naming the working directory (${error.statusCode}: ${error.rawMessage.slice(0, 160)})` });
    }
  }
  this.state.cwdObservations = observed;
  this.observe('workingDirectories', observed);
});

Then('each was refused or ran in a working directory inside its own root', doc(
  'A finding for any container whose working directory lies outside its root filesystem (the path /proc/self/cwd names is not the directory it is in, as seen from the container\'s root): the precondition of CVE-2024-21626. Refused at start, or a working directory inside the container, passes. Inconclusive if a probe could not tell.',
  'Then each was refused or ran in a working directory inside its own root',
), function (this: KeelhaulWorld) {
  const observed = this.state.cwdObservations as CwdObservation[] | undefined;
  if (!observed) throw new Error('start the scenario with "When containers are started with their working directory at ..."');
  const outside = observed.filter((o) => o.outside === true);
  if (outside.length > 0) {
    throw new Finding(`a container's working directory is outside its root (the CVE-2024-21626 precondition): ${outside.map((o) => `fd ${o.fd}: ${o.why}`).join('; ')}`);
  }
  const unknown = observed.filter((o) => !o.refused && o.outside === undefined);
  if (unknown.length > 0) this.inconclusive(`could not tell where the working directory was: ${unknown.map((o) => `fd ${o.fd}: ${o.why}`).join('; ')}`);
  this.observe('workingDirectoryVerdict', observed.map((o) => `fd ${o.fd}: ${o.refused ? `refused (${o.refused.slice(0, 120)})` : o.why}`));
});

Then('a default container\'s seccomp filter refuses the system calls every engine\'s default profile forbids', doc(
  `Runs ${SYSCALL_HELPER_PATH} (built from helpers/keelhaul-syscalls.c into the probe image when keelhaul seeds it) in a default container: it calls bpf, perf_event_open, userfaultfd, open_by_handle_at, clock_settime, add_key, request_key, kexec_load, init_module and others with arguments the kernel rejects before doing anything. EPERM is a refusal; EINVAL/EFAULT/EBADF means the call reached the kernel's argument checks, so no filter stopped it: a finding. ENOSYS is reported as "refused or not in this kernel". Calls Docker forbids but Podman allows (keyctl, setns, unshare, mbind, process_vm_readv) and io_uring_setup are reported. Inconclusive, with the reason, where the probe image has no helper.`,
  'Then a default container\'s seccomp filter refuses the system calls every engine\'s default profile forbids',
), async function (this: KeelhaulWorld) {
  const result = await this.probe(SECCOMP_PROBE);
  if (result.timedOut) throw new Error('the seccomp probe container did not finish in time');
  const report = parseSeccompProbe(result.stdout);
  this.observe('seccompMode', report.seccompMode);
  this.observe('syscalls', report.calls.map((c) => `${c.name}=${c.errnoName}${c.verdict === 'allowed' ? ' (allowed)' : c.verdict === 'refused-or-absent' ? ' (refused or not in this kernel)' : ''}`));
  const judgement = judgeSeccomp(report);
  if (judgement.reported.length > 0) this.observe('allowedButNotJudged', judgement.reported);
  if (judgement.verdict === 'inconclusive') {
    this.inconclusive(report.helper ? judgement.why
      : `${judgement.why} (image ${this.image}): keelhaul adds it when it seeds the busybox image where gcc -static and libc6-dev are available, and the keelhaul image ships it; an image that was pulled or seeded earlier has none (re-seed: test/fixtures/seed-busybox.sh HOST --force, or remove the image)`);
  }
  if (judgement.verdict === 'finding') throw new Finding(judgement.why);
  this.observe('seccompRefused', judgement.why);
});

Then('no credentials appear in a default container\'s environment that keelhaul did not set', doc(
  'Reads the variable names of a default container\'s environment and of its pid 1 (/proc/1/environ), never their values, and compares them with what keelhaul set (nothing), what the image sets (Config.Env) and what engines always set (PATH, HOSTNAME, HOME, TERM, container). A finding for an unexpected variable that looks like a credential (SECRET, TOKEN, PASSWORD, *_KEY, AWS_*, ... or a 24+ character token-like value): a platform that injects secrets into every container hands them to every image. Other unexpected variables are recorded.',
  'Then no credentials appear in a default container\'s environment that keelhaul did not set',
), async function (this: KeelhaulWorld) {
  const result = await this.probe(ENV_PROBE);
  if (result.timedOut) throw new Error('the environment probe did not finish in time');
  const image = await this.platform.raw({ method: 'GET', path: `/images/${encodeURIComponent(this.image)}/json`, signal: this.signal });
  const imageEnv: string[] = image.status === 200 ? ((image.json() as any)?.Config?.Env ?? []).map((e: string) => String(e).split('=')[0]) : [];
  if (image.status !== 200) this.observe('imageEnvNote', `GET /images/${this.image}/json answered ${image.status}: the image's own variables are unknown`);
  const judged = judgeEnv(result.stdout, imageEnv);
  if (!judged.finished) throw new Error(`the environment probe did not finish (exit ${result.exitCode}; ${result.stderr.trim().slice(0, 200)})`);
  if (judged.seen === 0) this.inconclusive('no variable could be read from env or /proc/1/environ: nothing was looked at');
  this.observe('unexpectedVariables', judged.unexpected);
  if (judged.credentials.length > 0) throw new Finding(`a default container gets credentials-looking variables it did not ask for: ${judged.credentials.join(', ')} (names only; values are not recorded)`);
});

Then('no engine, containerd, systemd or D-Bus socket is found on any of its mounts or in its network namespace', doc(
  'Searches a default container for unix sockets across every mount (a bounded find: 8 levels, 50 hits, 5 s, /proc and /sys pruned), which also finds a host /run bound in where /run is a tmpfs, and lists /proc/net/unix (abstract sockets included: a host network namespace shows containerd-shim\'s). A finding for any Docker, containerd, containerd-shim, Podman, CRI-O/kubelet, systemd or D-Bus socket.',
  'Then no engine, containerd, systemd or D-Bus socket is found on any of its mounts or in its network namespace',
), async function (this: KeelhaulWorld) {
  const result = await this.probe(SOCKETS_PROBE);
  if (result.timedOut) throw new Error('the socket probe did not finish in time');
  const judged = judgeSockets(result.stdout);
  if (!judged.finished) throw new Error(`the socket probe did not finish (exit ${result.exitCode}; ${result.stderr.trim().slice(0, 200)})`);
  this.observe('socketsSeen', judged.all);
  if (!judged.netUnixReadable) this.observe('netUnixNote', '/proc/net/unix is not readable: only the file search was made');
  if (judged.found.length > 0) throw new Finding(`control sockets reachable from a default container: ${judged.found.join('; ')}`);
});

Then('its cgroup release_agent and devices.allow files cannot be opened for writing, and no FUSE mount is writable', doc(
  'Opens every release_agent and devices.allow under /sys/fs/cgroup for append in a subshell (which writes nothing): a successful open is a finding (release_agent runs a host program as root when a cgroup empties; devices.allow opens the host\'s devices). Also a finding: a FUSE mount (LXCFS is fuse.lxcfs) mounted read-write. Not applicable where the container sees no cgroup v1 hierarchy and no FUSE mount (cgroup v2 has neither file).',
  'Then its cgroup release_agent and devices.allow files cannot be opened for writing, and no FUSE mount is writable',
), async function (this: KeelhaulWorld) {
  const result = await this.probe(CGROUP_FUSE_PROBE);
  if (result.timedOut) throw new Error('the cgroup and FUSE probe did not finish in time');
  const judged = judgeCgroupFuse(result.stdout);
  if (!judged.finished) throw new Error(`the cgroup and FUSE probe did not finish (exit ${result.exitCode}; ${result.stderr.trim().slice(0, 200)})`);
  this.observe('cgroupFilesRefused', judged.refused);
  this.observe('fuseMounts', judged.fuse);
  const problems = [
    ...judged.openable.map((f) => `${f} can be opened for writing`),
    ...judged.writableFuse.map((f) => `FUSE mount ${f}`),
  ];
  if (problems.length > 0) throw new Finding(problems.join('; '));
  if (judged.refused.length === 0 && judged.fuse.length === 0) {
    this.notApplicable(judged.cgroupV1 ? 'no release_agent or devices.allow is visible under /sys/fs/cgroup and no FUSE mount is present' : 'no cgroup v1 hierarchy (cgroup v2 has no release_agent or devices.allow) and no FUSE mount');
  }
});

Then('a default container is confined by the LSM the daemon lists', doc(
  'Where /info SecurityOptions lists AppArmor or SELinux, reads /proc/self/attr/current in a default container: "unconfined", "kernel", an unconfined SELinux type, or no readable label means the listed LSM does not confine it: a finding on a multi-tenant profile or one with `promises.lsmConfinement: true`, an exposure otherwise. Not applicable where the daemon lists neither.',
  'Then a default container is confined by the LSM the daemon lists',
), async function (this: KeelhaulWorld) {
  const options: string[] = Array.isArray(this.state.info?.SecurityOptions) ? this.state.info.SecurityOptions.map(String) : [];
  if (!this.state.info) throw new Error('start the scenario with "When the daemon\'s posture is read from "/info" and "/version""');
  const lsm = listedLsm(options);
  if (!lsm) this.notApplicable(`the daemon lists neither AppArmor nor SELinux in SecurityOptions (${options.join(', ') || 'none'})`);
  const result = await this.probe(LSM_PROBE);
  if (result.timedOut) throw new Error('the LSM probe did not finish in time');
  const judged = judgeLsm(result.stdout, lsm);
  if (!judged.finished) throw new Error(`the LSM probe did not finish (exit ${result.exitCode}; ${result.stderr.trim().slice(0, 200)})`);
  this.observe('lsm', { listed: lsm, label: judged.label });
  if (judged.confined) return;
  if (this.profile.multiTenant || this.profile.promises?.lsmConfinement) throw new Finding(judged.why);
  this.expose(judged.why);
});
