// curl's answers (curl -sS -i, one block per method between keelhaul's markers) read into status,
// headers and body, and judged as Gauntlt's curl examples judge a web answer: which methods the
// path accepts, that TRACE does not reflect the request (cross-site tracing), and which response
// headers were added on the way (a proxy in the platform's publication path: Via, X-Forwarded-For,
// a Server version) that name the platform's software or its internal addresses. Pure.

export interface HttpAnswer {
  method: string;
  curlExit: number | null;
  status?: number;
  headers: Array<[string, string]>;
  body: string;
}

export const ANSWER_START = '=== keelhaul method ';
export const ANSWER_END = '=== keelhaul end ';

/** The shell line that asks the URL with each method, marking each answer. */
export function curlScript(url: string, methods: string[], probeHeader: string, probeValue: string): string {
  const quoted = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
  return methods.map((m) => `echo ${quoted(ANSWER_START + m)}; curl -sS -i -m 10 -X ${quoted(m)} -H ${quoted(`${probeHeader}: ${probeValue}`)} ${quoted(url)} 2>&1; rc=$?; `
    + `echo; echo "${ANSWER_END}${m} $rc"`).join('; ');
}

export function parseCurlAnswers(text: string): HttpAnswer[] {
  const answers: HttpAnswer[] = [];
  const blocks = text.split(ANSWER_START).slice(1);
  for (const block of blocks) {
    const newline = block.indexOf('\n');
    const method = block.slice(0, newline).trim();
    const endAt = block.lastIndexOf(ANSWER_END);
    const raw = (endAt >= 0 ? block.slice(newline + 1, endAt) : block.slice(newline + 1)).replace(/\r/g, '');
    const exit = endAt >= 0 ? Number(/\s(\d+)/.exec(block.slice(endAt + ANSWER_END.length))?.[1]) : NaN;
    const answer: HttpAnswer = { method, curlExit: Number.isInteger(exit) ? exit : null, headers: [], body: '' };
    const head = /^HTTP\/[\d.]+ (\d{3})[^\n]*\n/.exec(raw);
    if (head) {
      answer.status = Number(head[1]);
      const rest = raw.slice(head[0].length);
      const split = rest.indexOf('\n\n');
      const headerText = split >= 0 ? rest.slice(0, split) : rest;
      answer.body = split >= 0 ? rest.slice(split + 2).replace(/\n$/, '') : '';
      for (const line of headerText.split('\n')) {
        const m = /^([^:\s]+):\s*(.*)$/.exec(line);
        if (m) answer.headers.push([m[1]!.toLowerCase(), m[2]!]);
      }
    } else {
      answer.body = raw.trim();
    }
    answers.push(answer);
  }
  return answers;
}

/** Headers that name a proxy on the way or the software and addresses behind it. */
const PATH_HEADERS = ['via', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-server', 'x-real-ip', 'x-powered-by', 'x-backend-server', 'x-upstream', 'forwarded'];
const PRIVATE_ADDRESS = /\b(10\.\d{1,3}|172\.(1[6-9]|2\d|3[01])|192\.168)\.\d{1,3}\.\d{1,3}\b/;

export interface HttpVerdict {
  problems: string[];
  methods: Array<{ method: string; status?: number }>;
  addedHeaders: string[];
}

/**
 * sentHeaders: the header names the sibling's own server sends (what is added on the way is the
 * rest); probe: the marker header and value sent with every request (TRACE must not reflect it).
 */
export function judgeHttpAnswers(answers: HttpAnswer[], sentHeaders: string[], probe: { header: string; value: string }): HttpVerdict {
  const problems: string[] = [];
  const own = new Set(sentHeaders.map((h) => h.toLowerCase()));
  // header line -> the methods whose answers carried it (one problem per header, not per method)
  const added = new Map<string, string[]>();
  for (const answer of answers) {
    for (const [name, value] of answer.headers) {
      if (own.has(name)) continue;
      const line = `${name}: ${value}`;
      added.set(line, [...(added.get(line) ?? []), answer.method]);
    }
    if (PRIVATE_ADDRESS.test(answer.body) && answer.method !== 'TRACE' && answer.status !== undefined && answer.status >= 400) {
      problems.push(`the ${answer.method} error page names an internal address: ${answer.body.match(PRIVATE_ADDRESS)![0]}`);
    }
  }
  for (const [line, methods] of added) {
    const name = line.slice(0, line.indexOf(':'));
    const value = line.slice(name.length + 2);
    if (PATH_HEADERS.includes(name) || (name === 'server' && /\d/.test(value))) {
      problems.push(`the answers (${methods.join(', ')}) carry "${line}", which the sibling's server did not send: the publication path names ${PRIVATE_ADDRESS.test(value) ? 'an internal address' : 'its software'}`);
    } else if (PRIVATE_ADDRESS.test(value)) {
      problems.push(`the answers (${methods.join(', ')}) carry "${line}", an internal address the sibling did not send`);
    }
  }
  const trace = answers.find((a) => a.method === 'TRACE');
  if (trace && trace.status !== undefined && trace.status < 300 && trace.body.toLowerCase().includes(`${probe.header.toLowerCase()}: ${probe.value.toLowerCase()}`)) {
    problems.push(`TRACE is answered ${trace.status} with the request reflected (${probe.header} came back): cross-site tracing can read a victim's cookies and credentials`);
  }
  return { problems: [...new Set(problems)], methods: answers.map((a) => ({ method: a.method, status: a.status })), addedHeaders: [...added.keys()] };
}
