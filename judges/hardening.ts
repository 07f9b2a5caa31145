// The hardening family's three outcomes (issue 3): a dangerous option requested through the API is
// rejected (the API refused it at create, start or exec), neutralised (accepted, but a probe from
// inside shows no effect) or effective (the container really got it). Whether "effective" fails the
// run comes from the profile: a multi-tenant platform must never let it through; on stock Docker API
// access is root-equivalent by design, so it is an exposure.

import { decodeCapabilities, fullCapabilityMask, parseCapabilityMask } from './capabilities.js';
import { cgroupLimit } from './formats.js';

export type HardeningClass = 'rejected' | 'neutralised' | 'effective';
export type RefusalStage = 'create' | 'start' | 'exec';

export interface Effect {
  /** true: the option took effect; false: no trace of it inside; 'unknown': could not be told. */
  effective: boolean | 'unknown';
  evidence: string;
}

export type HardeningVerdict =
  | { verdict: 'pass'; classification: HardeningClass }
  | { verdict: 'exposure'; classification: 'effective' }
  | { verdict: 'finding'; classification: 'effective' }
  | { verdict: 'inconclusive'; classification?: undefined };

export function classify(refusal: { stage: RefusalStage; message: string } | undefined, effect?: Effect): HardeningClass | 'unknown' {
  if (refusal) return 'rejected';
  if (!effect || effect.effective === 'unknown') return 'unknown';
  return effect.effective ? 'effective' : 'neutralised';
}

export function verdictFor(classification: HardeningClass | 'unknown', multiTenant: boolean): HardeningVerdict {
  if (classification === 'unknown') return { verdict: 'inconclusive' };
  if (classification !== 'effective') return { verdict: 'pass', classification };
  return multiTenant ? { verdict: 'finding', classification } : { verdict: 'exposure', classification };
}

/** Which stage a PlatformRefusal's message names ("create container: ...", "start container: ..."). */
export function refusalStage(message: string): RefusalStage {
  if (/^start container/i.test(message)) return 'start';
  if (/exec/i.test(message.split(':')[0] ?? '')) return 'exec';
  return 'create';
}

/** Runtime failures reported inside an exec's output rather than as an HTTP error. */
export function execRuntimeRefusal(exitCode: number | null, output: string): string | undefined {
  if (exitCode === 126 || exitCode === 127 || /OCI runtime exec failed|unable to apply caps|exec failed/i.test(output)) {
    return output.trim().replace(/\s+/g, ' ').slice(0, 400) || `exec exited ${exitCode}`;
  }
  return undefined;
}

/** The parent cgroup of a /proc/self/cgroup line's path ("8:pids:/docker/<id>" -> "/docker"). */
export function cgroupParent(lines: string[]): string | undefined {
  const line = lines.find((l) => /^\d+:[^:]*pids[^:]*:/.test(l)) ?? lines.find((l) => /^0::/.test(l)) ?? lines[0];
  if (!line) return undefined;
  const path = line.split(':').slice(2).join(':');
  if (!path.startsWith('/')) return undefined;
  const cut = path.lastIndexOf('/');
  return cut <= 0 ? '/' : path.slice(0, cut);
}

/** A cgroup limit file's value: unlimited ("max", -1, or the page-rounded 2^63) or a number (judges/formats.ts). */
export function limitValue(text: string | undefined): 'unlimited' | 'absent' | number {
  return cgroupLimit(text) ?? 'absent';
}

// ---- a privileged exec, the daemon's posture, default limits, port bindings (HARD-14..17, 19) ----

/** CapEff of a privileged exec against the container's own: the capabilities it gained. */
export function judgePrivilegedExec(capEff: string | undefined, lastCap: string | undefined, defaultCaps: string): Effect {
  if (!/^[0-9a-f]{16}$/.test(capEff ?? '') || !/^[0-9a-f]{16}$/.test(defaultCaps)) {
    return { effective: 'unknown', evidence: `CapEff unreadable (exec: "${capEff}", default: "${defaultCaps}")` };
  }
  const held = parseCapabilityMask(capEff!);
  const extra = decodeCapabilities(held & ~parseCapabilityMask(defaultCaps));
  const all = (held & fullCapabilityMask(Number(lastCap))) === fullCapabilityMask(Number(lastCap));
  return { effective: extra.length > 0, evidence: extra.length ? `the exec holds ${all ? 'every capability' : extra.join(', ')} beyond the container's` : `the exec holds the container's capabilities only (CapEff ${capEff})` };
}

