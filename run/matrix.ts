// The divergence matrix (DESIGN.md, Reports): divergence-matrix.{md,json,html} whenever conformance
// scenarios ran. One row per check, one column per target, each cell the classification with the
// ledger's verdict (conformant, known = declared in the profile, undeclared, profile out of date).
// Built from summary.json contents only, so a multi-target run can merge the summaries of its runs.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareCheckIds } from '../judges/conformance.js';
import type { RunSummary } from './summary.js';
import { OBSERVATION } from '../judges/observation-keys.js';

export type MatrixVerdict = 'conformant' | 'known' | 'undeclared' | 'out-of-date';

export interface MatrixCell {
  outcome: string;
  classification: string | null;
  verdict: MatrixVerdict | null;
  declared: string | null;
  detail: string;
}

export interface MatrixColumn {
  target: string;
  engine: string;
  version: string;
  apiVersion: string;
  profile: string;
  run: string;
  exitCode: number;
  reportsDir?: string;
}

export interface Matrix {
  generatedAt: string;
  columns: MatrixColumn[];
  rows: Array<{ check: string; name: string; cells: Array<MatrixCell | null> }>;
  totals: Array<Record<string, number>>;
}

const FAMILY_NAMES: Record<string, string> = {
  V: 'Protocol and versioning', E: 'Error shapes', R: 'Route existence', C: 'Create options (read-back and in-container look)',
  L: 'Lifecycle and semantics', S: 'Auth and transport',
};

type Scenario = RunSummary['scenarios'][number];

function isConformance(s: Scenario): boolean {
  return /^CONF-/.test(s.id) || s.tags.includes('@conformance') || Boolean((s.observations as Record<string, unknown>)?.[OBSERVATION.conformance]);
}

function cellOf(s: Scenario): MatrixCell {
  const c = (s.observations as Record<string, any>)?.[OBSERVATION.conformance] as Record<string, any> | undefined;
  const verdict = (c?.verdict as MatrixVerdict | undefined) ?? null;
  return {
    outcome: s.outcome,
    classification: c?.classification ?? null,
    verdict,
    declared: c?.declared ?? null,
    detail: s.outcome === 'pass' || s.outcome === 'finding' ? (c?.detail ?? s.reason ?? '') : (s.reason || c?.detail || ''),
  };
}

export function buildMatrix(runs: Array<{ summary: RunSummary; reportsDir?: string }>): Matrix {
  const columns: MatrixColumn[] = runs.map(({ summary, reportsDir }) => ({
    target: summary.target.url, engine: summary.target.engine, version: summary.target.version, apiVersion: summary.target.apiVersion,
    profile: summary.profile, run: summary.run, exitCode: summary.exitCode, reportsDir,
  }));
  const names = new Map<string, string>();
  const byCheck = new Map<string, Array<MatrixCell | null>>();
  runs.forEach(({ summary }, col) => {
    for (const s of summary.scenarios.filter(isConformance)) {
      if (!names.has(s.id)) names.set(s.id, s.name.replace(/^[A-Z][0-9]+(-[A-Z0-9]+)*:\s*/, ''));
      const cells = byCheck.get(s.id) ?? Array<MatrixCell | null>(runs.length).fill(null);
      cells[col] = cellOf(s);
      byCheck.set(s.id, cells);
    }
  });
  const rows = [...byCheck.keys()].sort(compareCheckIds).map((check) => ({ check, name: names.get(check) ?? check, cells: byCheck.get(check)! }));
  const totals = columns.map((_, col) => {
    const t: Record<string, number> = { conformant: 0, known: 0, undeclared: 0, 'out-of-date': 0, other: 0 };
    for (const row of rows) {
      const cell = row.cells[col];
      if (!cell) continue;
      if (cell.verdict) t[cell.verdict] = (t[cell.verdict] ?? 0) + 1;
      else t.other! += 1;
    }
    return t;
  });
  return { generatedAt: new Date().toISOString(), columns, rows, totals };
}

