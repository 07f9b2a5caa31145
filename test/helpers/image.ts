// The default suite from keelhaul's image, run the way examples/ci/Jenkinsfile runs it (workspace
// mounted at /work, --user, --group-add the socket's group, the engine socket at
// /var/run/docker.sock), natively, and through bin/keelhaul-docker. Shared by
// test/acceptance/image-suite.test.ts and bench/bench.ts.
import { spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT } from './keelhaul.js';

export const WRAPPER = join(ROOT, 'bin', 'keelhaul-docker');
/** The selection the CI examples run: the default suite (the shipped features, @deep excluded by default) without @slow. */
export const SUITE_ARGS = ['run', '--tags', 'not @slow'];

export interface SuiteRun {
  how: string;
  exitCode: number | null;
  wallMs: number;
  summary: any;
  stdout: string;
  stderr: string;
}

const workspaces: string[] = [];

/** Remove the workspaces this process made (reports and all). */
export function removeWorkspaces(): void {
  for (const dir of workspaces.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A fresh workspace owned by `user` (uid:gid), as a CI agent's checkout would be. */
export function workspace(user: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'keelhaul-workspace-'));
  workspaces.push(dir);
  const [uid, gid] = user.split(':').map(Number);
  chownSync(dir, uid!, gid!);
  return dir;
}

function collect(how: string, command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; reports: string; timeoutMs: number }): Promise<SuiteRun> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => { stdout += d; });
    child.stderr!.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 40_000).unref();
    }, options.timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      const path = join(options.reports, 'summary.json');
      const summary = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
      resolve({ how, exitCode, wallMs: Date.now() - started, summary, stdout, stderr });
    });
  });
}

/** The native CLI, from a workspace of its own. */
export function nativeSuite(target: string, options: { args?: string[]; timeoutMs?: number } = {}): Promise<SuiteRun> {
  const ws = workspace('0:0');
  return collect(`native ${target}`, process.execPath, [BIN, ...(options.args ?? SUITE_ARGS), '--target', target], {
    cwd: ws, reports: join(ws, 'reports'), timeoutMs: options.timeoutMs ?? 900_000,
  });
}

/**
 * The Jenkinsfile's command line: `docker run --rm --user U --group-add G -v SOCK:/var/run/docker.sock
 * -v "$WORKSPACE:/work" -w /work IMAGE run --tags 'not @slow'`, on the local Docker, with the target
 * engine's socket mounted. The user is the agent's (a non-root uid for Docker's 0660 socket; root for
 * rootful Podman's 0600 root:root one, as `$(id -u):$(id -g)` gives on a root agent).
 */
export function imageSuite(image: string, socket: string, options: { user?: string; args?: string[]; timeoutMs?: number } = {}): Promise<SuiteRun> {
  const sock = statSync(socket);
  const user = options.user ?? ((sock.mode & 0o060) === 0o060 ? '1000:1000' : '0:0');
  const ws = workspace(user);
  const args = [
    'run', '--rm', '--user', user, '--group-add', String(sock.gid),
    '-v', `${socket}:/var/run/docker.sock`, '-v', `${ws}:/work`, '-w', '/work',
    image, ...(options.args ?? SUITE_ARGS),
  ];
  return collect(`image ${socket}`, 'docker', args, {
    cwd: ws, env: { ...process.env, DOCKER_HOST: 'unix:///var/run/docker.sock' }, reports: join(ws, 'reports'), timeoutMs: options.timeoutMs ?? 900_000,
  });
}

/** bin/keelhaul-docker from a workspace, as uid 1000 with the socket's group (setpriv). */
export function wrapperSuite(image: string, target: string, options: { args?: string[]; timeoutMs?: number } = {}): Promise<SuiteRun> {
  const socket = target.replace(/^unix:\/\//, '');
  const gid = statSync(socket).gid;
  const ws = workspace('1000:1000');
  return collect(`keelhaul-docker ${target}`, 'setpriv', ['--reuid=1000', '--regid=1000', `--groups=${gid}`, '--', WRAPPER, ...(options.args ?? SUITE_ARGS)], {
    cwd: ws, env: { PATH: process.env.PATH, HOME: ws, KEELHAUL_IMAGE: image, DOCKER_HOST: target }, reports: join(ws, 'reports'), timeoutMs: options.timeoutMs ?? 900_000,
  });
}

/** scenario id -> outcome */
export function outcomesById(summary: any): Record<string, string> {
  return Object.fromEntries((summary?.scenarios ?? []).map((s: any) => [s.id, s.outcome]));
}

/** Scenarios whose outcome differs, with both reasons, for a readable assertion message. */
export function differences(a: SuiteRun, b: SuiteRun): string[] {
  const ra = Object.fromEntries((a.summary?.scenarios ?? []).map((s: any) => [s.id, s]));
  const rb = Object.fromEntries((b.summary?.scenarios ?? []).map((s: any) => [s.id, s]));
  const ids = [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort();
  return ids.filter((id) => ra[id]?.outcome !== rb[id]?.outcome)
    .map((id) => `${id}: ${a.how} ${ra[id]?.outcome ?? 'absent'} (${String(ra[id]?.reason ?? '').slice(0, 140)}) / ${b.how} ${rb[id]?.outcome ?? 'absent'} (${String(rb[id]?.reason ?? '').slice(0, 140)})`);
}
