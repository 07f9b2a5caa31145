// Gauntlt's vocabulary, the pure parts: its adapters and what image each runs in, profile tables,
// aruba's `/re/` and doc-string expressions (Ruby semantics mapped to JavaScript), aruba's escapes,
// nmap's canned attack aliases, and the Set-Cookie headers the curl adapter judges. No I/O here.
import { UsageError } from './errors.js';

/**
 * The adapters keelhaul runs (gauntlt lib/gauntlt/attack_adapters/*.rb): `tool` is the tool image
 * the attack runs in (`keelhaul tools build <tool>`), none for generic (the probe image, busybox),
 * and `values` the placeholders Gauntlt's adapter adds to the profile, here paths inside the image.
 */
export const GAUNTLT_ADAPTERS: Record<string, { tool?: string; values?: Record<string, string> }> = {
  generic: {},
  curl: { tool: 'curl' },
  nmap: { tool: 'nmap' },
  // Gauntlt ran sslyze.py through $SSLYZE_PATH; the tool image puts it on PATH.
  sslyze: { tool: 'sslyze', values: { sslyze: 'sslyze', sslyze_path: '$(command -v sslyze)' } },
  // Debian's sqlmap package: /usr/share/sqlmap/sqlmap.py, with /usr/bin/sqlmap running it.
  sqlmap: { tool: 'sqlmap', values: { sqlmap: '/usr/share/sqlmap/sqlmap.py', sqlmap_path: '/usr/share/sqlmap/sqlmap.py' } },
  // Gauntlt read $DIRB_WORDLISTS; Debian's dirb package ships its wordlists here.
  dirb: { tool: 'dirb', values: { dirb_wordlists_path: '/usr/share/dirb/wordlists' } },
};

/** Gauntlt adapters keelhaul does not run, and why (docs/gauntlt.md says the same). */
export const UNSUPPORTED_ADAPTERS: Record<string, string> = {
  arachni: 'arachni is not packaged by Debian (and the project is discontinued), so no tool image can be built without a registry',
  garmr: 'Garmr (Mozilla) is unmaintained Python 2 code, packaged nowhere',
  heartbleed: 'the Heartbleed checker is a Go program packaged nowhere; sslscan (keelhaul tools build sslscan) reports heartbleed itself',
  'zap-cli': 'OWASP ZAP is a Java application not packaged by Debian',
  'zap-api-scan': 'OWASP ZAP is a Java application not packaged by Debian',
};

/** The adapter of `I launch a/an "X" attack with:` (case-insensitive, as Gauntlt's Heartbleed), or why not. */
export function adapterFor(name: string): { adapter: string; tool?: string; values: Record<string, string> } {
  const key = name.toLowerCase();
  const known = GAUNTLT_ADAPTERS[key];
  if (known) return { adapter: key, tool: known.tool, values: known.values ?? {} };
  const why = UNSUPPORTED_ADAPTERS[key];
  if (why) throw new UsageError(`Gauntlt's "${name}" adapter is not supported: ${why} (see docs/gauntlt.md)`);
  throw new UsageError(`no Gauntlt adapter "${name}" (keelhaul runs ${Object.keys(GAUNTLT_ADAPTERS).join(', ')})`);
}

/** nmap's canned attacks (gauntlt lib/gauntlt/attack_aliases/nmap.json), for `I launch an "nmap-NAME" attack`. */
export const NMAP_ALIASES: Record<string, { command: string; description: string }> = {
  'nmap-fast': { command: 'nmap -F <host>', description: 'a fast scan of the most common ports' },
  'nmap-single_port': { command: 'nmap -p<port> <host>', description: 'one port only' },
  'nmap-all_tcp': { command: 'nmap -Pn -p 1-65534 <host>', description: 'every TCP port' },
  'nmap-portscan_tcp_udp_top100': { command: 'nmap -sTU --top-ports 100 <host>', description: 'TCP and UDP, top 100 ports' },
  'nmap-portscan_tcp_udp_top1000': { command: 'nmap -sTU --top-ports 1000 <host>', description: 'TCP and UDP, top 1000 ports' },
};
// Gauntlt's nmap.json also has scan_hostnames and arp_scan_*: they sweep a /24, which keelhaul
// never does (nothing may be probed that the harness did not create), so they are not offered.

/**
 * A Gauntlt two-column table with a header row (`| name | value |`, or `| name |
 * environment_variable_name |`) as name -> value pairs. Gauntlt reads `table.hashes`: the header
 * names the columns, so a table without it would silently lose its first row.
 */
export function namedRows(rows: string[][], valueColumn: string): Array<[string, string]> {
  const [header, ...body] = rows;
  if (!header || header[0] !== 'name' || header[1] !== valueColumn || header.length !== 2) {
    throw new UsageError(`the table needs a header row | name | ${valueColumn} | (it has | ${(header ?? []).join(' | ')} |)`);
  }
  return body.map((row) => {
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(row[0] ?? '')) throw new UsageError(`"${row[0]}" cannot be a profile name (letters, digits, _ . -)`);
    return [row[0]!, row[1] ?? ''];
  });
}

