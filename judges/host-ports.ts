// Published ports seen from the engine's host (support/port-vantage.ts): the busybox scripts a helper
// container in the host's network namespace runs, and the parsers of what they print. Pure: no I/O.
//
// HTTP is spoken with busybox wget (one connection per request, no half-close, like any HTTP client),
// bounded by busybox timeout: the static busybox keelhaul seeds as its probe image crashes in
// `wget -T`, and `nc` half-closes after the request, which some port front-ends answer with nothing.

import { finding, inconclusive, pass, type Verdict } from './verdict.js';

export type FetchResult =
  | { ok: true; status: number; body: string }
  | { ok: false; error: string };

/** The request-series policy, shared by both vantages: how many, how long, when to stop. */
export const SERIES = {
  /** Whole series deadline. */
  deadlineMs: 20_000,
  /** One request (connect and answer): nc -w. */
  requestTimeoutS: 2,
  /** Failed requests in a row (each retried once) that end the series: the port is blocked. */
  failuresInARow: 2,
} as const;

const ANSWER = '@@keelhaul-answer';
const END = '@@keelhaul-end';

function quoteHost(host: string): string {
  if (!/^[0-9A-Za-z.:-]+$/.test(host)) throw new Error(`not a host address: ${host}`);
  return host;
}

function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`not a TCP port: ${port}`);
  return port;
}

/**
 * A shell function `ask` doing one GET of host:port, printing "OK" and the body, or "ERR" and
 * wget's words (a status other than 200 is one of those: "server returned error: HTTP/1.1 404 ...").
 */
function askFunction(host: string, port: number): string {
  const url = `http://${quoteHost(host)}:${checkPort(port)}/`;
  return `ask() { a=$(timeout ${SERIES.requestTimeoutS} wget -q -O - ${url} 2>&1); c=$?; if [ $c = 0 ]; then printf 'OK\\n%s\\n' "$a"; elif [ $c -ge 124 ]; then echo ERR; echo 'no answer in ${SERIES.requestTimeoutS} s'; else echo ERR; printf '%s\\n' "$a"; fi; }`;
}

/**
 * Up to `count` GETs, one fresh connection each: a failed one is retried once, `failuresInARow`
 * failed requests in a row end the series, and so does the deadline. Every request's answer is
 * printed between markers (parseAnswers).
 */
export function requestSeriesScript(host: string, port: number, count: number): string {
  if (!Number.isInteger(count) || count < 1 || count > 100) throw new Error(`ask for 1 to 100 requests, not ${count}`);
  return [
    askFunction(host, port),
    `end=$(( $(date +%s) + ${Math.ceil(SERIES.deadlineMs / 1000)} )); i=0; f=0`,
    `while [ $i -lt ${count} ] && [ $(date +%s) -lt $end ]; do`,
    '  i=$((i+1))',
    '  r=$(ask); case "$r" in OK*) ;; *) r=$(ask) ;; esac',
    `  echo '${ANSWER}'; printf '%s\\n' "$r"; echo '${END}'`,
    `  case "$r" in OK*) f=0 ;; *) f=$((f+1)); [ $f -ge ${SERIES.failuresInARow} ] && break ;; esac`,
    'done',
  ].join('\n');
}

/** GET until an answer with status 200 arrives or the deadline passes (a server starting up); prints the last answer. */
export function waitForHttpScript(host: string, port: number, deadlineMs: number): string {
  return [
    askFunction(host, port),
    `end=$(( $(date +%s) + ${Math.max(1, Math.ceil(deadlineMs / 1000))} )); n=0; r=`,
    'while [ $n -lt 100 ]; do',
    '  n=$((n+1)); r=$(ask)',
    '  case "$r" in OK*) break ;; esac',
    '  [ $(date +%s) -lt $end ] || break',
    '  sleep 0.25',
    'done',
    `echo '${ANSWER}'; printf '%s\\n' "$r"; echo '${END}'`,
  ].join('\n');
}

