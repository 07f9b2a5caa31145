// The conformance family's I/O: sends a probe's requests (judges/conformance-probes.ts), a route
// step's requests (judges/conformance-routes.ts) and an option's create (judges/conformance-options.ts),
// and hands the answers to their judges. Everything it creates is labelled and tracked.
// With KEELHAUL_RECORD_CONFORMANCE=<dir>, every check's answers are also written to <dir>/<check>.json:
// how test/unit/recordings/conformance/ was recorded (docs/conformance.md).
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRefusal, type RawResponse } from '../adapters/platform/docker-client.js';
import type { ConformanceObservation } from '../judges/conformance.js';
import { judgeOption, judgeRefusedOption, OPTION_PROBE, OPTIONS, parseFacts, type OptionDef } from '../judges/conformance-options.js';
import { created, probeFor, short, type Answer, type Found, type Probe, type ProbeRequest } from '../judges/conformance-probes.js';
import { apiAtLeast, judgeRoutes, minApiOf, parseRequests, type RouteAnswer } from '../judges/conformance-routes.js';
import { planReport } from './probe-plan.js';
import { portVantage } from './port-vantage.js';
import type { KeelhaulWorld } from './world.js';
import { OBSERVATION } from '../judges/observation-keys.js';

type Json = Record<string, any>;

export interface ConformanceContext {
  /** What the scenario's check saw, for the ledger step. */
  observation?: ConformanceObservation;
  /** The scenario's long-running container ({id} of probes and routes). */
  running?: string;
}
declare module './world.js' {
  interface ScenarioContext { conformance?: ConformanceContext }
}

function slot(world: KeelhaulWorld): ConformanceContext {
  return (world.ctx.conformance ??= {});
}

export function checkId(world: KeelhaulWorld): string {
  if (!/^CONF-/.test(world.scenarioId)) throw new Error(`conformance steps need a @CONF-<row> tag on the scenario or its Examples (got "${world.scenarioId}")`);
  return world.scenarioId;
}

