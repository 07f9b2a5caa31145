// Published ports (PORT-01..08, attacks.md 8.3 and section 5; docs/ports.md). Containers serve a
// unique token; the harness fetches the tokens where the port lives (support/port-vantage.ts), so the
// verdict is what a client of the published port really gets, not what `inspect` says. The actions
// are in support/published-ports.ts, the rules in judges/host-ports.ts and judges/port-errors.ts.
import { Given, Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import { clientHost, duplicateAddresses, judgeRequests } from '../judges/host-ports.js';
import { judgeCollision, judgeRemapping } from '../judges/port-errors.js';
import { Finding } from '../judges/errors.js';
import { portVantage } from '../support/port-vantage.js';
import {
  HARNESS, SERVE_DEADLINE_MS, cleanFailed, lastAttempt, markServed, observeAttempt, perContainerIp, ports, publish, publishOnFreePort,
  requestTokens, served,
} from '../support/published-ports.js';
import { uniqueToken } from '../support/recipes.js';
import { doc } from '../support/step-docs.js';
import { settle } from '../support/verdicts.js';
import type { KeelhaulWorld } from '../support/world.js';

const MAX_REQUESTS = 50;

Given('a container {string} serving a unique token on a free host port of {string}', doc(
  'Starts a busybox httpd container publishing a free random high port of the address (container port = host port, which per-container-IP platforms require) and waits until the harness fetches its unique token there. A port taken by someone else between choosing and starting is retried with another port (at most 3 times).',
  'Given a container "A" serving a unique token on a free host port of "127.0.0.1"',
  60_000,
), async function (this: KeelhaulWorld, name: string, hostIp: string) {
  const attempt = await publishOnFreePort(this, name, hostIp);
  if (!attempt.started || !attempt.endpoint) {
    observeAttempt(this, attempt);
    throw new Error(`container "${name}" could not publish a port of ${hostIp}: ${attempt.error?.raw ?? 'no published address in inspect'}`);
  }
  const answer = await portVantage(this).waitFor(attempt.endpoint.host, attempt.endpoint.port, SERVE_DEADLINE_MS);
  if (!answer.ok || !answer.body.includes(attempt.token)) {
    this.inconclusive(`container "${name}" never served its token on ${attempt.endpoint.host}:${attempt.endpoint.port} (${answer.ok ? `HTTP ${answer.status}` : answer.error}): container networking may be broken (keelhaul doctor)`);
  }
  markServed(this, { ...attempt, endpoint: attempt.endpoint }, Number(attempt.hostPort));
  observeAttempt(this, attempt);
});

Given('the harness holds a free port of {string} with a listener of its own', doc(
  'Holds a free port of the address on the engine\'s host with a listener the platform\'s port publishing knows nothing of (busybox httpd in the harness\'s helper container, in the host\'s network namespace), answering a unique token; gone when the scenario ends. Not applicable where the platform refuses host networking, or gives every container its own address (nothing outside the platform shares them).',
  'Given the harness holds a free port of "127.0.0.1" with a listener of its own',
  60_000,
), async function (this: KeelhaulWorld, host: string) {
  const token = uniqueToken(this, 'harness');
  const port = await portVantage(this).hold(host, token);
  ports(this).served[HARNESS] = { name: HARNESS, token, hostIp: host, hostPort: port, containerPort: port, endpoint: { host: clientHost(host), port } };
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
  const attempt = lastAttempt(this, 'second publication');
  const holders = Object.values(ports(this).served).filter((s) => s.name !== attempt.name);
  settle(this, judgeCollision(attempt, holders.map((s) => ({ ...s, started: true })), { perContainerIp: perContainerIp(this), profile: this.profile.name }));
});

Then('every one of {int} requests to {string} gets {string}\'s token', doc(
  'Fetches the published address where it lives (the harness\'s helper on the engine\'s host, or keelhaul itself on a per-container-IP platform), one fresh connection per request (at most 50 requests, 20 s in all; a failed request is retried once, and two failed requests in a row end the count). Fails if any answer carries another container\'s token (a hijack) or anything but the expected token, or if requests find the port blocked.',
  'Then every one of 30 requests to "A" gets "A"\'s token',
  60_000,
), async function (this: KeelhaulWorld, count: number, target: string, owner: string) {
  if (count < 1 || count > MAX_REQUESTS) throw new Error(`ask for 1 to ${MAX_REQUESTS} requests, not ${count}`);
  const endpoint = served(this, target).endpoint;
  const tally = await requestTokens(this, count, served(this, target), served(this, owner));
  const { asked, own, hijacked, other, failed } = tally;
  this.observe(`requestsTo${target.replace(/[^A-Za-z0-9]/g, '')}`, { endpoint: `${endpoint.host}:${endpoint.port}`, asked, own, hijacked, other, failed });
  const refused = ports(this).attempts.filter((a) => !a.started && a.error).map((a) => `"${a.name}"`);
  if (tally.failed > 0 && tally.hijacked === 0) this.observe('blocked', { endpoint: `${endpoint.host}:${endpoint.port}`, after: refused, errors: tally.samples });
  settle(this, judgeRequests(tally, { count, target, owner, endpoint, refused }));
});

Then('no container of this scenario is left in Created', doc(
  'Lists the containers labelled with this run and scenario: fails if any is in state Created (a failed start the platform or the harness left behind), or if a container whose start failed still exists.',
  'Then no container of this scenario is left in Created',
), async function (this: KeelhaulWorld) {
  const mine = await this.platform.listContainersByLabel(`keelhaul.run=${this.platform.runId}`);
  const here = mine.filter((c) => c.labels['keelhaul.scenario'] === this.scenarioId);
  const created = here.filter((c) => c.state === 'created' || c.state === 'Created' || c.state === 'configured');
  const failedStillThere = ports(this).attempts.filter((a) => !a.started && a.id && a.removedAfterFailure === false);
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
    markServed(this, { ...attempt, endpoint: attempt.endpoint }, attempt.endpoint.port);
  }
  this.observe('ephemeral', Object.values(ports(this).served).map((s) => `${s.name}=${s.endpoint.host}:${s.endpoint.port}`));
});

