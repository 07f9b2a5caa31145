// The isolation family's recipes (ISO-01..12, ISO-16..25): which containers it starts, what it
// reads back, and the typed slots it keeps for later steps of the scenario (this.ctx). The rules
// that judge what these return are pure, in judges/isolation-verdicts.ts and judges/escape-verdicts.ts.
import { randomBytes } from 'node:crypto';
import { isRefusal, type ContainerSpec, type RunResult } from '../adapters/platform/docker-client.js';
import { parseSiblings, type ExaminedPaths, type Siblings } from '../judges/isolation-verdicts.js';
import { parseMountinfo } from '../judges/mountinfo.js';
import { CWD_PROBE, judgeCwd, listedLsm, refusalIsAboutCwd, type CwdObservation } from '../judges/probes-escape.js';
import { PATH_PROBE, observerScript, parseIsolationProbe, resolvedPaths, siblingScript } from '../judges/probes-isolation.js';
import { probeContainer, type Probed } from './default-probe.js';
import { noNetworkHostConfig } from './network-policy.js';
import type { KeelhaulWorld } from './world.js';

declare module './world.js' {
  interface ScenarioContext {
    /** The default probe (or, after "a container asks for no-new-privileges", that container's). */
    isolation?: Probed;
    siblings?: Siblings;
    /** The @deep tmpfs mount's "EXIT:output". */
    deepMount?: string;
    workingDirectories?: CwdObservation[];
    /** The other tenant's container (ISO-25). */
    peerContainer?: string;
  }
}

const START_WITH = 'start the scenario with "Given a container started with no options"';

export function probedOf(world: KeelhaulWorld): Probed {
  if (!world.ctx.isolation) throw new Error(`no container was probed: ${START_WITH}`);
  return world.ctx.isolation;
}

/** The default probe, kept for the scenario, with the privileges it found recorded and attached. */
export async function probeDefaultContainer(world: KeelhaulWorld): Promise<void> {
  const probed = await probeContainer(world);
  world.ctx.isolation = probed;
  const values = probed.report.values;
  for (const key of ['CapEff', 'CapBnd', 'Seccomp', 'NoNewPrivs', 'uid_map']) world.observe(key, values[key]);
  world.attach(Object.entries(values).map(([k, v]) => `${k}=${v}`).join('\n'), { mediaType: 'text/plain', fileName: 'probe.txt' });
}

/** A container asking for SecurityOpt no-new-privileges, on the default probe's network; a refusal is honest (not applicable). */
export async function probeAskingNoNewPrivileges(world: KeelhaulWorld): Promise<void> {
  const { networkMode } = await probeContainer(world);
  try {
    world.ctx.isolation = await probeContainer(world, { hostConfig: { NetworkMode: networkMode, SecurityOpt: ['no-new-privileges'] } });
  } catch (error) {
    // Refusing the option is honest (Triton marks --security-opt unsupported); ignoring it is not.
    if (isRefusal(error)) world.notApplicable(`the platform refuses SecurityOpt no-new-privileges: ${error.rawMessage}`);
    throw error;
  }
}

/**
 * What is known of these paths in the probed configuration. The shared probe looks at a fixed list;
 * any other path is looked at by a follow-up container of the same configuration that examines
 * exactly the paths given (PATH_PROBE), so a verdict is never about a path nobody looked at (issue 14).
 */
export async function examinePaths(world: KeelhaulWorld, paths: string[], openForWriting = false): Promise<ExaminedPaths> {
  const shared = probedOf(world);
  const { report } = shared;
  const seen = new Set([...report.exists, ...report.absent]);
  if (!openForWriting && paths.every((p) => seen.has(p))) return { exists: new Set(report.exists), mounts: shared.mounts, resolved: {}, opened: {}, by: 'the shared probe' };
  // The shared probe already opened core_pattern for writing.
  if (openForWriting && paths.length === 1 && paths[0] === '/proc/sys/kernel/core_pattern' && report.attempts.core_pattern_open) {
    return { exists: new Set(report.exists), mounts: shared.mounts, resolved: {}, opened: { [paths[0]]: report.attempts.core_pattern_open }, by: 'the shared probe' };
  }
  const env = [...(shared.spec.env ?? []), `KEELHAUL_PATHS=${paths.join('\n')}`, ...(openForWriting ? ['KEELHAUL_OPEN_FOR_WRITING=1'] : [])];
  const result = await world.probe(PATH_PROBE, { ...shared.spec, env });
  if (result.timedOut) throw new Error('the path probe container did not finish in time');
  const found = parseIsolationProbe(result.stdout);
  if (found.values.probe !== 'done' || found.mountLines.length === 0) {
    throw new Error(`the path probe did not finish (exit ${result.exitCode}; stderr: ${result.stderr.trim().slice(0, 200)})`);
  }
  const unseen = paths.filter((p) => !found.exists.includes(p) && !found.absent.includes(p));
  if (unseen.length > 0) throw new Error(`the path probe did not report ${unseen.join(', ')}`);
  return {
    exists: new Set(found.exists), mounts: parseMountinfo(found.mountLines), resolved: resolvedPaths(result.stdout),
    opened: found.keyed.wopen ?? {}, by: 'a follow-up container of the same configuration',
  };
}

