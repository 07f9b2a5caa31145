// The ports family's actions on the platform (PORT-01..08): token servers publishing ports, what
// became of each publication, the requests a client of a published port makes, and what each step of
// steps/ports.steps.ts does (one named helper a step, below). The rules are in judges/host-ports.ts
// and judges/port-errors.ts; where ports are reached from, support/port-vantage.ts.
import { expect } from 'chai';
import { isRefusal } from '../adapters/platform/docker-client.js';
import { Finding } from '../judges/errors.js';
import { clientHost, endpointFromInspect, judgeRequests, requestIp, tallyAnswers, type Endpoint, type RequestTally } from '../judges/host-ports.js';
import { classifyPortError, judgeCollision, judgeRemapping, type PortErrorVerdict, type Publication } from '../judges/port-errors.js';
import { portVantage } from './port-vantage.js';
import { tokenServerScript, uniqueToken } from './recipes.js';
import type { KeelhaulWorld } from './world.js';

export const SERVE_DEADLINE_MS = 20_000;
export const MAX_REQUESTS = 50;
export const HARNESS = 'the harness';

/** Something that serves a token on a published port: a container, or the harness's own listener. */
export interface Served {
  name: string;
  id?: string;
  token: string;
  hostIp: string;
  hostPort: number;
  containerPort: number;
  /** Where the harness fetches it. */
  endpoint: Endpoint;
}

export interface Attempt extends Publication {
  id?: string;
  token: string;
  stage?: 'create' | 'start';
  error?: PortErrorVerdict & { status?: number };
  removedAfterFailure?: boolean;
}

export interface PortsContext {
  served: Record<string, Served>;
  attempts: Attempt[];
}

declare module './world.js' {
  interface ScenarioContext {
    ports?: PortsContext;
  }
}

export function ports(world: KeelhaulWorld): PortsContext {
  return (world.ctx.ports ??= { served: {}, attempts: [] });
}

export function served(world: KeelhaulWorld, name: string): Served {
  const s = ports(world).served[name];
  if (!s) throw new Error(`nothing named "${name}" serves a token in this scenario`);
  return s;
}

export function lastAttempt(world: KeelhaulWorld, what: string): Attempt {
  const attempt = ports(world).attempts.at(-1);
  if (!attempt) throw new Error(`no ${what} was attempted`);
  return attempt;
}

export const perContainerIp = (world: KeelhaulWorld): boolean => world.profile.semantics?.perContainerIp === true;

/** Create and start a token server publishing containerPort on hostIp:hostPort; never throws for a refusal. */
export async function publish(world: KeelhaulWorld, name: string, hostIp: string, hostPort: number | '', containerPort: number): Promise<Attempt> {
  const attempt: Attempt = { name, hostIp, hostPort, containerPort, token: uniqueToken(world, name), started: false };
  const key = `${containerPort}/tcp`;
  const spec = {
    cmd: ['sh', '-c', tokenServerScript(attempt.token, containerPort)],
    exposedPorts: { [key]: {} },
    hostConfig: { PortBindings: { [key]: [{ HostIp: requestIp(hostIp), HostPort: String(hostPort) }] } },
  };
  try {
    // Created and started apart (not world.startContainer): which of the two was refused is reported.
    attempt.id = await world.platform.createContainer({ image: world.image, ...spec }, world.scenarioId, world.signal);
    world.resources.track('container', attempt.id);
    attempt.stage = 'start';
    await world.platform.startContainer(attempt.id, world.signal);
    attempt.started = true;
  } catch (error) {
    if (!isRefusal(error)) throw error;
    attempt.stage ??= 'create';
    attempt.error = { ...classifyPortError(error.rawMessage), status: error.statusCode };
  }
  if (attempt.started && attempt.id) {
    const reported = endpointFromInspect(await world.platform.inspectContainer(attempt.id, world.signal), containerPort);
    // The address the client was promised, unless the platform gives every container its own.
    attempt.endpoint = perContainerIp(world) || hostPort === '' ? reported : { host: clientHost(hostIp), port: Number(hostPort) };
  }
  ports(world).attempts.push(attempt);
  return attempt;
}

