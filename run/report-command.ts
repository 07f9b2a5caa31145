// `keelhaul report`: (re)writes report.html from the last run's summary.json, which needs nothing
// but keelhaul (the image has no Java), and builds Allure's HTML too when Allure can run here:
//   default      Allure HTML when there are Allure results, allure-commandline and a Java;
//                otherwise one line saying why it was skipped (exit 0: report.html is the report)
//   --allure     Allure HTML or a failure (exit 2 without results, 5 when allure cannot run)
//   --no-allure  report.html only
// A reports folder of a multi-target run (summary.json in one folder per target) gets the combined
// report, one section per target, and each target folder its own.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { delimiter, join, relative, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { UsageError } from '../judges/errors.js';
import { EXIT } from '../judges/outcome.js';
import { ALLURE_RESULTS, findAllureCommandline, generateReport } from './allure-report.js';
import { writeReportHtml, type ReportRun } from './report-html.js';
import type { RunSummary } from './summary.js';

export interface ReportCommandOptions {
  reportsDir: string;
  /** undefined: Allure when it can run here; true: Allure or fail; false: never. */
  allure?: boolean;
  stdout: Writable;
  env?: NodeJS.ProcessEnv;
}

/** The Java allure-commandline would run: $JAVA_HOME/bin/java when JAVA_HOME is set (as its launcher does), else java on PATH. */
export function findJava(env: NodeJS.ProcessEnv, isFile: (path: string) => boolean = fileExists): string | undefined {
  if (env.JAVA_HOME) {
    const java = join(env.JAVA_HOME, 'bin', 'java');
    return isFile(java) ? java : undefined;
  }
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const java = join(dir, 'java');
    if (isFile(java)) return java;
  }
  return undefined;
}

function fileExists(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function readSummary(path: string): RunSummary {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as RunSummary;
  } catch (error) {
    throw new UsageError(`${path} is not readable JSON: ${(error as Error).message}`);
  }
}

/** The runs a reports folder holds: its own summary.json, or one per target folder (a multi-target run). */
export function runsIn(dir: string): Array<{ summary: RunSummary; dir: string }> {
  if (existsSync(join(dir, 'summary.json'))) return [{ summary: readSummary(join(dir, 'summary.json')), dir }];
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, 'summary.json')))
    .map((e) => ({ summary: readSummary(join(dir, e.name, 'summary.json')), dir: join(dir, e.name) }))
    // The targets ran one after the other: their start times give the order of the run's --target flags.
    .sort((a, b) => String(a.summary.startedAt).localeCompare(String(b.summary.startedAt)));
}

export async function reportCommand(options: ReportCommandOptions): Promise<number> {
  const dir = resolve(options.reportsDir);
  const out = (line: string) => options.stdout.write(`${line}\n`);
  const runs = runsIn(dir);
  if (runs.length === 0) {
    throw new UsageError(`no summary.json in ${dir} (nor in a target folder under it): run \`keelhaul run --reports ${options.reportsDir}\` first`);
  }
  if (runs.length === 1) {
    const path = writeReportHtml(dir, { runs: [{ summary: runs[0]!.summary }] });
    out(`keelhaul: report.html of ${runs[0]!.summary.scenarios.length} scenario(s): ${path}`);
  } else {
    const parts: ReportRun[] = runs.map((r) => {
      writeReportHtml(r.dir, { runs: [{ summary: r.summary }] });
      return { summary: r.summary, href: relative(dir, join(r.dir, 'report.html')) };
    });
    out(`keelhaul: report.html of ${runs.length} targets: ${writeReportHtml(dir, { runs: parts })} (and one in each target folder)`);
  }

  if (options.allure === false) return EXIT.ok;
  if (options.allure === undefined) {
    const why = !existsSync(join(dir, ALLURE_RESULTS)) ? `no ${ALLURE_RESULTS} in ${dir}`
      : !findAllureCommandline() ? 'allure-commandline is not installed here'
        : !findJava(options.env ?? process.env) ? 'no Java here (JAVA_HOME or java on PATH)'
          : undefined;
    if (why) {
      out(`keelhaul: Allure HTML skipped: ${why} (\`keelhaul report --allure\` insists)`);
      return EXIT.ok;
    }
  }
  return generateReport({ reportsDir: dir, stdout: options.stdout });
}