/** Why a table cannot be read (for the authoring preflight), or undefined. */
export function tableProblem(rows: string[][], valueColumn: string): string | undefined {
  try {
    namedRows(rows, valueColumn);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * An aruba expression as JavaScript. aruba matches with Ruby's `/.../m`: in Ruby `.` then matches a
 * newline (JavaScript's `s`) and `^`/`$` always match at line ends (JavaScript's `m`). Ruby's `\A`,
 * `\z` and `\Z` (start and end of the whole text) have no JavaScript flag-free equivalent inside `m`
 * mode, so they become lookarounds. `\h` (a hex digit in Ruby) becomes `[0-9a-fA-F]`.
 */
export function arubaRegex(source: string, extraFlags = ''): RegExp {
  const translated = source
    .replace(/(?<!\\)((?:\\\\)*)\\A/g, '$1(?<![\\s\\S])')
    .replace(/(?<!\\)((?:\\\\)*)\\z/g, '$1(?![\\s\\S])')
    .replace(/(?<!\\)((?:\\\\)*)\\Z/g, '$1(?=\\n?(?![\\s\\S]))')
    .replace(/(?<!\\)((?:\\\\)*)\\h/g, '$1[0-9a-fA-F]');
  const flags = [...new Set(`ms${extraFlags}`)].join('');
  try {
    return new RegExp(translated, flags);
  } catch (error) {
    throw new UsageError(`/${source}/ is not a regular expression keelhaul can read: ${(error as Error).message}`);
  }
}

/** `/re/` or `/re/i` (the inline form of `the output should match /re/`) as its source and flags. */
export function slashRegex(text: string): { source: string; flags: string } {
  const found = /^\/(.*)\/([imx]*)$/s.exec(text.trim());
  if (!found) throw new UsageError(`${text} is not a /regular expression/`);
  if (found[2]!.includes('x')) throw new UsageError(`/${found[1]}/x: Ruby's extended (x) expressions are not supported`);
  // Ruby's own m is already on (aruba adds it); i is the one that changes anything.
  return { source: found[1]!, flags: found[2]!.includes('i') ? 'i' : '' };
}

/** Why an expression (inline `/re/` or a doc string) cannot be read, or undefined. */
export function regexProblem(text: string, inline: boolean): string | undefined {
  try {
    const { source, flags } = inline ? slashRegex(text) : { source: text.trim(), flags: '' };
    arubaRegex(source, flags);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * aruba's `unescape` of expected text: `\n`, `\t`, `\"` and `\e` written in a step mean those
 * characters (a doc string is taken as it is written).
 */
export function arubaUnescape(text: string): string {
  return text.replace(/\\(["nte\\])/g, (_whole, c: string) => ({ n: '\n', t: '\t', e: '\u001b', '"': '"', '\\': '\\' })[c]!);
}

/**
 * Fill Gauntlt `<name>` placeholders in profile values that name other values (a profile entry
 * `url | http://<target_ip>:8080/`), bounded so that a value naming itself cannot loop.
 */
export function resolveValues(values: Record<string, string>, rounds = 8): Record<string, string> {
  let current = { ...values };
  for (let i = 0; i < rounds; i++) {
    let changed = false;
    const next: Record<string, string> = {};
    for (const [name, value] of Object.entries(current)) {
      next[name] = value.replace(/<([A-Za-z_][A-Za-z0-9_.-]*)>/g, (whole, other: string) => {
        if (other === name || !(other in current)) return whole;
        changed = true;
        return current[other]!;
      });
    }
    current = next;
    if (!changed) break;
  }
  return current;
}

export interface Cookie { name: string; value: string; httponly: string; secure: string; path?: string; domain?: string; samesite?: string; expires?: string }

/**
 * The cookies a curl `--include` response set (every Set-Cookie header of every response in the
 * output, redirects included), as Gauntlt's cookie_helper reads them: `httponly` and `secure` are
 * "true"/"false", the other attributes as written.
 */
export function setCookies(output: string): Cookie[] {
  const cookies: Cookie[] = [];
  for (const line of output.split(/\r?\n/)) {
    const header = /^\s*set-cookie:\s*(.*)$/i.exec(line);
    if (!header) continue;
    const [pair, ...attributes] = header[1]!.split(';').map((part) => part.trim());
    const equals = pair!.indexOf('=');
    if (equals <= 0) continue;
    const cookie: Cookie = { name: pair!.slice(0, equals), value: pair!.slice(equals + 1), httponly: 'false', secure: 'false' };
    for (const attribute of attributes) {
      const [key, ...rest] = attribute.split('=');
      const name = key!.trim().toLowerCase();
      if (name === 'httponly' || name === 'secure') cookie[name] = 'true';
      else if (['path', 'domain', 'samesite', 'expires'].includes(name)) (cookie as unknown as Record<string, string>)[name] = rest.join('=');
    }
    cookies.push(cookie);
  }
  return cookies;
}

/** Which rows of an expected-cookies table (`| name | httponly | secure | ... |`) the cookies do not satisfy. */
export function cookieMismatches(cookies: Cookie[], rows: string[][]): string[] {
  const [header, ...body] = rows;
  if (!header?.includes('name')) throw new UsageError('the cookies table needs a header row with a "name" column');
  const problems: string[] = [];
  for (const row of body) {
    const expected = Object.fromEntries(header.map((column, i) => [column, row[i] ?? '']));
    const cookie = cookies.find((c) => c.name === expected.name);
    if (!cookie) {
      problems.push(`no cookie "${expected.name}" was set (set: ${cookies.map((c) => c.name).join(', ') || 'none'})`);
      continue;
    }
    for (const [column, value] of Object.entries(expected)) {
      const actual = (cookie as unknown as Record<string, string | undefined>)[column];
      if (value !== '' && actual !== value) problems.push(`cookie "${cookie.name}": ${column} is ${actual ?? '(absent)'}, not ${value}`);
    }
  }
  return problems;
}