Then('their published addresses are all different', doc(
  'Fails if the platform handed the same host address and port to two containers.',
  'Then their published addresses are all different',
), function (this: KeelhaulWorld) {
  expect(duplicateAddresses(Object.values(ports(this).served)), 'the same published address was allocated twice').to.be.empty;
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
  // A free port can be taken by someone else before the start: that collision is retried (3 tries).
  observeAttempt(this, await publishOnFreePort(this, name, hostIp, containerPort));
});

Then('the remapping is honoured, or refused where the profile declares no port remapping', doc(
  'Profile semantics.portRemapping true (Docker, Podman): the container must start and answer its token on the host port. false (Triton: "remapping of port numbers not allowed"): the request must be refused; honouring it means the profile is out of date.',
  'Then the remapping is honoured, or refused where the profile declares no port remapping',
  60_000,
), async function (this: KeelhaulWorld) {
  const attempt = lastAttempt(this, 'remapped publication');
  const declared = this.profile.semantics?.portRemapping !== false;
  this.observe('portRemapping', { declared, observed: attempt.started });
  const answer = declared && attempt.started ? await portVantage(this).waitFor(attempt.endpoint!.host, attempt.endpoint!.port, SERVE_DEADLINE_MS) : undefined;
  const answered = answer && { ok: answer.ok && answer.body.includes(attempt.token), detail: answer.ok ? answer.body.slice(0, 60) : answer.error };
  settle(this, judgeRemapping(attempt, declared, this.profile.name, answered));
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
  const attempt = lastAttempt(this, 'privileged publication');
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
