// Conformance family (@conformance): how far a platform's Docker API is stock Docker's
// (reference/conformance.md section 5). Every check ends in a classification (conformant,
// unimplemented, rejected, ignored, divergent, error-format) with its raw evidence, and the
// divergence ledger (judges/conformance.ts) compares it with the platform profile.
// Status codes, headers and bodies come from this.platform.raw(); create options are judged from
// inspect's read-back AND from inside the container, because inspect can lie.
import { Then, When } from '@cucumber/cucumber';
import { randomBytes } from 'node:crypto';
import type { RawResponse } from '../adapters/platform/docker-client.js';
import { decodeCapabilities, hasCapability, normaliseCapabilityName, parseCapabilityMask } from '../judges/capabilities.js';
import {
  classifyErrorAnswer, classifyOption, judgeLedger, parseSize, routeMissing,
  type ConformanceClass, type ConformanceObservation, type OptionEvidence,
} from '../judges/conformance.js';
import { Finding } from '../judges/errors.js';
import { doc, type ArgumentCheck } from '../support/step-docs.js';
import { portVantage } from '../support/port-vantage.js';
import type { KeelhaulWorld } from '../support/world.js';

type Json = Record<string, any>;
type Found = { classification: ConformanceClass; detail: string; evidence?: Record<string, unknown> };

function checkId(world: KeelhaulWorld): string {
  if (!/^CONF-/.test(world.scenarioId)) throw new Error(`conformance steps need a @CONF-<row> tag on the scenario or its Examples (got "${world.scenarioId}")`);
  return world.scenarioId;
}

function record(world: KeelhaulWorld, found: Found): void {
  const observation: ConformanceObservation = { check: checkId(world), ...found };
  world.state.conformance = observation;
  world.observe('conformance', observation);
}

/** Triton-style platforms refuse NetworkMode none and host (conformance.md 1.4): use their default network. */
function networkMode(world: KeelhaulWorld): Json {
  return world.fingerprint.engine === 'sdc' ? {} : { NetworkMode: 'none' };
}

function short(response: RawResponse, n = 200): string {
  return response.text.replace(/\s+/g, ' ').trim().slice(0, n);
}

function evidenceOf(response: RawResponse, request: string): Record<string, unknown> {
  return { request, status: response.status, contentType: response.headers['content-type'] ?? '', body: short(response, 300) };
}

const nonce = (): string => randomBytes(3).toString('hex');
/** A create answer that made an object: Docker's 201, or the 200 sdc-docker sends. */
const created = (r: RawResponse): boolean => r.status >= 200 && r.status < 300;

/** A long-running labelled container the scenario can probe routes against (one per scenario). */
async function runningContainer(world: KeelhaulWorld): Promise<string> {
  if (!world.state.running) world.state.running = await world.startContainer({ cmd: ['sleep', '300'], hostConfig: networkMode(world) });
  return world.state.running as string;
}

/** POST /containers/create through raw(), labelled, and tracked when the platform created it. */
async function rawCreate(world: KeelhaulWorld, body: Json, options: { query?: string; contentType?: string } = {}): Promise<RawResponse> {
  const payload = {
    Image: world.image, Cmd: ['true'], ...body,
    Labels: world.platform.labelsFor(world.scenarioId, body.Labels ?? {}),
    HostConfig: { ...networkMode(world), ...(body.HostConfig ?? {}) },
  };
  const response = await world.platform.raw({
    method: 'POST', path: `/containers/create${options.query ?? ''}`, body: Buffer.from(JSON.stringify(payload)),
    headers: { 'Content-Type': options.contentType ?? 'application/json' }, signal: world.signal,
  });
  // Docker answers 201; sdc-docker 200 (its lib/endpoints/containers.js:164): any 2xx may have created one.
  if (created(response)) {
    try {
      world.resources.track('container', response.json().Id);
    } catch { /* no id: nothing to track */ }
  }
  return response;
}

// ---- V, E, L, R21, S: one probe per check, by check ID ----------------------------------------

