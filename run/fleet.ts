// `keelhaul run --targets FILE [--concurrency N]`: the same selection against every target of a
// fleet, N targets at a time, each in its own keelhaul process (its own platform client, timeouts,
// sweep and signal handling, as run/multi-target.ts does for --target A --target B one at a time).
// Reports land in <reports>/<target>/; then they are merged (run/merge.ts) into <reports>/: one
// summary.json, junit.xml, cucumber.json, allure-results/, a matrix column and a report.html
// section per target. An unreachable target is reported in its column (exit 4 for the whole run);
// the others are still judged.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UsageError, oneLine } from '../judges/errors.js';
import { EXIT } from '../judges/outcome.js';
import { mergeReports, printMerged, type MergePart } from './merge.js';
import { childRunArgs, targetSlug } from './multi-target.js';
import { packageRoot } from './paths.js';
import { loadProfileFile, resolveProfileOption } from './profiles.js';
import { prepareReportsDir, type RunOptions } from './run.js';
import type { RunSummary } from './summary.js';
import { claimInterrupts, exitCodeOnSignal } from '../support/signals.js';

export interface FleetTarget {
  url: string;
  /** This target's profile (else the run's --profile). */
  profile?: string;
  /** Its certificate folder (DOCKER_CERT_PATH for its run). */
  certPath?: string;
  /** Its name: the column title and the reports folder (else the URL). */
  name?: string;
}

export interface FleetOptions extends Omit<RunOptions, 'target'> {
  targets: FleetTarget[];
  concurrency: number;
}

const TARGET_URL = /^(unix|tcp|https?|ssh|npipe):\/\/\S+$/;
const KEYS: Record<string, keyof FleetTarget> = { profile: 'profile', cert: 'certPath', certPath: 'certPath', 'cert-path': 'certPath', name: 'name', url: 'url', target: 'url' };

/**
 * A targets file: YAML (`targets:` a list, or a list at the top; each item a URL or
 * `{ url, profile, certPath, name }`), or plain text, one target a line:
 * `URL [profile=NAME|FILE] [cert=DIR] [name=NAME]`, `#` starting a comment.
 */
export function parseTargets(text: string, file = 'targets'): FleetTarget[] {
  const firstLine = text.split('\n').map((l) => l.trim()).find((l) => l && !l.startsWith('#')) ?? '';
  const yaml = ['.yaml', '.yml'].includes(extname(file)) || /^(-\s|targets\s*:)/.test(firstLine);
  const targets = yaml ? fromYaml(text, file) : fromPlain(text, file);
  if (targets.length === 0) throw new UsageError(`--targets ${file}: no target in it`);
  const names = new Set<string>();
  for (const t of targets) {
    if (!TARGET_URL.test(t.url)) throw new UsageError(`--targets ${file}: "${t.url}" is not a target URL (unix:///path, tcp://host:port, https://host:port)`);
    const name = t.name ?? t.url;
    if (names.has(name)) throw new UsageError(`--targets ${file}: ${name} is listed twice`);
    names.add(name);
  }
  return targets;
}

function fromPlain(text: string, file: string): FleetTarget[] {
  const targets: FleetTarget[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line) return;
    const [url, ...rest] = line.split(/\s+/);
    const target: FleetTarget = { url: url! };
    for (const token of rest) {
      const m = /^([A-Za-z-]+)=(.+)$/.exec(token);
      const key = m ? KEYS[m[1]!] : undefined;
      if (!m || !key || key === 'url') throw new UsageError(`--targets ${file}:${i + 1}: "${token}" is not profile=, cert= or name=`);
      target[key] = m[2]!;
    }
    targets.push(target);
  });
  return targets;
}

function fromYaml(text: string, file: string): FleetTarget[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw new UsageError(`--targets ${file}: not valid YAML: ${oneLine(error)}`);
  }
  const list = Array.isArray(doc) ? doc : (doc as { targets?: unknown })?.targets;
  if (!Array.isArray(list)) throw new UsageError(`--targets ${file}: expected a list of targets (or targets: [...])`);
  return list.map((item, i) => {
    if (typeof item === 'string') return { url: item };
    if (!item || typeof item !== 'object') throw new UsageError(`--targets ${file}: item ${i + 1} is neither a URL nor a mapping`);
    const target: Partial<FleetTarget> = {};
    for (const [k, v] of Object.entries(item as Record<string, unknown>)) {
      const key = KEYS[k];
      if (!key) throw new UsageError(`--targets ${file}: item ${i + 1}: unknown key "${k}" (url, profile, certPath, name)`);
      if (typeof v !== 'string') throw new UsageError(`--targets ${file}: item ${i + 1}: ${k} must be a string`);
      target[key] = v;
    }
    if (!target.url) throw new UsageError(`--targets ${file}: item ${i + 1} has no url`);
    return target as FleetTarget;
  });
}

