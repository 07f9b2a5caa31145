// Hardening family (HARD-01..17): request each dangerous option through the API and classify what
// the platform did with it: rejected (the API refused it at create, start or exec), neutralised
// (accepted, but the probe from inside shows no effect) or effective (the container really got it).
// The verdict comes from the profile (judges/hardening.ts): multi-tenant -> effective is a finding;
// otherwise it passes as an exposure. Plus the daemon posture a client can read from /info and /version.
import { Then, When } from '@cucumber/cucumber';
import { PlatformRefusal, type ContainerSpec } from '../adapters/platform/docker-client.js';
import { capabilityBit, decodeCapabilities, fullCapabilityMask, hasCapability, normaliseCapabilityName, parseCapabilityMask } from '../judges/capabilities.js';
import { componentsFromVersion, evaluateCves } from '../judges/cve-table.js';
import { evaluateKernelCves } from '../judges/kernel-cve-table.js';
import { resolveConnection } from '../adapters/platform/connection.js';
import { unauthenticatedGet, type UnauthenticatedAnswer } from '../adapters/platform/unauthenticated.js';
import { Finding, oneLine } from '../judges/errors.js';
import {
  cgroupParent, classify, execRuntimeRefusal, limitValue, refusalStage, verdictFor, type Effect, type RefusalStage,
} from '../judges/hardening.js';
import { isMasked, isReadOnly, mountFor, sharedPropagation, type MountEntry } from '../judges/mountinfo.js';
import { judgeNamespace, kernelHasStaticMntNet, parseNamespaceLink, type NamespaceKind } from '../judges/namespaces.js';
import type { ProbeReport } from '../judges/probes-isolation.js';
import { doc, type ArgumentCheck } from '../support/step-docs.js';
import type { KeelhaulWorld } from '../support/world.js';
import { probeContainer, type Probed } from '../support/default-probe.js';

interface Context {
  world: KeelhaulWorld;
  baseline: Probed;
}

interface DangerousOption {
  /** Ends the scenario (not applicable) before anything is requested, when the option means nothing here. */
  precheck?(ctx: Context): void;
  /** What is asked of the API (HostConfig fields; env for the probe). */
  request(ctx: Context): { hostConfig: Record<string, unknown>; env?: string[] } | string;
  /** Judge the effect from the probe inside the container that got it. */
  effect(p: Probed, ctx: Context): Effect;
  /** Objects the request needs first (a volume); created and tracked for removal at scenario end. */
  prepare?(ctx: Context): Promise<void>;
  /** A refusal matching this says the host lacks the thing asked for, not that the platform refused it. */
  absentWhen?: RegExp;
}

const HOST_DIR = '/keelhaul-host';

function nsEffect(kind: NamespaceKind): DangerousOption['effect'] {
  return ({ report }, { baseline }) => {
    const link = report.values[`ns.${kind}`];
    if (!link) return { effective: 'unknown', evidence: `the ${kind} namespace is unreadable` };
    const staticMntNet = kernelHasStaticMntNet(report.values.kernel ?? '');
    const verdict = judgeNamespace(kind, parseNamespaceLink(link).inode, staticMntNet);
    const baseLink = baseline.report.values[`ns.${kind}`];
    if (verdict.shared === true && baseLink && judgeNamespace(kind, parseNamespaceLink(baseLink).inode, staticMntNet).shared === true) {
      // Nothing to tell apart: the request cannot be judged where the default already shares it (ISO-02 reports that).
      return { effective: 'unknown', evidence: `a container started with no options already shares the host's ${kind} namespace (${baseLink}), so the request changes nothing that can be seen` };
    }
    return { effective: verdict.shared, evidence: verdict.reason };
  };
}

function capsBeyondBaseline(report: ProbeReport, baseline: ProbeReport): string[] {
  const held = decodeCapabilities(parseCapabilityMask(report.values.CapEff!));
  const base = new Set(decodeCapabilities(parseCapabilityMask(baseline.values.CapEff!)));
  return held.filter((c) => !base.has(c));
}

function hostMountAt(mounts: MountEntry[], target: string): MountEntry | undefined {
  return mounts.find((m) => m.mountPoint === target);
}

function bindEffect(what: string): DangerousOption['effect'] {
  return ({ report, mounts }) => {
    const m = hostMountAt(mounts, HOST_DIR);
    const entries = Number(report.values.hostdir_entries ?? '0');
    if (m || entries > 0) return { effective: true, evidence: `${what} is mounted at ${HOST_DIR}${m ? ` (${m.fsType} ${m.source}, root ${m.root})` : ''}; ${entries} entries listed` };
    return { effective: false, evidence: `nothing is mounted at ${HOST_DIR}` };
  };
}

