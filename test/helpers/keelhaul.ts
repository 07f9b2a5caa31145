// Runs the real keelhaul binary on throw-away feature folders (cucumber-js's and Playwright's
// acceptance-test pattern) and reads what it left behind on the platforms.
import net from 'node:net';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import http from 'node:http';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'dist', 'cli', 'main.js');

export const DOCKER = process.env.KEELHAUL_DOCKER_HOST ?? 'unix:///var/run/docker.sock';
export const PODMAN = process.env.KEELHAUL_PODMAN_HOST ?? 'unix:///run/podman/podman.sock';
export const WEAK = process.env.KEELHAUL_WEAK_HOST ?? 'unix:///run/keelhaul-fixtures/weak/docker.sock';
export const HARDENED = process.env.KEELHAUL_HARDENED_HOST ?? 'unix:///run/keelhaul-fixtures/hardened/docker.sock';
export const ENGINES = [['docker', DOCKER], ['podman', PODMAN]] as const;

export interface KeelhaulResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  reportsDir: string;
  summary?: any;
}

/** A throw-away project folder with the given files (path -> content). */
export function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'keelhaul-test-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Called with the child once it has printed this text (e.g. to send a signal mid-run). */
  onOutput?: { match: RegExp; then: (child: ReturnType<typeof spawn>) => void };
}

export function runKeelhaul(args: string[], options: RunOptions = {}): Promise<KeelhaulResult> {
  const cwd = options.cwd ?? project({});
  const reportsIndex = args.indexOf('--reports');
  const reportsDir = reportsIndex >= 0 ? resolve(cwd, args[reportsIndex + 1]!) : join(cwd, 'reports');
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd, env: { ...process.env, FORCE_COLOR: '0', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let fired = false;
    const onData = () => {
      if (!fired && options.onOutput && options.onOutput.match.test(stdout + stderr)) {
        fired = true;
        options.onOutput.then(child);
      }
    };
    child.stdout.on('data', (d) => { stdout += d; onData(); });
    child.stderr.on('data', (d) => { stderr += d; onData(); });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`keelhaul ${args.join(' ')} did not finish in ${options.timeoutMs ?? 120_000} ms\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 120_000);
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      const summaryPath = join(reportsDir, 'summary.json');
      const summary = existsSync(summaryPath) ? JSON.parse(readFileSync(summaryPath, 'utf8')) : undefined;
      resolvePromise({ exitCode, signal, stdout, stderr, reportsDir, summary });
    });
  });
}

/** GET a Docker API path over a unix socket URL (unix:///path), JSON-decoded. */
export function api(host: string, path: string, method = 'GET', body?: unknown): Promise<{ status: number; body: any }> {
  const socketPath = host.replace(/^unix:\/\//, '');
  return new Promise((resolvePromise, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request({ socketPath, path, method, headers: payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {} }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        let parsed: any = text;
        try { parsed = JSON.parse(text); } catch { /* plain text */ }
        resolvePromise({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`timeout on ${path}`)));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/** Containers (any state) carrying keelhaul.run, or keelhaul.run=<runId>. */
export async function labelledContainers(host: string, runId?: string): Promise<any[]> {
  const filters = encodeURIComponent(JSON.stringify({ label: [runId ? `keelhaul.run=${runId}` : 'keelhaul.run'] }));
  const { body } = await api(host, `/containers/json?all=1&filters=${filters}`);
  return Array.isArray(body) ? body : [];
}

/**
 * busybox:latest on the engine at `host`, seeded from the static busybox when missing. Tests that create
 * containers of their own (foreign objects) call it: an engine whose state was just wiped has no image until
 * a keelhaul run seeds one, and test order must not decide whether a test can start.
 */
export async function ensureBusybox(host: string): Promise<void> {
  const { status } = await api(host, '/images/busybox:latest/json');
  if (status === 200) return;
  const url = host.startsWith('unix://') ? host : `unix://${host}`;
  execFileSync('bash', [join(ROOT, 'test', 'fixtures', 'seed-busybox.sh'), url], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Start an unlabelled container that keelhaul must never touch; returns its id. */
export async function foreignContainer(host: string, name: string, labels: Record<string, string> = {}): Promise<string> {
  await ensureBusybox(host);
  const created = await api(host, `/containers/create?name=${encodeURIComponent(name)}`, 'POST', {
    Image: 'busybox:latest', Cmd: ['sleep', '600'], Labels: labels, HostConfig: { NetworkMode: 'none' },
  });
  if (created.status !== 201) throw new Error(`cannot create foreign container: ${created.status} ${JSON.stringify(created.body)}`);
  await api(host, `/containers/${created.body.Id}/start`, 'POST');
  return created.body.Id;
}

export async function containerExists(host: string, id: string): Promise<boolean> {
  return (await api(host, `/containers/${id}/json`)).status === 200;
}

export async function removeContainer(host: string, id: string): Promise<void> {
  await api(host, `/containers/${id}?force=1`, 'DELETE');
}

export async function reachable(host: string): Promise<boolean> {
  try {
    return (await api(host, '/_ping')).status === 200;
  } catch {
    return false;
  }
}

/** A TCP port on 127.0.0.1 that nothing listens on right now (for a fixture daemon to take). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
