// Building an attack-tool root filesystem from Debian packages, the way scripts/build-image.sh builds
// the shipped image's local base: debootstrap --variant=minbase from the mirror apt uses (made once,
// kept as a tarball in the cache), then apt-get install of the tool's packages in a chroot of a copy
// of it. The result is a tarball (cached per tool) that `keelhaul tools build` imports through the API.
// Every command goes through exec.ts; nothing here talks to a container platform.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, copyFileSync, openSync, closeSync, unlinkSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../../judges/errors.js';
import { runTool, type ToolResult } from './exec.js';
import type { ToolEntry } from './tool-images.js';

export const DEFAULT_CACHE_DIR = process.env.KEELHAUL_TOOLS_CACHE || '/var/cache/keelhaul/tools';
const SUITE = 'bookworm';
const BASE_FILE = `base-${SUITE}-minbase.tar`;
const PATH_IN_IMAGE = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface BuiltRootfs {
  name: string;
  /** The Debian version of the tool's first package. */
  version: string;
  /** "package=version" of the tool's own packages: what a rebuild installs. */
  pinned: string[];
  /** Every package in the root filesystem, "package=version". */
  manifest: string[];
  tarball: string;
  bytes: number;
  /** Whether this call built it (false: the cached tarball). */
  built: boolean;
}

type Log = (line: string) => void;

async function must(what: string, file: string, args: string[], timeoutMs: number, signal?: AbortSignal): Promise<ToolResult> {
  const result = await runTool(file, args, { timeoutMs, signal });
  if (result.failedToStart) throw new UsageError(`${what}: cannot run ${file}`);
  if (result.exitCode !== 0) {
    const tail = (result.stderr || result.stdout).trim().split('\n').slice(-6).join(' | ');
    throw new Error(`${what} failed${result.timedOut ? ` (timed out after ${Math.round(timeoutMs / 1000)} s)` : ` (exit ${result.exitCode})`}: ${tail.slice(0, 600)}`);
  }
  return result;
}

/** The Debian mirror apt on this machine uses (deb822 or one-line sources), else deb.debian.org; and its security mirror. */
export function aptMirrors(read: (path: string) => string = (p) => readFileSync(p, 'utf8'), list: (dir: string) => string[] = (d) => readdirSync(d)): { main: string; security: string } {
  const texts: string[] = [];
  try { texts.push(read('/etc/apt/sources.list')); } catch { /* none */ }
  try {
    for (const file of list('/etc/apt/sources.list.d')) {
      if (file.endsWith('.sources') || file.endsWith('.list')) { try { texts.push(read(join('/etc/apt/sources.list.d', file))); } catch { /* unreadable */ } }
    }
  } catch { /* no directory */ }
  const uris = texts.flatMap((text) => [
    ...[...text.matchAll(/^URIs:\s*(\S+)/gm)].map((m) => m[1]!),
    ...[...text.matchAll(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/gm)].map((m) => m[1]!),
  ]).map((u) => u.replace(/\/+$/, ''));
  return {
    main: uris.find((u) => /^https?:\/\/.*\/debian$/.test(u)) ?? 'http://deb.debian.org/debian',
    security: uris.find((u) => /^https?:\/\/.*\/debian-security$/.test(u)) ?? 'http://deb.debian.org/debian-security',
  };
}

/** What stops a build before it starts: one line for the user (exit 2). */
export async function buildPreconditions(log: Log, signal?: AbortSignal): Promise<void> {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new UsageError('building a tool image needs root (debootstrap and chroot): run as root, or give an image you have with --from IMAGE');
  }
  const which = await runTool('sh', ['-c', 'command -v debootstrap'], { timeoutMs: 5_000, signal });
  if (which.exitCode === 0) return;
  const apt = await runTool('sh', ['-c', 'command -v apt-get'], { timeoutMs: 5_000, signal });
  if (apt.exitCode !== 0) throw new UsageError('building a tool image needs debootstrap, and there is no apt-get to install it: install debootstrap, or give an image you have with --from IMAGE');
  // A fresh machine of this kind has apt and the Debian mirror, not debootstrap (as scripts/build-image.sh does).
  log('installing debootstrap (apt-get)');
  const installed = await runTool('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap'], { timeoutMs: 300_000, signal });
  if (installed.exitCode !== 0) throw new UsageError(`cannot install debootstrap with apt-get (${(installed.stderr || installed.stdout).trim().split('\n').pop()}): install it, or give an image you have with --from IMAGE`);
}

