// Published ports (PORT-01..08, attacks.md 8.3 and section 5). Containers serve a unique token with
// busybox httpd; the harness fetches the tokens where the port lives (support/port-vantage.ts: a
// helper container in the engine host's network namespace, or keelhaul itself on per-container-IP
// platforms), so the verdict is what a client of the published port really gets, not what `inspect`
// says, and it does not depend on where keelhaul runs.
import { Given, Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { PlatformRefusal } from '../adapters/platform/docker-client.js';
import { Finding } from '../judges/errors.js';
import { classifyPortError, type PortErrorVerdict } from '../judges/port-errors.js';
import { portVantage } from '../support/port-vantage.js';
import { doc } from '../support/step-docs.js';
import type { KeelhaulWorld } from '../support/world.js';

const MAX_REQUESTS = 50;
const SERVE_DEADLINE_MS = 20_000;
const HARNESS = 'the harness';

interface Endpoint { host: string; port: number }

/** Something that serves a token on a published port: a container, or the harness's own listener. */
interface Served {
  name: string;
  id?: string;
  token: string;
  /** What was asked for: host address and port. */
  hostIp: string;
  hostPort: number;
  containerPort: number;
  /** Where the harness fetches it. */
  endpoint: Endpoint;
}

interface Attempt {
  name: string;
  id?: string;
  hostIp: string;
  hostPort: number | '';
  containerPort: number;
  token: string;
  started: boolean;
  stage?: 'create' | 'start';
  error?: PortErrorVerdict & { status?: number };
  endpoint?: Endpoint;
  removedAfterFailure?: boolean;
}

interface PortState {
  served: Record<string, Served>;
  attempts: Attempt[];
}

function ports(world: KeelhaulWorld): PortState {
  world.state.ports ??= { served: {}, attempts: [] } satisfies PortState;
  return world.state.ports as PortState;
}

function token(world: KeelhaulWorld, name: string): string {
  return `keelhaul-${world.scenarioId}-${name.replace(/[^A-Za-z0-9]+/g, '')}-${randomBytes(6).toString('hex')}`;
}

const perContainerIp = (world: KeelhaulWorld): boolean => world.profile.semantics?.perContainerIp === true;

/** Where a client reaches a published binding (a wildcard is reached on loopback). */
function clientHost(hostIp: string): string {
  return !hostIp || hostIp === '*' || hostIp === '0.0.0.0' || hostIp === '::' ? '127.0.0.1' : hostIp;
}

/**
 * "*" is the wildcard as `docker run -p P:P` sends it (HostIp ""); "0.0.0.0" is sent literally
 * (Podman 4.3's compat API then programs a DNAT rule for -d 0.0.0.0/32 only: unreachable).
 */
function requestIp(hostIp: string): string {
  return hostIp === '*' ? '' : hostIp;
}

function endpointFromInspect(inspect: any, containerPort: number): Endpoint | undefined {
  const bindings = inspect?.NetworkSettings?.Ports?.[`${containerPort}/tcp`];
  const first = Array.isArray(bindings) ? bindings.find((b: any) => b?.HostPort) : undefined;
  if (!first) return undefined;
  return { host: clientHost(String(first.HostIp ?? '')), port: Number(first.HostPort) };
}

function httpdScript(tokenText: string, port: number): string {
  // sh stays PID 1 with a TERM trap: busybox httpd as PID 1 ignores SIGTERM, and Podman's forced
  // removal waits 10 s for it before SIGKILL.
  return `trap 'exit 0' TERM; mkdir -p /tmp/www && echo '${tokenText}' > /tmp/www/index.html && httpd -f -p ${port} -h /tmp/www & wait`;
}

/** Create and start a token server publishing containerPort on hostIp:hostPort; never throws for a refusal. */
async function publish(world: KeelhaulWorld, name: string, hostIp: string, hostPort: number | '', containerPort: number): Promise<Attempt> {
  const attempt: Attempt = { name, hostIp, hostPort, containerPort, token: token(world, name), started: false };
  const key = `${containerPort}/tcp`;
  const spec = {
    cmd: ['sh', '-c', httpdScript(attempt.token, containerPort)],
    exposedPorts: { [key]: {} },
    hostConfig: { PortBindings: { [key]: [{ HostIp: requestIp(hostIp), HostPort: String(hostPort) }] } },
  };
  try {
    attempt.id = await world.platform.createContainer({ image: world.image, ...spec }, world.scenarioId, world.signal);
    world.resources.track('container', attempt.id);
    attempt.stage = 'start';
    await world.platform.startContainer(attempt.id, world.signal);
    attempt.started = true;
  } catch (error) {
    if (!(error instanceof PlatformRefusal)) throw error;
    attempt.stage ??= 'create';
    attempt.error = { ...classifyPortError(error.rawMessage), status: error.statusCode };
  }
  if (attempt.started && attempt.id) {
    const inspect = await world.platform.inspectContainer(attempt.id, world.signal);
    const reported = endpointFromInspect(inspect, containerPort);
    // The address the client was promised, unless the platform gives every container its own.
    attempt.endpoint = perContainerIp(world) || hostPort === '' ? reported : { host: clientHost(hostIp), port: Number(hostPort) };
  }
  ports(world).attempts.push(attempt);
  return attempt;
}

/** A failed start leaves the container behind on Docker (state Created): remove it now and check. */
async function cleanFailed(world: KeelhaulWorld, attempt: Attempt): Promise<void> {
  if (attempt.started || !attempt.id) return;
  await world.platform.removeContainer(attempt.id);
  try {
    await world.platform.inspectContainer(attempt.id, world.signal);
    attempt.removedAfterFailure = false;
  } catch (error) {
    if (error instanceof PlatformRefusal && error.statusCode === 404) attempt.removedAfterFailure = true;
    else throw error;
  }
}

function observeAttempt(world: KeelhaulWorld, attempt: Attempt): void {
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

function served(world: KeelhaulWorld, name: string): Served {
  const s = ports(world).served[name];
  if (!s) throw new Error(`nothing named "${name}" serves a token in this scenario`);
  return s;
}

Given('a container {string} serving a unique token on a free host port of {string}', doc(
  'Starts a busybox httpd container publishing a free random high port of the address (container port = host port, which per-container-IP platforms require) and waits until the harness fetches its unique token there. A port taken by someone else between choosing and starting is retried with another port (at most 3 times).',
  'Given a container "A" serving a unique token on a free host port of "127.0.0.1"',
  60_000,
), async function (this: KeelhaulWorld, name: string, hostIp: string) {
  const vantage = portVantage(this);
  let attempt: Attempt | undefined;
  for (let tries = 0; tries < 3; tries++) {
    const port = await vantage.freePort();
    attempt = await publish(this, name, hostIp, port, port);
    if (attempt.started) break;
    await cleanFailed(this, attempt);
    if (attempt.error?.class !== 'port-in-use') break;
  }
  if (!attempt?.started || !attempt.endpoint) {
    observeAttempt(this, attempt!);
    throw new Error(`container "${name}" could not publish a port of ${hostIp}: ${attempt?.error?.raw ?? 'no published address in inspect'}`);
  }
  const answer = await vantage.waitFor(attempt.endpoint.host, attempt.endpoint.port, SERVE_DEADLINE_MS);
  if (!answer.ok || !answer.body.includes(attempt.token)) {
    this.inconclusive(`container "${name}" never served its token on ${attempt.endpoint.host}:${attempt.endpoint.port} (${answer.ok ? `HTTP ${answer.status}` : answer.error}): container networking may be broken (keelhaul doctor)`);
  }
  ports(this).served[name] = {
    name, id: attempt.id, token: attempt.token, hostIp, hostPort: Number(attempt.hostPort), containerPort: attempt.containerPort, endpoint: attempt.endpoint,
  };
  observeAttempt(this, attempt);
});

Given('the harness holds a free port of {string} with a listener of its own', doc(
  'Holds a free port of the address on the engine\'s host with a listener the platform\'s port publishing knows nothing of (busybox httpd in the harness\'s helper container, in the host\'s network namespace), answering a unique token; gone when the scenario ends. Not applicable where the platform refuses host networking, or gives every container its own address (nothing outside the platform shares them).',
  'Given the harness holds a free port of "127.0.0.1" with a listener of its own',
  60_000,
), async function (this: KeelhaulWorld, host: string) {
  const tokenText = token(this, 'harness');
  const port = await portVantage(this).hold(host, tokenText);
  ports(this).served[HARNESS] = { name: HARNESS, token: tokenText, hostIp: host, hostPort: port, containerPort: port, endpoint: { host: clientHost(host), port } };
  this.observe('harnessListener', `${host}:${port}`);
});

When('a container {string} publishes the same host port as {string} on {string}', doc(
  'Asks for a container publishing the host port the other one holds, on the given address (the same container port, so per-container-IP platforms need no remapping). A refusal is recorded with its normalised class and the raw message; a container the failed start left behind is removed at once, and its removal checked.',
  'When a container "B" publishes the same host port as "A" on "127.0.0.1"',
  60_000,
), async function (this: KeelhaulWorld, name: string, holder: string, hostIp: string) {
  const first = served(this, holder);
  const attempt = await publish(this, name, hostIp, first.hostPort, first.containerPort);
  await cleanFailed(this, attempt);
  observeAttempt(this, attempt);
});

Then('the second publication is refused as a port collision, or lands on an address of its own', doc(
  'Docker and Podman: the last attempt must be refused, and the refusal must be recognisably a port collision (class port-in-use: "port is already allocated", "address already in use", "cannot listen on the TCP port"). A platform with per-container IPs (profile semantics.perContainerIp) must instead start it on an address different from the first one\'s.',
  'Then the second publication is refused as a port collision, or lands on an address of its own',
), function (this: KeelhaulWorld) {
  const state = ports(this);
  const attempt = state.attempts.at(-1);
  if (!attempt) throw new Error('no second publication was attempted');
  const firsts = Object.values(state.served).filter((s) => s.name !== attempt.name);
  if (perContainerIp(this)) {
    if (!attempt.started) {
      throw new Finding(`profile ${this.profile.name} declares per-container IPs, yet "${attempt.name}" was refused: ${attempt.error?.raw} (class ${attempt.error?.class})`);
    }
    const clash = firsts.find((s) => attempt.endpoint && s.endpoint.host === attempt.endpoint.host && s.endpoint.port === attempt.endpoint.port);
    expect(clash, `"${attempt.name}" was given the address ${clash?.endpoint.host}:${clash?.endpoint.port} that "${clash?.name}" already publishes`).to.equal(undefined);
    return;
  }
  if (attempt.started) {
    throw new Finding(`"${attempt.name}" started on ${attempt.hostIp}:${attempt.hostPort} while ${firsts.map((s) => `"${s.name}" publishes ${s.hostIp}:${s.hostPort}`).join(', ')}: the platform did not detect the collision`);
  }
  expect(attempt.error?.class, `"${attempt.name}" was refused, but not recognisably as a port collision: ${attempt.error?.raw}`).to.equal('port-in-use');
});

Then('every one of {int} requests to {string} gets {string}\'s token', doc(
  'Fetches the published address where it lives (the harness\'s helper on the engine\'s host, or keelhaul itself on a per-container-IP platform), one fresh connection per request (at most 50 requests, 20 s in all; a failed request is retried once, and two failed requests in a row end the count). Fails if any answer carries another container\'s token (a hijack) or anything but the expected token, or if requests find the port blocked.',
  'Then every one of 30 requests to "A" gets "A"\'s token',
  60_000,
), async function (this: KeelhaulWorld, count: number, target: string, owner: string) {
  if (count < 1 || count > MAX_REQUESTS) throw new Error(`ask for 1 to ${MAX_REQUESTS} requests, not ${count}`);
  const state = ports(this);
  const expected = served(this, owner);
  const endpoint = served(this, target).endpoint;
  const tokens = new Map<string, string>();
  for (const s of Object.values(state.served)) tokens.set(s.token, s.name);
  for (const a of state.attempts) tokens.set(a.token, a.name);
  const tally = { own: 0, hijacked: 0, other: 0, failed: 0 };
  const hijackers = new Set<string>();
  const samples: string[] = [];
  // Two requests in a row that find the port blocked end the series: that is the verdict.
  for (const answer of await portVantage(this).requestSeries(endpoint.host, endpoint.port, count)) {
    if (!answer.ok) {
      tally.failed++;
      if (samples.length < 3) samples.push(answer.error);
      continue;
    }
    const body = answer.body.trim();
    if (body.includes(expected.token)) {
      tally.own++;
      continue;
    }
    const who = [...tokens].find(([t]) => body.includes(t))?.[1];
    if (who) {
      tally.hijacked++;
      hijackers.add(who);
    } else {
      tally.other++;
      if (samples.length < 3) samples.push(`HTTP ${answer.status}: ${body.slice(0, 80)}`);
    }
  }
  const asked = tally.own + tally.hijacked + tally.other + tally.failed;
  this.observe(`requestsTo${target.replace(/[^A-Za-z0-9]/g, '')}`, { endpoint: `${endpoint.host}:${endpoint.port}`, asked, ...tally });
  if (tally.hijacked > 0) {
    throw new Finding(`hijack: ${tally.hijacked} of ${asked} requests to ${endpoint.host}:${endpoint.port} (published by "${target}") were answered by ${[...hijackers].map((h) => `"${h}"`).join(', ')}`);
  }
  const refused = state.attempts.filter((a) => !a.started && a.error).map((a) => `"${a.name}"`);
  const after = refused.length > 0 ? ` after the refused publication of ${refused.join(', ')}` : '';
  if (tally.failed > 0) this.observe('blocked', { endpoint: `${endpoint.host}:${endpoint.port}`, after: refused, errors: samples });
  expect(tally.failed, `${tally.failed} of ${asked} requests to ${endpoint.host}:${endpoint.port} failed: the port is blocked${after} (${samples.join('; ')})`).to.equal(0);
  if (asked < count) this.inconclusive(`only ${asked} of ${count} requests could be made in 20 s`);
  expect(tally.other, `${tally.other} answers from ${endpoint.host}:${endpoint.port} were not "${owner}"'s token: ${samples.join('; ')}`).to.equal(0);
});

Then('no container of this scenario is left in Created', doc(
  'Lists the containers labelled with this run and scenario: fails if any is in state Created (a failed start the platform or the harness left behind), or if a container whose start failed still exists.',
  'Then no container of this scenario is left in Created',
), async function (this: KeelhaulWorld) {
  const state = ports(this);
  const mine = await this.platform.listContainersByLabel(`keelhaul.run=${this.platform.runId}`);
  const here = mine.filter((c) => c.labels['keelhaul.scenario'] === this.scenarioId);
  const created = here.filter((c) => c.state === 'created' || c.state === 'Created' || c.state === 'configured');
  const failedStillThere = state.attempts.filter((a) => !a.started && a.id && a.removedAfterFailure === false);
  this.observe('scenarioContainers', here.map((c) => `${c.id.slice(0, 12)} ${c.state}`));
  expect(created.map((c) => `${c.id.slice(0, 12)} (${c.state})`), 'containers left in Created').to.be.empty;
  expect(failedStillThere.map((a) => a.name), 'containers whose start failed still exist after removal').to.be.empty;
});

When('{int} containers each publish container port {int} on an ephemeral host port of {string}', doc(
  'Starts N token servers (at most 10), each publishing the container port on a host port the platform chooses on the address (-p ADDR::PORT, the allocator -P uses). Every one must start.',
  'When 6 containers each publish container port 8080 on an ephemeral host port of "127.0.0.1"',
  120_000,
), async function (this: KeelhaulWorld, count: number, containerPort: number, hostIp: string) {
  if (count < 2 || count > 10) throw new Error(`ask for 2 to 10 containers, not ${count}`);
  for (let i = 1; i <= count; i++) {
    const attempt = await publish(this, `E${i}`, hostIp, '', containerPort);
    if (!attempt.started || !attempt.endpoint) {
      observeAttempt(this, attempt);
      throw new Finding(`ephemeral publication ${i} of ${count} failed: ${attempt.error?.raw ?? 'no host port in inspect'} (class ${attempt.error?.class ?? 'n/a'})`);
    }
    ports(this).served[attempt.name] = {
      name: attempt.name, id: attempt.id, token: attempt.token, hostIp, hostPort: attempt.endpoint.port, containerPort, endpoint: attempt.endpoint,
    };
  }
  this.observe('ephemeral', Object.values(ports(this).served).map((s) => `${s.name}=${s.endpoint.host}:${s.endpoint.port}`));
});

Then('their published addresses are all different', doc(
  'Fails if the platform handed the same host address and port to two containers.',
  'Then their published addresses are all different',
), function (this: KeelhaulWorld) {
  const seen = new Map<string, string>();
  const duplicates: string[] = [];
  for (const s of Object.values(ports(this).served)) {
    const key = `${s.endpoint.host}:${s.endpoint.port}`;
    if (seen.has(key)) duplicates.push(`${key} (${seen.get(key)} and ${s.name})`);
    seen.set(key, s.name);
  }
  expect(duplicates, 'the same published address was allocated twice').to.be.empty;
});

Then('each published address answers with its own container\'s token', doc(
  'Fetches every published address once where it lives (bounded: 20 s for the first answer of each): each must answer its own container\'s token.',
  'Then each published address answers with its own container\'s token',
  120_000,
), async function (this: KeelhaulWorld) {
  const wrong: string[] = [];
  for (const s of Object.values(ports(this).served)) {
    const answer = await portVantage(this).waitFor(s.endpoint.host, s.endpoint.port, SERVE_DEADLINE_MS);
    if (!answer.ok) wrong.push(`${s.name} at ${s.endpoint.host}:${s.endpoint.port}: ${answer.error}`);
    else if (!answer.body.includes(s.token)) wrong.push(`${s.name} at ${s.endpoint.host}:${s.endpoint.port} answered "${answer.body.trim().slice(0, 60)}"`);
  }
  expect(wrong, 'published addresses not answering for their own container').to.be.empty;
});

When('a container {string} publishes container port {int} on a free host port of {string}', doc(
  'Asks for a token server publishing the container port on a different, free random host port (-p ADDR:H:C with H != C) and records what the platform did.',
  'When a container "A" publishes container port 8080 on a free host port of "127.0.0.1"',
  60_000,
), async function (this: KeelhaulWorld, name: string, containerPort: number, hostIp: string) {
  const vantage = portVantage(this);
  let attempt: Attempt | undefined;
  // A free port can be taken by someone else before the start: that collision is retried (3 tries).
  for (let tries = 0; tries < 3; tries++) {
    let hostPort = await vantage.freePort();
    if (hostPort === containerPort) hostPort = await vantage.freePort();
    attempt = await publish(this, name, hostIp, hostPort, containerPort);
    await cleanFailed(this, attempt);
    if (attempt.error?.class !== 'port-in-use') break;
  }
  observeAttempt(this, attempt!);
});

Then('the remapping is honoured, or refused where the profile declares no port remapping', doc(
  'Profile semantics.portRemapping true (Docker, Podman): the container must start and answer its token on the host port. false (Triton: "remapping of port numbers not allowed"): the request must be refused; honouring it means the profile is out of date.',
  'Then the remapping is honoured, or refused where the profile declares no port remapping',
  60_000,
), async function (this: KeelhaulWorld) {
  const attempt = ports(this).attempts.at(-1);
  if (!attempt) throw new Error('no remapped publication was attempted');
  const allowed = this.profile.semantics?.portRemapping !== false;
  this.observe('portRemapping', { declared: allowed, observed: attempt.started });
  if (!allowed) {
    if (attempt.started) throw new Finding(`profile ${this.profile.name} declares no port remapping, yet ${attempt.hostPort}->${attempt.containerPort} was honoured (profile out of date?)`);
    return;
  }
  if (!attempt.started) throw new Finding(`remapping ${attempt.hostIp}:${attempt.hostPort}->${attempt.containerPort} was refused though profile ${this.profile.name} declares it: ${attempt.error?.raw}`);
  const answer = await portVantage(this).waitFor(attempt.endpoint!.host, attempt.endpoint!.port, SERVE_DEADLINE_MS);
  expect(answer.ok && answer.body.includes(attempt.token), `the remapped port ${attempt.endpoint!.host}:${attempt.endpoint!.port} did not answer the container's token (${answer.ok ? answer.body.slice(0, 60) : answer.error})`).to.equal(true);
});

When('a container {string} publishes a free privileged host port of {string}', doc(
  'Picks a privileged port (below 1024) that nothing listens on at the engine\'s host right now from a short fixed list, and asks for a token server publishing it (container port = host port).',
  'When a container "A" publishes a free privileged host port of "127.0.0.1"',
  60_000,
), async function (this: KeelhaulWorld, name: string, hostIp: string) {
  const candidates = [81, 82, 88, 981, 982, 983, 1001, 1002];
  const port = await portVantage(this).freeAmong(candidates);
  if (!port) this.inconclusive(`none of the privileged ports ${candidates.join(', ')} is free on ${hostIp} of the engine's host`);
  const attempt = await publish(this, name, hostIp, port, port);
  await cleanFailed(this, attempt);
  observeAttempt(this, attempt);
});

Then('whether containers may publish privileged host ports is reported', doc(
  'Information (CIS Docker Benchmark 5.8): records whether the platform let a container publish a privileged host port, and whether it answered there. Never fails.',
  'Then whether containers may publish privileged host ports is reported',
  30_000,
), async function (this: KeelhaulWorld) {
  const attempt = ports(this).attempts.at(-1);
  if (!attempt) throw new Error('no privileged publication was attempted');
  let answered: boolean | undefined;
  if (attempt.started && attempt.endpoint) {
    const answer = await portVantage(this).waitFor(attempt.endpoint.host, attempt.endpoint.port, 10_000);
    answered = answer.ok && answer.body.includes(attempt.token);
  }
  this.observe('privilegedHostPort', {
    port: attempt.hostPort, allowed: attempt.started, answered,
    ...(attempt.error ? { class: attempt.error.class, raw: attempt.error.raw } : {}),
  });
});
