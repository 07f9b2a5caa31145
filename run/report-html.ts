// report.html (DESIGN.md "Reports"): one self-contained page a person opens offline, from a CI
// artifact or from the image, with no Java. Written from summary.json's contents only (the same
// RunSummary object `keelhaul run` writes, or the file `keelhaul report` reads back), so the page
// and the JSON cannot disagree. Findings first with their evidence, then errors, inconclusive and
// not-applicable with their reasons; exposures; the hardening table; the divergence matrix
// (run/matrix.ts's own table); noisy-neighbour measurements as inline SVG charts; durations; the
// target's fingerprint and the command line.
//
// Self-contained means: no script at all, no external stylesheet, font or image, no URL the browser
// would fetch; a Content-Security-Policy of default-src 'none' says so to the browser too. Every
// text that comes from the platform (reasons, observations, container output) is escaped by the `h`
// template below, which escapes whatever it interpolates unless it is markup built by `h` itself.
// The charts draw with SVG attributes, not CSS, so they survive a viewer that strips inline styles
// (Jenkins' default artifact CSP does): the page is plain, but everything stays readable.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OUTCOMES, exitMeaning, type Outcome } from '../judges/outcome.js';
import { MATRIX_CELL_CSS, buildMatrix, matrixTableHtml, type Matrix } from './matrix.js';
import type { RunSummary } from './summary.js';
import { OBSERVATION } from '../judges/observation-keys.js';

type Scenario = RunSummary['scenarios'][number];

// ---- escaping ------------------------------------------------------------------------------------

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text as HTML text or attribute value: & < > " ' escaped. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Markup that `h` inserts as it is (only `h` and `raw` make one). */
export class Markup {
  constructor(readonly html: string) {}
  toString(): string { return this.html; }
}

/** Trusted markup: keelhaul's own constants (never platform text). */
export function raw(html: string): Markup {
  return new Markup(html);
}

/**
 * The template every piece of the page is built with: interpolated values are escaped, arrays are
 * joined, null/undefined/false are nothing, and Markup (from `h` or `raw`) goes in as it is.
 */
export function h(strings: TemplateStringsArray, ...values: unknown[]): Markup {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += interpolate(value) + strings[i + 1]!;
  });
  return new Markup(out);
}

function interpolate(value: unknown): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Markup) return value.html;
  if (Array.isArray(value)) return value.map(interpolate).join('');
  return escapeHtml(value);
}

// ---- what the page is built from -----------------------------------------------------------------

export interface ReportRun {
  summary: RunSummary;
  /** For a combined report: where this target's own report.html is, relative to the combined one. */
  href?: string;
}

export interface ReportInput {
  runs: ReportRun[];
  /** The command line of the whole run (a multi-target run's own; a single run's is in its summary). */
  command?: string[];
  generatedAt?: string;
}

const FAMILY_TAGS = ['@isolation', '@hardening', '@ports', '@conformance', '@noisy-neighbours'];

export function familyOf(s: Pick<Scenario, 'tags' | 'feature'>): string {
  const tag = FAMILY_TAGS.find((t) => s.tags.includes(t));
  return tag ? tag.slice(1) : s.feature || 'other';
}

/** Time per family: how many scenarios and the sum of their durations (under --parallel the sum exceeds the wall time). */
export function familyDurations(scenarios: Scenario[]): Array<{ family: string; scenarios: number; durationMs: number }> {
  const byFamily = new Map<string, { family: string; scenarios: number; durationMs: number }>();
  for (const s of scenarios) {
    const family = familyOf(s);
    const entry = byFamily.get(family) ?? { family, scenarios: 0, durationMs: 0 };
    entry.scenarios++;
    entry.durationMs += s.durationMs;
    byFamily.set(family, entry);
  }
  return [...byFamily.values()].sort((a, b) => b.durationMs - a.durationMs);
}

/** A command line as a person would type it again: arguments quoted for a POSIX shell where needed. */
export function shellQuote(args: string[]): string {
  return args.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

// ---- charts --------------------------------------------------------------------------------------

export type ChartUnit = 'cpus' | 'bytes' | 'bytes/s' | 'count' | 'ratio' | 'share';

export interface Chart {
  scenario: string;
  title: string;
  unit: ChartUnit;
  /** Bars, grouped (one group per trial, or per container); a null value was not measured. */
  groups: Array<{ label: string; bars: Array<{ series: string; value: number | null }> }>;
  /** Horizontal reference lines: the limit, the allowed ceiling, the expected minimum. */
  refs: Array<{ label: string; value: number; kind: 'limit' | 'ceiling' | 'minimum' | 'nominal' }>;
  note?: string;
}

const num = (v: unknown): number | null => {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
};
const list = (v: unknown): Array<number | null> => (Array.isArray(v) ? v.map(num) : []);
const obj = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : undefined);
const trials = (n: number) => Array.from({ length: n }, (_, i) => `trial ${i + 1}`);

/**
 * The charts one scenario's observations give (what the RES steps record; nothing is re-measured
 * or re-judged here). Any observation that is missing or malformed gives no chart rather than a
 * wrong one.
 */
