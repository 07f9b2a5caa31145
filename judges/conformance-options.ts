// The create options of the conformance family (reference/conformance.md 5.3, 6.3): for each, what
// goes into the create request, what inspect should read back, and what the container itself shows
// (the read-only OPTION_PROBE script's key=value facts). Pure: the step and the driver
// (support/conformance-driver.ts) do the I/O; unit-tested on recorded inspects and facts
// (test/unit/conformance-options.test.ts).
import { decodeCapabilities, hasCapability, normaliseCapabilityName, parseCapabilityMask } from './capabilities.js';
import { classifyOption, parseSize, type OptionEvidence } from './conformance.js';
import type { Found } from './conformance-probes.js';

type Json = Record<string, any>;

/** Read-only facts printed by the probe container: key=value lines. */
export const OPTION_PROBE = [
  'for k in CapEff CapBnd NoNewPrivs Seccomp; do echo "$k=$(sed -n "s/^$k:[[:space:]]*//p" /proc/self/status)"; done',
  'echo "cap_last_cap=$(cat /proc/sys/kernel/cap_last_cap 2>/dev/null)"',
  'echo "uid=$(id -u)"; echo "gid=$(id -g)"; echo "cwd=$(pwd)"; echo "nofile=$(ulimit -n)"; echo "env=${KEELHAUL_CONF:-}"',
  'for f in memory/memory.limit_in_bytes memory.max cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us cpu.max cpu/cpu.shares cpu.weight pids/pids.max pids.max; do [ -r /sys/fs/cgroup/$f ] && echo "cg:$f=$(cat /sys/fs/cgroup/$f)"; done',
  'echo "shm=$(grep " /dev/shm " /proc/self/mountinfo | sed "s/.* - //")"',
  'echo "tmpfs=$(grep " /keelhaul-tmpfs " /proc/self/mountinfo | sed "s/.* - //")"',
  '( : > /.keelhaul-rw ) 2>/dev/null && echo rootfs=rw || echo rootfs=ro',
  '[ -s /keelhaul-bind ] && echo bind=yes || echo bind=no',
  'echo "netifs=$(ls /sys/class/net 2>/dev/null | tr "\\n" " ")"',
].join('\n');

export function parseFacts(stdout: string): Record<string, string> {
  const facts: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) facts[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return facts;
}

const UNLIMITED = (v: string | undefined): boolean => v === undefined || v === '' || v === 'max' || Number(v) >= 2 ** 62 || v === '-1';

export interface OptionDef {
  /** What goes into the create request for this value. */
  spec(value: string): { hostConfig?: Json; env?: string[]; user?: string; workingDir?: string; labels?: Record<string, string>; exposedPorts?: Record<string, Record<string, never>> };
  /** The canonical requested value, as inspect and the container would show it. */
  expected(value: string): string;
  /** Inspect's read-back (undefined or '' = absent). */
  readBack(inspect: Json, value: string): string | undefined;
  /** What the container shows (undefined = no in-container look for this option). */
  seen?(facts: Record<string, string>, value: string): string | undefined;
  /** Needs a running container on the default network (published ports). */
  running?: boolean;
  /** "free:<port>" in the value asks for a host port that is free where the port lives (chosen at run time). */
  freeHostPort?: boolean;
  /** The engine's default for this option: a read-back equal to it means the request was dropped. */
  engineDefault?: string;
}

const cgroup = (facts: Record<string, string>, v1: string, v2: string): string | undefined => facts[`cg:${v1}`] ?? facts[`cg:${v2}`];
const capHeld = (facts: Record<string, string>, name: string): boolean => hasCapability(parseCapabilityMask(facts.CapEff ?? '0'), normaliseCapabilityName(name));