/** The short text of a cell, shared by the Markdown and HTML forms. */
export function cellText(cell: MatrixCell | null): { text: string; mark: string; kind: string } {
  if (!cell) return { text: '-', mark: '', kind: 'absent' };
  if (cell.verdict === 'conformant') return { text: 'conformant', mark: '✓', kind: 'conformant' };
  if (cell.verdict === 'known') return { text: `${cell.classification} (declared)`, mark: '≈', kind: 'known' };
  if (cell.verdict === 'undeclared') {
    return { text: `${cell.classification} (UNDECLARED${cell.declared ? `; profile says ${cell.declared}` : ''})`, mark: '✗', kind: 'undeclared' };
  }
  if (cell.verdict === 'out-of-date') return { text: `conformant (PROFILE OUT OF DATE: declares ${cell.declared})`, mark: '⚠', kind: 'out-of-date' };
  const label = cell.outcome === 'not-applicable' ? 'n/a' : cell.outcome;
  return { text: cell.classification ? `${cell.classification} (${label})` : label, mark: cell.outcome === 'error' ? '!' : '·', kind: cell.outcome };
}

const LEGEND: Array<[string, string, string]> = [
  ['conformant', '✓ conformant', 'behaves like stock Docker, and the profile declares nothing'],
  ['known', '≈ declared', 'a divergence the profile declares (known; passes)'],
  ['undeclared', '✗ UNDECLARED', 'a divergence the profile does not declare (finding)'],
  ['out-of-date', '⚠ PROFILE OUT OF DATE', 'the profile declares a divergence the platform no longer shows (finding)'],
  ['not-applicable', '· n/a', 'not applicable on this platform (reason in the tooltip)'],
  ['inconclusive', '· inconclusive', 'could not be measured here (reason in the tooltip)'],
  ['error', '! error', 'the check itself broke'],
];

function columnTitle(c: MatrixColumn): string {
  return `${c.target} (${c.engine} ${c.version}, API ${c.apiVersion}, profile ${c.profile}, exit ${c.exitCode})`;
}

function md(m: Matrix): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = ['# Divergence matrix', '', `Generated ${m.generatedAt}. Classes: conformant, unimplemented, rejected, ignored, divergent, error-format.`, ''];
  m.columns.forEach((c, i) => {
    const t = m.totals[i]!;
    lines.push(`- **T${i + 1}** ${esc(columnTitle(c))}: ${t.conformant} conformant, ${t.known} declared, ${t.undeclared} undeclared, ${t['out-of-date']} out of date, ${t.other} other`);
  });
  lines.push('', `| check | what | ${m.columns.map((_, i) => `T${i + 1}`).join(' | ')} |`, `|---|---|${m.columns.map(() => '---').join('|')}|`);
  let family = '';
  for (const row of m.rows) {
    const f = row.check.charAt(5);
    if (f !== family) {
      family = f;
      lines.push(`| **${FAMILY_NAMES[f] ?? f}** | | ${m.columns.map(() => '').join(' | ')} |`);
    }
    lines.push(`| ${row.check} | ${esc(row.name)} | ${row.cells.map((cell) => { const t = cellText(cell); return esc(`${t.mark} ${t.text}`.trim()); }).join(' | ')} |`);
  }
  lines.push('', '## Legend', '', ...LEGEND.map(([, label, what]) => `- ${label}: ${what}`));
  const problems = m.rows.flatMap((row) => row.cells.map((cell, i) => ({ row, cell, i }))).filter(({ cell }) => cell && (cell.verdict === 'undeclared' || cell.verdict === 'out-of-date'));
  if (problems.length > 0) {
    lines.push('', '## Undeclared divergences and out-of-date declarations', '');
    for (const { row, cell, i } of problems) lines.push(`- T${i + 1} ${row.check} ${cellText(cell).text}: ${esc(cell!.detail)}`);
  }
  return lines.join('\n') + '\n';
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The cell colours, shared by divergence-matrix.html and report.html. */
export const MATRIX_CELL_CSS = `.k-conformant{background:#dcf5e3;color:#135e2a}
.k-known{background:#dbe9fb;color:#1a4f8f}
.k-undeclared{background:#fcd9d6;color:#9b1c12}
.k-out-of-date{background:#ffe7c2;color:#8a4b00}
.k-not-applicable,.k-absent{background:#f1f2f4;color:#6b7380}
.k-inconclusive{background:#fff6c9;color:#6b5800}
.k-error{background:#ead9fb;color:#5b2491}`;