export function chartsFor(s: Pick<Scenario, 'id' | 'observations'>): Chart[] {
  const o = s.observations ?? {};
  const charts: Chart[] = [];
  const add = (chart: Omit<Chart, 'scenario'>) => {
    if (chart.groups.some((g) => g.bars.some((b) => b.value !== null))) charts.push({ scenario: s.id, ...chart });
  };

  const quota = obj(o[OBSERVATION.cpuQuota]);
  if (quota) {
    const rates = list(quota.rates);
    const baseline = list(obj(o[OBSERVATION.throughputRatio])?.baselineRates);
    const refs: Chart['refs'] = [];
    if (num(quota.quotaCpus) !== null) refs.push({ label: `quota ${num(quota.quotaCpus)} CPUs`, value: num(quota.quotaCpus)!, kind: 'limit' });
    if (num(quota.ceilingCpus) !== null) refs.push({ label: `allowed ${num(quota.ceilingCpus)}`, value: num(quota.ceilingCpus)!, kind: 'ceiling' });
    add({
      title: 'CPU rate of the limited container against its quota, per trial', unit: 'cpus', refs,
      groups: trials(rates.length).map((label, i) => ({
        label, bars: [{ series: 'limited container', value: rates[i] ?? null }, ...(baseline.length ? [{ series: 'unlimited baseline (1 loop)', value: baseline[i] ?? null }] : [])],
      })),
    });
  }

  const rates = obj(o[OBSERVATION.cpuRates]);
  if (rates) {
    const alone = list(rates.victimAlone);
    const beside = list(rates.victimBeside);
    const neighbour = list(rates.neighbourBeside);
    const loops = num(rates.victimLoops);
    add({
      title: 'The victim\'s CPU rate alone and beside a greedy neighbour, per trial', unit: 'cpus',
      refs: loops !== null ? [{ label: `victim's demand (${loops} loop${loops === 1 ? '' : 's'})`, value: loops, kind: 'nominal' }] : [],
      groups: trials(Math.max(alone.length, beside.length)).map((label, i) => ({
        label, bars: [
          { series: 'victim alone', value: alone[i] ?? null },
          { series: 'victim beside the neighbour', value: beside[i] ?? null },
          { series: `neighbour (${num(rates.neighbourLoops) ?? '?'} loops)`, value: neighbour[i] ?? null },
        ],
      })),
    });
  }
  const fair = obj(o[OBSERVATION.fairShare]);
  if (fair) {
    const shares = list(fair.perTrial);
    const refs: Chart['refs'] = [];
    if (num(fair.minimum) !== null) refs.push({ label: `minimum ${Math.round(num(fair.minimum)! * 100)}%`, value: num(fair.minimum)!, kind: 'minimum' });
    if (num(fair.threadLevelShare) !== null) refs.push({ label: `thread-level scheduling ${Math.round(num(fair.threadLevelShare)! * 100)}%`, value: num(fair.threadLevelShare)!, kind: 'nominal' });
    add({ title: 'The victim\'s share of the contended CPU, per trial', unit: 'share', refs, groups: trials(shares.length).map((label, i) => ({ label, bars: [{ series: 'victim\'s share', value: shares[i] ?? null }] })) });
  }

  const weights = obj(o[OBSERVATION.sharesRatio]);
  if (weights) {
    const ratios = list(weights.perTrial);
    const refs: Chart['refs'] = [];
    if (num(weights.nominal) !== null) refs.push({ label: `weights ${num(weights.nominal)}:1`, value: num(weights.nominal)!, kind: 'nominal' });
    if (num(weights.minimum) !== null) refs.push({ label: `minimum ${num(weights.minimum)}:1`, value: num(weights.minimum)!, kind: 'minimum' });
    add({ title: 'Throughput of the heavier container over the lighter one, per trial', unit: 'ratio', refs, groups: trials(ratios.length).map((label, i) => ({ label, bars: [{ series: 'heavy / light', value: ratios[i] ?? null }] })) });
  }

  const pinned = obj(o[OBSERVATION.pinnedCpuRate]);
  if (pinned) {
    add({
      title: 'CPU rate of a container pinned to its cpuset', unit: 'cpus',
      refs: num(pinned.ceiling) !== null ? [{ label: `allowed ${num(pinned.ceiling)}`, value: num(pinned.ceiling)!, kind: 'ceiling' }] : [],
      groups: [{ label: 'pinned container', bars: [{ series: 'CPU rate', value: num(pinned.rate) }] }],
    });
  }

  const flood = obj(o[OBSERVATION.forkFlood]);
  if (flood) {
    const victim = obj(o[OBSERVATION.victimForks]);
    add({
      title: 'Processes started against the pids limit', unit: 'count',
      refs: num(flood.limit) !== null ? [{ label: `offender's pids limit ${num(flood.limit)}`, value: num(flood.limit)!, kind: 'limit' }] : [],
      groups: [
        { label: 'offender (fork flood)', bars: [{ series: 'asked to start', value: num(flood.attempted) }, { series: 'started', value: num(flood.started) }] },
        ...(victim ? [{ label: 'victim, meanwhile', bars: [{ series: 'asked to start', value: num(victim.asked) }, { series: 'started', value: num(victim.forked) }] }] : []),
      ],
    });
  }
  const nproc = obj(o[OBSERVATION.nprocUlimit]);
  if (nproc) {
    add({
      title: 'Processes started under an nproc ulimit', unit: 'count',
      refs: num(nproc.ulimit) !== null ? [{ label: `nproc ulimit ${num(nproc.ulimit)}`, value: num(nproc.ulimit)!, kind: 'limit' }] : [],
      groups: [{ label: 'container', bars: [{ series: 'asked to start', value: num(nproc.attempted) }, { series: 'started', value: num(nproc.started) }] }],
    });
  }

  const offender = obj(o[OBSERVATION.offender]);
  if (offender) {
    const written = num(offender.writtenKb);
    add({
      title: 'Memory the offender asked for against its limit', unit: 'bytes',
      refs: num(offender.limitBytes) !== null ? [{ label: 'memory limit', value: num(offender.limitBytes)!, kind: 'limit' }] : [],
      groups: [{ label: 'offender', bars: [{ series: 'asked to allocate', value: num(offender.requestedBytes) }, ...(written !== null ? [{ series: 'written before it was stopped', value: written * 1024 }] : [])] }],
      note: offender.oomKilled === true ? 'the offender was OOM-killed (inspect State.OOMKilled)' : undefined,
    });
  }

  const direct = obj(o[OBSERVATION.directWrite]);
  if (direct) {
    const buffered = obj(o[OBSERVATION.bufferedWrite]);
    const bufferedRate = num(buffered?.bytesPerSecond);
    add({
      title: 'Direct write rate against the device write limit', unit: 'bytes/s',
      refs: num(direct.limitBytesPerSecond) !== null ? [{ label: 'write limit', value: num(direct.limitBytesPerSecond)!, kind: 'limit' }] : [],
      groups: [{ label: 'direct writes', bars: [{ series: 'measured', value: num(direct.bytesPerSecond) }] }],
      note: bufferedRate !== null ? `buffered writes: ${formatValue(bufferedRate, 'bytes/s')}${buffered?.throttled === false ? ' (not throttled)' : ''}` : undefined,
    });
  }

  const shm = obj(o[OBSERVATION.shm]);
  if (shm) {
    add({
      title: 'What a container wrote to /dev/shm against its size', unit: 'bytes',
      refs: num(shm.sizeBytes) !== null ? [{ label: '/dev/shm size', value: num(shm.sizeBytes)!, kind: 'limit' }] : [],
      groups: [{ label: '/dev/shm', bars: [{ series: 'written', value: num(shm.writtenBytes) }] }],
    });
  }
  return charts;
}

