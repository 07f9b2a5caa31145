// `keelhaul merge DIR... [--reports OUT]`: one verdict and one set of reports from the reports folders
// of shards (`run --shard i/n` on several CI agents) and targets (a fleet, run/fleet.ts). The verdict
// is what one run over everything would give (judges/merge.ts); a shard that is missing or was
// interrupted is named and makes it incomplete (exit 5), never a silent pass.
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { UsageError } from '../judges/errors.js';
import { EXIT, exitMeaning } from '../judges/outcome.js';
import { checkShards, columnExitCode, duplicateScenarios, mergedExitCode, type PartFacts } from '../judges/merge.js';
import { emptyCounts, OUTCOMES } from '../judges/outcome.js';
import { ALLURE_RESULTS, resetAllureResults } from './allure-report.js';
import { writeMatrixIfAny } from './matrix.js';
import { writeReportHtmlOrWarn } from './report-html.js';
import { runsIn } from './report-command.js';
import { newRunId, prepareReportsDir } from './run.js';
import type { RunSummary } from './summary.js';
import { targetSlug } from './multi-target.js';

/** One run's reports folder, or a target that left none (unreachable before it could write one). */
export interface MergePart {
  dir: string;
  summary?: RunSummary;
  /** A fleet's name for the target (its column); else the target's URL. */
  name?: string;
  /** With no summary: the target, and the exit code its run ended with. */
  url?: string;
  exitCode?: number;
}

/** The merged summary.json: a RunSummary (one run id) with every part named. */
export interface MergedSummary extends RunSummary {
  merged: true;
  parts: Array<{ run: string | null; dir: string; column: string; target: string; engine: string; version: string; profile: string; exitCode: number; scenarios: number; shard: RunSummary['shard'] | null; unreachable: boolean }>;
  columns: Array<{ column: string; target: string; exitCode: number; unreachable: boolean }>;
  /** Why the verdict is incomplete (a shard missing or interrupted); empty when it is complete. */
  incomplete: string[];
}

export interface MergeResult {
  exitCode: number;
  summary: MergedSummary;
  files: string[];
}

export interface MergeCommandOptions {
  dirs: string[];
  reportsDir: string;
  cwd: string;
  stdout: Writable;
  stderr: Writable;
}

export async function mergeCommand(options: MergeCommandOptions): Promise<number> {
  const log = (line: string) => options.stderr.write(`${line}\n`);
  const out = resolve(options.cwd, options.reportsDir);
  const parts: MergePart[] = [];
  const incomplete: string[] = [];
  for (const given of options.dirs) {
    const dir = resolve(options.cwd, given);
    if (dir === out) throw new UsageError(`merge: ${given} is also the output folder (--reports): give another one`);
    const found = partsIn(dir);
    if (found.length === 0) incomplete.push(`${given}: no summary.json (a shard or target that did not run or did not finish)`);
    parts.push(...found);
  }
  if (parts.length === 0) {
    log(`keelhaul: merge: nothing to merge: ${incomplete.join('; ')}`);
    return EXIT.internal;
  }
  const result = mergeReports(parts, out, { incomplete, log, command: process.argv.slice(2) });
  printMerged(result, options.stdout);
  return result.exitCode;
}

/** The parts a folder holds: a run's summary.json, a merged one's parts, or one folder per target. */
export function partsIn(dir: string): MergePart[] {
  const top = join(dir, 'summary.json');
  if (existsSync(top)) {
    const summary = readJson(top) as Partial<MergedSummary>;
    if (summary.merged && Array.isArray(summary.parts)) {
      // A merged folder (a fleet's): its parts again, from the folders it names.
      return summary.parts.map((p) => {
        const partDir = resolve(dir, p.dir);
        const own = existsSync(join(partDir, 'summary.json')) ? readJson(join(partDir, 'summary.json')) as RunSummary : undefined;
        const name = p.column !== p.target ? p.column : undefined;
        return own ? { dir: partDir, summary: own, name } : { dir: partDir, name, url: p.target, exitCode: p.exitCode };
      });
    }
  }
  return runsIn(dir).map((r) => ({ dir: r.dir, summary: r.summary }));
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`merge: ${path} is not readable JSON: ${(error as Error).message}`);
  }
}

