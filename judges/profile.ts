// The platform profile's shape (DESIGN.md, Platform profiles): what a platform is expected to do where
// it differs from stock Docker. Here, below every layer, because run/ loads profiles, support/ hands them
// to each worker and steps/ and judges/ read them. profiles/schema.json is the same contract for users'
// files; test/unit/profile-schema.test.ts keeps the two in step, key by key.

/** What the fingerprint calls the engine (adapters/platform/fingerprint.ts), as profiles match on it. */
export type EngineKind = 'docker' | 'podman' | 'sdc' | 'unknown';

export interface Profile {
  name: string;
  description?: string;
  match?: { engine?: EngineKind[] };
  multiTenant: boolean;
  promises?: {
    userNamespaces?: boolean;
    noNewPrivileges?: boolean;
    seccomp?: boolean;
    lsmConfinement?: boolean;
    /** Absent means true (Docker's default seccomp profile refuses unshare(CLONE_NEWUSER)). */
    blocksUserNamespaceCreation?: boolean;
    defaultCapabilities?: string[];
  };
  semantics?: {
    perContainerIp?: boolean;
    portRemapping?: boolean;
    memoryPackagesMiB?: number[];
    noneNetwork?: boolean;
    /** false: containers on different networks reach each other by design (an exposure, not a finding). */
    networkIsolation?: boolean;
    placement?: 'single-host' | 'swarm-affinity';
    ignoredOptions?: Record<string, string>;
  };
  timeouts?: { callSeconds?: number; provisioningSeconds?: number };
  divergences?: Record<string, { class: 'unimplemented' | 'rejected' | 'ignored' | 'divergent' | 'error-format'; note?: string; source?: string }>;
  /** Where it was loaded from (added by the loader; not in profiles/schema.json). */
  source?: string;
}
