// Namespace identity from /proc/self/ns/* link targets.
// The kernel's initial namespaces have fixed proc inode numbers (include/linux/proc_ns.h), so a
// container whose namespace carries one of them shares it with the host: no host access is needed
// to prove it (attacks.md 3.5). Dynamically allocated inodes start at 0xF0000000 and can never
// collide with the fixed ones.

export const NAMESPACE_KINDS = ['pid', 'net', 'ipc', 'uts', 'mnt', 'user', 'cgroup', 'time'] as const;
export type NamespaceKind = (typeof NAMESPACE_KINDS)[number];

export const INIT_NAMESPACE_INODES: Record<NamespaceKind, number> = {
  ipc: 0xeffffffF,
  uts: 0xeffffffe,
  user: 0xeffffffd,
  pid: 0xeffffffc,
  cgroup: 0xeffffffb,
  time: 0xeffffffa,
  // Fixed only on recent kernels (observed on 6.18); older kernels allocate the host's mnt and net
  // inodes dynamically, so equality is proof of sharing but inequality proves nothing there.
  net: 0xeffffff9,
  mnt: 0xeffffff8,
};

/** Kinds whose initial inode is fixed on every kernel that has the namespace. */
const ALWAYS_FIXED: ReadonlySet<NamespaceKind> = new Set(['ipc', 'uts', 'user', 'pid', 'cgroup', 'time']);

export const PROC_DYNAMIC_FIRST = 0xf0000000;

export function isNamespaceKind(value: string): value is NamespaceKind {
  return (NAMESPACE_KINDS as readonly string[]).includes(value);
}

/** Parse a readlink result such as `pid:[4026532198]`. */
export function parseNamespaceLink(link: string): { kind: string; inode: number } {
  const match = /^([a-z_]+):\[(\d+)\]$/.exec(link.trim());
  if (!match) throw new Error(`not a namespace link: "${link}"`);
  return { kind: match[1]!, inode: Number(match[2]) };
}

export type NamespaceVerdict =
  | { kind: NamespaceKind; inode: number; shared: true; reason: string }
  | { kind: NamespaceKind; inode: number; shared: false; reason: string }
  | { kind: NamespaceKind; inode: number; shared: 'unknown'; reason: string };

/**
 * Is this namespace the host's initial one?
 * `staticMntNet` says whether the kernel gives the initial mnt and net namespaces fixed inodes.
 */
export function judgeNamespace(kind: NamespaceKind, inode: number, staticMntNet: boolean): NamespaceVerdict {
  const init = INIT_NAMESPACE_INODES[kind];
  if (inode === init) return { kind, inode, shared: true, reason: `inode ${inode} is the host's initial ${kind} namespace` };
  if (ALWAYS_FIXED.has(kind) || staticMntNet) {
    return { kind, inode, shared: false, reason: `inode ${inode} differs from the host's initial ${init}` };
  }
  return {
    kind, inode, shared: 'unknown',
    reason: `this kernel allocates the host's ${kind} namespace inode dynamically; ${inode} cannot be compared`,
  };
}

/**
 * Whether the kernel gives the initial mnt and net namespaces fixed inodes. Seen on 6.18; the
 * observed value itself is the best evidence: any namespace inode below PROC_DYNAMIC_FIRST other
 * than the always-fixed ones can only be a static mnt/net inode.
 */
export function kernelHasStaticMntNet(kernelRelease: string): boolean {
  const match = /^(\d+)\.(\d+)/.exec(kernelRelease);
  if (!match) return false;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major > 6 || (major === 6 && minor >= 18);
}