const PROBES: Record<string, (w: KeelhaulWorld) => Promise<Found>> = {
  async 'CONF-V1'(w) {
    const r = await w.platform.raw({ method: 'GET', path: '/_ping', unversioned: true, signal: w.signal });
    const ok = r.status === 200 && r.text.trim() === 'OK';
    return { classification: ok ? 'conformant' : 'divergent', detail: ok ? '200 OK' : `answered ${r.status} "${short(r, 80)}"`, evidence: evidenceOf(r, 'GET /_ping') };
  },
  async 'CONF-V2'(w) {
    const r = await w.platform.raw({ method: 'HEAD', path: '/_ping', unversioned: true, signal: w.signal });
    if (r.status === 200) return { classification: 'conformant', detail: '200 with an empty body', evidence: evidenceOf(r, 'HEAD /_ping') };
    const missing = r.status === 404 || r.status === 405 || r.status === 501;
    return { classification: missing ? 'unimplemented' : 'divergent', detail: `HEAD /_ping answered ${r.status}`, evidence: evidenceOf(r, 'HEAD /_ping') };
  },
  async 'CONF-V3'(w) {
    const r = await w.platform.raw({ method: 'GET', path: '/_ping', unversioned: true, signal: w.signal });
    const h = r.headers;
    const headers = Object.fromEntries(['api-version', 'builder-version', 'swarm', 'ostype', 'cache-control', 'server', 'libpod-api-version'].filter((k) => h[k] !== undefined).map((k) => [k, h[k]]));
    if (!h['api-version']) {
      return { classification: 'divergent', detail: 'no Api-Version header on /_ping: the Docker client falls back to its own default (v28: 1.24, v29.0: 1.44, v29.3+: its maximum)', evidence: { headers } };
    }
    return { classification: 'conformant', detail: `Api-Version: ${h['api-version']}`, evidence: { headers } };
  },
  async 'CONF-V4'(w) {
    const r = await w.platform.raw({ method: 'GET', path: '/version', unversioned: true, signal: w.signal });
    const v: Json = r.status === 200 ? r.json() : {};
    const components: Json[] = Array.isArray(v.Components) ? v.Components : [];
    const evidence = { status: r.status, Version: v.Version, ApiVersion: v.ApiVersion, MinAPIVersion: v.MinAPIVersion, GoVersion: v.GoVersion, Components: components.map((c) => c.Name) };
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
  async 'CONF-V5'(w) {
    const r = await w.platform.raw({ method: 'GET', path: '/v9.99/version', unversioned: true, signal: w.signal });
    if (r.status === 400) return { classification: 'conformant', detail: `400: ${short(r, 120)}`, evidence: evidenceOf(r, 'GET /v9.99/version') };
    return { classification: 'divergent', detail: `API version 9.99 answered ${r.status} (Docker refuses versions above its maximum with 400)`, evidence: evidenceOf(r, 'GET /v9.99/version') };
  },
  async 'CONF-V6'(w) {
    const r = await w.platform.raw({ method: 'GET', path: '/v1.0/version', unversioned: true, signal: w.signal });
    if (r.status === 400) return { classification: 'conformant', detail: `400: ${short(r, 120)}`, evidence: evidenceOf(r, 'GET /v1.0/version') };
    return { classification: 'divergent', detail: `API version 1.0 answered ${r.status} (Docker refuses versions below its minimum with 400)`, evidence: evidenceOf(r, 'GET /v1.0/version') };
  },
  async 'CONF-V7'(w) {
    const r = await w.platform.raw({ method: 'GET', path: '/version', unversioned: true, signal: w.signal });
    return { classification: r.status === 200 ? 'conformant' : 'divergent', detail: `unversioned /version answered ${r.status}`, evidence: evidenceOf(r, 'GET /version') };
  },
  async 'CONF-V8'(w) {
    const ping = await w.platform.raw({ method: 'GET', path: '/_ping', unversioned: true, signal: w.signal });
    const version = await w.platform.raw({ method: 'GET', path: '/version', unversioned: true, signal: w.signal });
    const max = version.status === 200 ? String(version.json().ApiVersion ?? '') : '';
    const header = ping.headers['api-version'];
    const negotiated = header ? String(header) : '1.24';
    const evidence = { pingApiVersion: header ?? null, versionApiVersion: max, dockerCli28Negotiates: negotiated };
    return negotiated === max
      ? { classification: 'conformant', detail: `a Docker client negotiates ${negotiated}, the server's version`, evidence }
      : { classification: 'divergent', detail: `a Docker v28 client negotiates ${negotiated} (${header ? 'from Api-Version' : 'fallback: no Api-Version header'}), while /version says ${max}`, evidence };
  },
  async 'CONF-E1'(w) {
    const r = await w.platform.raw({ method: 'GET', path: '/keelhaul-nonexistent-route', signal: w.signal });
    return { ...classifyErrorAnswer(r.status, r.headers['content-type'], r.text, [404]), evidence: evidenceOf(r, 'GET /vX/keelhaul-nonexistent-route') };
  },
  async 'CONF-E2'(w) {
    const r = await w.platform.raw({ method: 'POST', path: '/_ping', signal: w.signal });
    return { ...classifyErrorAnswer(r.status, r.headers['content-type'], r.text, [404]), evidence: evidenceOf(r, 'POST /vX/_ping') };
  },
  async 'CONF-E3'(w) {
    const r = await w.platform.raw({ method: 'GET', path: `/containers/keelhaul-none-${nonce()}/json`, signal: w.signal });
    return { ...classifyErrorAnswer(r.status, r.headers['content-type'], r.text, [404]), evidence: evidenceOf(r, 'GET /containers/<missing>/json') };
  },
  async 'CONF-E4'(w) {
    const r = await rawCreate(w, {}, { contentType: 'text/plain' });
    return { ...classifyErrorAnswer(r.status, r.headers['content-type'], r.text, [400]), evidence: evidenceOf(r, 'POST /containers/create (Content-Type: text/plain)') };
  },
  async 'CONF-E5'(w) {
    const r = await w.platform.raw({ method: 'GET', path: '/containers/json?filters=garb1age%7D', signal: w.signal });
    // moby >= 23 answers 400 "invalid filter"; 20.10 answers 500 with the JSON decoder's message.
    return { ...classifyErrorAnswer(r.status, r.headers['content-type'], r.text, [400, 500]), evidence: evidenceOf(r, 'GET /containers/json?filters=garb1age}') };
  },
  async 'CONF-E6'(w) {
    const r = await rawCreate(w, { HostConfig: { Memory: 'Foo' } });
    // moby >= 23: 400; 20.10: 500 (json: cannot unmarshal string into ... Memory).
    return { ...classifyErrorAnswer(r.status, r.headers['content-type'], r.text, [400, 500]), evidence: evidenceOf(r, 'POST /containers/create {"HostConfig":{"Memory":"Foo"}}') };
  },
  async 'CONF-R14'(w) {
    const name = `keelhaul-conf-r14-${w.parameters.runId}-${nonce()}`;
    const r = await w.platform.raw({ method: 'POST', path: '/volumes/create', body: { Name: name, Driver: 'local', Labels: w.platform.labelsFor(w.scenarioId) }, signal: w.signal });
    if (r.status >= 200 && r.status < 300) {
      w.resources.track('volume', name); // a volume the platform really made (on Triton: a billed NFS volume)
      return { classification: 'conformant', detail: `a volume was created (${r.status}) for the local driver`, evidence: evidenceOf(r, 'POST /volumes/create (local driver)') };
    }
    if (routeMissing(r.status, r.text)) return { classification: 'unimplemented', detail: `route missing: ${r.status} ${short(r, 120)}`, evidence: evidenceOf(r, 'POST /volumes/create') };
    return { classification: 'rejected', detail: `a local volume was refused with ${r.status}: ${short(r, 160)}`, evidence: evidenceOf(r, 'POST /volumes/create (local driver)') };
  },
  async 'CONF-R21'(w) {
    const id = await runningContainer(w);
    const made = await w.platform.raw({ method: 'POST', path: `/containers/${id}/exec`, body: { Cmd: ['true'], AttachStdout: true, AttachStderr: true }, signal: w.signal });
    const steps: Record<string, unknown> = { create: made.status };
    if (!created(made)) {
      return { classification: routeMissing(made.status, made.text) ? 'unimplemented' : 'divergent', detail: `exec create answered ${made.status}: ${short(made)}`, evidence: steps };
    }
    const execId = made.json().Id;
    // As `docker exec` starts it: a hijacked stream (sdc-docker answers it with a bare 101 whatever
    // is asked: its lib/endpoints/exec.js:50), read to its end, bounded.
    let start: number | string;
    try {
      const { status, stream } = await w.platform.hijack({ method: 'POST', path: `/exec/${execId}/start`, body: { Detach: false, Tty: false }, signal: w.signal, timeoutMs: 20_000 });
      start = status;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => { stream.destroy(); resolve(); }, 20_000);
        stream.on('data', () => undefined);
        stream.on('close', () => { clearTimeout(timer); resolve(); });
      });
    } catch (error) {
      start = (error as { status?: number }).status ?? (error as Error).message;
    }
    const inspected = await w.platform.raw({ method: 'GET', path: `/exec/${execId}/json`, signal: w.signal });
    Object.assign(steps, { start, inspect: inspected.status, exitCode: inspected.status === 200 ? inspected.json().ExitCode : undefined });
    const works = (start === 101 || start === 200) && inspected.status === 200 && inspected.json().ExitCode === 0;
    if (works && made.status === 201) return { classification: 'conformant', detail: `exec create 201, start ${start}, inspect 200 with ExitCode 0`, evidence: steps };
    if (works) return { classification: 'divergent', detail: `exec works, but create answered ${made.status} where Docker answers 201`, evidence: steps };
    return { classification: 'divergent', detail: `exec: ${JSON.stringify(steps)}`, evidence: steps };
  },
  async 'CONF-L1'(w) {
    const id = await runningContainer(w);
    const r = await w.platform.raw({ method: 'POST', path: `/containers/${id}/start`, signal: w.signal });
    return statusIs(r, [304], 'start of a running container');
  },
  async 'CONF-L2'(w) {
    const id = await w.startContainer({ cmd: ['true'], hostConfig: networkMode(w) });
    await w.platform.waitContainer(id, 30_000, w.signal);
    const r = await w.platform.raw({ method: 'POST', path: `/containers/${id}/stop`, signal: w.signal });
    return statusIs(r, [304], 'stop of a stopped container');
  },
  async 'CONF-L3'(w) {
    const id = await runningContainer(w);
    const r = await w.platform.raw({ method: 'DELETE', path: `/containers/${id}`, signal: w.signal });
    return statusIs(r, [409], 'delete of a running container without force');
  },
  async 'CONF-L4'(w) {
    const name = `keelhaul-l4-${w.parameters.runId}-${nonce()}`;
    const first = await rawCreate(w, {}, { query: `?name=${name}` });
    if (!created(first)) return { classification: 'divergent', detail: `the first create answered ${first.status}: ${short(first)}`, evidence: evidenceOf(first, 'create') };
    const second = await rawCreate(w, {}, { query: `?name=${name}` });
    return statusIs(second, [409], 'create with a name already in use');
  },
  async 'CONF-L5'(w) {
    const r = await rawCreate(w, { Image: `keelhaul-none-${nonce()}:1` });
    return statusIs(r, [404], 'create from a missing image');
  },
  async 'CONF-L6'(w) {
    const id = await runningContainer(w);
    const r = await w.platform.raw({ method: 'POST', path: `/containers/${id}/kill?signal=SIGBOGUS`, signal: w.signal });
    return statusIs(r, [400], 'kill with an invalid signal');
  },
  async 'CONF-L7'(w) {
    const id = await w.startContainer({ cmd: ['sh', '-c', 'exit 3'], hostConfig: networkMode(w) });
    const r = await w.platform.raw({ method: 'POST', path: `/containers/${id}/wait`, signal: w.signal, timeoutMs: 30_000 });
    const code = r.status === 200 ? r.json().StatusCode : undefined;
    return { classification: code === 3 ? 'conformant' : 'divergent', detail: `wait answered ${r.status} with StatusCode ${code}`, evidence: evidenceOf(r, 'POST /containers/{id}/wait') };
  },
  async 'CONF-L8'(w) {
    const id = await runningContainer(w);
    const r = await w.platform.raw({ method: 'GET', path: `/containers/${id}/top?ps_args=aux`, signal: w.signal });
    const titles: string[] = r.status === 200 ? (r.json().Titles ?? []) : [];
    const evidence = { status: r.status, titles };
    if (r.status !== 200) return { classification: routeMissing(r.status, r.text) ? 'unimplemented' : 'divergent', detail: `top?ps_args=aux answered ${r.status}: ${short(r)}`, evidence };
    return titles.includes('%CPU')
      ? { classification: 'conformant', detail: 'ps_args=aux honoured (%CPU column)', evidence }
      : { classification: 'ignored', detail: `ps_args=aux accepted but not honoured: columns ${titles.join(' | ')}`, evidence };
  },
  async 'CONF-L9'(w) {
    const id = await runningContainer(w);
    const r = await w.platform.raw({ method: 'GET', path: `/containers/${id}/json?size=1`, signal: w.signal });
    const j: Json = r.status === 200 ? r.json() : {};
    const evidence = { status: r.status, SizeRw: j.SizeRw, SizeRootFs: j.SizeRootFs };
    return typeof j.SizeRw === 'number' && Number(j.SizeRootFs) > 0
      ? { classification: 'conformant', detail: `SizeRw ${j.SizeRw}, SizeRootFs ${j.SizeRootFs}`, evidence }
      : { classification: 'ignored', detail: `inspect?size=1 answered ${r.status} without sizes (SizeRw ${j.SizeRw}, SizeRootFs ${j.SizeRootFs})`, evidence };
  },
  async 'CONF-L10'(w) {
    const id = await runningContainer(w);
    const r = await w.platform.raw({ method: 'GET', path: `/containers/${id}/stats?stream=false`, signal: w.signal, timeoutMs: 20_000 });
    if (routeMissing(r.status, r.text)) return { classification: 'unimplemented', detail: `stats answered ${r.status}: ${short(r)}`, evidence: evidenceOf(r, 'GET /containers/{id}/stats?stream=false') };
    const keys = r.status === 200 ? Object.keys(r.json()) : [];
    const missing = ['read', 'cpu_stats', 'precpu_stats', 'memory_stats', 'pids_stats'].filter((k) => !keys.includes(k));
    return missing.length === 0
      ? { classification: 'conformant', detail: 'one stats sample with cpu_stats, precpu_stats, memory_stats, pids_stats', evidence: { status: r.status, keys } }
      : { classification: 'divergent', detail: `stats answered ${r.status} without ${missing.join(', ')}`, evidence: { status: r.status, keys } };
  },
  async 'CONF-L11'(w) {
    const id = await w.startContainer({ cmd: ['echo', 'keelhaul'], hostConfig: networkMode(w) });
    await w.platform.waitContainer(id, 30_000, w.signal);
    const r = await w.platform.raw({ method: 'GET', path: `/containers/${id}/logs?stdout=1&stderr=1&timestamps=1`, signal: w.signal });
    const line = r.body.subarray(r.body.length > 8 && r.body[0]! <= 2 ? 8 : 0).toString('utf8').split('\n')[0] ?? '';
    const ok = r.status === 200 && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d) keelhaul/.test(line);
    return { classification: ok ? 'conformant' : 'ignored', detail: ok ? `timestamps=1 honoured ("${line.slice(0, 40)}")` : `logs?timestamps=1 answered ${r.status}: "${line.slice(0, 80)}"`, evidence: { status: r.status, firstLine: line.slice(0, 120) } };
  },
  async 'CONF-L13'(w) {
    const id = await runningContainer(w);
    const head = await w.platform.raw({ method: 'HEAD', path: `/containers/${id}/archive?path=/etc/hostname`, signal: w.signal });
    const get = await w.platform.raw({ method: 'GET', path: `/containers/${id}/archive?path=/etc/hostname`, signal: w.signal });
    const stat = head.headers['x-docker-container-path-stat'];
    let decoded: unknown;
    try { decoded = stat ? JSON.parse(Buffer.from(String(stat), 'base64').toString('utf8')) : undefined; } catch { decoded = String(stat); }
    const tarOk = get.status === 200 && get.body.length >= 512 && get.body.subarray(0, 100).toString('utf8').startsWith('hostname');
    const evidence = { head: head.status, stat: decoded, get: get.status, tarBytes: get.body.length };
    if (routeMissing(head.status, head.text) || routeMissing(get.status, get.text)) return { classification: 'unimplemented', detail: `archive HEAD ${head.status}, GET ${get.status}`, evidence };
    return head.status === 200 && stat && tarOk
      ? { classification: 'conformant', detail: 'HEAD gives X-Docker-Container-Path-Stat, GET a tar of the file', evidence }
      : { classification: 'divergent', detail: `archive: HEAD ${head.status} (${stat ? 'stat header' : 'no stat header'}), GET ${get.status} (${tarOk ? 'tar' : 'no tar of the file'})`, evidence };
  },
  async 'CONF-C9'(w) {
    const sources: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await rawCreate(w, { Cmd: ['true'] });
      if (!created(r)) return { classification: 'divergent', detail: `a plain create answered ${r.status}: ${short(r)}`, evidence: evidenceOf(r, 'create') };
      sources.push(r.json().Id);
    }
    const r = await rawCreate(w, { HostConfig: { VolumesFrom: sources } });
    if (created(r)) return { classification: 'conformant', detail: 'VolumesFrom with two source containers accepted', evidence: evidenceOf(r, 'create with VolumesFrom [a, b]') };
    return { classification: 'rejected', detail: `VolumesFrom with two sources refused with ${r.status}: ${short(r, 160)}`, evidence: evidenceOf(r, 'create with VolumesFrom [a, b]') };
  },
  async 'CONF-C11'(w) {
    // Legacy links live on the default bridge network: no NetworkMode none here.
    const name = `keelhaul-c11-${w.parameters.runId}-${nonce()}`;
    await w.startContainer({ cmd: ['sleep', '60'], name });
    let result;
    try {
      result = await w.runContainer({ cmd: ['sh', '-c', 'grep -c keelhaul-peer /etc/hosts; echo "env=$KEELHAUL_PEER_NAME"'], hostConfig: { Links: [`${name}:keelhaul-peer`] } }, 30_000);
    } catch (error) {
      const e = error as { name?: string; statusCode?: number; rawMessage?: string };
      if (e.name === 'PlatformRefusal' && typeof e.statusCode === 'number') {
        return { classification: 'rejected', detail: `Links refused with ${e.statusCode}: ${String(e.rawMessage).slice(0, 160)}`, evidence: { status: e.statusCode, message: e.rawMessage } };
      }
      throw error;
    }
    const linked = /^[1-9]/.test(result.stdout.trim()) || /env=\/keelhaul/.test(result.stdout);
    const readBack = (result.inspect?.HostConfig?.Links ?? []).join(',');
    return linked
      ? { classification: 'conformant', detail: 'the link alias resolves inside the container', evidence: { readBack, inContainer: result.stdout.trim() } }
      : { classification: 'ignored', detail: `Links accepted but the alias is unknown inside the container (inspect: ${readBack || 'no Links'})`, evidence: { readBack, inContainer: result.stdout.trim() } };
  },
  async 'CONF-C16'(w) {
    const made = await rawCreate(w, {
      Cmd: ['sleep', '60'],
      Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 500_000_000, Timeout: 2_000_000_000, Retries: 1, StartPeriod: 0 },
    });
    if (!created(made)) return { classification: 'rejected', detail: `create with a Healthcheck answered ${made.status}: ${short(made)}`, evidence: evidenceOf(made, 'create with Healthcheck') };
    const id = made.json().Id;
    await w.platform.startContainer(id, w.signal);
    let health: Json | undefined;
    let configured: unknown;
    for (let i = 0; i < 16; i++) {
      const inspect = await w.platform.inspectContainer(id, w.signal);
      configured = inspect.Config?.Healthcheck?.Test;
      health = inspect.State?.Health;
      if (health?.Status === 'healthy') break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const evidence = { configured: configured ?? null, status: health?.Status ?? null, log: (health?.Log ?? []).length };
    if (health?.Status === 'healthy') return { classification: 'conformant', detail: 'State.Health became healthy', evidence };
    if (!health) return { classification: 'ignored', detail: `accepted, but no State.Health after 8 s (Config.Healthcheck ${configured ? 'echoed' : 'absent'})`, evidence };
    return { classification: 'ignored', detail: `State.Health stayed "${health.Status}" for 8 s with ${evidence.log} check(s) run: the health check does not run`, evidence };
  },
  async 'CONF-C14-INVALID'(w) {
    const r = await rawCreate(w, { HostConfig: { RestartPolicy: { Name: 'keelhaul-bogus' } } });
    if (created(r)) {
      const inspect = await w.platform.inspectContainer(r.json().Id, w.signal);
      const kept = inspect.HostConfig?.RestartPolicy?.Name;
      if (kept !== 'keelhaul-bogus') return { classification: 'ignored', detail: `an unknown restart policy was accepted (${r.status}) and dropped (inspect: "${kept ?? ''}")`, evidence: { ...evidenceOf(r, 'create with RestartPolicy keelhaul-bogus'), readBack: kept ?? null } };
    }
    return { ...classifyErrorAnswer(r.status, r.headers['content-type'], r.text, [400]), evidence: evidenceOf(r, 'create with RestartPolicy keelhaul-bogus') };
  },
  async 'CONF-C19'(w) {
    const r = await rawCreate(w, { HostConfig: { Runtime: 'keelhaul-none' } });
    if (r.status >= 200 && r.status < 300) return { classification: 'ignored', detail: `an unknown runtime was accepted (${r.status}): the option is ignored`, evidence: evidenceOf(r, 'create with Runtime keelhaul-none') };
    return { ...classifyErrorAnswer(r.status, r.headers['content-type'], r.text, [400]), evidence: evidenceOf(r, 'create with Runtime keelhaul-none') };
  },
  async 'CONF-L12'(w) {
    const id = await w.startContainer({ cmd: ['true'], hostConfig: networkMode(w) });
    await w.platform.waitContainer(id, 30_000, w.signal);
    const r = await w.platform.raw({ method: 'POST', path: `/containers/${id}/exec`, body: { Cmd: ['true'] }, signal: w.signal });
    return statusIs(r, [409], 'exec in a stopped container');
  },
  async 'CONF-L20'(w) {
    const r = await w.platform.raw({ method: 'GET', path: '/info', signal: w.signal });
    const i: Json = r.status === 200 ? r.json() : {};
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
  async 'CONF-L21'(w) {
    const r = await w.platform.raw({ method: 'GET', path: '/networks', signal: w.signal });
    const names: string[] = r.status === 200 ? r.json().map((n: Json) => String(n.Name)) : [];
    const missing = ['bridge', 'host', 'none'].filter((n) => !names.includes(n));
    return missing.length === 0
      ? { classification: 'conformant', detail: 'bridge, host and none are listed', evidence: { status: r.status, names } }
      : { classification: 'divergent', detail: `GET /networks lists no ${missing.join(', ')} network (has: ${names.join(', ') || 'none'})`, evidence: { status: r.status, names } };
  },
  async 'CONF-L23'(w) {
    const id = await w.startContainer({ cmd: ['true'], hostConfig: networkMode(w) });
    await w.platform.waitContainer(id, 30_000, w.signal);
    // The window on the engine's clock (the container's own Created and FinishedAt), not keelhaul's:
    // keelhaul on another machine may be seconds off, and the events would fall outside it.
    const state = await w.platform.inspectContainer(id, w.signal);
    const engineSeconds = (iso: unknown, fallback: number) => (Number.isFinite(Date.parse(String(iso))) && !String(iso).startsWith('0001') ? Date.parse(String(iso)) / 1000 : fallback);
    const since = Math.floor(engineSeconds(state?.Created, Date.now() / 1000 - 60)) - 1;
    const until = Math.ceil(engineSeconds(state?.State?.FinishedAt, Date.now() / 1000 + 60)) + 1;
    const filters = encodeURIComponent(JSON.stringify({ container: [id] }));
    // An engine that logs events asynchronously (Podman's journald or file backend) can list them a
    // moment late under load: the same window is asked again, at most 5 times, 1 s apart.
    let r: RawResponse | undefined;
    let seen: string[] = [];
    let missing: string[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 1_000));
      r = await w.platform.raw({ method: 'GET', path: `/events?since=${since}&until=${until}&filters=${filters}`, signal: w.signal, timeoutMs: 20_000 });
      if (routeMissing(r.status, r.text)) return { classification: 'unimplemented', detail: `GET /events answered ${r.status}: ${short(r)}`, evidence: evidenceOf(r, 'GET /events') };
      seen = r.text.split('\n').filter(Boolean).map((line) => { try { return JSON.parse(line).status ?? JSON.parse(line).Action; } catch { return undefined; } }).filter(Boolean);
      missing = ['create', 'start', 'die'].filter((e) => !seen.includes(e));
      if (missing.length === 0 || r.status !== 200) break;
    }
    r = r!;
    return missing.length === 0
      ? { classification: 'conformant', detail: `events create, start, die seen (${seen.length} events)`, evidence: { status: r.status, seen } }
      : { classification: 'divergent', detail: `GET /events answered ${r.status} without ${missing.join(', ')} (saw: ${seen.join(', ') || 'nothing'})`, evidence: { status: r.status, seen } };
  },
  async 'CONF-L24'(w) {
    // What `docker run` does: create, attach with an HTTP upgrade to a raw stream, then start.
    const made = await rawCreate(w, { Cmd: ['echo', 'keelhaul'], AttachStdout: true, AttachStderr: true });
    if (!created(made)) return { classification: 'divergent', detail: `create answered ${made.status}: ${short(made)}`, evidence: evidenceOf(made, 'create') };
    const id = made.json().Id;
    const r = await w.platform.raw({ method: 'POST', path: `/containers/${id}/attach?stream=1&stdout=1&stderr=1`, upgrade: true, signal: w.signal, timeoutMs: 15_000 });
    const evidence = { ...evidenceOf(r, 'POST /containers/{id}/attach?stream=1&stdout=1&stderr=1 (Connection: Upgrade, Upgrade: tcp)'), upgrade: r.headers.upgrade, connection: r.headers.connection };
    if (r.status === 101) return { classification: 'conformant', detail: '101 Switching Protocols to a raw stream, as `docker run` expects', evidence };
    if (routeMissing(r.status, r.text)) return { classification: 'unimplemented', detail: `attach answered ${r.status}: ${short(r)}`, evidence };
    return { classification: 'divergent', detail: `attach upgrade answered ${r.status} instead of 101: \`docker run\` cannot attach (${short(r, 120)})`, evidence };
  },
  async 'CONF-S4'(w) {
    const r = await w.platform.raw({ method: 'GET', path: '/_ping', unversioned: true, signal: w.signal });
    return { classification: r.status === 200 ? 'conformant' : 'divergent', detail: `/_ping over ${w.platform.url.split(':')[0]} answered ${r.status}`, evidence: evidenceOf(r, 'GET /_ping') };
  },
};