// ---- sibling containers (ISO-03..05), observed once per worker ---------------------------------------

let siblingsOfWorker: Promise<Siblings> | undefined;

async function observeSiblings(world: KeelhaulWorld): Promise<Siblings> {
  const marker = `keelhaul-marker-${randomBytes(6).toString('hex')}`;
  // No network where the platform allows it (the default probe has found out; Triton refuses "none").
  const { networkMode } = await probeContainer(world);
  // The second container is created while the first one starts (a create runs nothing: the runtime
  // only sets a container up at start), and started once the first is ready. Both are waited for
  // before a failure is thrown, so neither is still being created when the clean-up runs.
  const [first, created] = await Promise.allSettled([
    world.startContainer({ cmd: ['sh', '-c', siblingScript(marker)], hostConfig: { NetworkMode: networkMode } }),
    createTracked(world, { image: world.image, cmd: ['sh', '-c', observerScript(marker)], hostConfig: { NetworkMode: networkMode } }),
  ]);
  if (first.status === 'rejected') throw first.reason;
  if (created.status === 'rejected') throw created.reason;
  const [firstId, secondId] = [first.value, created.value];
  // Wait (bounded) until the first container has reported its namespaces and left its marker. Polled
  // every 25 ms (it is ready a few ms after its start); the bound is a time, as long as the 40 polls
  // of 100 ms it replaces took on a loaded machine.
  let logs = '';
  for (const deadline = Date.now() + 8_000; ;) {
    logs = (await world.platform.logs(firstId, false, world.signal)).stdout;
    if (/ready=yes/.test(logs)) break;
    if (Date.now() > deadline) throw new Error('the first container did not report its namespaces within 8 s');
    await new Promise((r) => setTimeout(r, 25));
  }
  const second = await runCreated(world, secondId);
  if (!/probe=done/.test(second.stdout)) throw new Error(`the second container's probe did not finish (exit ${second.exitCode}; ${second.stderr.trim().slice(0, 200)})`);
  const inspect = await world.platform.inspectContainer(firstId, world.signal);
  return parseSiblings(logs, second.stdout, inspect?.State?.Running === true ? 'running' : String(inspect?.State?.Status ?? 'unknown'));
}

/** A container created (not started) and tracked for the scenario's clean-up. */
async function createTracked(world: KeelhaulWorld, spec: ContainerSpec): Promise<string> {
  const id = await world.platform.createContainer(spec, world.scenarioId, world.signal);
  world.resources.track('container', id);
  return id;
}

/** What World.runContainer does after its create: start, wait (bounded), logs; removed without waiting. */
async function runCreated(world: KeelhaulWorld, id: string): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  await world.platform.startContainer(id, world.signal);
  const { exitCode, timedOut } = await world.platform.waitContainer(id, world.parameters.containerTimeoutMs, world.signal);
  const { stdout, stderr } = await world.platform.logs(id, false, world.signal);
  world.resources.removeInBackground(world.platform, id);
  return { exitCode: timedOut ? null : exitCode, stdout, stderr };
}

export async function observeSiblingsOnce(world: KeelhaulWorld): Promise<void> {
  const pending = siblingsOfWorker ?? observeSiblings(world);
  if (!siblingsOfWorker) {
    siblingsOfWorker = pending;
    pending.catch(() => { siblingsOfWorker = undefined; });
  }
  world.ctx.siblings = await pending;
}

export function siblingsOf(world: KeelhaulWorld): Siblings {
  if (!world.ctx.siblings) throw new Error('start the scenario with "Given two containers started side by side with no options"');
  return world.ctx.siblings;
}

/** @deep: really mounts a tmpfs on a fresh directory of the container's /tmp and unmounts it at once. */
export async function tryTmpfsMount(world: KeelhaulWorld): Promise<void> {
  const script = 'mkdir -p /tmp/keelhaul-deep && o=$(mount -t tmpfs keelhaul /tmp/keelhaul-deep 2>&1); r=$?; [ $r -eq 0 ] && umount /tmp/keelhaul-deep; echo "mount=$r:$o"';
  const result = await world.runContainer({ cmd: ['sh', '-c', script], hostConfig: { NetworkMode: 'none' } });
  world.ctx.deepMount = (result.stdout.split('\n').find((l) => l.startsWith('mount=')) ?? '').slice(6);
}

// ---- escapes (ISO-19..24) ------------------------------------------------------------------------------

