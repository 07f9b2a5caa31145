// The hardening family's catalogue of dangerous options (HARD-01..13, 18): what each asks of the
// API, and how its effect is judged from the isolation probe inside the container that got it,
// against a container started with no options. Pure: the step (steps/hardening.steps.ts) runs the
// probes; unit-tested on recorded probe outputs (test/unit/hardening-options.test.ts).
import { capabilityBit, decodeCapabilities, fullCapabilityMask, hasCapability, normaliseCapabilityName, parseCapabilityMask } from './capabilities.js';
import { cgroupParent, type Effect } from './hardening.js';
import { isMasked, isReadOnly, mountFor, sharedPropagation, type MountEntry } from './mountinfo.js';
import { judgeNamespace, kernelHasStaticMntNet, parseNamespaceLink, type NamespaceKind } from './namespaces.js';
import type { ProbeReport } from './probes-isolation.js';

/** A probed container as the judges see it (support/default-probe.ts Probed has these and more). */
export interface ProbedView { report: ProbeReport; mounts: MountEntry[] }

/** What a request and its judgement can use: the default container's probe, the engine's socket path, a prepared volume. */
export interface HardeningContext {
  baseline: ProbedView;
  /** The engine's unix socket path on its host (/var/run/docker.sock when the target is TCP). */
  socketPath: string;
  /** The volume `prepareVolume` asked for, once created. */
  volume?: string;
}

/** What a dangerous option asks of the API: its HostConfig and any environment its probe reads. */
export interface OptionRequest { hostConfig: Record<string, unknown>; env?: string[] }

export interface DangerousOption {
  /** Why the option means nothing here (the scenario is not applicable), before anything is requested. */
  notApplicable?(ctx: HardeningContext): string | undefined;
  /** What is asked of the API (HostConfig fields; env for the probe). */
  request(ctx: HardeningContext): OptionRequest | string;
  /** Judge the effect from the probe inside the container that got it. */
  effect(p: ProbedView, ctx: HardeningContext): Effect;
  /** A local volume bound to this host path, created (and tracked for removal) before the request. */
  prepareVolume?: { device: string };
  /** A refusal matching this says the host lacks the thing asked for, not that the platform refused it. */
  absentWhen?: RegExp;
}

export const HOST_DIR = '/keelhaul-host';

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

function lsmOf(report: ProbeReport): string {
  return (report.values.lsm ?? '').trim();
}

export const OPTIONS: Record<string, DangerousOption> = {
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
    request: ({ socketPath }) => ({ hostConfig: { Mounts: [{ Type: 'bind', Source: socketPath, Target: '/keelhaul/engine.sock', ReadOnly: true }] } }),
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
    notApplicable: ({ baseline }) => {
      const base = lsmOf(baseline.report);
      return !base || base === 'unconfined' || /^[a-z_]+:[a-z_]+:[a-z_]+/.test(base) ? `a default container has no AppArmor profile here ("${base || 'none'}"): there is nothing to disable` : undefined;
    },
    request: () => ({ hostConfig: { SecurityOpt: ['apparmor=unconfined'] } }),
    effect: ({ report }, { baseline }) => {
      const now = lsmOf(report);
      return { effective: now === 'unconfined' || now === '', evidence: `LSM label "${now}" (default container: "${lsmOf(baseline.report)}")` };
    },
  },
  'SELinux labelling disabled': {
    notApplicable: ({ baseline }) => {
      const base = lsmOf(baseline.report);
      return /^[a-z_]+:[a-z_]+:[a-z_]+/.test(base) ? undefined : `a default container has no SELinux label here ("${base || 'none'}")`;
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
  return {
    prepareVolume: { device: path },
    request: ({ volume }) => ({ hostConfig: { Mounts: [{ Type: 'volume', Source: volume, Target: HOST_DIR, ReadOnly: true }] }, env: [`KEELHAUL_HOSTDIR=${HOST_DIR}`] }),
    effect: bindEffect(`the host's ${path} (through a local volume with type=none,o=bind)`),
  };
}

export function optionFor(name: string): DangerousOption {
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