export function formatValue(value: number, unit: ChartUnit): string {
  if (value === 0) return '0';
  const round = (n: number, digits = 2) => String(Math.round(n * 10 ** digits) / 10 ** digits);
  switch (unit) {
    case 'bytes': return value >= 1024 * 1024 ? `${round(value / 1024 / 1024, 1)} MiB` : `${round(value / 1024, 1)} KiB`;
    case 'bytes/s': return `${round(value / 1e6, value >= 1e8 ? 0 : 2)} MB/s`;
    case 'share': return `${round(value * 100, 1)}%`;
    case 'ratio': return `${round(value)}:1`;
    case 'count': return String(Math.round(value));
    case 'cpus': return round(value);
  }
}

const SERIES_COLOURS = ['#3b6fd8', '#e0802b', '#7b59c4', '#2f9e8f'];
const REF_COLOURS: Record<Chart['refs'][number]['kind'], string> = { limit: '#c0352b', ceiling: '#c0352b', minimum: '#b7791f', nominal: '#5b6573' };

/** What one unit of the axis is in the unit's own terms: ticks are nice in MiB, MB/s and %, not in bytes. */
function displayScale(unit: ChartUnit): number {
  return unit === 'bytes' ? 1024 * 1024 : unit === 'bytes/s' ? 1e6 : unit === 'share' ? 0.01 : 1;
}

/** The axis: a maximum just above every value and reference line, in 4 or 5 nice steps. */
export function axisTicks(maxValue: number, unit: ChartUnit): number[] {
  const scale = displayScale(unit);
  const top = Math.max(maxValue / scale, unit === 'count' ? 4 : 1e-9) * 1.08;
  const rough = top / 4;
  const exp = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * exp).find((m) => m >= rough && (unit !== 'count' || Number.isInteger(m))) ?? 10 * exp;
  const ticks: number[] = [];
  for (let i = 0; i * step < top + step * 0.999; i++) ticks.push(Number((i * step).toPrecision(12)) * scale);
  return ticks;
}

/** Roughly how wide a label is at 11px (for laying out the legend without a font engine). */
const textWidth = (text: string) => text.length * 6.3;

