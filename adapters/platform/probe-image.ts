// The probe image every scenario runs: busybox, with nothing else relied on.
// Platforms that cannot pull (air-gapped, like the machines keelhaul is developed on) get it seeded
// by importing a root filesystem built from a static busybox binary through the API.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PlatformError, oneLine } from '../../judges/errors.js';
import type { PlatformClient } from './docker-client.js';

// tar-stream and execa (adapters/tools/exec.ts) are loaded only to seed the image: every command
// imports this module (DEFAULT_PROBE_IMAGE), and the two cost tens of ms of start-up each.
const runTool: typeof import('../tools/exec.js').runTool = async (...args) => (await import('../tools/exec.js')).runTool(...args);

export const DEFAULT_PROBE_IMAGE = 'busybox:latest';
const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox', '/opt/keelhaul/busybox'];
/** helpers/keelhaul-syscalls.c, from dist/adapters/platform/ or adapters/platform/ (tsx). */
const HELPER_SOURCE = [join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'helpers', 'keelhaul-syscalls.c'),
  join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'helpers', 'keelhaul-syscalls.c')].find((p) => existsSync(p));

export type ImageSource = 'present' | 'pulled' | 'seeded';

export function splitImageRef(ref: string): { repo: string; tag: string } {
  const at = ref.lastIndexOf(':');
  const slash = ref.lastIndexOf('/');
  if (at > slash) return { repo: ref.slice(0, at), tag: ref.slice(at + 1) };
  return { repo: ref, tag: 'latest' };
}

/** Make sure the probe image exists: present, else pulled, else (busybox only) seeded. */
export async function ensureProbeImage(client: PlatformClient, ref: string, env: NodeJS.ProcessEnv = process.env, pullTimeoutMs = 30_000): Promise<ImageSource> {
  if (await client.imageExists(ref)) return 'present';
  let pullFailure = '';
  try {
    await client.pullImage(ref, pullTimeoutMs);
    if (await client.imageExists(ref)) return 'pulled';
  } catch (error) {
    // Slow is not unable: an import in its place would be refused by platforms that cannot import
    // (Triton: "image create is not implemented") and hide the real cause.
    if ((error as Error)?.name === 'PlatformTimeout' || (error as Error)?.name === 'TimeoutError' || (error as Error)?.name === 'AbortError') {
      throw new PlatformError(`probe image ${ref}: the pull did not finish in ${Math.round(pullTimeoutMs / 1000)} s; raise the bound with --call-timeout or DOCKER_CLIENT_TIMEOUT (seconds), or pull it beforehand`);
    }
    pullFailure = oneLine(error);
  }
  if (!/busybox/.test(splitImageRef(ref).repo)) {
    throw new PlatformError(`probe image ${ref} is not on the platform and cannot be pulled (${pullFailure || 'pull gave no image'})`);
  }
  const binary = findStaticBusybox(env);
  const applets = await listApplets(binary);
  const helper = await syscallHelper(env);
  const tarball = await busyboxRootfs(readFileSync(binary), applets, helper?.binary);
  const { repo, tag } = splitImageRef(ref);
  const changes = ['CMD ["sh"]', ...(helper ? [`LABEL keelhaul.syscall-helper=${helper.hash}`] : [])];
  try {
    await client.importImage(tarball, repo, tag, changes);
  } catch (error) {
    throw new PlatformError(`probe image ${ref}: pull failed (${pullFailure}) and seeding by import failed: ${oneLine(error)}`);
  }
  if (!(await client.imageExists(ref))) throw new PlatformError(`probe image ${ref}: the import reported success but the image is not there`);
  return 'seeded';
}

export function findStaticBusybox(env: NodeJS.ProcessEnv): string {
  const named = env.KEELHAUL_BUSYBOX;
  const candidates = named ? [named] : BUSYBOX_CANDIDATES;
  for (const path of candidates) {
    if (!existsSync(path)) continue;
    if (isDynamicElf(readFileSync(path))) {
      throw new PlatformError(`${path} is a dynamically linked busybox; seeding needs a static one (Debian: apt-get install busybox-static, or set KEELHAUL_BUSYBOX)`);
    }
    return path;
  }
  throw new PlatformError(named
    ? `KEELHAUL_BUSYBOX=${named} does not exist`
    : 'no probe image on the platform, no registry to pull from, and no static busybox here to seed one (apt-get install busybox-static, or set KEELHAUL_BUSYBOX)');
}

