// The ports family's actions on the platform (PORT-01..08): token servers publishing ports, what
// became of each publication, and the requests a client of a published port makes. The rules are in
// judges/host-ports.ts and judges/port-errors.ts; where ports are reached from, support/port-vantage.ts.
import { isRefusal } from '../adapters/platform/docker-client.js';
import { clientHost, endpointFromInspect, requestIp, tallyAnswers, type Endpoint, type RequestTally } from '../judges/host-ports.js';
import { classifyPortError, type PortErrorVerdict, type Publication } from '../judges/port-errors.js';
import { portVantage } from './port-vantage.js';
import { tokenServerScript, uniqueToken } from './recipes.js';
import type { KeelhaulWorld } from './world.js';

export const SERVE_DEADLINE_MS = 20_000;
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