/** A grouped bar chart with reference lines, as inline SVG drawn with attributes only. */
export function chartSvg(chart: Chart): Markup {
  const W = 520;
  const left = 60;
  const right = 12;
  const series = [...new Set(chart.groups.flatMap((g) => g.bars.map((b) => b.series)))];
  const dash = (kind: Chart['refs'][number]['kind']) => (kind === 'limit' ? '6 3' : '2 3');
  // The legend flows in rows: the series, then the reference lines.
  const legendItems = [
    ...series.map((name, i) => ({ name, swatch: h`<rect width="12" height="10" fill="${SERIES_COLOURS[i % SERIES_COLOURS.length]}"/>` })),
    ...chart.refs.map((r) => ({ name: r.label, swatch: h`<line x1="0" x2="14" y1="5" y2="5" stroke="${REF_COLOURS[r.kind]}" stroke-width="2" stroke-dasharray="${dash(r.kind)}"/>` })),
  ];
  const legend: Markup[] = [];
  let lx = left;
  let ly = 4;
  for (const item of legendItems) {
    const w = 18 + textWidth(item.name) + 14;
    if (lx + w > W - right && lx > left) {
      lx = left;
      ly += 16;
    }
    legend.push(h`<g transform="translate(${lx.toFixed(1)},${ly})">${item.swatch}<text x="18" y="9" font-size="11" fill="#3b4350">${item.name}</text></g>`);
    lx += w;
  }
  const top = ly + 30;
  const plotH = 160;
  const H = top + plotH + 24;
  const values = [...chart.groups.flatMap((g) => g.bars.map((b) => b.value ?? 0)), ...chart.refs.map((r) => r.value)];
  const ticks = axisTicks(Math.max(...values, 0), chart.unit);
  const max = ticks[ticks.length - 1]! || 1;
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const plotW = W - left - right;
  const groupW = plotW / Math.max(1, chart.groups.length);
  const barW = Math.min(52, (groupW * 0.72) / Math.max(1, series.length));
  const parts: Markup[] = [...legend];
  for (const v of ticks) {
    parts.push(h`<line x1="${left}" x2="${W - right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e3e7ed" stroke-width="1"/>`);
    parts.push(h`<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" font-size="11" fill="#5b6573">${formatValue(v, chart.unit)}</text>`);
  }
  chart.groups.forEach((g, gi) => {
    const x0 = left + gi * groupW + (groupW - barW * g.bars.length) / 2;
    g.bars.forEach((b, bi) => {
      const x = x0 + bi * barW;
      const colour = SERIES_COLOURS[series.indexOf(b.series) % SERIES_COLOURS.length]!;
      if (b.value === null) {
        parts.push(h`<text x="${(x + barW / 2).toFixed(1)}" y="${(top + plotH - 4).toFixed(1)}" text-anchor="middle" font-size="10" fill="#5b6573">n/a</text>`);
        return;
      }
      const yy = y(b.value);
      parts.push(h`<rect x="${(x + 2).toFixed(1)}" y="${yy.toFixed(1)}" width="${Math.max(1, barW - 4).toFixed(1)}" height="${Math.max(0.5, top + plotH - yy).toFixed(1)}" fill="${colour}"><title>${g.label}, ${b.series}: ${formatValue(b.value, chart.unit)}</title></rect>`);
      parts.push(h`<text x="${(x + barW / 2).toFixed(1)}" y="${(yy - 3).toFixed(1)}" text-anchor="middle" font-size="10" fill="#1d232b">${formatValue(b.value, chart.unit)}</text>`);
    });
    parts.push(h`<text x="${(left + gi * groupW + groupW / 2).toFixed(1)}" y="${top + plotH + 16}" text-anchor="middle" font-size="11" fill="#3b4350">${g.label}</text>`);
  });
  for (const r of chart.refs) {
    parts.push(h`<line x1="${left}" x2="${W - right}" y1="${y(r.value).toFixed(1)}" y2="${y(r.value).toFixed(1)}" stroke="${REF_COLOURS[r.kind]}" stroke-width="1.5" stroke-dasharray="${dash(r.kind)}"><title>${r.label}: ${formatValue(r.value, chart.unit)}</title></line>`);
  }
  parts.push(h`<line x1="${left}" x2="${W - right}" y1="${top + plotH}" y2="${top + plotH}" stroke="#8a94a3" stroke-width="1"/>`);
  return h`<svg class="chart" role="img" aria-label="${chart.title}" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif">${parts}</svg>`;
}

// ---- the page ------------------------------------------------------------------------------------

const OUTCOME_LABEL: Record<Outcome, string> = { pass: 'pass', finding: 'finding', 'not-applicable': 'not applicable', inconclusive: 'inconclusive', error: 'error' };

function pill(outcome: Outcome): Markup {
  return h`<span class="pill o-${outcome}">${OUTCOME_LABEL[outcome]}</span>`;
}

function seconds(ms: number): string {
  return ms >= 60_000 ? `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s` : `${(ms / 1000).toFixed(1)} s`;
}