function engineSocketPath(world: KeelhaulWorld): string {
  const url = world.platform.url;
  return url.startsWith('unix://') ? url.slice('unix://'.length) : '/var/run/docker.sock';
}

function lsmOf(report: ProbeReport): string {
  return (report.values.lsm ?? '').trim();
}

const OPTIONS: Record<string, DangerousOption> = {
  'privileged mode': {
    request: () => ({ hostConfig: { Privileged: true } }),
    effect: ({ report, mounts }) => {
      const full = fullCapabilityMask(Number(report.values.cap_last_cap));
      const bounding = parseCapabilityMask(report.values.CapBnd!);
      const signs: string[] = [];
      if ((bounding & full) === full) signs.push('the bounding set is the kernel\'s full set');
      if (report.values.Seccomp === '0') signs.push('no seccomp filter');
      const sys = mountFor(mounts, '/sys');
      if (sys && !isReadOnly(sys)) signs.push('/sys is writable');
      return { effective: signs.length > 0, evidence: signs.join('; ') || 'default capabilities, seccomp on, /sys read-only' };
    },
  },
  'every capability added': {
    request: () => ({ hostConfig: { CapAdd: ['ALL'] } }),
    effect: ({ report }, { baseline }) => {
      const extra = capsBeyondBaseline(report, baseline.report);
      return { effective: extra.length > 0, evidence: extra.length ? `capabilities beyond the default: ${extra.join(', ')}` : 'no capability beyond the default' };
    },
  },
  'the host\'s root directory bind-mounted': { request: () => ({ hostConfig: { Binds: [`/:${HOST_DIR}:ro`] }, env: [`KEELHAUL_HOSTDIR=${HOST_DIR}/etc`] }), effect: bindEffect('the host\'s /') },
  'the host\'s /etc bind-mounted': { request: () => ({ hostConfig: { Binds: [`/etc:${HOST_DIR}:ro`] }, env: [`KEELHAUL_HOSTDIR=${HOST_DIR}`] }), effect: bindEffect('the host\'s /etc') },
  'the host\'s /proc bind-mounted': { request: () => ({ hostConfig: { Binds: [`/proc:${HOST_DIR}:ro`] }, env: [`KEELHAUL_HOSTDIR=${HOST_DIR}/sys/kernel`] }), effect: bindEffect('the host\'s /proc') },
  'the engine\'s socket bind-mounted': {
    // Mounts (not Binds): a missing source is an error instead of a directory created on the host.
    request: ({ world }) => ({ hostConfig: { Mounts: [{ Type: 'bind', Source: engineSocketPath(world), Target: '/keelhaul/engine.sock', ReadOnly: true }] } }),
    effect: ({ report }) => report.sockets.includes('/keelhaul/engine.sock')
      ? { effective: true, evidence: 'the engine\'s socket is present at /keelhaul/engine.sock' }
      : { effective: false, evidence: 'no socket at /keelhaul/engine.sock' },
  },
  'the host\'s pid namespace': { request: () => ({ hostConfig: { PidMode: 'host' } }), effect: nsEffect('pid') },
  'the host\'s network namespace': { request: () => ({ hostConfig: { NetworkMode: 'host' } }), effect: nsEffect('net') },
  'the host\'s ipc namespace': { request: () => ({ hostConfig: { IpcMode: 'host' } }), effect: nsEffect('ipc') },
  'the host\'s uts namespace': { request: () => ({ hostConfig: { UTSMode: 'host' } }), effect: nsEffect('uts') },
  'the host\'s user namespace': { request: () => ({ hostConfig: { UsernsMode: 'host' } }), effect: nsEffect('user') },
  'the host\'s cgroup namespace': { request: () => ({ hostConfig: { CgroupnsMode: 'host' } }), effect: nsEffect('cgroup') },
  'seccomp disabled': {
    request: () => ({ hostConfig: { SecurityOpt: ['seccomp=unconfined'] } }),
    effect: ({ report }) => ({ effective: report.values.Seccomp === '0', evidence: `Seccomp: ${report.values.Seccomp}` }),
  },
  'AppArmor disabled': {
    precheck: ({ world, baseline }) => {
      const base = lsmOf(baseline.report);
      if (!base || base === 'unconfined' || /^[a-z_]+:[a-z_]+:[a-z_]+/.test(base)) world.notApplicable(`a default container has no AppArmor profile here ("${base || 'none'}"): there is nothing to disable`);
    },
    request: () => ({ hostConfig: { SecurityOpt: ['apparmor=unconfined'] } }),
    effect: ({ report }, { baseline }) => {
      const now = lsmOf(report);
      return { effective: now === 'unconfined' || now === '', evidence: `LSM label "${now}" (default container: "${lsmOf(baseline.report)}")` };
    },
  },
  'SELinux labelling disabled': {
    precheck: ({ world, baseline }) => {
      const base = lsmOf(baseline.report);
      if (!/^[a-z_]+:[a-z_]+:[a-z_]+/.test(base)) world.notApplicable(`a default container has no SELinux label here ("${base || 'none'}")`);
    },
    request: () => ({ hostConfig: { SecurityOpt: ['label=disable'] } }),
    effect: ({ report }, { baseline }) => {
      const [now, base] = [lsmOf(report), lsmOf(baseline.report)];
      return { effective: now !== base, evidence: `label "${now}" (default container: "${base}")` };
    },
  },
  'the kernel\'s system paths unmasked': {
    request: () => ({ hostConfig: { SecurityOpt: ['systempaths=unconfined'] } }),
    effect: ({ report, mounts }, { baseline }) => {
      const signs: string[] = [];
      const sys = mountFor(mounts, '/proc/sys');
      if (sys && !isReadOnly(sys)) signs.push(`/proc/sys is writable (covered by ${sys.mountPoint})`);
      for (const path of ['/proc/keys', '/proc/timer_list', '/sys/firmware']) {
        if (isMasked(baseline.mounts, path) && report.exists.includes(path) && !isMasked(mounts, path)) signs.push(`${path} is no longer masked`);
      }
      return { effective: signs.length > 0, evidence: signs.join('; ') || '/proc/sys read-only and masks in place' };
    },
  },
  'every device allowed by device cgroup rules': {
    request: () => ({ hostConfig: { DeviceCgroupRules: ['b *:* rwm', 'c *:* rwm'] } }),
    effect: ({ report }) => {
      const opened = Object.entries(report.keyed.devopen ?? {}).filter(([, a]) => a.ok).map(([node]) => node);
      const made = Object.values(report.keyed.mknod ?? {}).some((a) => a.ok);
      const rules = report.values.devices_list ? ` (devices.list: ${report.values.devices_list})` : '';
      if (!made) return { effective: false, evidence: `the container cannot create device nodes, so the rules open nothing${rules}` };
      return { effective: opened.length > 0, evidence: opened.length ? `opened ${opened.join(', ')} through nodes it created` : 'every device open refused' };
    },
  },
  'the host\'s /dev/fuse passed in as a device': {
    request: () => ({ hostConfig: { Devices: [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/keelhaul-device', CgroupPermissions: 'rw' }] }, env: ['KEELHAUL_DEVICE=/dev/keelhaul-device'] }),
    effect: ({ report }) => {
      const a = report.attempts.open_device;
      return { effective: a?.ok === true, evidence: a?.ok ? '/dev/keelhaul-device (the host\'s /dev/fuse) opened' : `open: ${a?.message || 'no such device in the container'}` };
    },
  },
  'the cgroup parent set to the root cgroup': {
    request: () => ({ hostConfig: { CgroupParent: '/' } }),
    effect: ({ report }, { baseline }) => {
      const [now, base] = [cgroupParent(report.cgroupLines), cgroupParent(baseline.report.cgroupLines)];
      if (!now || !base) return { effective: 'unknown', evidence: 'the cgroup path is not visible from inside (private cgroup namespace)' };
      if (base === '/' && now === '/') return { effective: 'unknown', evidence: 'a default container already sits under the root cgroup as seen from inside' };
      return { effective: now !== base, evidence: `parent cgroup ${now} (default container: ${base})` };
    },
  },
  'a host-level sysctl set to its current value': {
    // vm.swappiness is not namespaced: honouring it writes the host's value. The current value is
    // requested, so even a platform that honours it changes nothing.
    request: ({ baseline }) => {
      const current = baseline.report.values.swappiness;
      if (!/^\d+$/.test(current ?? '')) return 'vm.swappiness is unreadable in a default container';
      return { hostConfig: { Sysctls: { 'vm.swappiness': current } } };
    },
    // Accepted and started: the value is the host's own, so nothing inside can show whether it was
    // applied (to the host) or dropped. Inconclusive, with what inspect claims for the record.
    effect: () => ({ effective: 'unknown', evidence: 'the container started with a non-namespaced sysctl; whether it was applied to the host cannot be seen without changing the host' }),
  },
  'the OOM killer disabled without a memory limit': {
    request: () => ({ hostConfig: { OomKillDisable: true } }),
    effect: ({ report }) => {
      const v = report.values.oom_kill_disable;
      if (!v) return { effective: 'unknown', evidence: 'memory.oom_control is not visible (cgroup v2 has no OOM-kill opt-out)' };
      return { effective: v === '1', evidence: `oom_kill_disable ${v}` };
    },
  },
  'an OOM score adjustment of -1000': {
    request: () => ({ hostConfig: { OomScoreAdj: -1000 } }),
    effect: ({ report }) => ({ effective: report.values.oom_score_adj === '-1000', evidence: `oom_score_adj ${report.values.oom_score_adj}` }),
  },
  'a read-only bind mount with shared propagation': {
    request: () => ({ hostConfig: { Mounts: [{ Type: 'bind', Source: '/', Target: HOST_DIR, ReadOnly: true, BindOptions: { Propagation: 'rshared' } }] } }),
    effect: ({ mounts }) => {
      const m = hostMountAt(mounts, HOST_DIR);
      if (!m) return { effective: false, evidence: `nothing is mounted at ${HOST_DIR}` };
      const shared = sharedPropagation([m]).length > 0;
      return { effective: shared, evidence: `${HOST_DIR} propagation: ${m.optional.join(' ') || 'private'}` };
    },
  },
};

// HARD-03: any host path, asked for read-only through Mounts (a missing source is an error there,
// never a directory created on the host as Binds would).
function hostPathThroughMounts(path: string): DangerousOption {
  return {
    request: () => ({ hostConfig: { Mounts: [{ Type: 'bind', Source: path, Target: HOST_DIR, ReadOnly: true }] }, env: [`KEELHAUL_HOSTDIR=${HOST_DIR}`] }),
    effect: bindEffect(`the host's ${path}`),
    absentWhen: /bind source path does not exist|no such file or directory|not found/i,
  };
}

// HARD-03-VOLUME: a named volume of the local driver whose options bind a host directory: the route
// that policies checking only Binds and Mounts of type bind miss. Created per scenario, removed at its end.
function hostPathThroughVolume(path: string): DangerousOption {
  let volume = '';
  return {
    prepare: async ({ world }) => {
      volume = `keelhaul-bind-${world.parameters.runId.slice(0, 12)}-${Math.random().toString(36).slice(2, 8)}`;
      const name = await world.platform.createVolume(volume, world.scenarioId, { driver: 'local', driverOpts: { type: 'none', o: 'bind', device: path } });
      world.resources.track('volume', name);
      volume = name;
    },
    request: () => ({ hostConfig: { Mounts: [{ Type: 'volume', Source: volume, Target: HOST_DIR, ReadOnly: true }] }, env: [`KEELHAUL_HOSTDIR=${HOST_DIR}`] }),
    effect: bindEffect(`the host's ${path} (through a local volume with type=none,o=bind)`),
  };
}

function optionFor(name: string): DangerousOption {
  const hostPath = /^the host's (\/[\w./-]*) mounted read-only through Mounts$/.exec(name);
  if (hostPath) return hostPathThroughMounts(hostPath[1]!);
  const volumePath = /^the host's (\/[\w./-]*) through a local volume bound to it$/.exec(name);
  if (volumePath) return hostPathThroughVolume(volumePath[1]!);
  const cap = /^the ([A-Z_]+) capability added$/.exec(name);
  if (cap) {
    const capName = normaliseCapabilityName(cap[1]!);
    capabilityBit(capName); // throws on an unknown name
    return {
      request: () => ({ hostConfig: { CapAdd: [capName] } }),
      effect: ({ report }) => {
        const held = hasCapability(parseCapabilityMask(report.values.CapEff!), capName);
        return { effective: held, evidence: `CapEff ${report.values.CapEff}${held ? ` holds ${capName}` : ` lacks ${capName}`}` };
      },
    };
  }
  const option = OPTIONS[name];
  if (!option) throw new Error(`unknown dangerous option "${name}" (known: the <CAP> capability added, ${Object.keys(OPTIONS).join(', ')})`);
  return option;
}

interface Outcome {
  option: string;
  request?: unknown;
  refusal?: { stage: RefusalStage; message: string };
  effect?: Effect;
}

function record(world: KeelhaulWorld, outcome: Outcome): void {
  world.state.hardening = outcome;
  world.observe('hardeningRequest', { option: outcome.option, request: outcome.request });
  if (outcome.refusal) {
    world.observe('refusedAt', outcome.refusal.stage);
    world.observe('rawMessage', outcome.refusal.message);
  }
  if (outcome.effect) world.observe('evidence', outcome.effect.evidence);
}

When('a container is requested with {string}', doc(
  'Asks the API for a container with one dangerous option (see the feature files for the list: privileged mode, "the SYS_ADMIN capability added", host binds, "the host\'s /dev mounted read-only through Mounts", "the host\'s /etc through a local volume bound to it" (created first, removed at the end), host namespaces, disabled seccomp/LSM, devices, cgroup parent, a host sysctl, OOM opt-outs, shared propagation) and, if it starts, probes it from the inside. A refusal at create or start is recorded with its raw message.',
  'When a container is requested with "the SYS_ADMIN capability added"',
  90_000,
  ((args) => {
    try {
      optionFor(String(args[0]));
      return undefined;
    } catch (error) {
      // An unknown capability says so; an unknown option gets the list of those the step knows.
      return /capability added$/.test(String(args[0]))
        ? `this step judges "the <CAP> capability added" for a known capability: ${(error as Error).message}`
        : `this step judges these options: the <CAP> capability added, ${Object.keys(OPTIONS).join(', ')}; not "${args[0]}"`;
    }
  }) satisfies ArgumentCheck,
), async function (this: KeelhaulWorld, name: string) {
  const option = optionFor(name);
  const baseline = await probeContainer(this);
  const ctx: Context = { world: this, baseline };
  option.precheck?.(ctx);
  if (option.prepare) {
    try {
      await option.prepare(ctx);
    } catch (error) {
      if (!(error instanceof PlatformRefusal || (error as Error)?.name === 'PlatformRefusal')) throw error;
      const refusal = error as PlatformRefusal;
      record(this, { option: name, refusal: { stage: 'create', message: refusal.rawMessage || oneLine(refusal) } });
      return;
    }
  }
  const request = option.request(ctx);
  if (typeof request === 'string') this.inconclusive(request);
  // Same network as the baseline probe, so that only the dangerous option differs between the two.
  const networkMode = baseline.networkMode;
  const spec: Partial<ContainerSpec> = { hostConfig: { NetworkMode: networkMode, ...request.hostConfig }, env: request.env };
  try {
    const probed = await probeContainer(this, spec);
    record(this, { option: name, request: request.hostConfig, effect: option.effect(probed, ctx) });
  } catch (error) {
    if (error instanceof PlatformRefusal || (error as Error)?.name === 'PlatformRefusal') {
      const refusal = error as PlatformRefusal;
      if (option.absentWhen?.test(refusal.rawMessage)) this.notApplicable(`${name}: the host has no such path (${refusal.rawMessage.slice(0, 200)})`);
      record(this, { option: name, request: request.hostConfig, refusal: { stage: refusalStage(refusal.message), message: refusal.rawMessage || oneLine(refusal) } });
      return;
    }
    throw error;
  }
});

When('a privileged exec as root is requested in a running container', doc(
  'Starts a default container, then asks POST /containers/{id}/exec for `Privileged: true, User: "0"` and reads CapEff inside the exec. A runtime error inside the exec (exit 126, "unable to apply caps") counts as a refusal at exec.',
  'When a privileged exec as root is requested in a running container',
  90_000,
), async function (this: KeelhaulWorld) {
  const name = 'a privileged exec as root';
  const request = { Privileged: true, User: '0' };
  const { networkMode } = await probeContainer(this);
  const id = await this.startContainer({ cmd: ['sleep', '60'], hostConfig: { NetworkMode: networkMode } });
  const base = await this.platform.exec(id, ['sh', '-c', 'sed -n "s/^CapEff:[[:space:]]*//p" /proc/self/status'], { timeoutMs: 20_000, signal: this.signal });
  let result;
  try {
    result = await this.platform.exec(id, ['sh', '-c', 'sed -n "s/^CapEff:[[:space:]]*//p" /proc/self/status; cat /proc/sys/kernel/cap_last_cap'], { privileged: true, user: '0', timeoutMs: 20_000, signal: this.signal });
  } catch (error) {
    if ((error as Error)?.name === 'PlatformRefusal') {
      const refusal = error as PlatformRefusal;
      record(this, { option: name, request, refusal: { stage: 'exec', message: refusal.rawMessage || oneLine(refusal) } });
      return;
    }
    throw error;
  }
  const output = `${result.stdout}\n${result.stderr}`;
  const runtime = execRuntimeRefusal(result.exitCode, output);
  if (runtime) {
    record(this, { option: name, request, refusal: { stage: 'exec', message: runtime } });
    return;
  }
  const [capEff, lastCap] = result.stdout.trim().split('\n').map((s) => s.trim());
  const defaultCaps = base.stdout.trim();
  if (!/^[0-9a-f]{16}$/.test(capEff ?? '') || !/^[0-9a-f]{16}$/.test(defaultCaps)) {
    record(this, { option: name, request, effect: { effective: 'unknown', evidence: `CapEff unreadable (exec: "${capEff}", default: "${defaultCaps}")` } });
    return;
  }
  const extra = decodeCapabilities(parseCapabilityMask(capEff!) & ~parseCapabilityMask(defaultCaps));
  const full = (parseCapabilityMask(capEff!) & fullCapabilityMask(Number(lastCap))) === fullCapabilityMask(Number(lastCap));
  record(this, {
    option: name, request,
    effect: { effective: extra.length > 0, evidence: extra.length ? `the exec holds ${full ? 'every capability' : extra.join(', ')} beyond the container's` : `the exec holds the container's capabilities only (CapEff ${capEff})` },
  });
});

Then('the platform rejects or neutralises it', doc(
  'Classifies the outcome as rejected (refused at create, start or exec, raw message kept), neutralised (started, no effect inside) or effective, and records it as the observation "hardening". Effective is a finding on a multi-tenant profile, and an exposure otherwise (stock Docker honours dangerous options by design). An effect that cannot be measured is inconclusive.',
  'Then the platform rejects or neutralises it',
), function (this: KeelhaulWorld) {
  const outcome = this.state.hardening as Outcome | undefined;
  if (!outcome) throw new Error('start the scenario with "When a container is requested with ..."');
  const classification = classify(outcome.refusal, outcome.effect);
  const verdict = verdictFor(classification, this.profile.multiTenant === true);
  if (verdict.verdict === 'inconclusive') {
    this.observe('hardening', 'unknown');
    this.observe('hardeningDetail', `${outcome.option}: ${outcome.effect?.evidence ?? 'no probe'}`);
    this.inconclusive(`${outcome.option}: accepted, but its effect cannot be measured: ${outcome.effect?.evidence ?? 'no probe'}`);
  }
  this.observe('hardening', verdict.classification);
  const detail = outcome.refusal
    ? `${outcome.option}: refused at ${outcome.refusal.stage}: ${outcome.refusal.message}`
    : `${outcome.option}: ${outcome.effect!.evidence}`;
  this.observe('hardeningDetail', detail);
  if (verdict.verdict === 'finding') {
    throw new Finding(`${outcome.option} is effective on a multi-tenant platform (profile ${this.profile.name}): ${outcome.effect!.evidence}`);
  }
  if (verdict.verdict === 'exposure') this.expose(`${outcome.option} is effective: ${outcome.effect!.evidence}`);
});

// ---- daemon posture (HARD-14..17) -------------------------------------------------------------

async function getJson(world: KeelhaulWorld, path: string): Promise<any> {
  const response = await world.platform.raw({ method: 'GET', path, signal: world.signal });
  if (response.status !== 200) world.inconclusive(`GET ${path} answered ${response.status}: ${response.text.slice(0, 200)}`);
  try {
    return response.json();
  } catch {
    world.inconclusive(`GET ${path} did not answer JSON`);
  }
}

When('the daemon\'s posture is read from {string} and {string}', doc(
  'Reads GET /info and GET /version as any API client can.',
  'When the daemon\'s posture is read from "/info" and "/version"',
), async function (this: KeelhaulWorld, infoPath: string, versionPath: string) {
  this.state.info = await getJson(this, infoPath);
  this.state.version = await getJson(this, versionPath);
});

Then('its security options and warnings are reported, and fail only where the profile promises more', doc(
  'Records SecurityOptions (seccomp, AppArmor/SELinux, userns/rootless, no-new-privileges), live restore, logging driver, authorization plugins, experimental build, insecure registries, storage driver, debug mode, Swarm state and daemon warnings. A finding when the profile promises seccomp or user namespaces and the daemon does not report them, when seccomp is unconfined, or when a multi-tenant platform warns of a plain-TCP API; otherwise a warning is an exposure.',
  'Then its security options and warnings are reported, and fail only where the profile promises more',
), function (this: KeelhaulWorld) {
  const info = this.state.info ?? {};
  const options: string[] = Array.isArray(info.SecurityOptions) ? info.SecurityOptions.map(String) : [];
  const warnings: string[] = Array.isArray(info.Warnings) ? info.Warnings.map(String) : [];
  const insecure = (info.RegistryConfig?.InsecureRegistryCIDRs ?? []).filter((c: string) => c !== '127.0.0.0/8');
  const posture = {
    securityOptions: options,
    liveRestore: info.LiveRestoreEnabled ?? null,
    loggingDriver: info.LoggingDriver ?? null,
    authorizationPlugins: info.Plugins?.Authorization ?? null,
    experimental: info.ExperimentalBuild ?? null,
    insecureRegistries: insecure,
    storageDriver: info.Driver ?? null,
    debug: info.Debug ?? null,
    swarm: info.Swarm ? { state: info.Swarm.LocalNodeState ?? null, manager: info.Swarm.ControlAvailable ?? null } : null,
    warnings,
  };
  this.observe('posture', posture);
  const findings: string[] = [];
  const has = (name: string) => options.some((o) => o.startsWith(`name=${name}`));
  const promises = this.profile.promises ?? {};
  if (options.some((o) => /^name=seccomp,profile=unconfined/.test(o))) findings.push('the daemon runs containers without seccomp by default (profile=unconfined)');
  if (promises.seccomp && options.length > 0 && !has('seccomp')) findings.push(`profile ${this.profile.name} promises seccomp, but SecurityOptions lists none`);
  if (promises.userNamespaces && !has('userns') && !has('rootless')) findings.push(`profile ${this.profile.name} promises user namespaces, but SecurityOptions lists neither userns nor rootless`);
  const plainTcp = warnings.filter((w) => /without encryption|plain http|accessible on http:\/\//i.test(w));
  for (const w of plainTcp) {
    if (this.profile.multiTenant) findings.push(`daemon warning: ${w}`);
    else this.expose(`daemon warning: ${w}`);
  }
  for (const w of warnings.filter((x) => !plainTcp.includes(x))) this.expose(`daemon warning: ${w}`);
  if (insecure.length > 0) this.expose(`insecure registries allowed: ${insecure.join(', ')}`);
  // CIS 5.1 and 2.3: Swarm mode left on, and a daemon in debug mode, are reported.
  if (info.Swarm?.LocalNodeState === 'active') this.expose(`swarm mode is active${info.Swarm.ControlAvailable ? ' and this node is a manager' : ''}`);
  if (info.Debug === true) this.expose('the daemon runs in debug mode (/info Debug: true)');
  if (options.length === 0) this.observe('securityOptionsNote', 'the platform reports no SecurityOptions (Triton never does); judged from inside by the isolation family');
  if (findings.length > 0) throw new Finding(findings.join('; '));
});

Then('the default resource limits of a container are reported, and required on a multi-tenant platform', doc(
  'Reads the memory, pids and CPU limits of a container started with no options from its own cgroup files. Missing defaults are an exposure on single-tenant profiles (Docker sets none) and a finding on a multi-tenant one.',
  'Then the default resource limits of a container are reported, and required on a multi-tenant platform',
), async function (this: KeelhaulWorld) {
  const { report } = await probeContainer(this);
  const limits = {
    memory: limitValue(report.values.mem_limit),
    pids: limitValue(report.values.pids_limit),
    cpuQuota: report.values.cpu_quota === '-1' || report.values.cpu_quota === 'max' ? 'unlimited' as const : limitValue(report.values.cpu_quota),
  };
  this.observe('defaultLimits', limits);
  const missing = Object.entries(limits).filter(([, v]) => v === 'unlimited').map(([k]) => k);
  if (Object.values(limits).every((v) => v === 'absent')) this.inconclusive('no cgroup limit file is visible from inside the container');
  if (missing.length === 0) return;
  if (this.profile.multiTenant) throw new Finding(`a container started with no options has no ${missing.join(', ')} limit on a multi-tenant platform`);
  this.expose(`no default ${missing.join(', ')} limit: a careless container can take the host's ${missing.join(', ')}`);
});

Then('the engine and runtime versions are compared with known container-escape CVEs', doc(
  'Compares the engine, containerd and runc versions from /version with a small table of container-escape CVEs (judges/cve-table.ts; CVE-2024-41110 only where /info lists an authorization plugin). A finding when an upstream version is below the fix; a distribution build (e.g. Debian\'s +deb12u1) whose backports are unknown is reported, not failed; inconclusive when no version is reported.',
  'Then the engine and runtime versions are compared with known container-escape CVEs',
), function (this: KeelhaulWorld) {
  const components = componentsFromVersion(this.state.version);
  this.observe('components', components);
  if (components.length === 0) this.inconclusive('the platform reports no engine or runtime versions in /version');
  const authorizationPlugins: string[] = Array.isArray(this.state.info?.Plugins?.Authorization) ? this.state.info.Plugins.Authorization.map(String) : [];
  const results = evaluateCves(components, undefined, { authorizationPlugins });
  this.observe('cves', results);
  const vulnerable = results.filter((r) => r.status === 'vulnerable');
  const undetermined = results.filter((r) => r.status === 'undetermined');
  for (const r of undetermined) this.expose(`${r.cve} (${r.component} ${r.build}): ${r.why}`);
  if (!components.some((c) => c.component === 'runc')) this.observe('runcNote', 'the runtime version is not reported: runc CVEs cannot be checked');
  if (vulnerable.length > 0) throw new Finding(vulnerable.map((r) => `${r.cve} (${r.component} ${r.build}): ${r.why}`).join('; '));
});

Then('the kernel release is compared with known container-escape kernel CVEs', doc(
  'Compares the kernel release from /info (KernelVersion; containers share the host\'s kernel) with a table of container-escape kernel CVEs (judges/kernel-cve-table.ts: Dirty Pipe, CVE-2022-0185, CVE-2022-0492, CVE-2023-0386, CVE-2024-1086). A finding when an upstream release is below the fix of its stable branch; inconclusive, with the reason, when a distribution kernel (Debian 6.1.0-18-amd64, Ubuntu -generic, RHEL .el9) is below an upstream fix, because its number hides the backports; inconclusive when no release is reported.',
  'Then the kernel release is compared with known container-escape kernel CVEs',
), function (this: KeelhaulWorld) {
  const release = String(this.state.info?.KernelVersion ?? this.state.version?.KernelVersion ?? '').trim();
  if (!release) this.inconclusive('the platform reports no kernel release in /info or /version');
  this.observe('kernel', release);
  const results = evaluateKernelCves(release);
  this.observe('kernelCves', results);
  const vulnerable = results.filter((r) => r.status === 'vulnerable');
  if (vulnerable.length > 0) throw new Finding(vulnerable.map((r) => `${r.cve}: ${r.why}`).join('; '));
  const undetermined = results.filter((r) => r.status === 'undetermined');
  if (undetermined.length > 0) this.inconclusive(`kernel ${release}: ${undetermined.map((r) => `${r.cve} undetermined (${r.why})`).join('; ')}`);
});

Then('the API refuses clients that show no credentials', doc(
  'Against a TCP target only: repeats GET /_ping and GET /containers/json without the client certificate (TLS, the server verified as usual) and as plain HTTP. A handshake failure, a refused connection, or 400/401/403 passes; a 200 means anyone who reaches the port drives the engine: a finding on a multi-tenant profile, an exposure otherwise. Not applicable on a unix socket, whose access is the file\'s permissions.',
  'Then the API refuses clients that show no credentials',
  60_000,
), async function (this: KeelhaulWorld) {
  const conn = resolveConnection({ target: this.parameters.target || undefined });
  if (conn.transport !== 'tcp') this.notApplicable(`the target is a unix socket (${conn.url}): who may use it is decided by the socket file's permissions, not by the API`);
  const answers: UnauthenticatedAnswer[] = [];
  for (const how of ['tls-without-client-certificate', 'plain-http'] as const) {
    for (const path of ['/_ping', '/containers/json']) answers.push(await unauthenticatedGet(conn, path, how));
  }
  this.observe('unauthenticated', answers.map((a) => `${a.how} GET ${a.path}: ${a.status ?? a.failure}`));
  // A plain-HTTP request to a TLS port gets 400 ("Client sent an HTTP request to an HTTPS server"); a
  // TLS request to a plain port fails its handshake: neither is an answer to an unauthenticated client.
  const answered = answers.filter((a) => a.status !== undefined && a.status >= 200 && a.status < 300);
  if (answered.length === 0) {
    if (answers.every((a) => a.status === undefined && /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|no answer/.test(a.failure ?? ''))) {
      this.inconclusive(`the API could not be reached without credentials at all: ${answers.map((a) => a.failure).join('; ')}`);
    }
    return;
  }
  const what = `the API at ${conn.host}:${conn.port} answers clients without credentials: ${answered.map((a) => `${a.how} GET ${a.path} ${a.status}`).join(', ')}`;
  if (this.profile.multiTenant) throw new Finding(what);
  this.expose(what);
});

When('a container publishes a port without naming a host address', doc(
  'Starts a container with ExposedPorts 8080/tcp and PortBindings {HostPort: ""} and no HostIp, on the platform\'s default network, and reads the binding the engine chose from inspect.',
  'When a container publishes a port without naming a host address',
  60_000,
), async function (this: KeelhaulWorld) {
  if (this.profile.semantics?.perContainerIp) this.notApplicable(`profile ${this.profile.name}: every container has its own address; there is no host interface to bind`);
  let id: string;
  try {
    id = await this.startContainer({
      cmd: ['sleep', '30'], exposedPorts: { '8080/tcp': {} },
      hostConfig: { PortBindings: { '8080/tcp': [{ HostPort: '' }] } },
    });
  } catch (error) {
    if ((error as Error)?.name === 'PlatformRefusal') this.notApplicable(`the platform cannot publish ports on its default network: ${(error as PlatformRefusal).rawMessage}`);
    throw error;
  }
  const inspect = await this.platform.inspectContainer(id, this.signal);
  this.state.bindings = inspect?.NetworkSettings?.Ports?.['8080/tcp'] ?? [];
});

Then('the binding address is reported', doc(
  'Records the host address the engine bound. An unspecified address (0.0.0.0 or ::) is an exposure (CIS 5.14): the port is reachable from every network the host is on.',
  'Then the binding address is reported',
), function (this: KeelhaulWorld) {
  const bindings: Array<{ HostIp?: string; HostPort?: string }> = this.state.bindings ?? [];
  this.observe('portBindings', bindings);
  if (bindings.length === 0) this.inconclusive('the engine reported no binding for the published port');
  const wildcard = bindings.filter((b) => !b.HostIp || b.HostIp === '0.0.0.0' || b.HostIp === '::');
  if (wildcard.length > 0) this.expose(`published ports bind to every interface by default (${wildcard.map((b) => `${b.HostIp || '*'}:${b.HostPort}`).join(', ')})`);
});
