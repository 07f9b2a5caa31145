// summary.json (DESIGN.md, Reports) and the console summary at the end of a run.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { OUTCOMES, exitMeaning, type Outcome, type OutcomeCounts } from '../judges/outcome.js';
import { boundReason } from './console.js';
import type { RunnerReport } from '../support/port-vantage.js';
import { OBSERVATION } from '../judges/observation-keys.js';
import type { planReport } from '../support/probe-plan.js';

export interface RunSummary {
  run: string;
  startedAt: string;
  durationMs: number;
  exitCode: number;
  target: { url: string; engine: string; version: string; apiVersion: string; os: string; name?: string; kernel?: string; cgroupVersion?: string; securityOptions?: string[]; runner?: RunnerReport };
  profile: string;
  outcomes: OutcomeCounts;
  scenarios: Array<{ id: string; name: string; feature: string; tags: string[]; outcome: Outcome; reason: string; durationMs: number; observations: Record<string, unknown>; location: string }>;
  exposures: Array<{ id: string; what: string }>;
  /** The command line after `keelhaul` (report.html shows it; re-running it repeats the run). */
  command?: string[];
  /** Scenarios the selection named but the run left out, and why (a @billable/@disruptive one on a multi-tenant profile). */
  skipped: Array<{ name: string; location: string; tag: string; reason: string }>;
  /** `--shard i/n`: which part of a selection of selectionSize scenarios this run was (run/shard.ts). */
  shard?: { index: number; total: number; selectionSize: number; scenarios: number; balancedBy: 'duration' | 'count' };
  /**
   * The probe plan (support/probe-plan.ts): how many scenarios had probes run ahead, at most
   * `concurrency` at a time (0: none), and what it did (planReport there says what each count is).
   */
  probePlan?: { concurrency: number; scenarios: number } & Partial<typeof planReport>;
}

export function writeSummary(summary: RunSummary, reportsDir: string): void {
  writeFileSync(join(reportsDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
}

const LABELS: Record<Outcome, string> = {
  pass: 'PASS', finding: 'FINDING', 'not-applicable': 'N/A', inconclusive: 'INCONCLUSIVE', error: 'ERROR',
};

export function printConsoleSummary(summary: RunSummary, out: Writable): void {
  const t = summary.target;
  const lines: string[] = [''];
  lines.push(`keelhaul run ${summary.run} against ${t.url}: ${t.engine} ${t.version} (API ${t.apiVersion}, ${t.os}), profile ${summary.profile}`);
  for (const s of summary.scenarios) {
    if (s.outcome === 'pass') continue;
    lines.push(`  ${LABELS[s.outcome].padEnd(12)} ${s.id.padEnd(10)} ${s.name}${s.reason ? `: ${boundReason(s.reason)}` : ''}`);
  }
  // The hardening family's three-way classification (observation "hardening"), passing or not.
  const hardening = summary.scenarios.filter((s) => typeof s.observations?.[OBSERVATION.hardening] === 'string');
  if (hardening.length > 0) {
    lines.push('  hardening (rejected / neutralised / effective):');
    for (const s of hardening) {
      lines.push(`    ${s.id.padEnd(23)} ${String(s.observations[OBSERVATION.hardening]).padEnd(11)} ${boundReason(String(s.observations[OBSERVATION.hardeningDetail] ?? s.name), { items: 5, chars: 160 })}`);
    }
  }
  if (summary.exposures.length > 0) {
    lines.push('  exposures (passed only because the profile accepts them):');
    for (const e of summary.exposures) lines.push(`    ${e.id}: ${boundReason(e.what)}`);
  }
  if (summary.skipped?.length > 0) {
    lines.push('  skipped (not run on this shared platform unless --tags names the tag):');
    for (const s of summary.skipped) lines.push(`    ${s.tag.padEnd(12)} ${s.name}`);
  }
  const counts = OUTCOMES.map((o) => `${summary.outcomes[o]} ${o}`).join(', ');
  lines.push(`${counts} in ${(summary.durationMs / 1000).toFixed(1)}s`);
  lines.push(`VERDICT: exit ${summary.exitCode}: ${exitMeaning(summary.exitCode)}`);
  out.write(lines.join('\n') + '\n');
}
