// `keelhaul report`: the last run's Allure results (<reports>/allure-results, written by
// allure-cucumberjs during every run) turned into an HTML report with allure-commandline (Allure 2,
// a Java program: it needs a JRE on PATH or JAVA_HOME).
//
// The report is generated with --single-file: one self-contained index.html that opens from disk
// (or from a CI artifact) without a web server. Allure never gates: the run's exit code does.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { runTool } from '../adapters/tools/exec.js';
import { KeelhaulError, UsageError, oneLine } from '../judges/errors.js';
import { EXIT } from '../judges/outcome.js';

export const ALLURE_RESULTS = 'allure-results';
export const ALLURE_REPORT = 'allure-report';

/**
 * Called by `keelhaul run` before cucumber starts: empty <reports>/allure-results so the report
 * shows this run only (Allure's writer never removes anything). `history/` is kept: CI plugins
 * copy the previous report's history there for trends. Returns the folder.
 */
export function resetAllureResults(reportsDir: string): string {
  const dir = join(reportsDir, ALLURE_RESULTS);
  if (existsSync(dir)) {
    for (const entry of readdirSync(dir)) {
      if (entry !== 'history') rmSync(join(dir, entry), { recursive: true, force: true });
    }
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The `allure` launcher of the allure-commandline package, if it is installed. */
export function findAllureCommandline(): string | undefined {
  try {
    const index = createRequire(import.meta.url).resolve('allure-commandline');
    const bin = join(dirname(index), 'dist', 'bin', 'allure');
    return existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

export interface ReportOptions {
  reportsDir: string;
  stdout: Writable;
  /** Upper bound on allure generate (ms). */
  timeoutMs?: number;
}

/** Generate <reports>/allure-report/index.html. Returns the exit code (0), throws KeelhaulError (2, 5). */
export async function generateReport(options: ReportOptions): Promise<number> {
  const reportsDir = resolve(options.reportsDir);
  const resultsDir = join(reportsDir, ALLURE_RESULTS);
  const results = existsSync(resultsDir) ? readdirSync(resultsDir).filter((f) => f.endsWith('-result.json')) : [];
  if (results.length === 0) {
    throw new UsageError(`no Allure results in ${resultsDir}: run \`keelhaul run --reports ${options.reportsDir}\` first`);
  }
  const allure = findAllureCommandline();
  if (!allure) {
    throw new KeelhaulError('allure-commandline is not installed here (the keelhaul image leaves it out: it needs Java); run `keelhaul report` where Java is, or let the CI Allure plugin build the report', EXIT.internal);
  }
  writeEnvironment(reportsDir, resultsDir);
  const reportDir = join(reportsDir, ALLURE_REPORT);
  const generated = await runTool(allure, ['generate', '--clean', '--single-file', '-o', reportDir, resultsDir], {
    timeoutMs: options.timeoutMs ?? 180_000,
  });
  const index = join(reportDir, 'index.html');
  if (generated.failedToStart || generated.timedOut || generated.exitCode !== 0 || !existsSync(index)) {
    const why = generated.timedOut ? 'timed out'
      : generated.failedToStart ? 'could not start'
        : telling(generated.stderr) || telling(generated.stdout) || `exit code ${generated.exitCode}`;
    const hint = /JAVA_HOME|java: not found|java.*No such file/i.test(generated.stderr + generated.stdout) ? ' (allure-commandline needs Java 8 or later: on PATH, or JAVA_HOME)' : '';
    throw new KeelhaulError(`allure generate failed: ${why}${hint}`, EXIT.internal);
  }
  options.stdout.write(`keelhaul: Allure report of ${results.length} scenario(s): ${index}\n`);
  return EXIT.ok;
}

/** Allure's Environment widget: the platform and run, from summary.json when it is there. */
function writeEnvironment(reportsDir: string, resultsDir: string): void {
  try {
    const summary = JSON.parse(readFileSync(join(reportsDir, 'summary.json'), 'utf8'));
    const t = summary.target ?? {};
    const lines = {
      'keelhaul.run': summary.run, 'keelhaul.profile': summary.profile, 'keelhaul.exitCode': summary.exitCode,
      'target.url': t.url, 'target.engine': t.engine, 'target.version': t.version, 'target.apiVersion': t.apiVersion,
      'target.os': t.os, 'target.kernel': t.kernel, 'target.cgroupVersion': t.cgroupVersion,
    };
    const text = Object.entries(lines)
      .filter(([, v]) => v !== undefined && v !== null && v !== '')
      .map(([k, v]) => `${k}=${String(v).replace(/[\r\n]+/g, ' ')}`)
      .join('\n');
    writeFileSync(join(resultsDir, 'environment.properties'), `${text}\n`);
  } catch {
    // No summary (or an unreadable one): the report is still useful without the widget.
  }
}

/** The line that says what went wrong: allure's own `ERROR: ...` line, else the last one. */
function telling(text: string): string {
  const lines = text.trim().split('\n').filter((l) => l.trim());
  return oneLine(lines.find((l) => /^ERROR:/.test(l.trim()))?.trim().replace(/^ERROR:\s*/, '') ?? lines.pop() ?? '');
}