/** An ELF with a PT_INTERP program header needs a dynamic loader the empty image does not have. */
export function isDynamicElf(file: Buffer): boolean {
  if (file.length < 64 || file.readUInt32BE(0) !== 0x7f454c46) return false;
  const is64 = file[4] === 2;
  const little = file[5] === 1;
  const u16 = (o: number) => (little ? file.readUInt16LE(o) : file.readUInt16BE(o));
  const u32 = (o: number) => (little ? file.readUInt32LE(o) : file.readUInt32BE(o));
  const phoff = is64 ? Number(little ? file.readBigUInt64LE(32) : file.readBigUInt64BE(32)) : u32(28);
  const phentsize = u16(is64 ? 54 : 42);
  const phnum = u16(is64 ? 56 : 44);
  for (let i = 0; i < phnum; i++) {
    const offset = phoff + i * phentsize;
    if (offset + 4 > file.length) break;
    if (u32(offset) === 3) return true; // PT_INTERP
  }
  return false;
}

/**
 * The static syscall helper ISO-20 runs (helpers/keelhaul-syscalls.c): KEELHAUL_SYSCALL_HELPER (the
 * keelhaul image ships one built at image build), else compiled here with gcc -static into a cache
 * keyed by the source's hash. Undefined where neither works: the image is seeded without it and ISO-20
 * says inconclusive with the reason, rather than seeding failing.
 */
export async function syscallHelper(env: NodeJS.ProcessEnv = process.env): Promise<{ binary: Buffer; hash: string } | undefined> {
  if (!HELPER_SOURCE) return undefined;
  const hash = createHash('sha256').update(readFileSync(HELPER_SOURCE)).digest('hex').slice(0, 16);
  const named = env.KEELHAUL_SYSCALL_HELPER;
  if (named && existsSync(named)) return { binary: readFileSync(named), hash };
  const cacheDir = join(tmpdir(), `keelhaul-syscalls-${process.getuid?.() ?? 'u'}`);
  const cached = join(cacheDir, `keelhaul-syscalls-${hash}`);
  if (!existsSync(cached)) {
    try {
      mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
      const partial = `${cached}.${process.pid}`;
      const built = await runTool('gcc', ['-static', '-O2', '-o', partial, HELPER_SOURCE], { timeoutMs: 60_000 });
      if (built.exitCode !== 0) return undefined;
      renameSync(partial, cached);
    } catch {
      return undefined;
    }
  }
  const binary = readFileSync(cached);
  return isDynamicElf(binary) ? undefined : { binary, hash };
}

async function listApplets(binary: string): Promise<string[]> {
  const result = await runTool(binary, ['--list'], { timeoutMs: 10_000 });
  if (result.exitCode !== 0) throw new PlatformError(`${binary} --list failed: ${oneLine(result.stderr)}`);
  return result.stdout.split('\n').map((s) => s.trim()).filter((s) => /^[a-z0-9_.[-]+$/i.test(s) && s !== 'busybox');
}

/** A root filesystem: /bin/busybox, a /bin symlink per applet, and the folders a container expects. */
export async function busyboxRootfs(binary: Buffer, applets: string[], syscallHelperBinary?: Buffer): Promise<Buffer> {
  const { default: tar } = await import('tar-stream');
  const pack = tar.pack();
  const dirs = ['bin', 'dev', 'etc', 'proc', 'sys', 'tmp', 'var', 'var/run', 'root', 'mnt', 'home'];
  for (const name of dirs) pack.entry({ name, type: 'directory', mode: name === 'tmp' ? 0o1777 : 0o755 });
  pack.entry({ name: 'bin/busybox', mode: 0o755 }, binary);
  for (const applet of applets) pack.entry({ name: `bin/${applet}`, type: 'symlink', linkname: 'busybox' });
  if (syscallHelperBinary) pack.entry({ name: 'bin/keelhaul-syscalls', mode: 0o755 }, syscallHelperBinary);
  pack.entry({ name: 'etc/passwd', mode: 0o644 }, 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n');
  pack.entry({ name: 'etc/group', mode: 0o644 }, 'root:x:0:\nnogroup:x:65534:\n');
  pack.finalize();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    pack.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
  });
}