/**
 * ISO-19: one container per N, its working directory the pattern with N substituted (bounded: at most
 * 16). The containers are independent (each its own runtime and its own descriptors), so they run at
 * once: a container's start is mostly waiting on the engine, and 7 in a row were most of ISO-19's time.
 * Every one is waited for (allSettled) before an error is thrown, so none is still being created when the
 * scenario's clean-up runs; the observations stay in the order of N.
 */
export async function startWithWorkingDirectories(world: KeelhaulWorld, pattern: string, from: number, to: number): Promise<void> {
  if (!pattern.includes('N')) throw new Error(`"${pattern}" has no N to substitute`);
  if (to < from || to - from > 15) throw new Error(`N from ${from} to ${to}: give at most 16 values, in order`);
  const fds = Array.from({ length: to - from + 1 }, (_, i) => from + i);
  const settled = await Promise.allSettled(fds.map((fd) => observeWorkingDirectory(world, pattern, fd)));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  const observed = settled.map((s) => (s as PromiseFulfilledResult<CwdObservation>).value);
  world.ctx.workingDirectories = observed;
  world.observe('workingDirectories', observed);
}

async function observeWorkingDirectory(world: KeelhaulWorld, pattern: string, fd: number): Promise<CwdObservation> {
  try {
    // World.probe: no network where the platform allows it (support/network-policy.ts).
    const result = await world.probe(CWD_PROBE, { workingDir: pattern.replace('N', String(fd)) });
    return result.timedOut ? { fd, why: 'the container did not finish in time' } : judgeCwd(fd, result.stdout + (result.stderr ? `\n${result.stderr}` : ''));
  } catch (error) {
    if (!isRefusal(error)) throw error;
    // Refused for the working directory is the defended outcome; refused for anything else says
    // nothing about it (sdc-docker answers a bare "problem starting container"): inconclusive.
    if (refusalIsAboutCwd(error.rawMessage)) return { fd, refused: error.rawMessage.slice(0, 300), why: 'refused at create or start' };
    return { fd, why: `refused without naming the working directory (${error.statusCode}: ${error.rawMessage.slice(0, 160)})` };
  }
}

export function workingDirectoriesOf(world: KeelhaulWorld): CwdObservation[] {
  if (!world.ctx.workingDirectories) throw new Error('start the scenario with "When containers are started with their working directory at ..."');
  return world.ctx.workingDirectories;
}

/** One of the escape probes in a default container; a probe that did not finish in time is an error. */
export async function runEscapeProbe(world: KeelhaulWorld, script: string, what: string, spec: Partial<ContainerSpec> = {}): Promise<RunResult> {
  const result = await world.probe(script, spec);
  if (result.timedOut) throw new Error(`the ${what} did not finish in time`);
  return result;
}

/** ISO-21: the variable names the probe image itself sets (Config.Env); unknown is recorded, not guessed. */
export async function imageEnvNames(world: KeelhaulWorld): Promise<string[]> {
  const image = await world.platform.raw({ method: 'GET', path: `/images/${encodeURIComponent(world.image)}/json`, signal: world.signal });
  if (image.status === 200) return ((image.json() as any)?.Config?.Env ?? []).map((e: string) => String(e).split('=')[0]);
  world.observe('imageEnvNote', `GET /images/${world.image}/json answered ${image.status}: the image's own variables are unknown`);
  return [];
}

/**
 * ISO-24: the LSM the daemon lists in /info SecurityOptions, read by the hardening family's
 * "When the daemon's posture is read from ..." step (world.ctx.daemon.info); not applicable where it lists none.
 */
export function listedLsmOf(world: KeelhaulWorld): 'apparmor' | 'selinux' {
  const info = world.ctx.daemon?.info;
  if (!info) throw new Error('start the scenario with "When the daemon\'s posture is read from "/info" and "/version""');
  const options: string[] = Array.isArray(info.SecurityOptions) ? info.SecurityOptions.map(String) : [];
  const lsm = listedLsm(options);
  if (!lsm) world.notApplicable(`the daemon lists neither AppArmor nor SELinux in SecurityOptions (${options.join(', ') || 'none'})`);
  return lsm;
}

// ---- tenant to tenant (ISO-25) -------------------------------------------------------------------------

/** A long-running container of the second tenant, removed with that tenant's own client. */
export async function startPeerContainer(world: KeelhaulWorld): Promise<void> {
  const peer = world.peer;
  if (!peer) world.notApplicable('no second tenant: give --peer-target (and --peer-cert-path for its certificates) to judge one account against another');
  const id = await peer.createContainer({ image: world.image, cmd: ['sleep', '120'], hostConfig: noNetworkHostConfig(world.probeNetworkMode) }, world.scenarioId, world.signal);
  world.peerResources.track('container', id);
  await peer.startContainer(id, world.signal);
  world.ctx.peerContainer = id;
}