/** One ask transcript: an HTTP answer, or the reason there was none. */
export function parseAnswer(raw: string): FetchResult {
  const [head = '', ...rest] = raw.replace(/^\n+/, '').split('\n');
  const text = rest.join('\n');
  if (head === 'OK') return { ok: true, status: 200, body: text.slice(0, 65_536) };
  const status = /server returned error: HTTP\/1\.[01] (\d{3})/.exec(text);
  if (status) return { ok: true, status: Number(status[1]), body: '' };
  const first = text.split('\n').find((l) => l.trim() !== '')?.trim().replace(/^wget: /, '');
  if (!first) return { ok: false, error: 'no answer' };
  return { ok: false, error: /connection refused/i.test(first) ? `ECONNREFUSED (${first})` : first };
}

/** The answers a script printed between markers, in order. */
export function parseAnswers(stdout: string): FetchResult[] {
  const answers: FetchResult[] = [];
  const re = new RegExp(`${ANSWER}\\n([\\s\\S]*?)${END}`, 'g');
  for (const m of stdout.matchAll(re)) answers.push(parseAnswer(m[1]!.replace(/\n$/, '')));
  return answers;
}

/** What a helper reads to choose ports: the ephemeral range, then every TCP socket of the host's namespace. */
export const PORT_TABLE_SCRIPT = 'cat /proc/sys/net/ipv4/ip_local_port_range; echo @@tcp; cat /proc/net/tcp /proc/net/tcp6 2>/dev/null';

export interface PortTable {
  /** The kernel's ephemeral range (what bind to port 0 picks from). */
  range: [number, number];
  /** Local ports of every TCP socket, any address, any state. */
  used: Set<number>;
}

export function parsePortTable(stdout: string): PortTable {
  const [head = '', tcp = ''] = stdout.split('@@tcp');
  const nums = head.trim().split(/\s+/).map(Number);
  const range: [number, number] = nums.length === 2 && nums[0]! > 0 && nums[1]! >= nums[0]! ? [nums[0]!, nums[1]!] : [32768, 60999];
  const used = new Set<number>();
  for (const line of tcp.split('\n')) {
    // "  0: 0100007F:98D3 00000000:0000 0A ...": the local address's port, in hex.
    const m = /^\s*\d+:\s+[0-9A-Fa-f]+:([0-9A-Fa-f]{4})\s/.exec(line);
    if (m) used.add(parseInt(m[1]!, 16));
  }
  return { range, used };
}

/**
 * A port of the ephemeral range with no TCP socket on any address right now (as bind to port 0
 * would pick). Someone can take it before it is used: callers treat a collision on it as "retry".
 */
export function pickFreePort(table: PortTable, avoid: Iterable<number> = [], random: () => number = Math.random): number {
  const skip = new Set([...table.used, ...avoid]);
  const [lo, hi] = table.range;
  const span = hi - lo + 1;
  for (let i = 0; i < 200; i++) {
    const port = lo + Math.floor(random() * span);
    if (!skip.has(port)) return port;
  }
  for (let port = lo; port <= hi; port++) if (!skip.has(port)) return port;
  throw new Error(`no free port in ${lo}-${hi}`);
}

/**
 * Hold host:port with a busybox httpd (daemonised: it lives as long as the helper) answering `token`.
 * Exit status 0 once it is bound; httpd's bind error otherwise.
 */
export function holdScript(host: string, port: number, token: string): string {
  if (!/^[A-Za-z0-9-]+$/.test(token)) throw new Error(`not a token: ${token}`);
  const dir = `/tmp/hold-${checkPort(port)}`;
  return `mkdir -p ${dir} && echo '${token}' > ${dir}/index.html && httpd -p ${quoteHost(host)}:${port} -h ${dir}`;
}

// ---- what a client of a published port gets, and the rules on it (PORT-01..07) ------------------

export interface Endpoint { host: string; port: number }

/** Where a client reaches a published binding (a wildcard is reached on loopback). */
export function clientHost(hostIp: string): string {
  return !hostIp || hostIp === '*' || hostIp === '0.0.0.0' || hostIp === '::' ? '127.0.0.1' : hostIp;
}

