// For an undefined step: the nearest existing step phrases, and a snippet to start from.
import type { ISupportCodeLibrary } from '@cucumber/cucumber/api';

function dice<T>(a: Set<T>, b: Set<T>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let shared = 0;
  for (const g of a) if (b.has(g)) shared++;
  return (2 * shared) / (a.size + b.size);
}

/**
 * Similarity of a step's text and a pattern: the mean of a word-level Dice coefficient (words and
 * word pairs, robust to reordered phrases) and a character-trigram one (robust to typos and
 * inflections: "contain" against "contains"). Parameters and quoted values count as one token.
 */
export function similarity(a: string, b: string): number {
  const normal = (s: string) => s.toLowerCase().replace(/\{[a-z]+\}|"[^"]*"|-?\d+(\.\d+)?/g, ' x ').replace(/\(s\)|\\/g, '');
  const words = (s: string) => normal(s).split(/[^a-z0-9]+/).filter(Boolean);
  const grams = (ws: string[]) => new Set([...ws, ...ws.slice(1).map((w, i) => `${ws[i]} ${w}`)]);
  const trigrams = (s: string) => {
    const t = ` ${words(s).join(' ')} `;
    return new Set(Array.from({ length: Math.max(0, t.length - 2) }, (_, i) => t.slice(i, i + 3)));
  };
  return (dice(grams(words(a)), grams(words(b))) + dice(trigrams(a), trigrams(b))) / 2;
}

export function nearestPatterns(text: string, patterns: string[], limit = 3): string[] {
  return patterns
    .map((p) => ({ p, score: similarity(text, p) }))
    .filter((x) => x.score > 0.35)
    .sort((a, b) => b.score - a.score)
    .slice(0, limit)
    .map((x) => x.p);
}

/** A step definition to start from: quoted text becomes {string}, numbers {int} or {float}. */
export function snippetFor(text: string, keyword = 'Then'): string {
  const pattern = text
    .replace(/\\/g, '\\\\')
    .replace(/([(){}\/])/g, '\\$1')
    .replace(/"[^"]*"/g, '{string}')
    .replace(/(^|\s)-?\d+\.\d+(?=\s|$)/g, '$1{float}')
    .replace(/(^|\s)-?\d+(?=\s|$)/g, '$1{int}');
  const params = [...pattern.matchAll(/\{(string|int|float)\}/g)].map((m, i) => `${m[1] === 'string' ? 's' : 'n'}${i + 1}: ${m[1] === 'string' ? 'string' : 'number'}`);
  if (text.trimEnd().endsWith(':')) params.push('content: string /* the doc string (or a DataTable) */');
  const fn = /^(Given|When|Then)$/.test(keyword) ? keyword : 'Then';
  return `${fn}('${pattern.replace(/'/g, "\\'")}', async function (this: KeelhaulWorld${params.length ? ', ' + params.join(', ') : ''}) { /* judge from inside the container */ });`;
}

/** `more`: patterns of step files the library did not load (run/step-index.ts). */
export function suggestionsFor(text: string, support: ISupportCodeLibrary, keyword?: string, more: string[] = []): string[] {
  const loaded = (support as unknown as { stepDefinitions: Array<{ pattern: string | RegExp }> }).stepDefinitions.map((d) => String(d.pattern));
  const patterns = [...new Set([...loaded, ...more])];
  const nearest = nearestPatterns(text, patterns);
  const lines = nearest.length > 0 ? ['did you mean:', ...nearest.map((p) => `  ${p}`)] : ['no similar step exists'];
  lines.push('or define it (in a file given to --require):', `  ${snippetFor(text, keyword)}`);
  return lines;
}

/**
 * The Given/When/Then a step line stands for: its own keyword, or for And/But/* the nearest one
 * above it in the same file (lines are 1-based, as in a problem's location).
 */
export function effectiveKeyword(lines: string[], line: number): string {
  for (let i = line - 1; i >= 0; i--) {
    const word = /^\s*(Given|When|Then|And|But|\*)\s/.exec(lines[i] ?? '')?.[1];
    if (word === 'Given' || word === 'When' || word === 'Then') return word;
    if (!word && /^\s*(Scenario|Example|Background|Rule|Feature)/.test(lines[i] ?? '')) break;
  }
  return 'Then';
}
