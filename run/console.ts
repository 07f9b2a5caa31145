// What a person reads on the console: reasons bounded to a glance (the whole evidence stays in
// summary.json and report.html), the progress line, and whether colours may be used. Pure helpers;
// the cucumber formatter that draws the progress line is run/progress-formatter.ts.
import { OUTCOMES, type Outcome, type OutcomeCounts } from '../judges/outcome.js';

export interface Bounds {
  /** List items shown before "+N more" (a list: items separated by "; ", or else by ", "). */
  items: number;
  /** Characters shown at most, whatever the shape of the text. */
  chars: number;
}

export const CONSOLE_BOUNDS: Bounds = { items: 5, chars: 300 };

/**
 * A reason as the console shows it: one line; a list ("; " or ", " separated, after the first ": ")
 * longer than `items`, or too long for `chars`, keeps its first items and says how many more there
 * are ("host filesystem visible: /a; /b; /c; /d; /e; +20 more"); other text longer than `chars` is
 * cut at a word with "… +N chars". Text within the bounds is unchanged, and "+1 more" is never
 * shown (it would hide one item behind a label as long as it).
 */
export function boundReason(reason: string, bounds: Bounds = CONSOLE_BOUNDS): string {
  const text = reason.replace(/\s*[\r\n]+\s*/g, ' ').trim();
  const list = listIn(text);
  if (list && list.items.length >= 3 && (list.items.length > bounds.items + 1 || text.length > bounds.chars)) {
    for (let shown = Math.min(bounds.items, list.items.length - 2); shown >= 1; shown--) {
      const candidate = `${list.prefix}${list.items.slice(0, shown).join(list.separator)}${list.separator}+${list.items.length - shown} more`;
      if (candidate.length <= bounds.chars) return candidate;
    }
  }
  if (text.length <= bounds.chars) return text;
  const cut = text.lastIndexOf(' ', bounds.chars);
  const head = text.slice(0, cut > bounds.chars * 0.6 ? cut : bounds.chars).replace(/[\s,;:]+$/, '');
  return `${head} … +${text.length - head.length} chars`;
}

/** The list part of a reason: after the first ": " when there is one, items split on "; " else ", ". */
function listIn(text: string): { prefix: string; items: string[]; separator: string } | undefined {
  const colon = text.indexOf(': ');
  const prefix = colon >= 0 ? text.slice(0, colon + 2) : '';
  const body = colon >= 0 ? text.slice(colon + 2) : text;
  for (const separator of ['; ', ', ']) {
    const items = body.split(separator);
    if (items.length > 1) return { prefix, items, separator };
  }
  return undefined;
}

/**
 * Colours only where a person reads a terminal: FORCE_COLOR=0 (or false) and NO_COLOR turn them off,
 * FORCE_COLOR=1..3 turns them on even without a TTY (as Node and chalk read these variables), and a
 * dumb terminal gets none.
 */
export function coloursEnabled(env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return !/^(0|false)$/i.test(force);
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return isTTY;
}

/** The progress line is rewritten in place only on a terminal that can take a carriage return. */
export function rewritesInPlace(env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  return isTTY && env.TERM !== 'dumb';
}

const SHORT: Record<Outcome, string> = { pass: 'pass', finding: 'finding', 'not-applicable': 'n/a', inconclusive: 'inconclusive', error: 'error' };
const COLOUR: Record<Outcome, number> = { pass: 32, finding: 31, 'not-applicable': 90, inconclusive: 33, error: 35 };

export function paint(text: string, code: number, colours: boolean): string {
  return colours ? `\u001b[${code}m${text}\u001b[39m` : text;
}

/** "3 pass, 1 finding" — only the outcomes seen so far, in the contract's order. */
export function countsText(counts: OutcomeCounts, colours = false): string {
  const parts = OUTCOMES.filter((o) => counts[o] > 0).map((o) => paint(`${counts[o]} ${SHORT[o]}`, COLOUR[o], colours));
  return parts.length > 0 ? parts.join(', ') : 'nothing finished yet';
}

export interface ProgressState {
  done: number;
  total: number;
  /** IDs of the scenarios running now (several under --parallel), oldest first. */
  running: string[];
  counts: OutcomeCounts;
  elapsedMs: number;
}

/** The line drawn in place on a terminal: "keelhaul [12/48] running ISO-06 · 10 pass, 1 finding · 0:42". */
export function progressLine(s: ProgressState, columns: number, colours = false): string {
  const width = String(s.total).length;
  const running = s.running.length === 0 ? (s.done < s.total ? 'between scenarios' : 'finishing')
    : s.running.length === 1 ? `running ${s.running[0]}`
      : `running ${s.running[s.running.length - 1]} (+${s.running.length - 1})`;
  const build = (c: boolean) => `keelhaul [${String(s.done).padStart(width)}/${s.total}] ${running} · ${countsText(s.counts, c)} · ${clock(s.elapsedMs)}`;
  // Never wider than the terminal (a wrapped line cannot be rewritten with a carriage return);
  // a line that has to be cut loses its colours rather than an escape sequence half-way.
  const room = Math.max(20, columns - 1);
  const plain = build(false);
  if (plain.length <= room) return build(colours);
  return `${plain.slice(0, room - 1)}…`;
}

/** A plain line for logs, one per finished scenario: "keelhaul [12/48] FINDING ISO-06 (1.2s) · 10 pass, 2 finding". */
export function finishedLine(s: Omit<ProgressState, 'running' | 'elapsedMs'>, id: string, outcome: Outcome, durationMs: number, colours = false): string {
  const width = String(s.total).length;
  const label = paint(outcome === 'pass' ? 'pass' : outcome.toUpperCase(), COLOUR[outcome], colours);
  return `keelhaul [${String(s.done).padStart(width)}/${s.total}] ${label} ${id} (${(durationMs / 1000).toFixed(1)}s) · ${countsText(s.counts, colours)}`;
}

function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