/**
 * The HostIp sent for an address as a feature writes it: "*" is the wildcard as `docker run -p P:P`
 * sends it (HostIp ""); "0.0.0.0" is sent literally (Podman 4.3's compat API then programs a DNAT
 * rule for -d 0.0.0.0/32 only: unreachable).
 */
export function requestIp(hostIp: string): string {
  return hostIp === '*' ? '' : hostIp;
}

/** The first published binding of containerPort/tcp that inspect reports, as a client reaches it. */
export function endpointFromInspect(inspect: any, containerPort: number): Endpoint | undefined {
  const bindings = inspect?.NetworkSettings?.Ports?.[`${containerPort}/tcp`];
  const first = Array.isArray(bindings) ? bindings.find((b: any) => b?.HostPort) : undefined;
  if (!first) return undefined;
  return { host: clientHost(String(first.HostIp ?? '')), port: Number(first.HostPort) };
}

export interface RequestTally {
  own: number;
  hijacked: number;
  other: number;
  failed: number;
  asked: number;
  /** Who answered instead of the owner (names of the scenario's token servers). */
  hijackers: string[];
  /** Up to three failures or foreign answers, in their own words. */
  samples: string[];
}

/** Sort each answer: the owner's token, another server's of this scenario (a hijack), anything else, or no answer. */
export function tallyAnswers(answers: FetchResult[], ownToken: string, tokens: ReadonlyMap<string, string>): RequestTally {
  const tally: RequestTally = { own: 0, hijacked: 0, other: 0, failed: 0, asked: answers.length, hijackers: [], samples: [] };
  for (const answer of answers) {
    if (!answer.ok) {
      tally.failed++;
      if (tally.samples.length < 3) tally.samples.push(answer.error);
      continue;
    }
    const body = answer.body.trim();
    if (body.includes(ownToken)) {
      tally.own++;
      continue;
    }
    const who = [...tokens].find(([t]) => body.includes(t))?.[1];
    if (who) {
      tally.hijacked++;
      if (!tally.hijackers.includes(who)) tally.hijackers.push(who);
    } else {
      tally.other++;
      if (tally.samples.length < 3) tally.samples.push(`HTTP ${answer.status}: ${body.slice(0, 80)}`);
    }
  }
  return tally;
}

/**
 * Every request to a published address must get its owner's token: another server's token is a
 * hijack, failed requests mean the port is blocked (after a refused publication, say so), fewer
 * answers than asked in the series' time is inconclusive, a foreign answer is a finding.
 */
export function judgeRequests(tally: RequestTally, c: { count: number; target: string; owner: string; endpoint: Endpoint; refused: string[] }): Verdict {
  const where = `${c.endpoint.host}:${c.endpoint.port}`;
  if (tally.hijacked > 0) {
    return finding(`hijack: ${tally.hijacked} of ${tally.asked} requests to ${where} (published by "${c.target}") were answered by ${tally.hijackers.map((h) => `"${h}"`).join(', ')}`);
  }
  const after = c.refused.length > 0 ? ` after the refused publication of ${c.refused.join(', ')}` : '';
  if (tally.failed > 0) return finding(`${tally.failed} of ${tally.asked} requests to ${where} failed: the port is blocked${after} (${tally.samples.join('; ')})`);
  if (tally.asked < c.count) return inconclusive(`only ${tally.asked} of ${c.count} requests could be made in 20 s`);
  if (tally.other > 0) return finding(`${tally.other} answers from ${where} were not "${c.owner}"'s token: ${tally.samples.join('; ')}`);
  return pass(`${tally.own} of ${c.count} requests to ${where} got "${c.owner}"'s token`);
}

/** Published addresses handed out twice: "host:port (first and second)". */
export function duplicateAddresses(served: Array<{ name: string; endpoint: Endpoint }>): string[] {
  const seen = new Map<string, string>();
  const duplicates: string[] = [];
  for (const s of served) {
    const key = `${s.endpoint.host}:${s.endpoint.port}`;
    if (seen.has(key)) duplicates.push(`${key} (${seen.get(key)} and ${s.name})`);
    seen.set(key, s.name);
  }
  return duplicates;
}
