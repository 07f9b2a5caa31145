// The conformance probes (reference/conformance.md 5.1, 5.4, 5.5): what each sends, as data, and
// how its answers are judged, as a pure function. Keyed by the probe's name, the text of the step
// `When the platform is probed for "<name>"`; `check` is the ledger row it was written for (old
// features name the probe by that row's @CONF tag only). The requests are sent by
// support/conformance-driver.ts; the judges are unit-tested on recorded answers
// (test/unit/conformance-probes.test.ts, test/unit/recordings/conformance/).
import { classifyErrorAnswer, routeMissing, type ConformanceClass } from './conformance.js';

type Json = Record<string, any>;
export type Found = { classification: ConformanceClass; detail: string; evidence?: Record<string, unknown> };

/** One answer as the judges see it (a raw HTTP answer, a hijack that failed, or a container run to its end). */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body's bytes, where a judge reads bytes (a tar, a multiplexed log stream). */
  body?: Buffer;
  /** No HTTP answer: what went wrong instead (a hijacked stream that failed without a status). */
  error?: string;
  /** A 'run' request: the container's inspect after it ended. */
  inspect?: Json;
  /** A 'run' request the platform refused: its status and own words. */
  refused?: { status: number; message: string };
}

/**
 * One request of a probe. Paths, names and query strings may hold {id} (the probe's container),
 * {name} (its name), {run} (the run id), {nonce} (random per probe) and {image} (the probe image).
 */
export type ProbeRequest =
  | { method: string; path: string; unversioned?: boolean; body?: unknown; timeoutMs?: number; upgrade?: boolean;
      /** Start an exec as `docker exec` does: a hijacked stream, read to its end (bounded). */
      hijack?: boolean;
      /** Ask again (the last answer is kept) until this holds, at most `attempts` times. */
      retry?: { attempts: number; delayMs: number; until(answer: Answer): boolean } }
  /** POST /containers/create: labelled, on the probe network, tracked when the platform created it. */
  | { create: Json; query?: string; contentType?: string }
  /** POST /volumes/create of a labelled volume with this name, tracked when created. */
  | { createVolume: string }
  /** A container run to its end (World.runContainer), its stdout as the answer's text. */
  | { run: { cmd: string[]; hostConfig?: Json } };

/** What a request can be built from: the answers so far and the probe's context. */
export interface ProbeContext { now: number }

export interface Probe {
  check: string;
  /**
   * The container the requests act on as {id}: the scenario's long-running one, or one started with
   * this command (and waited for unless `wait` is false; `network: 'default'` keeps the platform's).
   */
  container?: 'running' | { cmd: string[]; wait?: boolean; name?: string; network?: 'default' };
  /** Sent in order; a function builds its request from the answers so far, or ends the probe with undefined. */
  requests: Array<ProbeRequest | ((earlier: Answer[], ctx: ProbeContext) => ProbeRequest | undefined)>;
  judge(answers: Answer[], facts: { scheme: string }): Found;
}

// ---- helpers -------------------------------------------------------------------------------------

export function short(a: Answer, n = 200): string {
  return a.text.replace(/\s+/g, ' ').trim().slice(0, n);
}

export function evidenceOf(a: Answer, request: string): Record<string, unknown> {
  return { request, status: a.status, contentType: a.headers['content-type'] ?? '', body: short(a, 300) };
}

/** The answer's JSON body (throws, as an unreadable answer is an error, never a verdict). */
export function json(a: Answer): any {
  return JSON.parse(a.text);
}

/** A create answer that made an object: Docker's 201, or the 200 sdc-docker sends. */
export const created = (a: Answer | undefined): boolean => a !== undefined && a.status >= 200 && a.status < 300;

function statusIs(r: Answer, expected: number[], what: string): Found {
  const ok = expected.includes(r.status);
  return {
    classification: ok ? 'conformant' : 'divergent',
    detail: ok ? `${what}: ${r.status} as Docker` : `${what} answered ${r.status} where Docker answers ${expected.join('/')} (${short(r, 140)})`,
    evidence: evidenceOf(r, what),
  };
}

function errorAnswer(r: Answer, expected: number[], request: string): Found {
  const ct = r.headers['content-type'];
  return { ...classifyErrorAnswer(r.status, Array.isArray(ct) ? ct[0] : ct, r.text, expected), evidence: evidenceOf(r, request) };
}

