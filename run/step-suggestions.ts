// For an undefined step: the nearest existing step phrases, and a snippet to start from.
import type { ISupportCodeLibrary } from '@cucumber/cucumber/api';

/** Word-level similarity (Dice coefficient on word bigrams and words), robust to reordered phrases. */
export function similarity(a: string, b: string): number {
  const words = (s: string) => s.toLowerCase().replace(/\{[a-z]+\}|"[^"]*"|\d+/g, ' x ').split(/[^a-z0-9]+/).filter(Boolean);
  const grams = (ws: string[]) => new Set([...ws, ...ws.slice(1).map((w, i) => `${ws[i]} ${w}`)]);
  const ga = grams(words(a));
  const gb = grams(words(b));
  if (ga.size === 0 || gb.size === 0) return 0;
  let shared = 0;
  for (const g of ga) if (gb.has(g)) shared++;
  return (2 * shared) / (ga.size + gb.size);
}

export function nearestPatterns(text: string, patterns: string[], limit = 3): string[] {
  return patterns
    .map((p) => ({ p, score: similarity(text, p) }))
    .filter((x) => x.score > 0.2)
    .sort((a, b) => b.score - a.score)
    .slice(0, limit)
    .map((x) => x.p);
}

export function snippetFor(text: string): string {
  const pattern = text.replace(/"[^"]*"/g, '{string}').replace(/\b\d+\b/g, '{int}');
  const params = [...pattern.matchAll(/\{(string|int)\}/g)].map((m, i) => `${m[1] === 'int' ? 'n' : 's'}${i + 1}: ${m[1] === 'int' ? 'number' : 'string'}`);
  return `Then('${pattern.replace(/'/g, "\\'")}', async function (this: KeelhaulWorld${params.length ? ', ' + params.join(', ') : ''}) { /* judge from inside the container */ });`;
}

export function suggestionsFor(text: string, support: ISupportCodeLibrary): string[] {
  const patterns = (support as unknown as { stepDefinitions: Array<{ pattern: string | RegExp }> }).stepDefinitions.map((d) => String(d.pattern));
  const nearest = nearestPatterns(text, patterns);
  const lines = nearest.length > 0 ? ['did you mean:', ...nearest.map((p) => `  ${p}`)] : ['no similar step exists'];
  lines.push('or define it (in a file given to --require):', `  ${snippetFor(text)}`);
  return lines;
}