/** A failed start leaves the container behind on Docker (state Created): remove it now and check. */
export async function cleanFailed(world: KeelhaulWorld, attempt: Attempt): Promise<void> {
  if (attempt.started || !attempt.id) return;
  await world.platform.removeContainer(attempt.id);
  try {
    await world.platform.inspectContainer(attempt.id, world.signal);
    attempt.removedAfterFailure = false;
  } catch (error) {
    if (isRefusal(error) && error.statusCode === 404) attempt.removedAfterFailure = true;
    else throw error;
  }
}

/** Publish, retrying with another free port (at most 3 tries) when someone took the chosen one first. */
export async function publishOnFreePort(world: KeelhaulWorld, name: string, hostIp: string, containerPort?: number): Promise<Attempt> {
  const vantage = portVantage(world);
  let attempt: Attempt | undefined;
  for (let tries = 0; tries < 3; tries++) {
    let hostPort = await vantage.freePort();
    if (containerPort !== undefined && hostPort === containerPort) hostPort = await vantage.freePort();
    attempt = await publish(world, name, hostIp, hostPort, containerPort ?? hostPort);
    if (attempt.started) break;
    await cleanFailed(world, attempt);
    if (attempt.error?.class !== 'port-in-use') break;
  }
  return attempt!;
}

export function observeAttempt(world: KeelhaulWorld, attempt: Attempt): void {
  world.observe(`${attempt.name}.publication`, {
    requested: `${attempt.hostIp}:${attempt.hostPort || '(ephemeral)'}->${attempt.containerPort}/tcp`,
    outcome: attempt.started ? 'started' : 'refused',
    ...(attempt.endpoint ? { endpoint: `${attempt.endpoint.host}:${attempt.endpoint.port}` } : {}),
    ...(attempt.error ? { stage: attempt.stage, status: attempt.error.status, class: attempt.error.class, raw: attempt.error.raw } : {}),
    ...(attempt.removedAfterFailure !== undefined ? { removedAfterFailure: attempt.removedAfterFailure } : {}),
  });
  if (attempt.error) {
    // The normalised class and the engine's own words, side by side (issue: "keep the raw message").
    world.observe(attempt.error.class === 'port-in-use' ? 'collision' : 'refusal', { class: attempt.error.class, source: attempt.error.source, address: attempt.error.address, raw: attempt.error.raw });
  }
}

/** Record a started publication as serving its token (at the host port it really got). */
export function markServed(world: KeelhaulWorld, attempt: Attempt & { endpoint: Endpoint }, hostPort: number): Served {
  const s: Served = { name: attempt.name, id: attempt.id, token: attempt.token, hostIp: attempt.hostIp, hostPort, containerPort: attempt.containerPort, endpoint: attempt.endpoint };
  ports(world).served[attempt.name] = s;
  return s;
}

/** Fetch `target`'s published address `count` times and sort the answers by whose token they carry. */
export async function requestTokens(world: KeelhaulWorld, count: number, target: Served, owner: Served): Promise<RequestTally> {
  const state = ports(world);
  const tokens = new Map<string, string>();
  for (const s of Object.values(state.served)) tokens.set(s.token, s.name);
  for (const a of state.attempts) tokens.set(a.token, a.name);
  // Two requests in a row that find the port blocked end the series: that is the verdict.
  const answers = await portVantage(world).requestSeries(target.endpoint.host, target.endpoint.port, count);
  return tallyAnswers(answers, owner.token, tokens);
}

