// Which platform this is, from GET /version and GET /info (attacks.md 7, conformance.md 0).
// Docker names its component "Engine", Podman "Podman Engine"; Triton reports Driver "sdc" and
// OperatingSystem "SmartDataCenter" and sends no SecurityOptions.

import type { EngineKind } from '../../judges/profile.js';

export type { EngineKind };

export interface Fingerprint {
  engine: EngineKind;
  version: string;
  apiVersion: string;
  minApiVersion?: string;
  os: string;
  kernel: string;
  arch: string;
  name: string;
  serverId: string;
  cgroupVersion: string;
  cgroupDriver: string;
  securityOptions: string[];
  storageDriver: string;
  warnings: string[];
}

type Json = Record<string, any>;

export function engineKind(version: Json, info: Json): EngineKind {
  const components: Json[] = Array.isArray(version.Components) ? version.Components : [];
  if (info.Driver === 'sdc' || /smartdatacenter/i.test(String(info.OperatingSystem ?? ''))) return 'sdc';
  if (components.some((c) => /podman/i.test(String(c.Name)))) return 'podman';
  if (/podman/i.test(String(version.Platform?.Name ?? ''))) return 'podman';
  if (components.some((c) => c.Name === 'Engine') || /docker/i.test(String(version.Platform?.Name ?? ''))) return 'docker';
  if (typeof version.Version === 'string' && typeof version.GitCommit === 'string') return 'docker';
  return 'unknown';
}

export function fingerprint(version: Json, info: Json, negotiatedApi: string): Fingerprint {
  return {
    engine: engineKind(version, info),
    version: String(version.Version ?? 'unknown'),
    apiVersion: negotiatedApi,
    minApiVersion: version.MinAPIVersion,
    os: String(info.OperatingSystem ?? version.Os ?? 'unknown'),
    kernel: String(info.KernelVersion ?? version.KernelVersion ?? 'unknown'),
    arch: String(info.Architecture ?? version.Arch ?? 'unknown'),
    name: String(info.Name ?? ''),
    serverId: String(info.ID ?? ''),
    cgroupVersion: String(info.CgroupVersion ?? (info.CgroupDriver ? '1' : 'unknown')),
    cgroupDriver: String(info.CgroupDriver ?? 'unknown'),
    securityOptions: Array.isArray(info.SecurityOptions) ? info.SecurityOptions.map(String) : [],
    storageDriver: String(info.Driver ?? 'unknown'),
    warnings: Array.isArray(info.Warnings) ? info.Warnings.map(String) : [],
  };
}