export function record(world: KeelhaulWorld, found: Found, answers?: unknown): void {
  const observation: ConformanceObservation = { check: checkId(world), ...found };
  slot(world).observation = observation;
  world.observe(OBSERVATION.conformance, observation);
  const dir = process.env.KEELHAUL_RECORD_CONFORMANCE;
  if (dir && answers !== undefined) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${observation.check}.json`), `${JSON.stringify({ check: observation.check, engine: world.fingerprint.engine, classification: found.classification, answers }, recordable, 1)}\n`);
  }
}

/** Bodies up to 16 KiB are kept as base64 (tars, log streams); longer ones by their first 4 KiB of text. */
function recordable(key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
    const bytes = Buffer.from((value as { data: number[] }).data);
    return bytes.length <= 16_384 ? { base64: bytes.toString('base64') } : undefined;
  }
  if (key === 'text' && typeof value === 'string' && value.length > 65_536) return value.slice(0, 4096);
  return value;
}

export function latestObservation(world: KeelhaulWorld): ConformanceObservation | undefined {
  return world.ctx.conformance?.observation;
}

/** Triton-style platforms refuse NetworkMode none and host (conformance.md 1.4): use their default network. */
function networkMode(world: KeelhaulWorld): Json {
  return world.fingerprint.engine === 'sdc' ? {} : { NetworkMode: 'none' };
}

const nonce = (): string => randomBytes(3).toString('hex');

async function runningContainer(world: KeelhaulWorld): Promise<string> {
  const ctx = slot(world);
  ctx.running ??= await world.startContainer({ cmd: ['sleep', '300'], hostConfig: networkMode(world) });
  return ctx.running;
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

const answerOf = (r: RawResponse): Answer => ({ status: r.status, headers: r.headers, text: r.text, body: r.body });

/** Read a hijacked exec stream to its end, bounded. */
async function hijacked(world: KeelhaulWorld, req: { method: string; path: string; body?: unknown; timeoutMs?: number }): Promise<Answer> {
  try {
    const { status, stream } = await world.platform.hijack({ method: req.method, path: req.path, body: req.body, signal: world.signal, timeoutMs: req.timeoutMs ?? 20_000 });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => { stream.destroy(); resolve(); }, req.timeoutMs ?? 20_000);
      stream.on('data', () => undefined);
      stream.on('close', () => { clearTimeout(timer); resolve(); });
    });
    return { status, headers: {}, text: '' };
  } catch (error) {
    const status = (error as { status?: number }).status;
    return status === undefined ? { status: 0, headers: {}, text: '', error: (error as Error).message } : { status, headers: {}, text: '' };
  }
}

async function send(world: KeelhaulWorld, req: ProbeRequest, fill: (s: string) => string): Promise<Answer> {
  if ('create' in req) {
    const body = JSON.parse(fill(JSON.stringify(req.create)));
    return answerOf(await rawCreate(world, body, { query: req.query && fill(req.query), contentType: req.contentType }));
  }
  if ('createVolume' in req) {
    const name = fill(req.createVolume);
    const r = await world.platform.raw({ method: 'POST', path: '/volumes/create', body: { Name: name, Driver: 'local', Labels: world.platform.labelsFor(world.scenarioId) }, signal: world.signal });
    if (created(r)) world.resources.track('volume', name); // a volume the platform really made (on Triton: a billed NFS volume)
    return answerOf(r);
  }
  if ('run' in req) {
    const hostConfig = JSON.parse(fill(JSON.stringify(req.run.hostConfig ?? {})));
    try {
      const result = await world.runContainer({ cmd: req.run.cmd, hostConfig }, 30_000);
      return { status: result.exitCode ?? -1, headers: {}, text: result.stdout, inspect: result.inspect };
    } catch (error) {
      if (isRefusal(error)) return { status: error.statusCode, headers: {}, text: '', refused: { status: error.statusCode, message: error.rawMessage } };
      throw error;
    }
  }
  const path = fill(req.path);
  if (req.hijack) return hijacked(world, { ...req, path });
  let answer: Answer | undefined;
  for (let attempt = 0; attempt < (req.retry?.attempts ?? 1); attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, req.retry!.delayMs));
    answer = answerOf(await world.platform.raw({ method: req.method, path, body: req.body, unversioned: req.unversioned, upgrade: req.upgrade, signal: world.signal, timeoutMs: req.timeoutMs }));
    if (!req.retry || req.retry.until(answer)) break;
  }
  return answer!;
}

/**
 * Answers of probes and route checks run ahead by the probe plan (support/probe-plan.ts), by
 * scenario and step text: each is read once, by the scenario it was run for; one that failed reads
 * as nothing, so the scenario runs it again itself.
 */
const answersAhead = new Map<string, Promise<unknown>>();
const aheadKey = (world: KeelhaulWorld, text: string) => `${world.parameters.runId}\n${world.scenarioId}\n${text}`;

/** Run `answers` in a plan world and keep them for the scenario's step of this text. */
async function keepAhead(world: KeelhaulWorld, text: string, answers: Promise<unknown>): Promise<void> {
  answersAhead.set(aheadKey(world, text), answers);
  await answers;
}

/** What the plan got for this scenario's step of this text (once), or undefined. */
async function takeAhead<T>(world: KeelhaulWorld, text: string): Promise<T | undefined> {
  const key = aheadKey(world, text);
  const ahead = answersAhead.get(key) as Promise<T> | undefined;
  answersAhead.delete(key);
  const answers = await ahead?.catch(() => undefined);
  // Counted here for the probes a plan ran for (summary.json probePlan): the scenario runs the rest itself.
  if (ahead) planReport[answers === undefined ? 'ranByScenario' : 'readAhead']++;
  return answers;
}

/**
 * The probe plan's share of "the platform is probed for ...": the probe's container and requests,
 * exactly as the scenario would send them, in a plan world (whose containers carry the scenario's
 * ID and are removed once the answers are in); the scenario judges them. Only probes that start a
 * container of their own gain anything by running ahead; the others are left to the scenario.
 */
export async function prefetchProbe(world: KeelhaulWorld, name: unknown): Promise<void> {
  const probe = probeFor(String(name), checkId(world));
  if (!probe || !(probe.container || startsContainer(probe))) return;
  await keepAhead(world, String(name), probeAnswers(world, probe));
}

/**
 * A probe whose first request creates or runs a container (C16's health check waits for its first
 * check to run, C9's VolumesFrom starts two sources): worth running ahead. One that creates a volume
 * is not (a named volume is an object some platforms bill for, left to the scenario).
 */
function startsContainer(probe: Probe): boolean {
  const first = probe.requests[0];
  return typeof first === 'object' && ('create' in first || 'run' in first);
}

/** Run one probe: its container, its requests in order (or what the plan already got), its judge. */
export async function runProbe(world: KeelhaulWorld, probe: Probe, name: string): Promise<void> {
  const answers = await takeAhead<Answer[]>(world, name) ?? await probeAnswers(world, probe);
  record(world, probe.judge(answers, { scheme: world.platform.url.split(':')[0]! }), answers);
}

async function probeAnswers(world: KeelhaulWorld, probe: Probe): Promise<Answer[]> {
  const subst: Record<string, string> = { run: world.parameters.runId, nonce: nonce(), image: world.image };
  const c = probe.container;
  if (c === 'running') subst.id = await runningContainer(world);
  else if (c) {
    if (c.name) subst.name = c.name.replace(/\{(\w+)\}/g, (m, k: string) => subst[k] ?? m);
    subst.id = await world.startContainer(c.network === 'default' ? { cmd: c.cmd, name: subst.name } : { cmd: c.cmd, hostConfig: networkMode(world) });
    if (c.wait !== false) await world.platform.waitContainer(subst.id, 30_000, world.signal);
  }
  const fill = (s: string) => s.replace(/\{(id|name|run|nonce|image)\}/g, (m, k: string) => subst[k] ?? m);
  const answers: Answer[] = [];
  for (const step of probe.requests) {
    const req = typeof step === 'function' ? step(answers, { now: Date.now() }) : step;
    if (!req) break;
    answers.push(await send(world, req, fill));
  }
  return answers;
}

/**
 * The probe plan's share of "the API is asked ...": the same requests (and the same running
 * container for {id}, in a plan world that removes it once the answers are in), sent ahead; the
 * scenario judges the answers. A route gated on a newer API than negotiated is left to the scenario.
 */
export async function prefetchRoutes(world: KeelhaulWorld, text: unknown): Promise<void> {
  await keepAhead(world, String(text), routeAnswers(world, String(text)));
}

/** Send a route step's requests (or read what the plan got) and judge them as present or missing. */
export async function askRoutes(world: KeelhaulWorld, text: string): Promise<void> {
  const answers = await takeAhead<RouteAnswer[] | 'too-new'>(world, text) ?? await routeAnswers(world, text);
  if (answers === 'too-new') {
    world.notApplicable(`the route needs API ${minApiOf(text)}; the negotiated version is ${world.parameters.apiVersion}`);
  }
  record(world, judgeRoutes(answers), answers);
}

async function routeAnswers(world: KeelhaulWorld, text: string): Promise<RouteAnswer[] | 'too-new'> {
  const subst: Record<string, string> = { image: world.image, run: world.parameters.runId, nonce: nonce(), now: String(Math.floor(Date.now() / 1000)) };
  const minApi = minApiOf(text);
  if (minApi && !apiAtLeast(world.parameters.apiVersion, minApi)) return 'too-new';
  if (/\{id\}/.test(text)) subst.id = await runningContainer(world);
  const { requests } = parseRequests(text, subst);
  const answers: RouteAnswer[] = [];
  for (const req of requests) {
    const headers: Record<string, string> = req.websocket
      ? { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64') }
      : {};
    const request = `${req.method} ${req.path}`;
    try {
      const r = await world.platform.raw({ method: req.method, path: req.path, body: req.body, headers, signal: world.signal, timeoutMs: 30_000 });
      answers.push({ request, status: r.status, contentType: String(r.headers['content-type'] ?? ''), text: r.text.slice(0, 2000) });
    } catch (error) {
      if ((error as Error).name !== 'PlatformTimeout') throw error;
      answers.push({ request, noAnswer: 'no answer in 30 s' });
    }
  }
  // Clean-up of what a route probe could have created by name (R13, R14): labelled, and removed here.
  for (const kind of ['networks', 'volumes']) {
    if (text.includes(`/${kind}/create`)) await world.platform.raw({ method: 'DELETE', path: `/${kind}/keelhaul-${world.scenarioId.toLowerCase()}-${world.parameters.runId}`, signal: world.signal }).catch(() => undefined);
  }
  return answers;
}

function optionContainer(world: KeelhaulWorld, def: (typeof OPTIONS)[string], value: string) {
  const extra = def.spec(value);
  const hostConfig = { ...(def.running ? {} : networkMode(world)), ...extra.hostConfig };
  return { cmd: ['sh', '-c', OPTION_PROBE], env: extra.env, user: extra.user, workingDir: extra.workingDir, labels: extra.labels, exposedPorts: extra.exposedPorts, hostConfig };
}

/**
 * The probe plan's share of "a container is created with ... set to ..." (support/probe-plan.ts):
 * the option's run-to-completion container, exactly as the step asks for it; for an option that
 * needs a running container (C12's published port, found free at the time), the same container
 * started, inspected and kept for the scenario (removed with the plan world once inspected).
 */
export async function prefetchOptionContainer(world: KeelhaulWorld, option: unknown, asked: unknown): Promise<void> {
  const def = OPTIONS[String(option)];
  if (!def) return;
  if (def.running) await keepAhead(world, runningKey(String(option), String(asked)), optionValue(world, def, String(asked)).then((value) => runningOption(world, def, value)));
  else if (!def.freeHostPort) await world.runCached(optionContainer(world, def, String(asked)), 30_000);
}

const runningKey = (option: string, asked: string) => `running option ${option}=${asked}`;

/** The value as the container gets it: "free:80" becomes a host port free at this moment where the port lives. */
async function optionValue(world: KeelhaulWorld, def: OptionDef, asked: string): Promise<string> {
  const [host, port] = asked.split(':');
  return def.freeHostPort && host === 'free' ? `${await portVantage(world).freePort()}:${port}` : asked;
}

/** A running container with the option: its value, inspect, and the host port inspect says was bound. */
async function runningOption(world: KeelhaulWorld, def: OptionDef, value: string): Promise<{ value: string; inspect: Json; facts: Record<string, string> }> {
  const id = await world.startContainer({ ...optionContainer(world, def, value), cmd: ['sleep', '60'] });
  const inspect = await world.platform.inspectContainer(id, world.signal);
  const port = value.split(':')[1];
  const bound = inspect.NetworkSettings?.Ports?.[`${port}/tcp`]?.[0];
  return { value, inspect, facts: bound ? { published: `${bound.HostPort}:${port}` } : {} };
}

/** Create a container with one option, read it back and look from inside (judges/conformance-options.ts). */
export async function createWithOption(world: KeelhaulWorld, option: string, asked: string): Promise<void> {
  const def = OPTIONS[option];
  if (!def) throw new Error(`unknown option "${option}" (known: ${Object.keys(OPTIONS).join(', ')})`);
  // What the plan saw of the running container (a refusal is not kept: the scenario meets it itself).
  const ahead = def.running ? await takeAhead<Awaited<ReturnType<typeof runningOption>>>(world, runningKey(option, asked)) : undefined;
  const value = ahead?.value ?? await optionValue(world, def, asked);
  const spec = optionContainer(world, def, value);
  const hostConfig = spec.hostConfig;
  let inspect: Json;
  let facts: Record<string, string> = {};
  try {
    if (def.running) {
      ({ inspect, facts } = ahead ?? await runningOption(world, def, value));
    } else {
      // Read-only and the same for every asker: shared with the probe plan, which may have run it already.
      const result = await world.runCached(spec, 30_000);
      if (result.timedOut) world.inconclusive('the probe container did not finish in 30 s');
      inspect = result.inspect;
      facts = parseFacts(result.stdout);
      world.attach(result.stdout, { mediaType: 'text/plain', fileName: 'option-probe.txt' });
    }
  } catch (error) {
    if (!isRefusal(error)) throw error;
    if (/^start container/.test(error.message)) {
      world.observe('startRefused', { status: error.statusCode, message: error.rawMessage });
      world.inconclusive(`the platform accepted ${option}=${value} but the container could not start (${error.statusCode}: ${error.rawMessage.slice(0, 160)}), so its effect cannot be observed here`);
    }
    // The client library can reduce a plain-text error to "server error": ask again raw for the body.
    let message = error.rawMessage;
    if (/^(server error|bad parameter|conflict|unexpected)?$/i.test(message.trim())) {
      const again = await rawCreate(world, { Cmd: spec.cmd, Env: spec.env, User: spec.user, WorkingDir: spec.workingDir, ExposedPorts: spec.exposedPorts, Labels: spec.labels, HostConfig: hostConfig });
      if (again.status >= 400) message = short(answerOf(again), 300);
    }
    record(world, judgeRefusedOption(option, value, error.statusCode, message), { refused: { status: error.statusCode, message } });
    return;
  }
  const recorded = { HostConfig: inspect.HostConfig, Config: inspect.Config, NetworkSettings: { Ports: inspect.NetworkSettings?.Ports } };
  record(world, judgeOption(option, value, inspect, facts), { value, inspect: recorded, facts });
}