/** A token server on a free port of the address, answering its token before the step ends. */
export async function serveOnFreePort(world: KeelhaulWorld, name: string, hostIp: string): Promise<void> {
  const attempt = await publishOnFreePort(world, name, hostIp);
  if (!attempt.started || !attempt.endpoint) {
    observeAttempt(world, attempt);
    throw new Error(`container "${name}" could not publish a port of ${hostIp}: ${attempt.error?.raw ?? 'no published address in inspect'}`);
  }
  const answer = await portVantage(world).waitFor(attempt.endpoint.host, attempt.endpoint.port, SERVE_DEADLINE_MS);
  if (!answer.ok || !answer.body.includes(attempt.token)) {
    world.inconclusive(`container "${name}" never served its token on ${attempt.endpoint.host}:${attempt.endpoint.port} (${answer.ok ? `HTTP ${answer.status}` : answer.error}): container networking may be broken (keelhaul doctor)`);
  }
  markServed(world, { ...attempt, endpoint: attempt.endpoint }, Number(attempt.hostPort));
  observeAttempt(world, attempt);
}

/** The harness's own listener on a free port (PORT-03). */
export async function holdHarnessPort(world: KeelhaulWorld, host: string): Promise<void> {
  const token = uniqueToken(world, 'harness');
  const port = await portVantage(world).hold(host, token);
  ports(world).served[HARNESS] = { name: HARNESS, token, hostIp: host, hostPort: port, containerPort: port, endpoint: { host: clientHost(host), port } };
  world.observe('harnessListener', `${host}:${port}`);
}

/** A second publication of a port someone holds; a container its failed start left behind is removed. */
export async function publishSamePort(world: KeelhaulWorld, name: string, holder: string, hostIp: string): Promise<void> {
  const first = served(world, holder);
  const attempt = await publish(world, name, hostIp, first.hostPort, first.containerPort);
  await cleanFailed(world, attempt);
  observeAttempt(world, attempt);
}

/** judgeCollision on the last publication. */
export function checkCollision(world: KeelhaulWorld): void {
  const attempt = lastAttempt(world, 'second publication');
  const holders = Object.values(ports(world).served).filter((s) => s.name !== attempt.name);
  world.settle(judgeCollision(attempt, holders.map((s) => ({ ...s, started: true })), { perContainerIp: perContainerIp(world), profile: world.profile.name }));
}

/** A request series to `target`'s address, tallied by whose token answered: judgeRequests. */
export async function checkRequests(world: KeelhaulWorld, count: number, target: string, owner: string): Promise<void> {
  if (count < 1 || count > MAX_REQUESTS) throw new Error(`ask for 1 to ${MAX_REQUESTS} requests, not ${count}`);
  const endpoint = served(world, target).endpoint;
  const tally = await requestTokens(world, count, served(world, target), served(world, owner));
  const { asked, own, hijacked, other, failed } = tally;
  world.observe(`requestsTo${target.replace(/[^A-Za-z0-9]/g, '')}`, { endpoint: `${endpoint.host}:${endpoint.port}`, asked, own, hijacked, other, failed });
  const refused = ports(world).attempts.filter((a) => !a.started && a.error).map((a) => `"${a.name}"`);
  if (tally.failed > 0 && tally.hijacked === 0) world.observe('blocked', { endpoint: `${endpoint.host}:${endpoint.port}`, after: refused, errors: tally.samples });
  world.settle(judgeRequests(tally, { count, target, owner, endpoint, refused }));
}

/** PORT-08: nothing of this scenario in Created, and every failed start removed. */
export async function checkNothingCreated(world: KeelhaulWorld): Promise<void> {
  const mine = await world.platform.listContainersByLabel(`keelhaul.run=${world.platform.runId}`);
  const here = mine.filter((c) => c.labels['keelhaul.scenario'] === world.scenarioId);
  const created = here.filter((c) => c.state === 'created' || c.state === 'Created' || c.state === 'configured');
  const failedStillThere = ports(world).attempts.filter((a) => !a.started && a.id && a.removedAfterFailure === false);
  world.observe('scenarioContainers', here.map((c) => `${c.id.slice(0, 12)} ${c.state}`));
  expect(created.map((c) => `${c.id.slice(0, 12)} (${c.state})`), 'containers left in Created').to.be.empty;
  expect(failedStillThere.map((a) => a.name), 'containers whose start failed still exist after removal').to.be.empty;
}