/** A summary for a target that left none: its column says unreachable. */
function unreachableSummary(part: MergePart): RunSummary {
  const now = new Date().toISOString();
  return {
    run: '', startedAt: now, durationMs: 0, exitCode: part.exitCode ?? EXIT.platform,
    target: { url: part.url ?? part.dir, engine: part.exitCode === EXIT.platform || part.exitCode === undefined ? 'unreachable' : `no summary (exit ${part.exitCode})`, version: '-', apiVersion: '-', os: '-' },
    profile: '-', outcomes: emptyCounts(), scenarios: [], exposures: [], skipped: [],
  };
}

export function mergeReports(parts: MergePart[], outDir: string, options: { incomplete?: string[]; log: (line: string) => void; command?: string[] }): MergeResult {
  const out = prepareReportsDir(outDir);
  const incomplete = [...(options.incomplete ?? [])];
  const runs = parts.map((p) => {
    const summary = p.summary ?? unreachableSummary(p);
    const column = p.name ?? summary.target.url;
    return { part: p, summary, column };
  });
  const facts: PartFacts[] = runs.map((r) => ({
    label: `${relative(process.cwd(), r.part.dir) || r.part.dir} (${r.column}${r.summary.shard ? `, shard ${r.summary.shard.index}/${r.summary.shard.total}` : ''})`,
    column: r.column, exitCode: r.summary.exitCode, shard: r.summary.shard, scenarios: r.summary.scenarios.length, hasSummary: Boolean(r.part.summary), engine: r.summary.target.name,
  }));
  const shardCheck = checkShards(facts);
  if (shardCheck.conflicts.length > 0) throw new UsageError(`merge: ${shardCheck.conflicts.join('; ')}`);
  const twice = duplicateScenarios(runs.map((r, i) => ({ label: facts[i]!.label, column: r.column, ids: r.summary.scenarios.map((s) => s.id) })));
  if (twice.length > 0) throw new UsageError(`merge: ${twice.join('; ')}`);
  incomplete.push(...shardCheck.incomplete);

  // One merged RunSummary per column (a target): the column's parts' scenarios, in shard order.
  const columns = [...new Set(runs.map((r) => r.column))].map((column) => {
    const mine = runs.filter((r) => r.column === column).sort((a, b) => (a.summary.shard?.index ?? 0) - (b.summary.shard?.index ?? 0));
    const first = mine.find((r) => r.part.summary) ?? mine[0]!;
    const exitCode = columnExitCode(mine.map((r) => r.summary.exitCode));
    const unreachable = mine.some((r) => r.summary.exitCode === EXIT.platform);
    const summary: RunSummary = {
      ...first.summary,
      target: { ...first.summary.target, url: unreachable ? `${column} (unreachable)` : column },
      exitCode,
      durationMs: Math.max(0, ...mine.map((r) => r.summary.durationMs)),
      outcomes: countOutcomes(mine.flatMap((r) => r.summary.scenarios)),
      scenarios: mine.flatMap((r) => r.summary.scenarios),
      exposures: mine.flatMap((r) => r.summary.exposures ?? []),
      skipped: dedupe(mine.flatMap((r) => r.summary.skipped ?? []), (s) => s.location),
    };
    delete summary.shard;
    return { column, url: first.summary.target.url, summary, unreachable, runs: mine };
  });
  const several = columns.length > 1;
  const exitCode = mergedExitCode(columns.map((c) => c.summary.exitCode), incomplete.length > 0);
  const started = runs.map((r) => Date.parse(r.summary.startedAt)).filter(Number.isFinite);
  const ended = runs.map((r) => Date.parse(r.summary.startedAt) + r.summary.durationMs).filter(Number.isFinite);
  const single = columns.length === 1 ? columns[0]!.summary : undefined;
  const summary: MergedSummary = {
    run: newRunId(),
    startedAt: new Date(started.length ? Math.min(...started) : Date.now()).toISOString(),
    durationMs: started.length && ended.length ? Math.max(...ended) - Math.min(...started) : 0,
    exitCode,
    target: single?.target ?? { url: `${columns.length} targets`, engine: 'several', version: '-', apiVersion: '-', os: '-' },
    profile: single?.profile ?? [...new Set(columns.map((c) => c.summary.profile))].join(', '),
    outcomes: countOutcomes(columns.flatMap((c) => c.summary.scenarios)),
    // With several targets the same ID is in each: every scenario says which target (and run) it is of.
    scenarios: columns.flatMap((c) => c.runs.flatMap((r) => r.summary.scenarios.map((s) => (several ? { ...s, target: c.column, run: r.summary.run } : { ...s, run: r.summary.run })))),
    exposures: columns.flatMap((c) => c.summary.exposures.map((e) => (several ? { ...e, target: c.column } : e))),
    skipped: columns.flatMap((c) => c.summary.skipped),
    command: options.command,
    merged: true,
    parts: runs.map((r) => ({
      run: r.part.summary ? r.summary.run : null, dir: relative(out, r.part.dir) || '.', column: r.column, target: r.part.summary ? r.summary.target.url : (r.part.url ?? r.column),
      engine: r.summary.target.engine, version: r.summary.target.version, profile: r.summary.profile, exitCode: r.summary.exitCode,
      scenarios: r.summary.scenarios.length, shard: r.summary.shard ?? null, unreachable: r.summary.exitCode === EXIT.platform,
    })),
    columns: columns.map((c) => ({ column: c.column, target: c.url, exitCode: c.summary.exitCode, unreachable: c.unreachable })),
    incomplete,
  };
  const files: string[] = [];
  writeFileSync(join(out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  files.push(join(out, 'summary.json'));
  const label = (r: (typeof runs)[number]) => (several ? r.column : undefined);
  const withReports = runs.filter((r) => r.part.summary);
  files.push(writeJunit(out, withReports.map((r) => ({ dir: r.part.dir, suite: suiteName(r.column, r.summary), label: label(r) })), summary.run));
  files.push(writeCucumberJson(out, withReports.map((r) => ({ dir: r.part.dir, label: label(r) }))));
  files.push(copyAllure(out, withReports.map((r) => ({ dir: r.part.dir, label: label(r) }))));
  if (writeMatrixIfAny(out, columns.map((c) => ({ summary: c.summary, reportsDir: c.runs.length === 1 ? c.runs[0]!.part.dir : undefined })))) files.push(join(out, 'divergence-matrix.html'));
  const report = writeReportHtmlOrWarn(out, {
    runs: columns.map((c) => {
      const own = c.runs.length === 1 && existsSync(join(c.runs[0]!.part.dir, 'report.html')) ? relative(out, join(c.runs[0]!.part.dir, 'report.html')) : undefined;
      return { summary: c.summary, href: own };
    }),
    command: options.command,
  }, options.log);
  if (report) files.push(report);
  for (const why of incomplete) options.log(`keelhaul: merge: incomplete: ${why}`);
  return { exitCode, summary, files };
}

function suiteName(column: string, s: RunSummary): string {
  return `keelhaul ${column}${s.shard ? ` shard ${s.shard.index}/${s.shard.total}` : ''} (run ${s.run})`;
}

function countOutcomes(scenarios: RunSummary['scenarios']): RunSummary['outcomes'] {
  const counts = emptyCounts();
  for (const s of scenarios) if (OUTCOMES.includes(s.outcome)) counts[s.outcome] += 1;
  return counts;
}

function dedupe<T>(items: T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((t) => !seen.has(key(t)) && Boolean(seen.add(key(t))));
}

const escapeAttr = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * One <testsuites> with each part's <testsuite> as cucumber wrote it (only its name changed; with
 * several targets each testcase's classname says the target, so the same check on two targets is
 * two tests in Jenkins and Bamboo, not one reported twice).
 */
export function mergeJunit(parts: Array<{ xml: string; suite: string; label?: string }>, name: string): string {
  const totals = { tests: 0, failures: 0, errors: 0, skipped: 0, time: 0 };
  const suites: string[] = [];
  for (const part of parts) {
    const match = /<testsuite\b([^>]*?)(\/>|>([\s\S]*?)<\/testsuite>)/.exec(part.xml);
    if (!match) continue;
    const attrs = match[1]!;
    const attr = (n: string) => Number(new RegExp(`\\b${n}="([^"]*)"`).exec(attrs)?.[1] ?? 0) || 0;
    totals.tests += attr('tests');
    totals.failures += attr('failures');
    totals.errors += attr('errors');
    totals.skipped += attr('skipped');
    totals.time += attr('time');
    const renamed = /\bname="[^"]*"/.test(attrs) ? attrs.replace(/\bname="[^"]*"/, `name="${escapeAttr(part.suite)}"`) : `${attrs} name="${escapeAttr(part.suite)}"`;
    let body = match[3] ?? '';
    if (part.label) body = body.replace(/(<testcase\b[^>]*?\bclassname=")([^"]*)"/g, (_m, head: string, cls: string) => `${head}[${escapeAttr(part.label!)}] ${cls}"`);
    suites.push(match[3] === undefined ? `  <testsuite${renamed}/>` : `  <testsuite${renamed}>${body}</testsuite>`);
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${escapeAttr(name)}" tests="${totals.tests}" failures="${totals.failures}" errors="${totals.errors}" time="${totals.time.toFixed(3)}">\n${suites.join('\n')}\n</testsuites>\n`;
}

function writeJunit(out: string, parts: Array<{ dir: string; suite: string; label?: string }>, runId: string): string {
  const xmls = parts.filter((p) => existsSync(join(p.dir, 'junit.xml'))).map((p) => ({ ...p, xml: readFileSync(join(p.dir, 'junit.xml'), 'utf8') }));
  const path = join(out, 'junit.xml');
  writeFileSync(path, mergeJunit(xmls, `keelhaul merge ${runId}`));
  return path;
}

function writeCucumberJson(out: string, parts: Array<{ dir: string; label?: string }>): string {
  const features: any[] = [];
  for (const p of parts) {
    const file = join(p.dir, 'cucumber.json');
    if (!existsSync(file)) continue;
    let list: unknown;
    try {
      list = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      continue; // an interrupted run's half-written file: its scenarios are in summary.json
    }
    if (!Array.isArray(list)) continue;
    for (const f of list) features.push(p.label ? { ...f, id: `${targetSlug(p.label)}-${f.id}`, name: `[${p.label}] ${f.name}` } : f);
  }
  const path = join(out, 'cucumber.json');
  writeFileSync(path, JSON.stringify(features, null, 2) + '\n');
  return path;
}

/** Every part's Allure results in one folder; with several targets each result carries its target (and its own history). */
function copyAllure(out: string, parts: Array<{ dir: string; label?: string }>): string {
  const dest = resetAllureResults(out);
  for (const p of parts) {
    const src = join(p.dir, ALLURE_RESULTS);
    if (!existsSync(src)) continue;
    for (const entry of readdirSync(src, { withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const from = join(src, entry.name);
      if (p.label && entry.name.endsWith('-result.json')) {
        try {
          const result = JSON.parse(readFileSync(from, 'utf8'));
          result.parameters = [...(result.parameters ?? []), { name: 'target', value: p.label }];
          if (result.historyId) result.historyId = `${result.historyId}:${targetSlug(p.label)}`;
          result.labels = [...(result.labels ?? []), { name: 'parentSuite', value: p.label }];
          writeFileSync(join(dest, entry.name), JSON.stringify(result));
          continue;
        } catch {
          // not JSON after all: copied as it is
        }
      }
      copyFileSync(from, join(dest, entry.name));
    }
  }
  mkdirSync(dest, { recursive: true });
  return dest;
}

export function printMerged(result: MergeResult, stdout: Writable): void {
  const s = result.summary;
  const lines = [`keelhaul merge ${s.run}: ${s.parts.length} part(s), ${s.columns.length} target(s), ${s.scenarios.length} scenario(s)`];
  for (const c of s.columns) lines.push(`  ${c.column}: exit ${c.exitCode}${c.unreachable ? ' (unreachable)' : ''}`);
  for (const why of s.incomplete) lines.push(`  INCOMPLETE: ${why}`);
  lines.push(OUTCOMES.map((o) => `${s.outcomes[o]} ${o}`).join(', '));
  lines.push(`VERDICT: exit ${result.exitCode}: ${exitMeaning(result.exitCode)}`);
  stdout.write(lines.join('\n') + '\n');
}