export function readTargetsFile(file: string): FleetTarget[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--targets ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? oneLine(error)})`);
  }
  return parseTargets(text, file);
}

/** Lines of a child's output, each prefixed with its target (concurrent runs interleave by line, not by byte). */
function prefixed(prefix: string, write: (text: string) => void): { push(chunk: Buffer | string): void; end(): void } {
  let pending = '';
  return {
    push(chunk) {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      if (lines.length > 0) write(lines.map((l) => `${prefix}${l}\n`).join(''));
    },
    end() {
      if (pending) write(`${prefix}${pending}\n`);
      pending = '';
    },
  };
}

export async function runFleet(options: FleetOptions): Promise<number> {
  const log = (line: string) => options.stderr.write(`${line}\n`);
  if (options.targets.length === 0) throw new UsageError('--targets: at least one target is needed');
  const reportsDir = prepareReportsDir(options.reportsDir);
  // A bad profile is exit 2 before anything runs (each target's, and the run's).
  for (const p of new Set([options.profile, ...options.targets.map((t) => t.profile).filter((p): p is string => Boolean(p))])) {
    const choice = resolveProfileOption(p);
    if (choice.kind === 'file') loadProfileFile(choice.path);
  }
  const slugs = new Map<string, number>();
  const plan = options.targets.map((target) => {
    let slug = targetSlug(target.name ?? target.url);
    const n = (slugs.get(slug) ?? 0) + 1;
    slugs.set(slug, n);
    if (n > 1) slug = `${slug}-${n}`;
    return { target, label: target.name ?? target.url, dir: join(reportsDir, slug), code: undefined as number | undefined };
  });
  const concurrency = Math.max(1, Math.min(options.concurrency, plan.length));
  log(`keelhaul: ${plan.length} target(s), ${concurrency} at a time; reports in ${reportsDir}`);

  const bin = join(packageRoot(), 'dist', 'cli', 'main.js');
  let stopScheduling = false;
  const children = new Set<ChildProcess>();
  // Every signal is passed on: each child sweeps its own run and exits 130/143 (support/signals.ts owns the signals).
  const signals = claimInterrupts('fleet', (signal) => {
    stopScheduling = true;
    for (const child of children) child.kill(signal);
  });

  const runOne = (entry: (typeof plan)[number], i: number) => new Promise<number>((resolvePromise) => {
    const { target, dir, label } = entry;
    log(`keelhaul: target ${i + 1}/${plan.length}: ${label}${target.name ? ` (${target.url})` : ''} (reports in ${dir})`);
    const child = spawn(process.execPath, [bin, ...childRunArgs(options, target.url, target.profile ?? options.profile, dir)], {
      // Its own process group: a Ctrl-C reaches it once, forwarded by us, not twice (a second
      // signal makes a run exit without its clean-up).
      cwd: resolve(options.cwd), stdio: ['ignore', 'pipe', 'pipe'], detached: true,
      env: { ...process.env, ...(target.certPath ? { DOCKER_CERT_PATH: resolve(options.cwd, target.certPath) } : {}) },
    });
    children.add(child);
    const prefix = concurrency > 1 ? `[${label}] ` : '';
    const out = prefixed(prefix, (t) => options.stdout.write(t));
    const err = prefixed(prefix, (t) => options.stderr.write(t));
    child.stdout!.on('data', (d) => out.push(d));
    child.stderr!.on('data', (d) => err.push(d));
    child.on('error', (error) => {
      log(`keelhaul: cannot start a run for ${label}: ${error.message}`);
      children.delete(child);
      resolvePromise(EXIT.internal);
    });
    child.on('close', (exitCode, signal) => {
      out.end();
      err.end();
      children.delete(child);
      resolvePromise(exitCode ?? (signal === 'SIGINT' ? EXIT.sigint : signal === 'SIGTERM' ? EXIT.sigterm : EXIT.internal));
    });
  });

  try {
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (!stopScheduling && next < plan.length) {
        const i = next++;
        const entry = plan[i]!;
        entry.code = await runOne(entry, i);
        // An authoring error is the same for every target: no point starting the others.
        if (entry.code === EXIT.usage) stopScheduling = true;
      }
    }));
  } finally {
    signals.release();
  }

  const parts: MergePart[] = [];
  for (const entry of plan) {
    if (entry.code === undefined) continue; // not started (interrupted, or an authoring error elsewhere)
    const summaryPath = join(entry.dir, 'summary.json');
    let summary: RunSummary | undefined;
    if (existsSync(summaryPath)) {
      try {
        summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as RunSummary;
      } catch {
        log(`keelhaul: warning: ${summaryPath} is not readable JSON`);
      }
    }
    if (!summary) log(`keelhaul: ${entry.label}: no summary (exit ${entry.code}); its column says so`);
    parts.push({ dir: entry.dir, summary, name: entry.target.name, url: entry.target.url, exitCode: entry.code });
  }
  const notRun = plan.filter((e) => e.code === undefined).map((e) => `${e.label}: not run`);
  let code: number = EXIT.internal;
  if (parts.length > 0) {
    const merged = mergeReports(parts, reportsDir, { log, command: process.argv.slice(2), incomplete: signals.interruptedBy ? [] : notRun });
    printMerged(merged, options.stdout);
    code = merged.exitCode;
  }
  if (signals.interruptedBy) code = exitCodeOnSignal(signals.interruptedBy);
  options.stdout.write(`keelhaul: ${plan.length} target(s): ${plan.map((p) => `${p.label} exit ${p.code ?? 'not run'}`).join(', ')}; overall exit ${code}\n`);
  return code;
}