/** PORT-05: N token servers on ephemeral host ports; every one must start. */
export async function publishEphemeral(world: KeelhaulWorld, count: number, containerPort: number, hostIp: string): Promise<void> {
  if (count < 2 || count > 10) throw new Error(`ask for 2 to 10 containers, not ${count}`);
  // All at once: the allocator must hand out distinct ports to requests that race, as a pipeline's
  // parallel jobs make them (and six publications one after the other cost ~1.5 s more here).
  const attempts = await Promise.all(Array.from({ length: count }, (_, i) => publish(world, `E${i + 1}`, hostIp, '', containerPort)));
  for (const [index, attempt] of attempts.entries()) {
    const i = index + 1;
    if (!attempt.started || !attempt.endpoint) {
      observeAttempt(world, attempt);
      throw new Finding(`ephemeral publication ${i} of ${count} failed: ${attempt.error?.raw ?? 'no host port in inspect'} (class ${attempt.error?.class ?? 'n/a'})`);
    }
    markServed(world, { ...attempt, endpoint: attempt.endpoint }, attempt.endpoint.port);
  }
  world.observe('ephemeral', Object.values(ports(world).served).map((s) => `${s.name}=${s.endpoint.host}:${s.endpoint.port}`));
}

/** PORT-05: every published address answers its own token. */
export async function checkEachAnswers(world: KeelhaulWorld): Promise<void> {
  const served = Object.values(ports(world).served);
  const answers = await Promise.all(served.map((s) => portVantage(world).waitFor(s.endpoint.host, s.endpoint.port, SERVE_DEADLINE_MS)));
  const wrong: string[] = [];
  for (const [i, s] of served.entries()) {
    const answer = answers[i]!;
    if (!answer.ok) wrong.push(`${s.name} at ${s.endpoint.host}:${s.endpoint.port}: ${answer.error}`);
    else if (!answer.body.includes(s.token)) wrong.push(`${s.name} at ${s.endpoint.host}:${s.endpoint.port} answered "${answer.body.trim().slice(0, 60)}"`);
  }
  expect(wrong, 'published addresses not answering for their own container').to.be.empty;
}

/** PORT-06: judgeRemapping, fetching the remapped port where it was honoured. */
export async function checkRemapping(world: KeelhaulWorld): Promise<void> {
  const attempt = lastAttempt(world, 'remapped publication');
  const declared = world.profile.semantics?.portRemapping !== false;
  world.observe('portRemapping', { declared, observed: attempt.started });
  const answer = declared && attempt.started ? await portVantage(world).waitFor(attempt.endpoint!.host, attempt.endpoint!.port, SERVE_DEADLINE_MS) : undefined;
  const answered = answer && { ok: answer.ok && answer.body.includes(attempt.token), detail: answer.ok ? answer.body.slice(0, 60) : answer.error };
  world.settle(judgeRemapping(attempt, declared, world.profile.name, answered));
}

/** PORT-07: a token server on a free privileged port. */
export async function publishPrivileged(world: KeelhaulWorld, name: string, hostIp: string): Promise<void> {
  const candidates = [81, 82, 88, 981, 982, 983, 1001, 1002];
  const port = await portVantage(world).freeAmong(candidates);
  if (!port) world.inconclusive(`none of the privileged ports ${candidates.join(', ')} is free on ${hostIp} of the engine's host`);
  const attempt = await publish(world, name, hostIp, port, port);
  await cleanFailed(world, attempt);
  observeAttempt(world, attempt);
}

/** PORT-07: whether it was allowed, and answered. */
export async function reportPrivileged(world: KeelhaulWorld): Promise<void> {
  const attempt = lastAttempt(world, 'privileged publication');
  let answered: boolean | undefined;
  if (attempt.started && attempt.endpoint) {
    const answer = await portVantage(world).waitFor(attempt.endpoint.host, attempt.endpoint.port, 10_000);
    answered = answer.ok && answer.body.includes(attempt.token);
  }
  world.observe('privilegedHostPort', {
    port: attempt.hostPort, allowed: attempt.started, answered,
    ...(attempt.error ? { class: attempt.error.class, raw: attempt.error.raw } : {}),
  });
}
