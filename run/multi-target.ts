// `keelhaul run --target A --target B ...`: the same selection once per target, each in its own
// keelhaul process (its own platform client, cucumber support code, sweep and signal handling),
// reports in <reports>/<target-slug>/ with one summary.json each, then ONE divergence matrix with a
// column per target in <reports>/. The exit code is the worst of the runs, by the precedence of
// judges/outcome.ts.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { EXIT } from '../judges/outcome.js';
import { UsageError } from '../judges/errors.js';
import { writeMatrixIfAny } from './matrix.js';
import { writeReportHtmlOrWarn } from './report-html.js';
import { packageRoot } from './paths.js';
import { prepareReportsDir, type RunOptions } from './run.js';
import { resolveProfileOption, loadProfileFile } from './profiles.js';
import type { RunSummary } from './summary.js';
import { claimInterrupts, exitCodeOnSignal } from '../support/signals.js';

export interface MultiTargetOptions extends Omit<RunOptions, 'target'> {
  targets: string[];
}

/** Same precedence as judges/outcome.ts exitCodeFor: interruption, 4, 2, 1, 5, 3, 0. */
const PRECEDENCE: number[] = [EXIT.sigint, EXIT.sigterm, EXIT.platform, EXIT.usage, EXIT.finding, EXIT.internal, EXIT.nothingRan, EXIT.ok];

export function worstExitCode(codes: number[]): number {
  if (codes.length === 0) return EXIT.nothingRan;
  let worst = codes[0]!;
  const rank = (c: number) => {
    const i = PRECEDENCE.indexOf(c);
    return i < 0 ? PRECEDENCE.indexOf(EXIT.internal) : i;
  };
  for (const c of codes) if (rank(c) < rank(worst)) worst = c;
  return PRECEDENCE.includes(worst) ? worst : EXIT.internal;
}

/** A folder name for a target URL: unix:///var/run/docker.sock -> unix-var-run-docker.sock. */
export function targetSlug(target: string): string {
  const slug = target.replace(/^([a-z]+):\/\//i, '$1-').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '');
  return slug.slice(0, 80) || 'target';
}

/**
 * The command line of one target's own keelhaul run: the parent's options, that target and profile, its
 * reports folder. Shared by `--target A --target B` (here) and `--targets FILE` (fleet.ts).
 */
export function childRunArgs(o: Omit<RunOptions, 'target'>, target: string, profile: string, reportsDir: string): string[] {
  const args = ['run', ...o.paths, '--target', target, '--profile', profile, '--reports', reportsDir, '--image', o.image, '--parallel', String(o.parallel)];
  if (o.tags) args.push('--tags', o.tags);
  for (const r of o.requires) args.push('--require', r);
  if (o.advisory) args.push('--advisory');
  if (o.containerTimeoutMs !== undefined) args.push('--container-timeout', String(o.containerTimeoutMs));
  if (o.probeConcurrency !== undefined) args.push('--probe-concurrency', String(o.probeConcurrency));
  if (o.callTimeoutMs !== undefined) args.push('--call-timeout', String(Math.round(o.callTimeoutMs / 1000)));
  if (o.peerTarget) args.push('--peer-target', o.peerTarget);
  if (o.peerCertPath) args.push('--peer-cert-path', o.peerCertPath);
  if (o.shard) args.push('--shard', `${o.shard.index}/${o.shard.total}`);
  if (o.durationsFile) args.push('--durations', resolve(o.cwd, o.durationsFile));
  for (const [name, value] of Object.entries(o.defines ?? {})) args.push('--define', `${name}=${value}`);
  return args;
}

export async function runAgainstTargets(options: MultiTargetOptions): Promise<number> {
  const log = (line: string) => options.stderr.write(`${line}\n`);
  if (options.targets.length === 0) throw new UsageError('--target: at least one target is needed');
  const reportsDir = prepareReportsDir(options.reportsDir);
  const profile = resolveProfileOption(options.profile);
  if (profile.kind === 'file') loadProfileFile(profile.path); // a bad profile is exit 2 before anything runs

  const slugs = new Map<string, number>();
  const plan = options.targets.map((target) => {
    let slug = targetSlug(target);
    const n = (slugs.get(slug) ?? 0) + 1;
    slugs.set(slug, n);
    if (n > 1) slug = `${slug}-${n}`;
    return { target, dir: join(reportsDir, slug) };
  });

  const bin = join(packageRoot(), 'dist', 'cli', 'main.js');
  let current: ReturnType<typeof spawn> | undefined;
  // Every signal is passed on: the child sweeps its own run and exits 130/143 (support/signals.ts).
  const signals = claimInterrupts('multi-target', (signal) => { current?.kill(signal); });

  const codes: number[] = [];
  const runs: Array<{ summary: RunSummary; reportsDir: string }> = [];
  try {
    for (const [i, { target, dir }] of plan.entries()) {
      if (signals.interruptedBy) break;
      log(`keelhaul: target ${i + 1}/${plan.length}: ${target} (reports in ${dir})`);
      const code = await new Promise<number>((resolvePromise) => {
        const child = spawn(process.execPath, [bin, ...childRunArgs(options, target, options.profile, dir)], {
          // Its own process group: a Ctrl-C reaches it once, forwarded by us, not twice (a second
          // signal makes a run exit without its clean-up).
          cwd: resolve(options.cwd), env: process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
        });
        current = child;
        child.stdout!.on('data', (d) => options.stdout.write(d));
        child.stderr!.on('data', (d) => options.stderr.write(d));
        child.on('error', (error) => {
          log(`keelhaul: cannot start a run for ${target}: ${error.message}`);
          resolvePromise(EXIT.internal);
        });
        child.on('close', (exitCode, signal) => {
          current = undefined;
          resolvePromise(exitCode ?? (signal === 'SIGINT' ? EXIT.sigint : signal === 'SIGTERM' ? EXIT.sigterm : EXIT.internal));
        });
      });
      codes.push(code);
      const summaryPath = join(dir, 'summary.json');
      if (existsSync(summaryPath)) {
        try {
          runs.push({ summary: JSON.parse(readFileSync(summaryPath, 'utf8')) as RunSummary, reportsDir: dir });
        } catch {
          log(`keelhaul: warning: ${summaryPath} is not readable JSON`);
        }
      } else {
        log(`keelhaul: ${target}: no summary (exit ${code}); it has no column in the matrix`);
      }
      // An authoring error is the same for every target: no point running the others.
      if (code === EXIT.usage) break;
    }
  } finally {
    signals.release();
  }

  if (runs.length > 0 && writeMatrixIfAny(reportsDir, runs)) log(`keelhaul: divergence matrix for ${runs.length} target(s): ${join(reportsDir, 'divergence-matrix.html')}`);
  // One combined report.html, a section per target (each target folder has its own, from its run).
  const report = runs.length > 0 ? writeReportHtmlOrWarn(reportsDir, {
    runs: runs.map((r) => ({ summary: r.summary, href: relative(reportsDir, join(r.reportsDir, 'report.html')) })),
    command: process.argv.slice(2),
  }, log) : undefined;
  if (report) log(`keelhaul: report of ${runs.length} target(s): ${report}`);
  const worst = signals.interruptedBy ? exitCodeOnSignal(signals.interruptedBy) : worstExitCode(codes);
  options.stdout.write(`keelhaul: ${plan.length} target(s): ${plan.map((p, i) => `${p.target} exit ${codes[i] ?? 'not run'}`).join(', ')}; overall exit ${worst}\n`);
  return worst;
}