const get = (path: string, extra: Partial<{ unversioned: boolean; timeoutMs: number }> = {}): ProbeRequest => ({ method: 'GET', path, ...extra });
const unversioned = (method: string, path: string): ProbeRequest => ({ method, path, unversioned: true });

/** The seconds of an engine timestamp (inspect's Created, FinishedAt), or the fallback when unset. */
function engineSeconds(iso: unknown, fallback: number): number {
  return Number.isFinite(Date.parse(String(iso))) && !String(iso).startsWith('0001') ? Date.parse(String(iso)) / 1000 : fallback;
}

function eventsSeen(r: Answer): string[] {
  return r.text.split('\n').filter(Boolean).map((line) => {
    try {
      return JSON.parse(line).status ?? JSON.parse(line).Action;
    } catch {
      return undefined;
    }
  }).filter(Boolean);
}
const EVENTS = ['create', 'start', 'die'];

function healthOf(a: Answer | undefined): { configured: unknown; health: Json | undefined } {
  const inspect = a && a.status === 200 ? json(a) : {};
  return { configured: inspect.Config?.Healthcheck?.Test, health: inspect.State?.Health };
}

// ---- the catalogue -------------------------------------------------------------------------------

export const PROBES: Record<string, Probe> = {
  'GET /_ping answers 200 OK': {
    check: 'CONF-V1', requests: [unversioned('GET', '/_ping')],
    judge: ([r]) => {
      const ok = r!.status === 200 && r!.text.trim() === 'OK';
      return { classification: ok ? 'conformant' : 'divergent', detail: ok ? '200 OK' : `answered ${r!.status} "${short(r!, 80)}"`, evidence: evidenceOf(r!, 'GET /_ping') };
    },
  },
  'HEAD /_ping answers 200 with an empty body': {
    check: 'CONF-V2', requests: [unversioned('HEAD', '/_ping')],
    judge: ([r]) => {
      if (r!.status === 200) return { classification: 'conformant', detail: '200 with an empty body', evidence: evidenceOf(r!, 'HEAD /_ping') };
      const missing = r!.status === 404 || r!.status === 405 || r!.status === 501;
      return { classification: missing ? 'unimplemented' : 'divergent', detail: `HEAD /_ping answered ${r!.status}`, evidence: evidenceOf(r!, 'HEAD /_ping') };
    },
  },
  '/_ping sends an Api-Version header': {
    check: 'CONF-V3', requests: [unversioned('GET', '/_ping')],
    judge: ([r]) => {
      const h = r!.headers;
      const headers = Object.fromEntries(['api-version', 'builder-version', 'swarm', 'ostype', 'cache-control', 'server', 'libpod-api-version'].filter((k) => h[k] !== undefined).map((k) => [k, h[k]]));
      if (!h['api-version']) {
        return { classification: 'divergent', detail: 'no Api-Version header on /_ping: the Docker client falls back to its own default (v28: 1.24, v29.0: 1.44, v29.3+: its maximum)', evidence: { headers } };
      }
      return { classification: 'conformant', detail: `Api-Version: ${h['api-version']}`, evidence: { headers } };
    },
  },
  '/version has ApiVersion, MinAPIVersion and an Engine component': {
    check: 'CONF-V4', requests: [unversioned('GET', '/version')],
    judge: ([r]) => {
      const v: Json = r!.status === 200 ? json(r!) : {};
      const components: Json[] = Array.isArray(v.Components) ? v.Components : [];
      const evidence = { status: r!.status, Version: v.Version, ApiVersion: v.ApiVersion, MinAPIVersion: v.MinAPIVersion, GoVersion: v.GoVersion, Components: components.map((c) => c.Name) };
      const problems: string[] = [];
      if (!v.ApiVersion) problems.push('no ApiVersion');
      if (!v.MinAPIVersion) problems.push('no MinAPIVersion');
      if (components.length === 0) problems.push('no Components');
      else if (components[0]?.Name !== 'Engine') problems.push(`Components[0].Name is "${components[0]?.Name}", not "Engine"`);
      if (typeof v.GoVersion === 'string' && !/^go/.test(v.GoVersion)) problems.push(`GoVersion is "${v.GoVersion}"`);
      return problems.length === 0
        ? { classification: 'conformant', detail: `ApiVersion ${v.ApiVersion}, MinAPIVersion ${v.MinAPIVersion}, Components[0] Engine`, evidence }
        : { classification: 'divergent', detail: `/version: ${problems.join('; ')}`, evidence };
    },
  },
  'an API version above the maximum is refused with 400': {
    check: 'CONF-V5', requests: [unversioned('GET', '/v9.99/version')],
    judge: ([r]) => (r!.status === 400
      ? { classification: 'conformant', detail: `400: ${short(r!, 120)}`, evidence: evidenceOf(r!, 'GET /v9.99/version') }
      : { classification: 'divergent', detail: `API version 9.99 answered ${r!.status} (Docker refuses versions above its maximum with 400)`, evidence: evidenceOf(r!, 'GET /v9.99/version') }),
  },
  'an API version below the minimum is refused with 400': {
    check: 'CONF-V6', requests: [unversioned('GET', '/v1.0/version')],
    judge: ([r]) => (r!.status === 400
      ? { classification: 'conformant', detail: `400: ${short(r!, 120)}`, evidence: evidenceOf(r!, 'GET /v1.0/version') }
      : { classification: 'divergent', detail: `API version 1.0 answered ${r!.status} (Docker refuses versions below its minimum with 400)`, evidence: evidenceOf(r!, 'GET /v1.0/version') }),
  },
  'an unversioned path is served': {
    check: 'CONF-V7', requests: [unversioned('GET', '/version')],
    judge: ([r]) => ({ classification: r!.status === 200 ? 'conformant' : 'divergent', detail: `unversioned /version answered ${r!.status}`, evidence: evidenceOf(r!, 'GET /version') }),
  },
  'a Docker client negotiates the server\'s own API version': {
    check: 'CONF-V8', requests: [unversioned('GET', '/_ping'), unversioned('GET', '/version')],
    judge: ([ping, version]) => {
      const max = version!.status === 200 ? String(json(version!).ApiVersion ?? '') : '';
      const header = ping!.headers['api-version'];
      const negotiated = header ? String(header) : '1.24';
      const evidence = { pingApiVersion: header ?? null, versionApiVersion: max, dockerCli28Negotiates: negotiated };
      return negotiated === max
        ? { classification: 'conformant', detail: `a Docker client negotiates ${negotiated}, the server's version`, evidence }
        : { classification: 'divergent', detail: `a Docker v28 client negotiates ${negotiated} (${header ? 'from Api-Version' : 'fallback: no Api-Version header'}), while /version says ${max}`, evidence };
    },
  },
  'an unknown route answers 404 with a JSON message': {
    check: 'CONF-E1', requests: [get('/keelhaul-nonexistent-route')],
    judge: ([r]) => errorAnswer(r!, [404], 'GET /vX/keelhaul-nonexistent-route'),
  },
  'a wrong method on a known path answers 404 page not found': {
    check: 'CONF-E2', requests: [{ method: 'POST', path: '/_ping' }],
    judge: ([r]) => errorAnswer(r!, [404], 'POST /vX/_ping'),
  },
  'a missing container answers 404 with a JSON message': {
    check: 'CONF-E3', requests: [get('/containers/keelhaul-none-{nonce}/json')],
    judge: ([r]) => errorAnswer(r!, [404], 'GET /containers/<missing>/json'),
  },
  'create with a text/plain body is refused with 400': {
    check: 'CONF-E4', requests: [{ create: {}, contentType: 'text/plain' }],
    judge: ([r]) => errorAnswer(r!, [400], 'POST /containers/create (Content-Type: text/plain)'),
  },
  'malformed filters are refused with a JSON message': {
    // moby >= 23 answers 400 "invalid filter"; 20.10 answers 500 with the JSON decoder's message.
    check: 'CONF-E5', requests: [get('/containers/json?filters=garb1age%7D')],
    judge: ([r]) => errorAnswer(r!, [400, 500], 'GET /containers/json?filters=garb1age}'),
  },
  'create with a non-numeric Memory is refused': {
    // moby >= 23: 400; 20.10: 500 (json: cannot unmarshal string into ... Memory).
    check: 'CONF-E6', requests: [{ create: { HostConfig: { Memory: 'Foo' } } }],
    judge: ([r]) => errorAnswer(r!, [400, 500], 'POST /containers/create {"HostConfig":{"Memory":"Foo"}}'),
  },
  'POST /volumes/create with the local driver answers 201': {
    check: 'CONF-R14', requests: [{ createVolume: 'keelhaul-conf-r14-{run}-{nonce}' }],
    judge: ([r]) => {
      if (created(r)) return { classification: 'conformant', detail: `a volume was created (${r!.status}) for the local driver`, evidence: evidenceOf(r!, 'POST /volumes/create (local driver)') };
      if (routeMissing(r!.status, r!.text)) return { classification: 'unimplemented', detail: `route missing: ${r!.status} ${short(r!, 120)}`, evidence: evidenceOf(r!, 'POST /volumes/create') };
      return { classification: 'rejected', detail: `a local volume was refused with ${r!.status}: ${short(r!, 160)}`, evidence: evidenceOf(r!, 'POST /volumes/create (local driver)') };
    },
  },
  'exec create 201, start 200, inspect 200': {
    check: 'CONF-R21', container: 'running',
    requests: [
      { method: 'POST', path: '/containers/{id}/exec', body: { Cmd: ['true'], AttachStdout: true, AttachStderr: true } },
      // As `docker exec` starts it: a hijacked stream (sdc-docker answers it with a bare 101 whatever
      // is asked: its lib/endpoints/exec.js:50), read to its end, bounded.
      ([made]) => (created(made) ? { method: 'POST', path: `/exec/${json(made!).Id}/start`, body: { Detach: false, Tty: false }, hijack: true, timeoutMs: 20_000 } : undefined),
      ([made]) => ({ method: 'GET', path: `/exec/${json(made!).Id}/json` }),
    ],
    judge: ([made, start, inspected]) => {
      const steps: Record<string, unknown> = { create: made!.status };
      if (!created(made)) {
        return { classification: routeMissing(made!.status, made!.text) ? 'unimplemented' : 'divergent', detail: `exec create answered ${made!.status}: ${short(made!)}`, evidence: steps };
      }
      const started = start!.error ?? start!.status;
      const exitCode = inspected!.status === 200 ? json(inspected!).ExitCode : undefined;
      Object.assign(steps, { start: started, inspect: inspected!.status, exitCode });
      const works = (started === 101 || started === 200) && inspected!.status === 200 && exitCode === 0;
      if (works && made!.status === 201) return { classification: 'conformant', detail: `exec create 201, start ${started}, inspect 200 with ExitCode 0`, evidence: steps };
      if (works) return { classification: 'divergent', detail: `exec works, but create answered ${made!.status} where Docker answers 201`, evidence: steps };
      return { classification: 'divergent', detail: `exec: ${JSON.stringify(steps)}`, evidence: steps };
    },
  },
  'starting a running container answers 304': {
    check: 'CONF-L1', container: 'running', requests: [{ method: 'POST', path: '/containers/{id}/start' }],
    judge: ([r]) => statusIs(r!, [304], 'start of a running container'),
  },
  'stopping a stopped container answers 304': {
    check: 'CONF-L2', container: { cmd: ['true'] }, requests: [{ method: 'POST', path: '/containers/{id}/stop' }],
    judge: ([r]) => statusIs(r!, [304], 'stop of a stopped container'),
  },
  'deleting a running container without force answers 409': {
    check: 'CONF-L3', container: 'running', requests: [{ method: 'DELETE', path: '/containers/{id}' }],
    judge: ([r]) => statusIs(r!, [409], 'delete of a running container without force'),
  },
  'a duplicate container name answers 409': {
    check: 'CONF-L4',
    requests: [
      { create: {}, query: '?name=keelhaul-l4-{run}-{nonce}' },
      ([first]) => (created(first) ? { create: {}, query: '?name=keelhaul-l4-{run}-{nonce}' } : undefined),
    ],
    judge: ([first, second]) => (created(first)
      ? statusIs(second!, [409], 'create with a name already in use')
      : { classification: 'divergent', detail: `the first create answered ${first!.status}: ${short(first!)}`, evidence: evidenceOf(first!, 'create') }),
  },
  'create from a missing image answers 404': {
    check: 'CONF-L5', requests: [{ create: { Image: 'keelhaul-none-{nonce}:1' } }],
    judge: ([r]) => statusIs(r!, [404], 'create from a missing image'),
  },
  'kill with an invalid signal answers 400': {
    check: 'CONF-L6', container: 'running', requests: [{ method: 'POST', path: '/containers/{id}/kill?signal=SIGBOGUS' }],
    judge: ([r]) => statusIs(r!, [400], 'kill with an invalid signal'),
  },
  'wait reports exit code 3 of sh -c \'exit 3\'': {
    check: 'CONF-L7', container: { cmd: ['sh', '-c', 'exit 3'], wait: false },
    requests: [{ method: 'POST', path: '/containers/{id}/wait', timeoutMs: 30_000 }],
    judge: ([r]) => {
      const code = r!.status === 200 ? json(r!).StatusCode : undefined;
      return { classification: code === 3 ? 'conformant' : 'divergent', detail: `wait answered ${r!.status} with StatusCode ${code}`, evidence: evidenceOf(r!, 'POST /containers/{id}/wait') };
    },
  },
  'top honours ps_args=aux': {
    check: 'CONF-L8', container: 'running', requests: [get('/containers/{id}/top?ps_args=aux')],
    judge: ([r]) => {
      const titles: string[] = r!.status === 200 ? (json(r!).Titles ?? []) : [];
      const evidence = { status: r!.status, titles };
      if (r!.status !== 200) return { classification: routeMissing(r!.status, r!.text) ? 'unimplemented' : 'divergent', detail: `top?ps_args=aux answered ${r!.status}: ${short(r!)}`, evidence };
      return titles.includes('%CPU')
        ? { classification: 'conformant', detail: 'ps_args=aux honoured (%CPU column)', evidence }
        : { classification: 'ignored', detail: `ps_args=aux accepted but not honoured: columns ${titles.join(' | ')}`, evidence };
    },
  },
  'inspect with size=1 reports SizeRw and SizeRootFs': {
    check: 'CONF-L9', container: 'running', requests: [get('/containers/{id}/json?size=1')],
    judge: ([r]) => {
      const j: Json = r!.status === 200 ? json(r!) : {};
      const evidence = { status: r!.status, SizeRw: j.SizeRw, SizeRootFs: j.SizeRootFs };
      return typeof j.SizeRw === 'number' && Number(j.SizeRootFs) > 0
        ? { classification: 'conformant', detail: `SizeRw ${j.SizeRw}, SizeRootFs ${j.SizeRootFs}`, evidence }
        : { classification: 'ignored', detail: `inspect?size=1 answered ${r!.status} without sizes (SizeRw ${j.SizeRw}, SizeRootFs ${j.SizeRootFs})`, evidence };
    },
  },
  'stats with stream=false gives one full sample': {
    check: 'CONF-L10', container: 'running', requests: [get('/containers/{id}/stats?stream=false', { timeoutMs: 20_000 })],
    judge: ([r]) => {
      if (routeMissing(r!.status, r!.text)) return { classification: 'unimplemented', detail: `stats answered ${r!.status}: ${short(r!)}`, evidence: evidenceOf(r!, 'GET /containers/{id}/stats?stream=false') };
      const keys = r!.status === 200 ? Object.keys(json(r!)) : [];
      const missing = ['read', 'cpu_stats', 'precpu_stats', 'memory_stats', 'pids_stats'].filter((k) => !keys.includes(k));
      return missing.length === 0
        ? { classification: 'conformant', detail: 'one stats sample with cpu_stats, precpu_stats, memory_stats, pids_stats', evidence: { status: r!.status, keys } }
        : { classification: 'divergent', detail: `stats answered ${r!.status} without ${missing.join(', ')}`, evidence: { status: r!.status, keys } };
    },
  },
  'logs with timestamps=1 prefixes RFC 3339 times': {
    check: 'CONF-L11', container: { cmd: ['echo', 'keelhaul'] }, requests: [get('/containers/{id}/logs?stdout=1&stderr=1&timestamps=1')],
    judge: ([r]) => {
      const body = r!.body ?? Buffer.from(r!.text);
      const line = body.subarray(body.length > 8 && body[0]! <= 2 ? 8 : 0).toString('utf8').split('\n')[0] ?? '';
      const ok = r!.status === 200 && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d) keelhaul/.test(line);
      return { classification: ok ? 'conformant' : 'ignored', detail: ok ? `timestamps=1 honoured ("${line.slice(0, 40)}")` : `logs?timestamps=1 answered ${r!.status}: "${line.slice(0, 80)}"`, evidence: { status: r!.status, firstLine: line.slice(0, 120) } };
    },
  },
  'archive HEAD gives the path stat header and GET a tar': {
    check: 'CONF-L13', container: 'running',
    requests: [{ method: 'HEAD', path: '/containers/{id}/archive?path=/etc/hostname' }, get('/containers/{id}/archive?path=/etc/hostname')],
    judge: ([head, tar]) => {
      const stat = head!.headers['x-docker-container-path-stat'];
      let decoded: unknown;
      try { decoded = stat ? JSON.parse(Buffer.from(String(stat), 'base64').toString('utf8')) : undefined; } catch { decoded = String(stat); }
      const body = tar!.body ?? Buffer.from(tar!.text);
      const tarOk = tar!.status === 200 && body.length >= 512 && body.subarray(0, 100).toString('utf8').startsWith('hostname');
      const evidence = { head: head!.status, stat: decoded, get: tar!.status, tarBytes: body.length };
      if (routeMissing(head!.status, head!.text) || routeMissing(tar!.status, tar!.text)) return { classification: 'unimplemented', detail: `archive HEAD ${head!.status}, GET ${tar!.status}`, evidence };
      return head!.status === 200 && stat && tarOk
        ? { classification: 'conformant', detail: 'HEAD gives X-Docker-Container-Path-Stat, GET a tar of the file', evidence }
        : { classification: 'divergent', detail: `archive: HEAD ${head!.status} (${stat ? 'stat header' : 'no stat header'}), GET ${tar!.status} (${tarOk ? 'tar' : 'no tar of the file'})`, evidence };
    },
  },
  'VolumesFrom with two source containers is accepted': {
    check: 'CONF-C9',
    requests: [
      { create: { Cmd: ['true'] } },
      ([a]) => (created(a) ? { create: { Cmd: ['true'] } } : undefined),
      ([a, b]) => (created(b) ? { create: { HostConfig: { VolumesFrom: [json(a!).Id, json(b!).Id] } } } : undefined),
    ],
    judge: (answers) => {
      const failed = answers.slice(0, 2).find((a) => !created(a));
      if (failed) return { classification: 'divergent', detail: `a plain create answered ${failed.status}: ${short(failed)}`, evidence: evidenceOf(failed, 'create') };
      const r = answers[2]!;
      if (created(r)) return { classification: 'conformant', detail: 'VolumesFrom with two source containers accepted', evidence: evidenceOf(r, 'create with VolumesFrom [a, b]') };
      return { classification: 'rejected', detail: `VolumesFrom with two sources refused with ${r.status}: ${short(r, 160)}`, evidence: evidenceOf(r, 'create with VolumesFrom [a, b]') };
    },
  },
  'a legacy link\'s alias resolves inside the container': {
    // Legacy links live on the default bridge network: no NetworkMode none here.
    check: 'CONF-C11', container: { cmd: ['sleep', '60'], wait: false, name: 'keelhaul-c11-{run}-{nonce}', network: 'default' },
    requests: [{ run: { cmd: ['sh', '-c', 'grep -c keelhaul-peer /etc/hosts; echo "env=$KEELHAUL_PEER_NAME"'], hostConfig: { Links: ['{name}:keelhaul-peer'] } } }],
    judge: ([r]) => {
      if (r!.refused) return { classification: 'rejected', detail: `Links refused with ${r!.refused.status}: ${r!.refused.message.slice(0, 160)}`, evidence: { status: r!.refused.status, message: r!.refused.message } };
      const linked = /^[1-9]/.test(r!.text.trim()) || /env=\/keelhaul/.test(r!.text);
      const readBack = (r!.inspect?.HostConfig?.Links ?? []).join(',');
      return linked
        ? { classification: 'conformant', detail: 'the link alias resolves inside the container', evidence: { readBack, inContainer: r!.text.trim() } }
        : { classification: 'ignored', detail: `Links accepted but the alias is unknown inside the container (inspect: ${readBack || 'no Links'})`, evidence: { readBack, inContainer: r!.text.trim() } };
    },
  },
  'a health check runs and State.Health becomes healthy': {
    check: 'CONF-C16',
    requests: [
      { create: { Cmd: ['sleep', '60'], Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 500_000_000, Timeout: 2_000_000_000, Retries: 1, StartPeriod: 0 } } },
      ([made]) => (created(made) ? { method: 'POST', path: `/containers/${json(made!).Id}/start` } : undefined),
      // Up to 8 s for the first check to run.
      ([made]) => ({ method: 'GET', path: `/containers/${json(made!).Id}/json`, retry: { attempts: 16, delayMs: 500, until: (a) => healthOf(a).health?.Status === 'healthy' } }),
    ],
    judge: ([made, start, inspected]) => {
      if (!created(made)) return { classification: 'rejected', detail: `create with a Healthcheck answered ${made!.status}: ${short(made!)}`, evidence: evidenceOf(made!, 'create with Healthcheck') };
      if (start!.status >= 400) throw new Error(`start container: the platform answered ${start!.status}: ${short(start!)}`);
      const { configured, health } = healthOf(inspected);
      const evidence = { configured: configured ?? null, status: health?.Status ?? null, log: (health?.Log ?? []).length };
      if (health?.Status === 'healthy') return { classification: 'conformant', detail: 'State.Health became healthy', evidence };
      if (!health) return { classification: 'ignored', detail: `accepted, but no State.Health after 8 s (Config.Healthcheck ${configured ? 'echoed' : 'absent'})`, evidence };
      return { classification: 'ignored', detail: `State.Health stayed "${health.Status}" for 8 s with ${evidence.log} check(s) run: the health check does not run`, evidence };
    },
  },
  'an unknown restart policy name is refused with 400': {
    check: 'CONF-C14-INVALID',
    requests: [
      { create: { HostConfig: { RestartPolicy: { Name: 'keelhaul-bogus' } } } },
      ([r]) => (created(r) ? get(`/containers/${json(r!).Id}/json`) : undefined),
    ],
    judge: ([r, inspected]) => {
      if (created(r)) {
        const kept = json(inspected!).HostConfig?.RestartPolicy?.Name;
        if (kept !== 'keelhaul-bogus') return { classification: 'ignored', detail: `an unknown restart policy was accepted (${r!.status}) and dropped (inspect: "${kept ?? ''}")`, evidence: { ...evidenceOf(r!, 'create with RestartPolicy keelhaul-bogus'), readBack: kept ?? null } };
      }
      return errorAnswer(r!, [400], 'create with RestartPolicy keelhaul-bogus');
    },
  },
  'an unknown runtime is refused with 400': {
    check: 'CONF-C19', requests: [{ create: { HostConfig: { Runtime: 'keelhaul-none' } } }],
    judge: ([r]) => (created(r)
      ? { classification: 'ignored', detail: `an unknown runtime was accepted (${r!.status}): the option is ignored`, evidence: evidenceOf(r!, 'create with Runtime keelhaul-none') }
      : errorAnswer(r!, [400], 'create with Runtime keelhaul-none')),
  },
  'exec in a stopped container answers 409': {
    check: 'CONF-L12', container: { cmd: ['true'] }, requests: [{ method: 'POST', path: '/containers/{id}/exec', body: { Cmd: ['true'] } }],
    judge: ([r]) => statusIs(r!, [409], 'exec in a stopped container'),
  },
  '/info has NCPU, MemTotal, ServerVersion, SecurityOptions': {
    check: 'CONF-L20', requests: [get('/info')],
    judge: ([r]) => {
      const i: Json = r!.status === 200 ? json(r!) : {};
      const evidence = { Driver: i.Driver, OperatingSystem: i.OperatingSystem, NCPU: i.NCPU, MemTotal: i.MemTotal, ServerVersion: i.ServerVersion, SecurityOptions: i.SecurityOptions };
      const problems: string[] = [];
      if (!(Number(i.NCPU) > 0)) problems.push('no NCPU');
      if (!(Number(i.MemTotal) > 0)) problems.push('no MemTotal');
      if (!i.ServerVersion) problems.push('no ServerVersion');
      if (!Array.isArray(i.SecurityOptions)) problems.push('no SecurityOptions');
      if (i.Driver === 'sdc') problems.push('Driver is "sdc"');
      return problems.length === 0
        ? { classification: 'conformant', detail: `Driver ${i.Driver}, NCPU ${i.NCPU}, ServerVersion ${i.ServerVersion}`, evidence }
        : { classification: 'divergent', detail: `/info: ${problems.join('; ')}`, evidence };
    },
  },
  'GET /networks lists bridge, host and none': {
    check: 'CONF-L21', requests: [get('/networks')],
    judge: ([r]) => {
      const names: string[] = r!.status === 200 ? json(r!).map((n: Json) => String(n.Name)) : [];
      const missing = ['bridge', 'host', 'none'].filter((n) => !names.includes(n));
      return missing.length === 0
        ? { classification: 'conformant', detail: 'bridge, host and none are listed', evidence: { status: r!.status, names } }
        : { classification: 'divergent', detail: `GET /networks lists no ${missing.join(', ')} network (has: ${names.join(', ') || 'none'})`, evidence: { status: r!.status, names } };
    },
  },
  'GET /events reports create, start and die': {
    check: 'CONF-L23', container: { cmd: ['true'] },
    requests: [
      get('/containers/{id}/json'),
      // The window on the engine's clock (the container's own Created and FinishedAt), not keelhaul's:
      // keelhaul on another machine may be seconds off, and the events would fall outside it. An engine
      // that logs events asynchronously (Podman's journald or file backend) can list them a moment late
      // under load: the same window is asked again, at most 5 times, 1 s apart.
      ([inspected], { now }) => {
        const state = inspected!.status === 200 ? json(inspected!) : {};
        const since = Math.floor(engineSeconds(state?.Created, now / 1000 - 60)) - 1;
        const until = Math.ceil(engineSeconds(state?.State?.FinishedAt, now / 1000 + 60)) + 1;
        const filters = encodeURIComponent(JSON.stringify({ container: [state.Id] }));
        return {
          method: 'GET', path: `/events?since=${since}&until=${until}&filters=${filters}`, timeoutMs: 20_000,
          retry: { attempts: 5, delayMs: 1_000, until: (r) => routeMissing(r.status, r.text) || r.status !== 200 || EVENTS.every((e) => eventsSeen(r).includes(e)) },
        };
      },
    ],
    judge: ([, r]) => {
      if (routeMissing(r!.status, r!.text)) return { classification: 'unimplemented', detail: `GET /events answered ${r!.status}: ${short(r!)}`, evidence: evidenceOf(r!, 'GET /events') };
      const seen = eventsSeen(r!);
      const missing = EVENTS.filter((e) => !seen.includes(e));
      return missing.length === 0
        ? { classification: 'conformant', detail: `events create, start, die seen (${seen.length} events)`, evidence: { status: r!.status, seen } }
        : { classification: 'divergent', detail: `GET /events answered ${r!.status} without ${missing.join(', ')} (saw: ${seen.join(', ') || 'nothing'})`, evidence: { status: r!.status, seen } };
    },
  },
  'attach with an HTTP upgrade answers 101 (docker run)': {
    // What `docker run` does: create, attach with an HTTP upgrade to a raw stream, then start.
    check: 'CONF-L24',
    requests: [
      { create: { Cmd: ['echo', 'keelhaul'], AttachStdout: true, AttachStderr: true } },
      ([made]) => (created(made) ? { method: 'POST', path: `/containers/${json(made!).Id}/attach?stream=1&stdout=1&stderr=1`, upgrade: true, timeoutMs: 15_000 } : undefined),
    ],
    judge: ([made, r]) => {
      if (!created(made)) return { classification: 'divergent', detail: `create answered ${made!.status}: ${short(made!)}`, evidence: evidenceOf(made!, 'create') };
      const evidence = { ...evidenceOf(r!, 'POST /containers/{id}/attach?stream=1&stdout=1&stderr=1 (Connection: Upgrade, Upgrade: tcp)'), upgrade: r!.headers.upgrade, connection: r!.headers.connection };
      if (r!.status === 101) return { classification: 'conformant', detail: '101 Switching Protocols to a raw stream, as `docker run` expects', evidence };
      if (routeMissing(r!.status, r!.text)) return { classification: 'unimplemented', detail: `attach answered ${r!.status}: ${short(r!)}`, evidence };
      return { classification: 'divergent', detail: `attach upgrade answered ${r!.status} instead of 101: \`docker run\` cannot attach (${short(r!, 120)})`, evidence };
    },
  },
  '/_ping needs no authentication beyond the transport': {
    check: 'CONF-S4', requests: [unversioned('GET', '/_ping')],
    judge: ([r], { scheme }) => ({ classification: r!.status === 200 ? 'conformant' : 'divergent', detail: `/_ping over ${scheme} answered ${r!.status}`, evidence: evidenceOf(r!, 'GET /_ping') }),
  },
};

/**
 * The probe a step names: by its own text; where the text is not a probe's name (a feature written
 * when the step ignored its text), by the check of the scenario's @CONF tag.
 */
export function probeFor(name: string, check: string): Probe | undefined {
  return PROBES[name] ?? Object.values(PROBES).find((p) => p.check === check);
}