export interface PostureJudgement {
  posture: Record<string, unknown>;
  findings: string[];
  exposures: string[];
  /** Said when the platform reports no SecurityOptions at all. */
  note?: string;
}

/**
 * The daemon's posture from /info (CIS 2.x, 5.1): a finding where the profile promises seccomp or
 * user namespaces that SecurityOptions does not list, where seccomp is unconfined, or where a
 * multi-tenant platform warns of a plain-TCP API; any other warning, insecure registries, Swarm
 * mode and debug mode are exposures.
 */
export function judgePosture(info: any, profile: { name: string; multiTenant?: boolean; promises?: { seccomp?: boolean; userNamespaces?: boolean } }): PostureJudgement {
  info ??= {};
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
  const findings: string[] = [];
  const exposures: string[] = [];
  const has = (name: string) => options.some((o) => o.startsWith(`name=${name}`));
  const promises = profile.promises ?? {};
  if (options.some((o) => /^name=seccomp,profile=unconfined/.test(o))) findings.push('the daemon runs containers without seccomp by default (profile=unconfined)');
  if (promises.seccomp && options.length > 0 && !has('seccomp')) findings.push(`profile ${profile.name} promises seccomp, but SecurityOptions lists none`);
  if (promises.userNamespaces && !has('userns') && !has('rootless')) findings.push(`profile ${profile.name} promises user namespaces, but SecurityOptions lists neither userns nor rootless`);
  const plainTcp = warnings.filter((w) => /without encryption|plain http|accessible on http:\/\//i.test(w));
  for (const w of plainTcp) (profile.multiTenant ? findings : exposures).push(`daemon warning: ${w}`);
  for (const w of warnings.filter((x) => !plainTcp.includes(x))) exposures.push(`daemon warning: ${w}`);
  if (insecure.length > 0) exposures.push(`insecure registries allowed: ${insecure.join(', ')}`);
  // CIS 5.1 and 2.3: Swarm mode left on, and a daemon in debug mode, are reported.
  if (info.Swarm?.LocalNodeState === 'active') exposures.push(`swarm mode is active${info.Swarm.ControlAvailable ? ' and this node is a manager' : ''}`);
  if (info.Debug === true) exposures.push('the daemon runs in debug mode (/info Debug: true)');
  const note = options.length === 0 ? 'the platform reports no SecurityOptions (Triton never does); judged from inside by the isolation family' : undefined;
  return { posture, findings, exposures, note };
}

/** The memory, pids and CPU limits a container started with no options has (its own cgroup files). */
export function defaultLimits(values: Record<string, string | undefined>): { limits: Record<'memory' | 'pids' | 'cpuQuota', 'unlimited' | 'absent' | number>; missing: string[]; visible: boolean } {
  const limits = {
    memory: limitValue(values.mem_limit),
    pids: limitValue(values.pids_limit),
    cpuQuota: values.cpu_quota === '-1' || values.cpu_quota === 'max' ? 'unlimited' as const : limitValue(values.cpu_quota),
  };
  const missing = Object.entries(limits).filter(([, v]) => v === 'unlimited').map(([k]) => k);
  return { limits, missing, visible: !Object.values(limits).every((v) => v === 'absent') };
}

/** Published-port bindings on every interface (CIS 5.14): no HostIp, 0.0.0.0 or ::. */
export function wildcardBindings(bindings: Array<{ HostIp?: string; HostPort?: string }>): string[] {
  return bindings.filter((b) => !b.HostIp || b.HostIp === '0.0.0.0' || b.HostIp === '::').map((b) => `${b.HostIp || '*'}:${b.HostPort}`);
}