/** The legend and the table (every platform-given text escaped): divergence-matrix.html's body, and report.html's matrix section. */
export function matrixTableHtml(m: Matrix): string {
  const head = m.columns.map((c, i) => {
    const t = m.totals[i]!;
    return `<th class="col"><div class="tgt">${esc(c.target)}</div><div class="sub">${esc(`${c.engine} ${c.version} · API ${c.apiVersion}`)}</div><div class="sub">profile <b>${esc(c.profile)}</b> · exit <b class="${c.exitCode === 0 ? 'ok' : 'bad'}">${c.exitCode}</b></div><div class="tot"><span class="k-conformant">${t.conformant}✓</span> <span class="k-known">${t.known}≈</span> <span class="k-undeclared">${t.undeclared}✗</span> <span class="k-out-of-date">${t['out-of-date']}⚠</span></div></th>`;
  }).join('');
  const body: string[] = [];
  let family = '';
  for (const row of m.rows) {
    const f = row.check.charAt(5);
    if (f !== family) {
      family = f;
      body.push(`<tr class="fam"><td colspan="${2 + m.columns.length}">${esc(FAMILY_NAMES[f] ?? f)}</td></tr>`);
    }
    const cells = row.cells.map((cell) => {
      const t = cellText(cell);
      const tip = cell ? `${t.text}${cell.detail ? `: ${cell.detail}` : ''}` : 'not run on this target';
      return `<td class="cell k-${t.kind}" title="${esc(tip)}"><span class="mark">${esc(t.mark)}</span> ${esc(t.text)}</td>`;
    }).join('');
    body.push(`<tr><td class="id">${esc(row.check)}</td><td class="what">${esc(row.name)}</td>${cells}</tr>`);
  }
  const legend = LEGEND.map(([kind, label, what]) => `<span class="lg"><span class="sw k-${kind}">${esc(label)}</span> ${esc(what)}</span>`).join('');
  return `<div class="legend">${legend}</div>
<table><thead><tr><th>check</th><th>what</th>${head}</tr></thead>
<tbody>
${body.join('\n')}
</tbody></table>`;
}

function html(m: Matrix): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>keelhaul divergence matrix</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:13px/1.35 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:16px;color:#1d232b;background:#fff}
h1{font-size:18px;margin:0 0 4px}
.meta{color:#5b6573;margin-bottom:10px}
.legend{display:flex;flex-wrap:wrap;gap:6px 14px;margin:8px 0 12px;color:#3b4350}
.sw{display:inline-block;padding:1px 6px;border-radius:3px;font-weight:600}
table{border-collapse:collapse;width:100%}
th,td{border:1px solid #d9dee5;padding:3px 6px;text-align:left;vertical-align:top}
thead th{position:sticky;top:0;background:#f4f6f9;z-index:1}
th.col{min-width:190px}
.tgt{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
.sub{font-weight:normal;color:#5b6573;font-size:12px}
.tot{font-weight:600;margin-top:2px}
.ok{color:#1a7f37}.bad{color:#b42318}
tr.fam td{background:#e9edf3;font-weight:700;color:#2b3440}
td.id{font-family:ui-monospace,Menlo,Consolas,monospace;white-space:nowrap}
td.what{color:#3b4350}
td.cell{white-space:nowrap;font-weight:600}
.mark{display:inline-block;width:1em;text-align:center}
${MATRIX_CELL_CSS}
</style></head><body>
<h1>Divergence matrix</h1>
<div class="meta">keelhaul conformance checks (reference: stock Docker) · generated ${esc(m.generatedAt)} · hover a cell for the evidence</div>
${matrixTableHtml(m)}
</body></html>
`;
}

export function writeMatrix(reportsDir: string, matrix: Matrix): string[] {
  const files = ['divergence-matrix.json', 'divergence-matrix.md', 'divergence-matrix.html'].map((f) => join(reportsDir, f));
  writeFileSync(files[0]!, JSON.stringify(matrix, null, 2) + '\n');
  writeFileSync(files[1]!, md(matrix));
  writeFileSync(files[2]!, html(matrix));
  return files;
}

/** Called by `keelhaul run` after summary.json: writes the matrix when any conformance scenario ran. */
export function writeMatrixIfAny(reportsDir: string, summaries: Array<RunSummary | { summary: RunSummary; reportsDir?: string }>): boolean {
  const runs = summaries.map((s) => ('summary' in s ? s : { summary: s }));
  if (!runs.some(({ summary }) => summary.scenarios.some(isConformance))) return false;
  try {
    writeMatrix(reportsDir, buildMatrix(runs));
  } catch (error) {
    // The verdict is already in summary.json: a matrix that cannot be written is reported, not fatal.
    process.stderr.write(`keelhaul: warning: the divergence matrix could not be written: ${(error as Error).message}\n`);
    return false;
  }
  return true;
}