export const OPTIONS: Record<string, OptionDef> = {
  memory: {
    spec: (v) => ({ hostConfig: { Memory: parseSize(v) } }),
    expected: (v) => String(parseSize(v)),
    readBack: (i) => (i.HostConfig?.Memory ? String(i.HostConfig.Memory) : undefined),
    seen: (f) => {
      const raw = cgroup(f, 'memory/memory.limit_in_bytes', 'memory.max');
      return raw === undefined ? undefined : UNLIMITED(raw) ? `unlimited (${raw})` : raw;
    },
  },
  cpus: {
    spec: (v) => ({ hostConfig: { NanoCpus: Math.round(Number(v) * 1e9) } }),
    expected: (v) => String(Math.round(Number(v) * 1e9)),
    readBack: (i) => (i.HostConfig?.NanoCpus ? String(i.HostConfig.NanoCpus) : undefined),
    seen: (f) => {
      let quota = f['cg:cpu/cpu.cfs_quota_us'];
      let period = f['cg:cpu/cpu.cfs_period_us'];
      if (quota === undefined && f['cg:cpu.max']) [quota, period] = f['cg:cpu.max'].split(/\s+/);
      if (quota === undefined) return undefined;
      if (UNLIMITED(quota)) return `no CPU quota (${quota})`;
      return String(Math.round((Number(quota) / Number(period)) * 1e9));
    },
  },
  'cpu-shares': {
    spec: (v) => ({ hostConfig: { CpuShares: Number(v) } }),
    expected: (v) => v,
    readBack: (i) => (i.HostConfig?.CpuShares ? String(i.HostConfig.CpuShares) : undefined),
    seen: (f) => f['cg:cpu/cpu.shares'],
  },
  privileged: {
    spec: () => ({ hostConfig: { Privileged: true } }),
    expected: () => 'true',
    readBack: (i) => (i.HostConfig?.Privileged ? 'true' : undefined),
    // Privileged: SYS_ADMIN held and no seccomp filter. (The full bounding set is not required: an
    // engine that itself runs without some capability cannot hand it out.)
    seen: (f) => (capHeld(f, 'SYS_ADMIN') && f.Seccomp === '0' ? 'true' : `not privileged (CapEff ${f.CapEff}, Seccomp ${f.Seccomp})`),
  },
  'cap-add': {
    spec: (v) => ({ hostConfig: { CapAdd: [v] } }),
    expected: (v) => normaliseCapabilityName(v),
    readBack: (i, v) => ((i.HostConfig?.CapAdd ?? []).map((c: string) => normaliseCapabilityName(c)).includes(normaliseCapabilityName(v)) ? normaliseCapabilityName(v) : (i.HostConfig?.CapAdd ?? []).join(',') || undefined),
    seen: (f, v) => (capHeld(f, v) ? normaliseCapabilityName(v) : `${normaliseCapabilityName(v)} not held (CapEff ${f.CapEff}: ${decodeCapabilities(parseCapabilityMask(f.CapEff ?? '0')).join(',')})`),
  },
  'cap-drop': {
    spec: (v) => ({ hostConfig: { CapDrop: [v] } }),
    expected: (v) => normaliseCapabilityName(v),
    readBack: (i, v) => ((i.HostConfig?.CapDrop ?? []).map((c: string) => normaliseCapabilityName(c)).includes(normaliseCapabilityName(v)) ? normaliseCapabilityName(v) : (i.HostConfig?.CapDrop ?? []).join(',') || undefined),
    seen: (f, v) => (capHeld(f, v) ? `${normaliseCapabilityName(v)} still held (CapEff ${f.CapEff})` : normaliseCapabilityName(v)),
  },
  'security-opt': {
    spec: (v) => ({ hostConfig: { SecurityOpt: [v] } }),
    expected: (v) => v,
    readBack: (i, v) => ((i.HostConfig?.SecurityOpt ?? []).some((o: string) => o === v || o === `${v}:true` || o.replace(/[=:]true$/, '') === v) ? v : (i.HostConfig?.SecurityOpt ?? []).join(',') || undefined),
    seen: (f, v) => (v.startsWith('no-new-privileges') ? (f.NoNewPrivs === '1' ? v : `NoNewPrivs ${f.NoNewPrivs}`) : undefined),
  },
  'read-only': {
    spec: () => ({ hostConfig: { ReadonlyRootfs: true } }),
    expected: () => 'true',
    readBack: (i) => (i.HostConfig?.ReadonlyRootfs ? 'true' : undefined),
    seen: (f) => (f.rootfs === 'ro' ? 'true' : 'the root filesystem is writable'),
  },
  tmpfs: {
    spec: (v) => ({ hostConfig: { Tmpfs: { [v]: 'size=1m' } } }),
    expected: (v) => v,
    readBack: (i, v) => (i.HostConfig?.Tmpfs && v in i.HostConfig.Tmpfs ? v : undefined),
    seen: (f, v) => (/^tmpfs /.test(f.tmpfs ?? '') ? v : `no tmpfs at ${v}`),
  },
  bind: {
    spec: (v) => ({ hostConfig: { Binds: [`${v}:/keelhaul-bind:ro`] } }),
    expected: (v) => `${v}:/keelhaul-bind:ro`,
    // Podman appends mount options (",rprivate,rbind"): what was asked must be there, extras are fine.
    readBack: (i, v) => {
      const bind: string | undefined = (i.HostConfig?.Binds ?? [])[0];
      return bind?.startsWith(`${v}:/keelhaul-bind:ro`) ? `${v}:/keelhaul-bind:ro` : bind;
    },
    seen: (f, v) => (f.bind === 'yes' ? `${v}:/keelhaul-bind:ro` : 'the host file is not visible inside'),
  },
  network: {
    spec: (v) => ({ hostConfig: { NetworkMode: v } }),
    expected: (v) => v,
    readBack: (i) => i.HostConfig?.NetworkMode,
    seen: (f, v) => (v === 'none' ? (f.netifs?.trim() === 'lo' ? 'none' : `interfaces: ${f.netifs}`) : undefined),
  },
  publish: {
    running: true,
    // "free:80": a host port that is free where the port lives (the engine's host, seen by the port
    // vantage), not in keelhaul's own network namespace: a fixed port collides with whatever else
    // that host runs, and a port free in keelhaul's container may be taken on the host.
    freeHostPort: true,
    spec: (v) => {
      const [host, ctr] = v.split(':');
      return { exposedPorts: { [`${ctr}/tcp`]: {} }, hostConfig: { PortBindings: { [`${ctr}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: host }] } } };
    },
    expected: (v) => v,
    readBack: (i, v) => {
      const ctr = v.split(':')[1];
      const b = (i.HostConfig?.PortBindings ?? {})[`${ctr}/tcp`]?.[0];
      return b ? `${b.HostPort}:${ctr}` : undefined;
    },
    seen: (f, v) => f.published ?? `not published (${v})`,
  },
  'restart-policy': {
    spec: (v) => ({ hostConfig: { RestartPolicy: { Name: v, MaximumRetryCount: 0 } } }),
    expected: (v) => v,
    readBack: (i) => i.HostConfig?.RestartPolicy?.Name || undefined,
  },
  'pids-limit': {
    spec: (v) => ({ hostConfig: { PidsLimit: Number(v) } }),
    expected: (v) => v,
    readBack: (i) => (i.HostConfig?.PidsLimit ? String(i.HostConfig.PidsLimit) : undefined),
    seen: (f) => {
      const raw = cgroup(f, 'pids/pids.max', 'pids.max');
      return raw === undefined ? undefined : UNLIMITED(raw) ? `unlimited (${raw})` : raw;
    },
  },
  ulimit: {
    spec: (v) => {
      const [name, n] = v.split('=');
      return { hostConfig: { Ulimits: [{ Name: name, Soft: Number(n), Hard: Number(n) }] } };
    },
    expected: (v) => v,
    readBack: (i, v) => {
      const u = (i.HostConfig?.Ulimits ?? []).find((x: Json) => x.Name === v.split('=')[0]);
      return u ? `${u.Name}=${u.Soft}` : undefined;
    },
    seen: (f, v) => (v.startsWith('nofile=') ? `nofile=${f.nofile}` : undefined),
  },
  'shm-size': {
    spec: (v) => ({ hostConfig: { ShmSize: parseSize(v) } }),
    expected: (v) => String(parseSize(v)),
    readBack: (i) => (i.HostConfig?.ShmSize ? String(i.HostConfig.ShmSize) : undefined),
    engineDefault: String(64 * 1024 * 1024),
    seen: (f) => {
      const m = /size=(\d+)k/.exec(f.shm ?? '');
      return m ? String(Number(m[1]) * 1024) : `no size on /dev/shm (${f.shm || 'not mounted'})`;
    },
  },
  label: {
    spec: (v) => {
      const [k, val] = v.split('=');
      return { labels: { [k!]: val ?? '' } };
    },
    expected: (v) => v,
    readBack: (i, v) => {
      const k = v.split('=')[0]!;
      const labels = i.Config?.Labels ?? {};
      return k in labels ? `${k}=${labels[k]}` : undefined;
    },
  },
  env: {
    spec: (v) => ({ env: [`KEELHAUL_CONF=${v}`] }),
    expected: (v) => v,
    readBack: (i) => (i.Config?.Env ?? []).find((e: string) => e.startsWith('KEELHAUL_CONF='))?.slice('KEELHAUL_CONF='.length),
    seen: (f) => f.env,
  },
  user: {
    spec: (v) => ({ user: v }),
    expected: (v) => v,
    readBack: (i) => i.Config?.User || undefined,
    seen: (f) => `${f.uid}:${f.gid}`,
  },
  workdir: {
    spec: (v) => ({ workingDir: v }),
    expected: (v) => v,
    readBack: (i) => i.Config?.WorkingDir || undefined,
    seen: (f) => f.cwd,
  },
  'unknown-field': {
    spec: (v) => ({ hostConfig: { [v]: true } }),
    expected: () => 'accepted',
    readBack: () => 'accepted',
  },
};

/** A refused create (conformance.md 6.3: rejected), with the platform's words. */
export function judgeRefusedOption(option: string, value: string, status: number, message: string): Found {
  const evidence: OptionEvidence = { refused: { status, message }, readBack: 'absent', effect: 'not-observable' };
  return { ...classifyOption(evidence), evidence: { option, value, status, message } };
}

/**
 * An accepted option judged from inspect's read-back and what the container showed: not in effect
 * inside = ignored (whatever inspect says), in effect differently = divergent, echoed and in effect
 * = conformant. A read-back equal to the engine's default means the request was dropped.
 */
export function judgeOption(option: string, value: string, inspect: Json, facts: Record<string, string>): Found {
  const def = OPTIONS[option];
  if (!def) throw new Error(`unknown option "${option}" (known: ${Object.keys(OPTIONS).join(', ')})`);
  const expected = def.expected(value);
  const rb = def.readBack(inspect, value);
  const seen = def.seen?.(facts, value);
  const dropped = def.engineDefault !== undefined && rb === def.engineDefault && expected !== def.engineDefault;
  const readBack: OptionEvidence['readBack'] = rb === undefined || rb === '' ? 'absent' : rb === expected ? 'echoed' : { differs: dropped ? `${rb} (the engine's default)` : rb };
  const effect: OptionEvidence['effect'] = seen === undefined ? 'not-observable'
    : seen === expected || (!dropped && rb !== undefined && seen === rb) ? 'applied' : { notApplied: `the container sees ${seen}${dropped ? ', the default' : ''}` };
  const found = classifyOption({ readBack, effect });
  if (found.classification === 'divergent' && typeof readBack === 'object') found.detail += ` where ${expected} was asked`;
  return { ...found, evidence: { option, value, expected, readBack: rb ?? null, inContainer: seen ?? null } };
}
