// /proc/self/mountinfo, parsed and judged (proc(5)): which mount covers a path, with which flags,
// and whether a mount comes from a host block device, is a mask, or propagates to the host.
// Pure: the probe prints the lines, these functions decide.

export interface MountEntry {
  id: number;
  parent: number;
  device: string; // major:minor
  root: string; // path inside the source filesystem
  mountPoint: string;
  options: string[]; // per-mount flags (ro/rw, nosuid...)
  optional: string[]; // shared:N, master:N, propagate_from:N, unbindable
  fsType: string;
  source: string;
  superOptions: string[];
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
export function unescapeMountPath(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function parseMountinfoLine(line: string): MountEntry | undefined {
  const fields = line.trim().split(/\s+/);
  const dash = fields.indexOf('-', 6);
  if (fields.length < 10 || dash < 0 || fields.length < dash + 3) return undefined;
  return {
    id: Number(fields[0]),
    parent: Number(fields[1]),
    device: fields[2]!,
    root: unescapeMountPath(fields[3]!),
    mountPoint: unescapeMountPath(fields[4]!),
    options: fields[5]!.split(','),
    optional: fields.slice(6, dash),
    fsType: fields[dash + 1]!,
    source: unescapeMountPath(fields[dash + 2]!),
    superOptions: (fields[dash + 3] ?? '').split(',').filter(Boolean),
  };
}

export function parseMountinfo(lines: string[] | string): MountEntry[] {
  const list = Array.isArray(lines) ? lines : lines.split('\n');
  return list.map(parseMountinfoLine).filter((m): m is MountEntry => m !== undefined);
}

function covers(mountPoint: string, path: string): boolean {
  if (mountPoint === '/') return path.startsWith('/');
  return path === mountPoint || path.startsWith(`${mountPoint}/`);
}

/** The mount that a path resolves to: the last-mounted entry with the longest covering mount point. */
export function mountFor(mounts: MountEntry[], path: string): MountEntry | undefined {
  let best: MountEntry | undefined;
  for (const m of mounts) {
    if (!covers(m.mountPoint, path)) continue;
    // Later lines are mounted later and hide earlier ones at the same point.
    if (!best || m.mountPoint.length >= best.mountPoint.length) best = m;
  }
  return best;
}

export function isReadOnly(m: MountEntry): boolean {
  return m.options.includes('ro') || m.superOptions.includes('ro');
}

/** Is the path read-only through the mount that covers it? 'absent' when nothing covers it. */
export function pathReadOnly(mounts: MountEntry[], path: string): boolean | 'absent' {
  const m = mountFor(mounts, path);
  return m ? isReadOnly(m) : 'absent';
}

/**
 * A mask is the topmost mount placed exactly on the path, and one that hides it: /dev/null bound
 * over a file, or a read-only tmpfs over a folder (what moby and podman do). Any other mount there
 * (the engine's bind of /etc/hostname, a host file) shows real content: not a mask.
 */
export function isMasked(mounts: MountEntry[], path: string): boolean {
  const top = mountFor(mounts, path);
  if (!top || top.mountPoint !== path) return false;
  return top.root === '/null' || (top.fsType === 'tmpfs' && isReadOnly(top));
}

const DISK_FILESYSTEMS = new Set(['ext2', 'ext3', 'ext4', 'xfs', 'btrfs', 'zfs', 'f2fs', 'jfs', 'reiserfs', 'vfat', 'ntfs', 'ntfs3', 'exfat']);

/** Files every engine binds in from its own state directory: expected, not a host leak. */
export const ENGINE_FILE_BINDS = ['/etc/hosts', '/etc/hostname', '/etc/resolv.conf', '/run/.containerenv', '/.containerenv', '/run/secrets', '/etc/mtab'];

export interface HostMount {
  mountPoint: string;
  root: string;
  fsType: string;
  source: string;
  why: string;
}

/**
 * Mounts that expose the host's filesystem: anything from a disk filesystem or a /dev block device
 * other than the engine's own per-container files, a second procfs or sysfs, and any mount whose
 * root is the root of a disk filesystem.
 */
export function hostMounts(mounts: MountEntry[], allowed: string[] = ENGINE_FILE_BINDS): HostMount[] {
  const found: HostMount[] = [];
  for (const m of mounts) {
    const fromDisk = DISK_FILESYSTEMS.has(m.fsType) || /^\/dev\/(?!null$|zero$|shm$|mqueue$|pts)/.test(m.source);
    if (fromDisk && m.root === '/' ) {
      found.push({ ...pick(m), why: `the root of a disk filesystem (${m.source}) is mounted at ${m.mountPoint}` });
    } else if (fromDisk && !allowed.includes(m.mountPoint)) {
      found.push({ ...pick(m), why: `host path ${m.root} from ${m.source} is mounted at ${m.mountPoint}` });
    } else if ((m.fsType === 'proc' && m.mountPoint !== '/proc' && !m.mountPoint.startsWith('/proc/'))
      || (m.fsType === 'sysfs' && m.mountPoint !== '/sys')) {
      found.push({ ...pick(m), why: `a second ${m.fsType} is mounted at ${m.mountPoint}` });
    }
  }
  return found;
}

function pick(m: MountEntry): Omit<HostMount, 'why'> {
  return { mountPoint: m.mountPoint, root: m.root, fsType: m.fsType, source: m.source };
}

/** Mounts whose propagation is shared with a peer group (optional field shared:N). */
export function sharedPropagation(mounts: MountEntry[]): MountEntry[] {
  return mounts.filter((m) => m.optional.some((o) => o.startsWith('shared:')));
}

/** Mount points that look like a container engine's control socket. */
export const ENGINE_SOCKET_PATTERN = /(docker|containerd|podman|crio|cri-dockerd|dockershim|buildkitd?|kubelet)[^/]*\.sock$|\/(docker|containerd|podman|crio)\/[^/]*\.sock$/;

export function engineSocketMounts(mounts: MountEntry[]): MountEntry[] {
  return mounts.filter((m) => ENGINE_SOCKET_PATTERN.test(m.mountPoint) || ENGINE_SOCKET_PATTERN.test(m.root));
}

/** The overlay upperdir (the container's writable layer on the host), when the rootfs reveals it. */
export function overlayUpperdir(mounts: MountEntry[]): string | undefined {
  const root = mounts.find((m) => m.mountPoint === '/' && m.fsType === 'overlay');
  const opt = root?.superOptions.find((o) => o.startsWith('upperdir='));
  return opt?.slice('upperdir='.length);
}
