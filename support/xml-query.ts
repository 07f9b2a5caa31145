// (support/, not judges/: judges import only judges and Node built-ins; this one needs XML libraries.)
// Gauntlt's `the file "F" should (not) contain XML:` judged on a file's text: each row of the table is
// a CSS selector (Gauntlt's own column, through Nokogiri's at_css) or an XPath expression. CSS runs on
// htmlparser2's XML mode with css-select (the engine cheerio uses), XPath on @xmldom/xmldom with xpath.
import { createRequire } from 'node:module';
import type * as XmlDom from '@xmldom/xmldom';
import type * as CssSelect from 'css-select';
import type * as Htmlparser2 from 'htmlparser2';
import type * as XPath from 'xpath';
import { UsageError } from '../judges/errors.js';

// Loaded on the first XML check, not when the module is: cucumber loads every support file in every run
// and worker, and the four libraries cost 85-165 ms to load (node -e, three runs, this machine).
const requireLibrary = createRequire(import.meta.url);
let libraries: { DOMParser: typeof XmlDom.DOMParser; selectOne: typeof CssSelect.selectOne; parseDocument: typeof Htmlparser2.parseDocument; xpath: typeof XPath } | undefined;
function xml(): NonNullable<typeof libraries> {
  return libraries ??= {
    DOMParser: (requireLibrary('@xmldom/xmldom') as typeof XmlDom).DOMParser,
    selectOne: (requireLibrary('css-select') as typeof CssSelect).selectOne,
    parseDocument: (requireLibrary('htmlparser2') as typeof Htmlparser2).parseDocument,
    xpath: requireLibrary('xpath') as typeof XPath,
  };
}

export type SelectorKind = 'css' | 'xpath';

/** The selector column of the table (`| css |` or `| xpath |`) and its selectors. */
export function selectorRows(rows: string[][]): { kind: SelectorKind; selectors: string[] } {
  const [header, ...body] = rows;
  const kind = header?.[0]?.trim().toLowerCase();
  if (!header || header.length !== 1 || (kind !== 'css' && kind !== 'xpath')) {
    throw new UsageError(`the selectors table needs one column headed | css | or | xpath | (it has | ${(header ?? []).join(' | ')} |)`);
  }
  if (body.length === 0) throw new UsageError('the selectors table has no selector under its header');
  return { kind, selectors: body.map((row) => row[0]!) };
}

/** Why a selector cannot be used (authoring preflight), or undefined. */
export function selectorProblem(kind: SelectorKind, selector: string): string | undefined {
  try {
    xmlMatches('<x/>', kind, selector);
    return undefined;
  } catch (error) {
    return `${kind} selector "${selector}": ${(error as Error).message}`;
  }
}

/** Does the XML text hold a node the selector finds? Unparseable XML is an error, not "not found". */
export function xmlMatches(text: string, kind: SelectorKind, selector: string): boolean {
  const { DOMParser, selectOne, parseDocument, xpath } = xml();
  if (kind === 'css') return selectOne(selector, parseDocument(text, { xmlMode: true }), { xmlMode: true }) !== null;
  const errors: string[] = [];
  let document: unknown;
  try {
    document = new DOMParser({ onError: (level, message) => { if (level !== 'warning') errors.push(message); } }).parseFromString(text, 'text/xml');
  } catch (error) {
    errors.push((error as Error).message);
  }
  if (errors.length > 0) throw new Error(`not well-formed XML: ${errors[0]!.split('\n')[0]}`);
  const found = xpath.select(selector, document as unknown as Node);
  return Array.isArray(found) ? found.length > 0 : Boolean(found);
}