/** Observations as a definition list: scalars inline, anything else as indented JSON. */
export function observationsHtml(observations: Record<string, unknown>): Markup {
  const entries = Object.entries(observations ?? {});
  if (entries.length === 0) return h`<p class="muted">no observations recorded</p>`;
  const isScalar = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);
  return h`<dl class="obs">${entries.map(([key, value]) => {
    let shown: Markup;
    if (isScalar(value)) shown = h`<span class="v">${String(value)}</span>`;
    // A list of plain values (mount paths, capabilities): one item a line, not JSON punctuation.
    else if (Array.isArray(value) && value.length === 0) shown = h`<span class="muted">none</span>`;
    // Short words (capability names) read best on one line; longer items (mount paths) one a line.
    else if (Array.isArray(value) && value.every((v) => isScalar(v) && String(v).length <= 24)) shown = h`<span class="v">${value.map(String).join(', ')}</span>`;
    else if (Array.isArray(value) && value.every(isScalar)) shown = h`<ul class="items">${value.map((v) => h`<li>${String(v)}</li>`)}</ul>`;
    else shown = h`<pre>${JSON.stringify(value, null, 2)}</pre>`;
    return h`<dt>${key}</dt><dd>${shown}</dd>`;
  })}</dl>`;
}

function findingCard(s: Scenario, anchor: string): Markup {
  return h`<article class="card finding" id="${anchor}">
<h3><span class="id">${s.id}</span> ${s.name}</h3>
<p class="where">${s.feature} · <code>${s.location}</code> · ${seconds(s.durationMs)} · ${s.tags.join(' ')}</p>
<p class="reason"><strong>${s.reason}</strong></p>
<details open><summary>evidence (observations)</summary>${observationsHtml(s.observations)}</details>
</article>`;
}

function reasonTable(scenarios: Scenario[]): Markup {
  return h`<table border="1" class="list"><thead><tr><th>ID</th><th>scenario</th><th>reason</th></tr></thead><tbody>${scenarios.map((s) => h`<tr>
<td class="id">${s.id}</td><td>${s.name}<div class="muted small">${s.feature} · ${seconds(s.durationMs)}</div></td>
<td><div class="reason">${s.reason}</div>${Object.keys(s.observations ?? {}).length > 0 ? h`<details><summary>observations</summary>${observationsHtml(s.observations)}</details>` : ''}</td></tr>`)}</tbody></table>`;
}

function section(id: string, title: string, count: number | undefined, body: Markup | string): Markup {
  return h`<section id="${id}"><h2>${title}${count === undefined ? '' : h` <span class="count">${count}</span>`}</h2>${body}</section>`;
}

function hardeningTable(scenarios: Scenario[], exposed: Set<string>): Markup | undefined {
  const rows = scenarios.filter((s) => typeof s.observations?.[OBSERVATION.hardening] === 'string');
  if (rows.length === 0) return undefined;
  const counts = new Map<string, number>();
  for (const s of rows) counts.set(String(s.observations[OBSERVATION.hardening]), (counts.get(String(s.observations[OBSERVATION.hardening])) ?? 0) + 1);
  return h`<p>Each dangerous option is asked for and classified from inside the container: <b>rejected</b> (refused at create, start or exec), <b>neutralised</b> (started, no effect inside) or <b>effective</b> (a finding on a multi-tenant profile, an exposure otherwise). ${[...counts].map(([c, n]) => h`<span class="pill h-${c}">${n} ${c}</span> `)}</p>
<table border="1" class="list"><thead><tr><th>ID</th><th>classification</th><th>outcome</th><th>option and evidence</th></tr></thead><tbody>${rows.map((s) => h`<tr>
<td class="id">${s.id}</td><td><span class="pill h-${String(s.observations[OBSERVATION.hardening])}">${String(s.observations[OBSERVATION.hardening])}</span>${exposed.has(s.id) ? h` <span class="small muted">exposure</span>` : ''}</td>
<td>${pill(s.outcome)}</td><td class="detail">${String(s.observations[OBSERVATION.hardeningDetail] ?? s.name)}</td></tr>`)}</tbody></table>`;
}

function durationsHtml(scenarios: Scenario[], wallMs: number): Markup {
  const families = familyDurations(scenarios);
  const total = families.reduce((a, f) => a + f.durationMs, 0) || 1;
  const slowest = Math.max(1, ...scenarios.map((s) => s.durationMs));
  const bar = (fraction: number, colour = '#3b6fd8') => h`<svg width="200" height="10" aria-hidden="true"><rect width="200" height="10" fill="#eef1f5"/><rect width="${Math.max(1, fraction * 200).toFixed(1)}" height="10" fill="${colour}"/></svg>`;
  const sorted = [...scenarios].sort((a, b) => b.durationMs - a.durationMs);
  return h`<p class="muted">Wall time ${seconds(wallMs)}; the scenarios' own durations add up to ${seconds(total)}${total > wallMs * 1.05 ? ' (scenarios ran in parallel)' : ''}.</p>
<h3>Per family</h3>
<table border="1" class="list narrow"><thead><tr><th>family</th><th>scenarios</th><th>time</th><th>share</th></tr></thead><tbody>${families.map((f) => h`<tr><td>${f.family}</td><td class="num">${f.scenarios}</td><td class="num">${seconds(f.durationMs)}</td><td>${bar(f.durationMs / total)} ${Math.round((f.durationMs / total) * 100)}%</td></tr>`)}</tbody></table>
<details><summary>Per scenario (${scenarios.length}, slowest first)</summary>
<table border="1" class="list narrow"><thead><tr><th>ID</th><th>outcome</th><th>family</th><th>time</th><th></th></tr></thead><tbody>${sorted.map((s) => h`<tr><td class="id">${s.id}</td><td>${pill(s.outcome)}</td><td>${familyOf(s)}</td><td class="num">${seconds(s.durationMs)}</td><td>${bar(s.durationMs / slowest, '#8a94a3')}</td></tr>`)}</tbody></table>
</details>`;
}