/** One build at a time per cache (two would debootstrap twice and race on the tarballs); bounded wait. */
export async function withCacheLock<T>(cacheDir: string, log: Log, body: () => Promise<T>): Promise<T> {
  mkdirSync(cacheDir, { recursive: true });
  const lock = join(cacheDir, '.lock');
  const deadline = Date.now() + 20 * 60_000;
  let said = false;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      writeFileSync(lock, String(process.pid));
      break;
    } catch {
      const holder = Number(readFileSync(lock, 'utf8').trim() || NaN);
      let alive = false;
      try { if (Number.isInteger(holder)) { process.kill(holder, 0); alive = true; } } catch { /* gone */ }
      if (!alive) { rmSync(lock, { force: true }); continue; }
      if (Date.now() > deadline) throw new Error(`another build (pid ${holder}) holds ${lock} for more than 20 minutes`);
      if (!said) { log(`waiting for another build (pid ${holder}, ${lock})`); said = true; }
      await new Promise((r) => setTimeout(r, 2_000));
    }
  }
  try {
    return await body();
  } finally {
    try { unlinkSync(lock); } catch { /* already gone */ }
  }
}

/** The debootstrap base tarball, made once per cache. */
async function ensureBase(cacheDir: string, log: Log, signal?: AbortSignal): Promise<string> {
  const tarball = join(cacheDir, BASE_FILE);
  if (existsSync(tarball)) return tarball;
  const { main, security } = aptMirrors();
  const root = await mkdtemp('/var/tmp/keelhaul-tool-base.');
  const started = Date.now();
  try {
    log(`debootstrap ${SUITE} (minbase) from ${main}: once, the base of every tool image (a few minutes)`);
    await must('debootstrap', 'debootstrap', ['--variant=minbase', '--include=ca-certificates', SUITE, root, main], 900_000, signal);
    // Updates and security fixes too, so a tool is the version apt on a current Debian installs.
    writeFileSync(join(root, 'etc/apt/sources.list'),
      `deb ${main} ${SUITE} main\ndeb ${main} ${SUITE}-updates main\ndeb ${security} ${SUITE}-security main\n`);
    // Services never start in a chroot build.
    writeFileSync(join(root, 'usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 101\n', { mode: 0o755 });
    const partial = `${tarball}.partial`;
    await must('tar the base', 'tar', ['--numeric-owner', '-C', root, '-cf', partial, '.'], 300_000, signal);
    await must('move the base into the cache', 'mv', [partial, tarball], 30_000, signal);
    log(`base made in ${Math.round((Date.now() - started) / 1000)} s (${Math.round(statSync(tarball).size / 1e6)} MB, ${tarball})`);
    return tarball;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

interface CachedTool { name: string; version: string; pinned: string[]; manifest: string[] }

function cachedTool(cacheDir: string, name: string): (CachedTool & { tarball: string }) | undefined {
  const meta = join(cacheDir, `${name}.json`);
  const tarball = join(cacheDir, `${name}.tar`);
  if (!existsSync(meta) || !existsSync(tarball)) return undefined;
  try {
    return { ...(JSON.parse(readFileSync(meta, 'utf8')) as CachedTool), tarball };
  } catch {
    return undefined;
  }
}

/**
 * The tool's root filesystem as a tarball: the cached one unless `rebuild`, else built from the
 * base. A rebuild installs the versions the previous build recorded (reproducible); `update`
 * installs the mirror's current ones instead.
 */
export async function toolRootfs(name: string, entry: ToolEntry, options: { cacheDir: string; rebuild: boolean; update?: boolean; log: Log; signal?: AbortSignal }): Promise<BuiltRootfs> {
  const { cacheDir, log, signal } = options;
  const previous = cachedTool(cacheDir, name);
  if (previous && !options.rebuild) {
    return { ...previous, bytes: statSync(previous.tarball).size, built: false };
  }
  const base = await ensureBase(cacheDir, log, signal);
  const root = await mkdtemp(`/var/tmp/keelhaul-tool-${name.replace(/[^a-z0-9]/gi, '')}.`);
  const started = Date.now();
  let procMounted = false;
  try {
    await must('unpack the base', 'tar', ['--numeric-owner', '-C', root, '-xf', base], 300_000, signal);
    copyFileSync('/etc/resolv.conf', join(root, 'etc/resolv.conf'));
    await must('mount /proc in the chroot', 'mount', ['-t', 'proc', 'proc', join(root, 'proc')], 10_000, signal);
    procMounted = true;
    const packages = previous && !options.update
      ? entry.packages.map((p) => previous.pinned.find((pin) => pin.startsWith(`${p}=`)) ?? p)
      : entry.packages;
    log(`${name}: apt-get install ${packages.join(' ')}`);
    const env = 'DEBIAN_FRONTEND=noninteractive';
    await must(`${name}: apt-get update`, 'chroot', [root, 'sh', '-c', `${env} apt-get update -qq`], 300_000, signal);
    await must(`${name}: apt-get install`, 'chroot', [root, 'sh', '-c', `${env} apt-get install -y -qq --no-install-recommends ${packages.map(shellWord).join(' ')}`], 900_000, signal);
    const check = await runTool('chroot', [root, 'sh', '-c', entry.probe], { timeoutMs: 60_000, signal });
    if (check.exitCode !== 0) throw new Error(`${name}: "${entry.probe}" fails in the built root filesystem: ${(check.stderr || check.stdout).trim().slice(0, 300)}`);
    const listed = await must(`${name}: dpkg-query`, 'chroot', [root, 'dpkg-query', '-W', '-f', '${Package}=${Version}\\n'], 60_000, signal);
    const manifest = listed.stdout.split('\n').filter(Boolean).sort();
    const pinned = entry.packages.map((p) => manifest.find((line) => line.startsWith(`${p}=`)) ?? p);
    const version = pinned[0]!.split('=').slice(1).join('=') || 'unknown';
    mkdirSync(join(root, 'etc/keelhaul-tool'), { recursive: true });
    writeFileSync(join(root, 'etc/keelhaul-tool/packages'), `${manifest.join('\n')}\n`);
    await must('umount /proc', 'umount', [join(root, 'proc')], 30_000, signal);
    procMounted = false;
    // What a tool image never needs (as scripts/build-image.sh strips the base).
    for (const dir of ['usr/share/doc', 'usr/share/man', 'usr/share/info', 'var/lib/apt/lists', 'var/cache/apt/archives', 'var/log']) {
      for (const child of safeList(join(root, dir))) rmSync(join(root, dir, child), { recursive: true, force: true });
    }
    writeFileSync(join(root, 'etc/resolv.conf'), '');
    const tarball = join(cacheDir, `${name}.tar`);
    await must(`${name}: tar`, 'tar', ['--numeric-owner', '-C', root, '-cf', `${tarball}.partial`, '.'], 300_000, signal);
    await must(`${name}: move into the cache`, 'mv', [`${tarball}.partial`, tarball], 30_000, signal);
    writeFileSync(join(cacheDir, `${name}.json`), `${JSON.stringify({ name, version, pinned, manifest }, null, 1)}\n`);
    const bytes = statSync(tarball).size;
    log(`${name}: root filesystem built in ${Math.round((Date.now() - started) / 1000)} s (${Math.round(bytes / 1e6)} MB, ${pinned.join(' ')})`);
    return { name, version, pinned, manifest, tarball, bytes, built: true };
  } finally {
    if (procMounted) await runTool('umount', ['-l', join(root, 'proc')], { timeoutMs: 30_000 });
    // Never delete through a live mount.
    const mounts = (() => { try { return readFileSync('/proc/self/mounts', 'utf8'); } catch { return ''; } })();
    if (!mounts.includes(` ${root}/`)) rmSync(root, { recursive: true, force: true });
  }
}

function safeList(dir: string): string[] {
  try { return readdirSync(dir); } catch { return []; }
}

function shellWord(word: string): string {
  return /^[A-Za-z0-9_.+:=~-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The import's Dockerfile changes: PATH, a shell as the default command, the tool labels. One LABEL
 * per change, unquoted and without spaces: Podman 4.3's compatible import mis-parses several quoted
 * pairs on one LABEL line (it kept `nmap" "keelhaul.tool.version"=...` as one value).
 */
export function importChanges(name: string, version: string, pinned: string[], labels: { tool: string; version: string; packages: string }): string[] {
  const bare = (v: string) => v.replace(/[^A-Za-z0-9_.+:=~,-]/g, '_');
  return [
    `ENV PATH=${PATH_IN_IMAGE}`,
    'CMD ["sh"]',
    `LABEL ${labels.tool}=${bare(name)}`,
    `LABEL ${labels.version}=${bare(version)}`,
    `LABEL ${labels.packages}=${bare(pinned.join(','))}`,
  ];
}
