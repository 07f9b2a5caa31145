// Authoring mistakes that Gherkin parses without complaint, so that cucumber would pass the scenario
// having run nothing (issue 14, vacuous pass 1): a scenario with no steps, and description lines that
// are really a step or a keyword that did not match (`Given` with no text, `Thn foo`, `Scenari o`).
// Gherkin keywords are case-sensitive and need their space or colon, so such a line silently becomes
// free-text description. Pure: reads cucumber's gherkinDocument and source messages.

export interface LintProblem {
  uri: string;
  line: number;
  column: number;
  message: string;
}

const STEP_KEYWORDS = ['Given', 'When', 'Then', 'And', 'But'];
const BLOCK_KEYWORDS = ['Feature', 'Rule', 'Background', 'Scenario', 'Scenario Outline', 'Scenario Template', 'Example', 'Examples', 'Scenarios'];
/** Capitalised English words one edit away from a keyword: prose, not typos. */
const PROSE_NEIGHBOURS = new Set([
  'The', 'Them', 'They', 'Than', 'Thin', 'Thee', 'Ten', 'Hen', 'Wen', 'Whet', 'Wren', 'Whew', 'Whey',
  'Giver', 'Gives', 'Liven', 'Riven', 'Features', 'Featured', 'Backgrounds', 'Exampled', 'Rules', 'Rune',
  'Rude', 'Ruse', 'Rue', 'Mule', 'Role', 'Rile', 'Rube', 'Ruby',
]);

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions), bounded by `max`. */
export function editDistance(a: string, b: string, max = 2): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The keyword a capitalised word is a likely misspelling of, if any. */
function misspeltKeyword(word: string): string | undefined {
  const keywords = [...STEP_KEYWORDS, ...BLOCK_KEYWORDS.filter((k) => !k.includes(' '))];
  if (!/^[A-Z][a-z]*$/.test(word) || PROSE_NEIGHBOURS.has(word) || keywords.includes(word)) return undefined;
  for (const keyword of keywords) {
    // Three-letter keywords (And, But) have too many English neighbours: only a swapped pair counts.
    const distance = editDistance(word, keyword, 1);
    if (distance === 1 && (keyword.length > 3 || (word.length === 3 && [...word].sort().join('') === [...keyword].sort().join('')))) return keyword;
  }
  return undefined;
}

/**
 * Why a description line is suspicious, or undefined for prose. `matchesStep` says whether a text is
 * a step some definition matches.
 */
export function suspiciousDescriptionLine(line: string, matchesStep: (text: string) => boolean): string | undefined {
  const text = line.trim();
  if (!text) return undefined;
  const bare = text.replace(/:$/, '');
  const keyword = [...STEP_KEYWORDS, '*', ...BLOCK_KEYWORDS].find((k) => k.toLowerCase() === bare.toLowerCase());
  if (keyword) {
    return STEP_KEYWORDS.includes(keyword) || keyword === '*'
      ? `"${text}" is a step keyword with no step text`
      : `"${text}" is a keyword without its colon and title`;
  }
  const [first = '', second = ''] = text.split(/\s+/);
  const head = first.replace(/:$/, '');
  // The rest of the line is a step some definition matches: the first word need only resemble a keyword.
  const nearStepKeyword = STEP_KEYWORDS.some((k) => editDistance(head.toLowerCase(), k.toLowerCase(), 2) <= (k.length > 3 ? 2 : 1));
  const remainder = text.slice(first.length).trim();
  if (remainder && nearStepKeyword && matchesStep(remainder)) {
    return `"${text}" looks like a step whose keyword "${first}" is not one Gherkin knows (keywords are case-sensitive: Given, When, Then, And, But)`;
  }
  if (matchesStep(text)) return `"${text}" looks like a step without its keyword (Given, When, Then, And, But)`;
  const typo = misspeltKeyword(head);
  if (typo) return `"${text}" looks like a misspelt "${typo}"`;
  // A keyword broken by a space: "Scenari o oops", "Back ground:".
  const joined = `${first}${second}`.replace(/:$/, '');
  if (second && [...STEP_KEYWORDS, ...BLOCK_KEYWORDS].includes(joined)) return `"${text}" looks like a misspelt "${joined}"`;
  return undefined;
}

interface Node {
  keyword?: string;
  name?: string;
  description?: string;
  location?: { line: number; column?: number };
  steps?: unknown[];
  children?: Array<{ scenario?: Node; background?: Node; rule?: Node }>;
  examples?: Node[];
}

/** Problems in one parsed document; `source` is the file's text (for the description lines' numbers). */
export function lintDocument(uri: string, feature: Node | undefined, source: string, matchesStep: (text: string) => boolean): LintProblem[] {
  if (!feature) return [];
  const lines = source.split(/\r?\n/);
  const problems: LintProblem[] = [];
  const description = (node: Node) => {
    if (!node.description?.trim() || !node.location) return;
    const described = node.description.split('\n');
    // The description starts after its keyword line, past blank lines and comments.
    let at = node.location.line; // 0-based index of the line after the keyword line
    while (at < lines.length && lines[at]!.trim() !== described.find((l) => l.trim())!.trim()) at++;
    let index = at;
    for (const text of described) {
      if (!text.trim()) continue;
      while (index < lines.length && lines[index]!.trim() !== text.trim()) index++;
      const why = suspiciousDescriptionLine(text, matchesStep);
      if (why) problems.push({ uri, line: index + 1, column: (lines[index]?.search(/\S/) ?? 0) + 1, message: `${why}: Gherkin reads this line as description, not as a step` });
    }
  };
  const scenario = (node: Node) => {
    description(node);
    for (const examples of node.examples ?? []) description(examples);
    if ((node.steps ?? []).length === 0 && node.location) {
      problems.push({ uri, line: node.location.line, column: node.location.column ?? 0, message: `${node.keyword?.trim() ?? 'Scenario'} "${node.name ?? ''}" has no steps: it would pass having checked nothing` });
    }
  };
  const children = (node: Node) => {
    for (const child of node.children ?? []) {
      if (child.scenario) scenario(child.scenario);
      if (child.background) description(child.background);
      if (child.rule) {
        description(child.rule);
        children(child.rule);
      }
    }
  };
  description(feature);
  children(feature);
  return problems.sort((a, b) => a.line - b.line);
}

/** Problems in every document of a cucumber message stream (gherkinDocument and source envelopes). */
export function lintEnvelopes(envelopes: any[], matchesStep: (text: string) => boolean): LintProblem[] {
  const sources = new Map<string, string>();
  for (const e of envelopes) if (e.source) sources.set(e.source.uri, e.source.data);
  return envelopes.filter((e) => e.gherkinDocument)
    .flatMap((e) => lintDocument(e.gherkinDocument.uri, e.gherkinDocument.feature, sources.get(e.gherkinDocument.uri) ?? '', matchesStep));
}