function targetHtml(summary: RunSummary): Markup {
  const t = summary.target;
  const rows: Array<[string, unknown]> = [
    ['target', t.url], ['engine', `${t.engine} ${t.version}`], ['API version', t.apiVersion], ['operating system', t.os],
    ['host name (/info)', t.name], ['kernel', t.kernel], ['cgroup version', t.cgroupVersion],
    ['security options', (t.securityOptions ?? []).join(', ') || 'none reported'],
    ['keelhaul ran', t.runner ? `${t.runner.where}: ${t.runner.detail}` : undefined],
    ['published ports reached', t.runner?.publishedPorts?.detail], ['profile', summary.profile],
    ['run', summary.run], ['started', summary.startedAt], ['duration', seconds(summary.durationMs)],
  ];
  return h`<table border="1" class="kv">${rows.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => h`<tr><th>${k}</th><td>${String(v)}</td></tr>`)}
${summary.command ? h`<tr><th>command line</th><td><code>keelhaul ${shellQuote(summary.command)}</code></td></tr>` : ''}</table>`;
}

function verdictHtml(summary: RunSummary): Markup {
  const ok = summary.exitCode === 0;
  return h`<div class="verdict ${ok ? 'ok' : 'bad'}"><b>exit ${summary.exitCode}</b>: ${exitMeaning(summary.exitCode)}</div>
<p class="counts">${OUTCOMES.map((o) => h`<span class="pill o-${o}">${summary.outcomes[o]} ${OUTCOME_LABEL[o]}</span> `)}</p>`;
}

/** One run's sections (the whole page for a single target; one part of a combined report). */
function runSections(summary: RunSummary, prefix: string, includeMatrix: Matrix | undefined): Markup {
  const by = (o: Outcome) => summary.scenarios.filter((s) => s.outcome === o);
  const findings = by('finding');
  const exposed = new Set(summary.exposures.map((e) => e.id));
  const charts = [...summary.scenarios].sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }))
    .flatMap((s) => chartsFor(s).map((c) => ({ chart: c, scenario: s })));
  const hardening = hardeningTable(summary.scenarios, exposed);
  const parts: Markup[] = [];
  parts.push(section(`${prefix}findings`, 'Findings', findings.length, findings.length > 0
    ? h`${findings.map((s, i) => findingCard(s, `${prefix}finding-${i + 1}`))}`
    : h`<p class="none">No finding: every check that ran found nothing to report.</p>`));
  for (const [outcome, title, why] of [
    ['error', 'Errors', 'the check itself broke: the verdict is incomplete'],
    ['inconclusive', 'Inconclusive', 'could not be measured here'],
    ['not-applicable', 'Not applicable', 'the platform lacks what the check exercises'],
  ] as Array<[Outcome, string, string]>) {
    const list = by(outcome);
    if (list.length > 0) parts.push(section(`${prefix}${outcome}`, title, list.length, h`<p class="muted">${why}</p>${reasonTable(list)}`));
  }
  if (summary.exposures.length > 0) {
    parts.push(section(`${prefix}exposures`, 'Exposures', summary.exposures.length, h`<p class="muted">What passed only because the profile (${summary.profile}) accepts it.</p>
<table border="1" class="list"><thead><tr><th>ID</th><th>what</th></tr></thead><tbody>${summary.exposures.map((e) => h`<tr><td class="id">${e.id}</td><td>${e.what}</td></tr>`)}</tbody></table>`));
  }
  if (hardening) parts.push(section(`${prefix}hardening`, 'Hardening (rejected / neutralised / effective)', undefined, hardening));
  if (includeMatrix) parts.push(matrixSection(includeMatrix, `${prefix}matrix`));
  if (charts.length > 0) {
    parts.push(section(`${prefix}resources`, 'Noisy neighbours: measurements', charts.length, h`<div class="charts">${charts.map(({ chart, scenario }) => h`<figure class="chartbox">
<figcaption><span class="id">${chart.scenario}</span> ${chart.title} ${pill(scenario.outcome)}</figcaption>
${chartSvg(chart)}
<p class="small">${scenario.reason || String(scenario.observations?.[OBSERVATION.verdict] ?? '')}${chart.note ? h`<br><span class="muted">${chart.note}</span>` : ''}</p>
</figure>`)}</div>`));
  }
  parts.push(section(`${prefix}durations`, 'Durations', undefined, durationsHtml(summary.scenarios, summary.durationMs)));
  parts.push(section(`${prefix}target`, 'Target and run', undefined, targetHtml(summary)));
  return h`${parts}`;
}

function matrixSection(matrix: Matrix, id: string): Markup {
  return section(id, 'Divergence matrix', matrix.rows.length, h`<p class="muted">Conformance checks against stock Docker (the same table as divergence-matrix.html); hover a cell for the evidence.</p><div class="matrix">${raw(matrixTableHtml(matrix))}</div>`);
}