function statusIs(r: RawResponse, expected: number[], what: string): Found {
  const ok = expected.includes(r.status);
  return {
    classification: ok ? 'conformant' : 'divergent',
    detail: ok ? `${what}: ${r.status} as Docker` : `${what} answered ${r.status} where Docker answers ${expected.join('/')} (${short(r, 140)})`,
    evidence: evidenceOf(r, what),
  };
}

When('the platform is probed for {string}', doc(
  'Runs the protocol, error-shape or lifecycle probe of the scenario\'s @CONF-<row> tag (conformance.md 5.1, 5.4, 5.5) with raw HTTP, and classifies what it saw against stock Docker. The quoted text describes the probe.',
  'When the platform is probed for "GET /_ping answers 200 OK"',
  60_000,
), async function (this: KeelhaulWorld, _what: string) {
  const probe = PROBES[checkId(this)];
  if (!probe) throw new Error(`no probe is defined for ${checkId(this)}`);
  record(this, await probe(this));
});

// ---- R: route existence -------------------------------------------------------------------------

interface RouteRequest { method: string; path: string; body?: unknown; websocket: boolean }

function parseRequests(text: string, subst: Record<string, string>): { minApi?: string; requests: RouteRequest[] } {
  let rest = text.trim();
  let minApi: string | undefined;
  const gate = /^API\s*>=\s*([0-9.]+):\s*/.exec(rest);
  if (gate) {
    minApi = gate[1];
    rest = rest.slice(gate[0].length);
  }
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

function apiAtLeast(version: string, min: string): boolean {
  const [a1 = 0, a2 = 0] = version.split('.').map(Number);
  const [b1 = 0, b2 = 0] = min.split('.').map(Number);
  return a1 > b1 || (a1 === b1 && a2 >= b2);
}

When('the API is asked {string}', doc(
  'Route existence (conformance.md 5.2): sends each request (separated by ";"; "API>=1.42:" gates on the negotiated version; {id} is a running container of the scenario, {image} the probe image, {run} the run id) and classifies the routes as unimplemented when the answer is a route-missing one (404 page not found / Not Found / does not exist / is not supported, 405, 501, 400 NotImplemented, 503 does not support), else conformant. Requests are harmless: missing resources, label filters matching nothing, loopback addresses.',
  'When the API is asked "GET /containers/{id}/changes"',
  90_000,
), async function (this: KeelhaulWorld, text: string) {
  const subst: Record<string, string> = { image: this.image, run: this.parameters.runId, nonce: nonce(), now: String(Math.floor(Date.now() / 1000)) };
  if (/\{id\}/.test(text)) subst.id = await runningContainer(this);
  const { minApi, requests } = parseRequests(text, subst);
  if (minApi && !apiAtLeast(this.parameters.apiVersion, minApi)) {
    this.notApplicable(`the route needs API ${minApi}; the negotiated version is ${this.parameters.apiVersion}`);
  }
  const answers: Array<Record<string, unknown>> = [];
  const missing: string[] = [];
  for (const req of requests) {
    const headers: Record<string, string> = req.websocket
      ? { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64') }
      : {};
    let r: RawResponse;
    try {
      r = await this.platform.raw({ method: req.method, path: req.path, body: req.body, headers, signal: this.signal, timeoutMs: 30_000 });
    } catch (error) {
      if ((error as Error).name === 'PlatformTimeout') {
        answers.push({ request: `${req.method} ${req.path}`, status: 'no answer in 30 s' });
        continue;
      }
      throw error;
    }
    const gone = routeMissing(r.status, r.text);
    answers.push({ request: `${req.method} ${req.path}`, status: r.status, contentType: r.headers['content-type'] ?? '', body: short(r, 160), routeMissing: gone });
    if (gone) missing.push(`${req.method} ${req.path.replace(/\?.*$/, '')} (${r.status} ${short(r, 80)})`);
  }
  // Clean-up of what a route probe could have created by name (R13, R14): labelled, and removed here.
  for (const kind of ['networks', 'volumes']) {
    if (text.includes(`/${kind}/create`)) await this.platform.raw({ method: 'DELETE', path: `/${kind}/keelhaul-${this.scenarioId.toLowerCase()}-${this.parameters.runId}`, signal: this.signal }).catch(() => undefined);
  }
  record(this, missing.length > 0
    ? { classification: 'unimplemented', detail: `route missing: ${missing.join('; ')}`, evidence: { answers } }
    : { classification: 'conformant', detail: `route${requests.length > 1 ? 's' : ''} present (${answers.map((a) => a.status).join(', ')})`, evidence: { answers } });
});

// ---- C: create options, read-back and in-container look --------------------------------------------

/** Read-only facts printed by the probe container: key=value lines. */
const OPTION_PROBE = [
  'for k in CapEff CapBnd NoNewPrivs Seccomp; do echo "$k=$(sed -n "s/^$k:[[:space:]]*//p" /proc/self/status)"; done',
  'echo "cap_last_cap=$(cat /proc/sys/kernel/cap_last_cap 2>/dev/null)"',
  'echo "uid=$(id -u)"; echo "gid=$(id -g)"; echo "cwd=$(pwd)"; echo "nofile=$(ulimit -n)"; echo "env=${KEELHAUL_CONF:-}"',
  'for f in memory/memory.limit_in_bytes memory.max cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us cpu.max cpu/cpu.shares cpu.weight pids/pids.max pids.max; do [ -r /sys/fs/cgroup/$f ] && echo "cg:$f=$(cat /sys/fs/cgroup/$f)"; done',
  'echo "shm=$(grep " /dev/shm " /proc/self/mountinfo | sed "s/.* - //")"',
  'echo "tmpfs=$(grep " /keelhaul-tmpfs " /proc/self/mountinfo | sed "s/.* - //")"',
  '( : > /.keelhaul-rw ) 2>/dev/null && echo rootfs=rw || echo rootfs=ro',
  '[ -s /keelhaul-bind ] && echo bind=yes || echo bind=no',
  'echo "netifs=$(ls /sys/class/net 2>/dev/null | tr "\\n" " ")"',
].join('\n');

function parseFacts(stdout: string): Record<string, string> {
  const facts: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) facts[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return facts;
}

const UNLIMITED = (v: string | undefined): boolean => v === undefined || v === '' || v === 'max' || Number(v) >= 2 ** 62 || v === '-1';

interface OptionDef {
  /** What goes into the create request for this value. */
  spec(value: string, w: KeelhaulWorld): { hostConfig?: Json; env?: string[]; user?: string; workingDir?: string; labels?: Record<string, string>; exposedPorts?: Record<string, Record<string, never>> };
  /** The canonical requested value, as inspect and the container would show it. */
  expected(value: string): string;
  /** Inspect's read-back (undefined or '' = absent). */
  readBack(inspect: Json, value: string): string | undefined;
  /** What the container shows (undefined = no in-container look for this option). */
  seen?(facts: Record<string, string>, value: string): string | undefined;
  /** Needs a running container on the default network (published ports). */
  running?: boolean;
  /** The value to request, when the feature's value is chosen at run time (a free port of the engine's host). */
  concrete?(value: string, w: KeelhaulWorld): Promise<string>;
  /** The engine's default for this option: a read-back equal to it means the request was dropped. */
  engineDefault?: string;
}

const cgroup = (facts: Record<string, string>, v1: string, v2: string): string | undefined => facts[`cg:${v1}`] ?? facts[`cg:${v2}`];
const capHeld = (facts: Record<string, string>, name: string): boolean => hasCapability(parseCapabilityMask(facts.CapEff ?? '0'), normaliseCapabilityName(name));

const OPTIONS: Record<string, OptionDef> = {
  memory: {
    spec: (v) => ({ hostConfig: { Memory: parseSize(v) } }),
    expected: (v) => String(parseSize(v)),
    readBack: (i) => (i.HostConfig?.Memory ? String(i.HostConfig.Memory) : undefined),
    seen: (f) => {
      const raw = cgroup(f, 'memory/memory.limit_in_bytes', 'memory.max');
      return raw === undefined ? undefined : UNLIMITED(raw) ? `unlimited (${raw})` : raw;
    },
  },
  cpus: {
    spec: (v) => ({ hostConfig: { NanoCpus: Math.round(Number(v) * 1e9) } }),
    expected: (v) => String(Math.round(Number(v) * 1e9)),
    readBack: (i) => (i.HostConfig?.NanoCpus ? String(i.HostConfig.NanoCpus) : undefined),
    seen: (f) => {
      let quota = f['cg:cpu/cpu.cfs_quota_us'];
      let period = f['cg:cpu/cpu.cfs_period_us'];
      if (quota === undefined && f['cg:cpu.max']) [quota, period] = f['cg:cpu.max'].split(/\s+/);
      if (quota === undefined) return undefined;
      if (UNLIMITED(quota)) return `no CPU quota (${quota})`;
      return String(Math.round((Number(quota) / Number(period)) * 1e9));
    },
  },
  'cpu-shares': {
    spec: (v) => ({ hostConfig: { CpuShares: Number(v) } }),
    expected: (v) => v,
    readBack: (i) => (i.HostConfig?.CpuShares ? String(i.HostConfig.CpuShares) : undefined),
    seen: (f) => f['cg:cpu/cpu.shares'],
  },
  privileged: {
    spec: () => ({ hostConfig: { Privileged: true } }),
    expected: () => 'true',
    readBack: (i) => (i.HostConfig?.Privileged ? 'true' : undefined),
    // Privileged: SYS_ADMIN held and no seccomp filter. (The full bounding set is not required: an
    // engine that itself runs without some capability cannot hand it out.)
    seen: (f) => (capHeld(f, 'SYS_ADMIN') && f.Seccomp === '0' ? 'true' : `not privileged (CapEff ${f.CapEff}, Seccomp ${f.Seccomp})`),
  },
  'cap-add': {
    spec: (v) => ({ hostConfig: { CapAdd: [v] } }),
    expected: (v) => normaliseCapabilityName(v),
    readBack: (i, v) => ((i.HostConfig?.CapAdd ?? []).map((c: string) => normaliseCapabilityName(c)).includes(normaliseCapabilityName(v)) ? normaliseCapabilityName(v) : (i.HostConfig?.CapAdd ?? []).join(',') || undefined),
    seen: (f, v) => (capHeld(f, v) ? normaliseCapabilityName(v) : `${normaliseCapabilityName(v)} not held (CapEff ${f.CapEff}: ${decodeCapabilities(parseCapabilityMask(f.CapEff ?? '0')).join(',')})`),
  },
  'cap-drop': {
    spec: (v) => ({ hostConfig: { CapDrop: [v] } }),
    expected: (v) => normaliseCapabilityName(v),
    readBack: (i, v) => ((i.HostConfig?.CapDrop ?? []).map((c: string) => normaliseCapabilityName(c)).includes(normaliseCapabilityName(v)) ? normaliseCapabilityName(v) : (i.HostConfig?.CapDrop ?? []).join(',') || undefined),
    seen: (f, v) => (capHeld(f, v) ? `${normaliseCapabilityName(v)} still held (CapEff ${f.CapEff})` : normaliseCapabilityName(v)),
  },
  'security-opt': {
    spec: (v) => ({ hostConfig: { SecurityOpt: [v] } }),
    expected: (v) => v,
    readBack: (i, v) => ((i.HostConfig?.SecurityOpt ?? []).some((o: string) => o === v || o === `${v}:true` || o.replace(/[=:]true$/, '') === v) ? v : (i.HostConfig?.SecurityOpt ?? []).join(',') || undefined),
    seen: (f, v) => (v.startsWith('no-new-privileges') ? (f.NoNewPrivs === '1' ? v : `NoNewPrivs ${f.NoNewPrivs}`) : undefined),
  },
  'read-only': {
    spec: () => ({ hostConfig: { ReadonlyRootfs: true } }),
    expected: () => 'true',
    readBack: (i) => (i.HostConfig?.ReadonlyRootfs ? 'true' : undefined),
    seen: (f) => (f.rootfs === 'ro' ? 'true' : 'the root filesystem is writable'),
  },
  tmpfs: {
    spec: (v) => ({ hostConfig: { Tmpfs: { [v]: 'size=1m' } } }),
    expected: (v) => v,
    readBack: (i, v) => (i.HostConfig?.Tmpfs && v in i.HostConfig.Tmpfs ? v : undefined),
    seen: (f, v) => (/^tmpfs /.test(f.tmpfs ?? '') ? v : `no tmpfs at ${v}`),
  },
  bind: {
    spec: (v) => ({ hostConfig: { Binds: [`${v}:/keelhaul-bind:ro`] } }),
    expected: (v) => `${v}:/keelhaul-bind:ro`,
    // Podman appends mount options (",rprivate,rbind"): what was asked must be there, extras are fine.
    readBack: (i, v) => {
      const bind: string | undefined = (i.HostConfig?.Binds ?? [])[0];
      return bind?.startsWith(`${v}:/keelhaul-bind:ro`) ? `${v}:/keelhaul-bind:ro` : bind;
    },
    seen: (f, v) => (f.bind === 'yes' ? `${v}:/keelhaul-bind:ro` : 'the host file is not visible inside'),
  },
  network: {
    spec: (v) => ({ hostConfig: { NetworkMode: v } }),
    expected: (v) => v,
    readBack: (i) => i.HostConfig?.NetworkMode,
    seen: (f, v) => (v === 'none' ? (f.netifs?.trim() === 'lo' ? 'none' : `interfaces: ${f.netifs}`) : undefined),
  },
  publish: {
    running: true,
    // "free:80": a host port that is free where the port lives (the engine's host, seen by the port
    // vantage), not in keelhaul's own network namespace: a fixed port collides with whatever else
    // that host runs, and a port free in keelhaul's container may be taken on the host.
    concrete: async (v, w) => (v.split(':')[0] === 'free' ? `${await portVantage(w).freePort()}:${v.split(':')[1]}` : v),
    spec: (v) => {
      const [host, ctr] = v.split(':');
      return { exposedPorts: { [`${ctr}/tcp`]: {} }, hostConfig: { PortBindings: { [`${ctr}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: host }] } } };
    },
    expected: (v) => v,
    readBack: (i, v) => {
      const ctr = v.split(':')[1];
      const b = (i.HostConfig?.PortBindings ?? {})[`${ctr}/tcp`]?.[0];
      return b ? `${b.HostPort}:${ctr}` : undefined;
    },
    seen: (f, v) => f.published ?? `not published (${v})`,
  },
  'restart-policy': {
    spec: (v) => ({ hostConfig: { RestartPolicy: { Name: v, MaximumRetryCount: 0 } } }),
    expected: (v) => v,
    readBack: (i) => i.HostConfig?.RestartPolicy?.Name || undefined,
  },
  'pids-limit': {
    spec: (v) => ({ hostConfig: { PidsLimit: Number(v) } }),
    expected: (v) => v,
    readBack: (i) => (i.HostConfig?.PidsLimit ? String(i.HostConfig.PidsLimit) : undefined),
    seen: (f) => {
      const raw = cgroup(f, 'pids/pids.max', 'pids.max');
      return raw === undefined ? undefined : UNLIMITED(raw) ? `unlimited (${raw})` : raw;
    },
  },
  ulimit: {
    spec: (v) => {
      const [name, n] = v.split('=');
      return { hostConfig: { Ulimits: [{ Name: name, Soft: Number(n), Hard: Number(n) }] } };
    },
    expected: (v) => v,
    readBack: (i, v) => {
      const u = (i.HostConfig?.Ulimits ?? []).find((x: Json) => x.Name === v.split('=')[0]);
      return u ? `${u.Name}=${u.Soft}` : undefined;
    },
    seen: (f, v) => (v.startsWith('nofile=') ? `nofile=${f.nofile}` : undefined),
  },
  'shm-size': {
    spec: (v) => ({ hostConfig: { ShmSize: parseSize(v) } }),
    expected: (v) => String(parseSize(v)),
    readBack: (i) => (i.HostConfig?.ShmSize ? String(i.HostConfig.ShmSize) : undefined),
    engineDefault: String(64 * 1024 * 1024),
    seen: (f) => {
      const m = /size=(\d+)k/.exec(f.shm ?? '');
      return m ? String(Number(m[1]) * 1024) : `no size on /dev/shm (${f.shm || 'not mounted'})`;
    },
  },
  label: {
    spec: (v) => {
      const [k, val] = v.split('=');
      return { labels: { [k!]: val ?? '' } };
    },
    expected: (v) => v,
    readBack: (i, v) => {
      const k = v.split('=')[0]!;
      const labels = i.Config?.Labels ?? {};
      return k in labels ? `${k}=${labels[k]}` : undefined;
    },
  },
  env: {
    spec: (v) => ({ env: [`KEELHAUL_CONF=${v}`] }),
    expected: (v) => v,
    readBack: (i) => (i.Config?.Env ?? []).find((e: string) => e.startsWith('KEELHAUL_CONF='))?.slice('KEELHAUL_CONF='.length),
    seen: (f) => f.env,
  },
  user: {
    spec: (v) => ({ user: v }),
    expected: (v) => v,
    readBack: (i) => i.Config?.User || undefined,
    seen: (f) => `${f.uid}:${f.gid}`,
  },
  workdir: {
    spec: (v) => ({ workingDir: v }),
    expected: (v) => v,
    readBack: (i) => i.Config?.WorkingDir || undefined,
    seen: (f) => f.cwd,
  },
  'unknown-field': {
    spec: (v) => ({ hostConfig: { [v]: true } }),
    expected: () => 'accepted',
    readBack: () => 'accepted',
  },
};

When('a container is created with {string} set to {string}', doc(
  'Create-option conformance (conformance.md 5.3): creates a container with this option (memory, cpus, cpu-shares, privileged, cap-add, cap-drop, security-opt, read-only, tmpfs, bind, network, publish, restart-policy, pids-limit, ulimit, shm-size, label, env, user, workdir, unknown-field), reads it back with inspect AND looks from inside the container (cgroup files, /proc/self/status, mounts, id, pwd). Refused = rejected; not in effect inside = ignored (whatever inspect says); in effect but differently = divergent.',
  'When a container is created with "memory" set to "100m"',
  90_000,
  ((args) => (OPTIONS[String(args[0])] ? undefined : `this step judges these options: ${Object.keys(OPTIONS).join(', ')}; not "${args[0]}"`)) satisfies ArgumentCheck,
), async function (this: KeelhaulWorld, option: string, asked: string) {
  const def = OPTIONS[option];
  if (!def) throw new Error(`unknown option "${option}" (known: ${Object.keys(OPTIONS).join(', ')})`);
  const value = def.concrete ? await def.concrete(asked, this) : asked;
  const extra = def.spec(value, this);
  const hostConfig = { ...(def.running ? {} : networkMode(this)), ...extra.hostConfig };
  const spec = { cmd: ['sh', '-c', OPTION_PROBE], env: extra.env, user: extra.user, workingDir: extra.workingDir, labels: extra.labels, exposedPorts: extra.exposedPorts, hostConfig };
  let inspect: Json;
  let facts: Record<string, string> = {};
  try {
    if (def.running) {
      const id = await this.startContainer({ ...spec, cmd: ['sleep', '60'] });
      inspect = await this.platform.inspectContainer(id, this.signal);
      const port = inspect.NetworkSettings?.Ports?.[`${value.split(':')[1]}/tcp`]?.[0];
      if (port) facts.published = `${port.HostPort}:${value.split(':')[1]}`;
    } else {
      const result = await this.runContainer(spec, 30_000);
      if (result.timedOut) this.inconclusive('the probe container did not finish in 30 s');
      inspect = result.inspect;
      facts = parseFacts(result.stdout);
      this.attach(result.stdout, { mediaType: 'text/plain', fileName: 'option-probe.txt' });
    }
  } catch (error) {
    const e = error as { name?: string; statusCode?: number; rawMessage?: string; message?: string };
    if (e.name === 'PlatformRefusal' && /^start container/.test(e.message ?? '')) {
      this.observe('startRefused', { status: e.statusCode, message: e.rawMessage });
      this.inconclusive(`the platform accepted ${option}=${value} but the container could not start (${e.statusCode}: ${String(e.rawMessage).slice(0, 160)}), so its effect cannot be observed here`);
    }
    if (e.name === 'PlatformRefusal' && typeof e.statusCode === 'number') {
      // The client library can reduce a plain-text error to "server error": ask again raw for the body.
      let message = e.rawMessage ?? '';
      if (/^(server error|bad parameter|conflict|unexpected)?$/i.test(message.trim())) {
        const again = await rawCreate(this, { Cmd: spec.cmd, Env: spec.env, User: spec.user, WorkingDir: spec.workingDir, ExposedPorts: spec.exposedPorts, Labels: spec.labels, HostConfig: hostConfig });
        if (again.status >= 400) message = short(again, 300);
      }
      const evidence: OptionEvidence = { refused: { status: e.statusCode, message }, readBack: 'absent', effect: 'not-observable' };
      record(this, { ...classifyOption(evidence), evidence: { option, value, status: e.statusCode, message } });
      return;
    }
    throw error;
  }
  const expected = def.expected(value);
  const rb = def.readBack(inspect, value);
  const seen = def.seen?.(facts, value);
  const dropped = def.engineDefault !== undefined && rb === def.engineDefault && expected !== def.engineDefault;
  const readBack: OptionEvidence['readBack'] = rb === undefined || rb === '' ? 'absent' : rb === expected ? 'echoed' : { differs: dropped ? `${rb} (the engine's default)` : rb };
  const effect: OptionEvidence['effect'] = seen === undefined ? 'not-observable'
    : seen === expected || (!dropped && rb !== undefined && seen === rb) ? 'applied' : { notApplied: `the container sees ${seen}${dropped ? ', the default' : ''}` };
  const found = classifyOption({ readBack, effect });
  if (found.classification === 'divergent' && typeof readBack === 'object') found.detail += ` where ${expected} was asked`;
  record(this, { ...found, evidence: { option, value, expected, readBack: rb ?? null, inContainer: seen ?? null } });
});

// ---- the ledger ---------------------------------------------------------------------------------------

Then('it behaves like stock Docker, or as the profile declares', doc(
  'The divergence ledger (DESIGN.md): conformant and undeclared = pass; a divergence the profile declares = pass (a known divergence in the matrix); an undeclared divergence = finding; a declared divergence that was not observed = finding ("profile out of date").',
  'Then it behaves like stock Docker, or as the profile declares',
), function (this: KeelhaulWorld) {
  const observation = this.state.conformance as ConformanceObservation | undefined;
  if (!observation) throw new Error('nothing was observed: start with a "When the platform is probed / the API is asked / a container is created" step');
  const entry = judgeLedger(observation, this.profile.divergences, this.profile.name);
  this.observe('conformance', { ...observation, declared: entry.declared ?? null, verdict: entry.verdict });
  if (!entry.pass) throw new Finding(entry.message);
  if (entry.verdict === 'known') this.observe('knownDivergence', entry.message);
});
