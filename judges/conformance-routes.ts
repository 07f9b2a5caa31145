// Route existence (reference/conformance.md 5.2, 6.1): the step's text as requests, and the answers
// judged. A route is missing when its answer is a route-missing one (judges/conformance.ts
// routeMissing); present otherwise. Pure; unit-tested on recorded answers
// (test/unit/conformance-routes.test.ts).
import { routeMissing } from './conformance.js';
import type { Found } from './conformance-probes.js';

export interface RouteRequest { method: string; path: string; body?: unknown; websocket: boolean }

const API_GATE = /^API\s*>=\s*([0-9.]+):\s*/;

/** The API version a route step's "API>=x.y:" gate asks for, if any. */
export function minApiOf(text: string): string | undefined {
  return API_GATE.exec(text.trim())?.[1];
}

/** "API>=1.42: GET /a; WS GET /b?x=1; POST /c {json}" with {placeholders} filled from `subst`. */
export function parseRequests(text: string, subst: Record<string, string>): { minApi?: string; requests: RouteRequest[] } {
  let rest = text.trim();
  const minApi = minApiOf(rest);
  rest = rest.replace(API_GATE, '');
  const requests = rest.split(/\s*;\s*/).filter(Boolean).map((part) => {
    const m = /^(WS\s+)?(GET|POST|PUT|DELETE|HEAD)\s+(\S+)(?:\s+(.+))?$/.exec(part);
    if (!m) throw new Error(`"${part}" is not "METHOD /path [JSON body]"`);
    let path = m[3]!.replace(/\{(\w+)\}/g, (_, k: string) => {
      if (!(k in subst)) throw new Error(`unknown placeholder {${k}} in "${part}"`);
      return subst[k]!;
    });
    const q = path.indexOf('?');
    if (q >= 0) path = `${path.slice(0, q)}?${new URLSearchParams(path.slice(q + 1)).toString()}`;
    return { websocket: Boolean(m[1]), method: m[2]!, path, body: m[4] ? JSON.parse(m[4].replace(/\{(\w+)\}/g, (_, k: string) => subst[k] ?? `{${k}}`)) : undefined };
  });
  return { minApi, requests };
}

export function apiAtLeast(version: string, min: string): boolean {
  const [a1 = 0, a2 = 0] = version.split('.').map(Number);
  const [b1 = 0, b2 = 0] = min.split('.').map(Number);
  return a1 > b1 || (a1 === b1 && a2 >= b2);
}

/** One route's answer: an HTTP status and body, or none in the time allowed. */
export type RouteAnswer = { request: string; status: number; contentType: string; text: string } | { request: string; noAnswer: string };

export function judgeRoutes(answers: RouteAnswer[]): Found {
  const shown: Array<Record<string, unknown>> = [];
  const missing: string[] = [];
  for (const a of answers) {
    if ('noAnswer' in a) {
      shown.push({ request: a.request, status: a.noAnswer });
      continue;
    }
    const gone = routeMissing(a.status, a.text);
    const body = a.text.replace(/\s+/g, ' ').trim();
    shown.push({ request: a.request, status: a.status, contentType: a.contentType, body: body.slice(0, 160), routeMissing: gone });
    if (gone) missing.push(`${a.request.replace(/\?.*$/, '')} (${a.status} ${body.slice(0, 80)})`);
  }
  return missing.length > 0
    ? { classification: 'unimplemented', detail: `route missing: ${missing.join('; ')}`, evidence: { answers: shown } }
    : { classification: 'conformant', detail: `route${answers.length > 1 ? 's' : ''} present (${shown.map((a) => a.status).join(', ')})`, evidence: { answers: shown } };
}
