// Verdicts of the escape steps (ISO-19..24), pure: the judgements of judges/probes-escape.ts turned
// into outcomes, with what each records. Unit-tested on recorded probe outputs.
import {
  judgeCgroupFuse, judgeEnv, judgeLsm, judgeSeccomp, judgeSockets, parseSeccompProbe, type CwdObservation,
} from './probes-escape.js';
import { pass, verdictIf, type Verdict } from './verdict.js';

/** What a probe container returned (RunResult's data). */
export interface ProbeOutput { stdout: string; stderr: string; exitCode: number | null }

const unfinished = (what: string, r: ProbeOutput): Verdict => ({ outcome: 'error', why: `the ${what} did not finish (exit ${r.exitCode}; ${r.stderr.trim().slice(0, 200)})` });

/** ISO-19: a working directory outside the container's root (the CVE-2024-21626 precondition) is the finding. */
export function judgeWorkingDirectories(observed: CwdObservation[]): Verdict {
  const outside = observed.filter((o) => o.outside === true);
  if (outside.length > 0) {
    return { outcome: 'finding', why: `a container's working directory is outside its root (the CVE-2024-21626 precondition): ${outside.map((o) => `fd ${o.fd}: ${o.why}`).join('; ')}` };
  }
  const unknown = observed.filter((o) => !o.refused && o.outside === undefined);
  if (unknown.length > 0) return { outcome: 'inconclusive', why: `could not tell where the working directory was: ${unknown.map((o) => `fd ${o.fd}: ${o.why}`).join('; ')}` };
  return pass({ workingDirectoryVerdict: observed.map((o) => `fd ${o.fd}: ${o.refused ? `refused (${o.refused.slice(0, 120)})` : o.why}`) });
}

/** ISO-20: `image` names the probe image, for the hint where it carries no syscall helper. */
export function seccompVerdict(stdout: string, image: string): Verdict {
  const report = parseSeccompProbe(stdout);
  const judgement = judgeSeccomp(report);
  const observations: Record<string, unknown> = {
    seccompMode: report.seccompMode,
    syscalls: report.calls.map((c) => `${c.name}=${c.errnoName}${c.verdict === 'allowed' ? ' (allowed)' : c.verdict === 'refused-or-absent' ? ' (refused or not in this kernel)' : ''}`),
  };
  if (judgement.reported.length > 0) observations.allowedButNotJudged = judgement.reported;
  if (judgement.verdict === 'inconclusive') {
    return {
      outcome: 'inconclusive', observations, why: report.helper ? judgement.why
        : `${judgement.why} (image ${image}): keelhaul adds it when it seeds the busybox image where gcc -static and libc6-dev are available, and the keelhaul image ships it; an image that was pulled or seeded earlier has none (re-seed: test/fixtures/seed-busybox.sh HOST --force, or remove the image)`,
    };
  }
  if (judgement.verdict === 'finding') return { outcome: 'finding', why: judgement.why, observations };
  return pass({ ...observations, seccompRefused: judgement.why });
}

/** ISO-21: `imageEnv` the names the image sets (Config.Env). Names only ever leave the container. */
export function envVerdict(r: ProbeOutput, imageEnv: string[]): Verdict {
  const judged = judgeEnv(r.stdout, imageEnv);
  if (!judged.finished) return unfinished('environment probe', r);
  if (judged.seen === 0) return { outcome: 'inconclusive', why: 'no variable could be read from env or /proc/1/environ: nothing was looked at' };
  return verdictIf(judged.credentials.length > 0, 'finding',
    `a default container gets credentials-looking variables it did not ask for: ${judged.credentials.join(', ')} (names only; values are not recorded)`, { unexpectedVariables: judged.unexpected });
}

/** ISO-22: engine, containerd, systemd or D-Bus sockets on any mount or in /proc/net/unix. */
export function socketsVerdict(r: ProbeOutput): Verdict {
  const judged = judgeSockets(r.stdout);
  if (!judged.finished) return unfinished('socket probe', r);
  const observations: Record<string, unknown> = { socketsSeen: judged.all };
  if (!judged.netUnixReadable) observations.netUnixNote = '/proc/net/unix is not readable: only the file search was made';
  if (judged.found.length > 0) return { outcome: 'finding', why: `control sockets reachable from a default container: ${judged.found.join('; ')}`, observations };
  // A search cut short proves nothing about the mounts it did not reach (seen: a host root bound in,
  // on a loaded machine, searched for 5 s without reaching /host/run).
  return verdictIf(judged.searchCut, 'inconclusive', 'the search of the container\'s mounts for sockets was stopped by its 5 s bound before it finished, and found no control socket in what it reached', observations);
}

/** ISO-23: release_agent and devices.allow refuse an open for writing; no FUSE mount is read-write. */
export function cgroupFuseVerdict(r: ProbeOutput): Verdict {
  const judged = judgeCgroupFuse(r.stdout);
  if (!judged.finished) return unfinished('cgroup and FUSE probe', r);
  const observations = { cgroupFilesRefused: judged.refused, fuseMounts: judged.fuse };
  const problems = [...judged.openable.map((f) => `${f} can be opened for writing`), ...judged.writableFuse.map((f) => `FUSE mount ${f}`)];
  if (problems.length > 0) return { outcome: 'finding', why: problems.join('; '), observations };
  return verdictIf(judged.refused.length === 0 && judged.fuse.length === 0, 'not-applicable', judged.cgroupV1
    ? 'no release_agent or devices.allow is visible under /sys/fs/cgroup and no FUSE mount is present'
    : 'no cgroup v1 hierarchy (cgroup v2 has no release_agent or devices.allow) and no FUSE mount', observations);
}

/** ISO-24: an unconfined default container under a listed LSM is a finding where `strict` (multi-tenant, or promised), else an exposure. */
export function lsmVerdict(r: ProbeOutput, lsm: 'apparmor' | 'selinux', strict: boolean): Verdict {
  const judged = judgeLsm(r.stdout, lsm);
  if (!judged.finished) return unfinished('LSM probe', r);
  const observations = { lsm: { listed: lsm, label: judged.label } };
  if (judged.confined) return pass(observations);
  return { outcome: strict ? 'finding' : 'exposure', why: judged.why, observations };
}
