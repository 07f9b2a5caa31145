// Linux capability decoding from /proc/self/status hex masks.
// Bits are tested individually: matching a "full mask" string such as 3fffffffff misses
// privileged containers on kernels >= 5.8, which have more capabilities (attacks.md 3.2).

export const CAPABILITY_NAMES: readonly string[] = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID',
  'SETPCAP', 'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW',
  'IPC_LOCK', 'IPC_OWNER', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT',
  'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD',
  'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP', 'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG',
  'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF', 'CHECKPOINT_RESTORE',
];

/** Capabilities an unprivileged tenant must never hold: each is a known escape or host-control primitive. */
export const DANGEROUS_CAPABILITIES = [
  'SYS_ADMIN', 'SYS_MODULE', 'SYS_PTRACE', 'DAC_READ_SEARCH', 'NET_ADMIN', 'SYS_RAWIO', 'SYS_BOOT',
  'SYS_TIME', 'MAC_ADMIN', 'MAC_OVERRIDE', 'SYSLOG', 'BPF', 'PERFMON',
] as const;

export function normaliseCapabilityName(name: string): string {
  const upper = name.trim().toUpperCase().replace(/^CAP_/, '');
  if (!CAPABILITY_NAMES.includes(upper)) throw new Error(`unknown capability "${name}"`);
  return upper;
}

export function capabilityBit(name: string): number {
  return CAPABILITY_NAMES.indexOf(normaliseCapabilityName(name));
}

export function parseCapabilityMask(hex: string): bigint {
  const clean = hex.trim();
  if (!/^[0-9a-fA-F]{1,16}$/.test(clean)) throw new Error(`not a capability mask: "${hex}"`);
  return BigInt('0x' + clean);
}

export function hasCapability(mask: bigint, name: string): boolean {
  return ((mask >> BigInt(capabilityBit(name))) & 1n) === 1n;
}

/** Names of the capabilities set in a mask; unknown high bits are named CAP_<bit>. */
export function decodeCapabilities(mask: bigint): string[] {
  const names: string[] = [];
  for (let bit = 0; bit < 64; bit++) {
    if (((mask >> BigInt(bit)) & 1n) === 1n) names.push(CAPABILITY_NAMES[bit] ?? `CAP_${bit}`);
  }
  return names;
}

/** The mask with every capability the running kernel knows, from /proc/sys/kernel/cap_last_cap. */
export function fullCapabilityMask(capLastCap: number): bigint {
  if (!Number.isInteger(capLastCap) || capLastCap < 0 || capLastCap > 63) {
    throw new Error(`implausible cap_last_cap ${capLastCap}`);
  }
  return (1n << BigInt(capLastCap + 1)) - 1n;
}

export function formatMask(mask: bigint): string {
  return '0x' + mask.toString(16).padStart(16, '0');
}