function nav(summary: RunSummary, prefix: string, hasMatrix: boolean): Markup {
  const links: Array<[string, string]> = [[`${prefix}findings`, `findings (${summary.outcomes.finding})`]];
  for (const [o, label] of [['error', 'errors'], ['inconclusive', 'inconclusive'], ['not-applicable', 'not applicable']] as Array<[Outcome, string]>) {
    if (summary.outcomes[o] > 0) links.push([`${prefix}${o}`, `${label} (${summary.outcomes[o]})`]);
  }
  if (summary.exposures.length > 0) links.push([`${prefix}exposures`, `exposures (${summary.exposures.length})`]);
  if (summary.scenarios.some((s) => typeof s.observations?.[OBSERVATION.hardening] === 'string')) links.push([`${prefix}hardening`, 'hardening']);
  if (hasMatrix) links.push([`${prefix}matrix`, 'divergence matrix']);
  if (summary.scenarios.some((s) => chartsFor(s).length > 0)) links.push([`${prefix}resources`, 'noisy-neighbour measurements']);
  links.push([`${prefix}durations`, 'durations'], [`${prefix}target`, 'target and run']);
  // The separators are text, so the links stay apart where a viewer drops the stylesheet (Jenkins).
  return h`<nav>${links.map(([id, label], i) => h`${i > 0 ? h`<span class="sep"> · </span>` : ''}<a href="#${id}">${label}</a>`)}</nav>`;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d232b;background:#f6f7f9}
main{max-width:1180px;margin:0 auto;padding:18px 22px 40px}
header h1{font-size:20px;margin:0 0 6px}
h2{font-size:17px;margin:26px 0 8px;padding-bottom:4px;border-bottom:2px solid #d9dee5}
h3{font-size:15px;margin:4px 0}
.count{display:inline-block;min-width:1.4em;padding:0 6px;border-radius:9px;background:#e3e7ed;font-size:13px;text-align:center}
nav{display:flex;flex-wrap:wrap;gap:4px 14px;margin:8px 0;font-size:13px}
nav a{color:#2456b8;text-decoration:none}
nav .sep{display:none}
.verdict{display:inline-block;padding:6px 12px;border-radius:6px;font-size:15px;margin:4px 0}
.verdict.ok{background:#dcf5e3;color:#135e2a}.verdict.bad{background:#fcd9d6;color:#9b1c12}
.pill{display:inline-block;padding:0 7px;border-radius:9px;font-size:12px;font-weight:600;white-space:nowrap}
.o-pass{background:#dcf5e3;color:#135e2a}.o-finding{background:#fcd9d6;color:#9b1c12}.o-error{background:#ead9fb;color:#5b2491}
.o-inconclusive{background:#fff6c9;color:#6b5800}.o-not-applicable{background:#e9ebee;color:#4b5360}
.h-rejected{background:#dcf5e3;color:#135e2a}.h-neutralised{background:#dbe9fb;color:#1a4f8f}.h-effective{background:#ffe7c2;color:#8a4b00}.h-unknown{background:#e9ebee;color:#4b5360}
.card{background:#fff;border:1px solid #d9dee5;border-left:5px solid #c0352b;border-radius:6px;padding:10px 14px;margin:10px 0}
.where{color:#5b6573;font-size:12px;margin:2px 0 6px}
.reason{white-space:pre-wrap;word-break:break-word}
.card .reason{font-weight:600}
.id{font-family:ui-monospace,Menlo,Consolas,monospace;white-space:nowrap;font-weight:600}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
pre{background:#f4f6f9;border:1px solid #e3e7ed;border-radius:4px;padding:6px 8px;margin:2px 0;white-space:pre-wrap;word-break:break-word;max-height:28em;overflow:auto}
dl.obs{display:grid;grid-template-columns:max-content 1fr;gap:3px 12px;margin:6px 0}
dl.obs dt{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;color:#3b4350}
dl.obs dd{margin:0;word-break:break-word}
ul.items{margin:0;padding-left:18px;max-height:16em;overflow:auto;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
details summary{cursor:pointer;color:#2456b8;font-size:13px}
table{border-collapse:collapse;background:#fff;border:1px solid #d9dee5}
table.list{width:100%}
table.narrow{width:auto;min-width:60%}
th,td{border:1px solid #d9dee5;padding:4px 8px;text-align:left;vertical-align:top}
thead th{background:#eef1f5}
td.num{text-align:right;white-space:nowrap}
td.detail{word-break:break-word}
table.kv th{background:#eef1f5;white-space:nowrap;width:1%}
.muted{color:#5b6573}.small{font-size:12px}
.none{background:#dcf5e3;color:#135e2a;padding:8px 12px;border-radius:6px}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(546px,1fr));gap:14px}
figure.chartbox{background:#fff;border:1px solid #d9dee5;border-radius:6px;padding:10px 12px;margin:0}
figure.chartbox figcaption{font-weight:600;margin-bottom:4px}
svg.chart{max-width:100%;height:auto}
.target-run{border-top:4px solid #8a94a3;margin-top:30px}
.matrix{overflow:auto;max-height:80vh}
.matrix .legend{display:flex;flex-wrap:wrap;gap:6px 14px;margin:8px 0 12px;color:#3b4350;font-size:13px}
.matrix .sw{display:inline-block;padding:1px 6px;border-radius:3px;font-weight:600}
.matrix table{font-size:13px;width:100%}
.matrix thead th{position:sticky;top:0;z-index:1}
.matrix .tgt{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
.matrix .sub{font-weight:normal;color:#5b6573;font-size:12px}
.matrix .tot{font-weight:600;margin-top:2px}
.matrix .ok{color:#1a7f37}.matrix .bad{color:#b42318}
.matrix tr.fam td{background:#e9edf3;font-weight:700;color:#2b3440}
.matrix td.id{font-family:ui-monospace,Menlo,Consolas,monospace;white-space:nowrap}
.matrix td.cell{white-space:nowrap;font-weight:600}
.matrix .mark{display:inline-block;width:1em;text-align:center}
${MATRIX_CELL_CSS}
@media print{body{background:#fff}details{display:block}.matrix{max-height:none}}
`;

function page(title: string, body: Markup): string {
  // No script, no external resource: the policy forbids every fetch, and allows only the inline
  // stylesheet below and the SVG drawn in the page.
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="keelhaul">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style></head>
<body><main>
${body.html}
</main></body></html>
`;
}

/** The whole page: one target (its sections), or several (an overview, then one part per target, then the matrix across them). */
export function renderReport(input: ReportInput): string {
  const generatedAt = input.generatedAt ?? new Date().toISOString();
  const conformance = (s: RunSummary) => s.scenarios.some((x) => /^CONF-/.test(x.id) || x.tags.includes('@conformance') || Boolean(x.observations?.[OBSERVATION.conformance]));
  const matrix = input.runs.some((r) => conformance(r.summary)) ? buildMatrix(input.runs.map((r) => ({ summary: r.summary }))) : undefined;
  if (input.runs.length === 1) {
    const summary = input.runs[0]!.summary;
    const t = summary.target;
    return page(`keelhaul: ${t.engine} ${t.version} at ${t.url}: exit ${summary.exitCode}`, h`<header>
<h1>keelhaul report: ${t.engine} ${t.version} at <code>${t.url}</code></h1>
<p class="muted">run ${summary.run} · started ${summary.startedAt} · ${seconds(summary.durationMs)} · ${summary.scenarios.length} scenario(s) · profile ${summary.profile} · written ${generatedAt}${summary.command ? h`<br><code>keelhaul ${shellQuote(summary.command)}</code>` : ''}</p>
${verdictHtml(summary)}
${nav(summary, '', Boolean(matrix))}
</header>
${runSections(summary, '', matrix)}`);
  }
  const worst = input.runs.map((r) => r.summary.exitCode);
  const overview = h`<table border="1" class="list"><thead><tr><th>target</th><th>engine</th><th>profile</th><th>exit</th><th>outcomes</th><th></th></tr></thead><tbody>${input.runs.map((r, i) => h`<tr>
<td><a href="#t${i + 1}-top"><code>${r.summary.target.url}</code></a></td><td>${r.summary.target.engine} ${r.summary.target.version} (API ${r.summary.target.apiVersion})</td>
<td>${r.summary.profile}</td><td><b>${r.summary.exitCode}</b> ${exitMeaning(r.summary.exitCode)}</td>
<td>${OUTCOMES.filter((o) => r.summary.outcomes[o] > 0).map((o) => h`<span class="pill o-${o}">${r.summary.outcomes[o]} ${OUTCOME_LABEL[o]}</span> `)}</td>
<td>${r.href ? h`<a href="${r.href}">its own report</a>` : ''}</td></tr>`)}</tbody></table>`;
  return page(`keelhaul: ${input.runs.length} targets`, h`<header>
<h1>keelhaul report: ${input.runs.length} targets</h1>
<p class="muted">written ${generatedAt}${input.command ? h` · <code>keelhaul ${shellQuote(input.command)}</code>` : ''} · exit codes ${worst.join(', ')}</p>
${overview}
${matrix ? h`<nav><a href="#matrix">divergence matrix across the targets</a></nav>` : ''}
</header>
${input.runs.map((r, i) => h`<div class="target-run" id="t${i + 1}-top"><h2>Target ${i + 1}: <code>${r.summary.target.url}</code></h2>
${verdictHtml(r.summary)}${nav(r.summary, `t${i + 1}-`, false)}
${runSections(r.summary, `t${i + 1}-`, undefined)}</div>`)}
${matrix ? matrixSection(matrix, 'matrix') : ''}`);
}

export const REPORT_HTML = 'report.html';

/** Write <reportsDir>/report.html; returns its path. */
export function writeReportHtml(reportsDir: string, input: ReportInput): string {
  const path = join(reportsDir, REPORT_HTML);
  writeFileSync(path, renderReport(input));
  return path;
}

/** Called by `keelhaul run` after summary.json: a report that cannot be written is a warning (the verdict is in summary.json). */
export function writeReportHtmlOrWarn(reportsDir: string, input: ReportInput, log: (line: string) => void): string | undefined {
  try {
    return writeReportHtml(reportsDir, input);
  } catch (error) {
    log(`keelhaul: warning: report.html could not be written: ${(error as Error).message}`);
    return undefined;
  }
}
