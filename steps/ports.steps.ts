// Published ports (PORT-01..08, attacks.md 8.3 and section 5; docs/ports.md). Containers serve a
// unique token; the harness fetches the tokens where the port lives (support/port-vantage.ts), so the
// verdict is what a client of the published port really gets, not what `inspect` says. What each
// step does is in support/published-ports.ts, the rules in judges/host-ports.ts and judges/port-errors.ts.
import { Given, Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import { duplicateAddresses } from '../judges/host-ports.js';
import * as ports from '../support/published-ports.js';
import { doc } from '../support/step-docs.js';
import type { KeelhaulWorld } from '../support/world.js';

Given('a container {string} serving a unique token on a free host port of {string}', doc(
  'Starts a busybox httpd container publishing a free random high port of the address (container port = host port, which per-container-IP platforms require) and waits until the harness fetches its unique token there. A port taken by someone else between choosing and starting is retried with another port (at most 3 times).',
  'Given a container "A" serving a unique token on a free host port of "127.0.0.1"',
  60_000,
), function (this: KeelhaulWorld, name: string, hostIp: string) {
  return ports.serveOnFreePort(this, name, hostIp);
});

Given('the harness holds a free port of {string} with a listener of its own', doc(
  'Holds a free port of the address on the engine\'s host with a listener the platform\'s port publishing knows nothing of (busybox httpd in the harness\'s helper container, in the host\'s network namespace), answering a unique token; gone when the scenario ends. Not applicable where the platform refuses host networking, or gives every container its own address (nothing outside the platform shares them).',
  'Given the harness holds a free port of "127.0.0.1" with a listener of its own',
  60_000,
), function (this: KeelhaulWorld, host: string) {
  return ports.holdHarnessPort(this, host);
});

When('a container {string} publishes the same host port as {string} on {string}', doc(
  'Asks for a container publishing the host port the other one holds, on the given address (the same container port, so per-container-IP platforms need no remapping). A refusal is recorded with its normalised class and the raw message; a container the failed start left behind is removed at once, and its removal checked.',
  'When a container "B" publishes the same host port as "A" on "127.0.0.1"',
  60_000,
), function (this: KeelhaulWorld, name: string, holder: string, hostIp: string) {
  return ports.publishSamePort(this, name, holder, hostIp);
});

Then('the second publication is refused as a port collision, or lands on an address of its own', doc(
  'Docker and Podman: the last attempt must be refused, and the refusal must be recognisably a port collision (class port-in-use: "port is already allocated", "address already in use", "cannot listen on the TCP port"). A platform with per-container IPs (profile semantics.perContainerIp) must instead start it on an address different from the first one\'s.',
  'Then the second publication is refused as a port collision, or lands on an address of its own',
), function (this: KeelhaulWorld) {
  return ports.checkCollision(this);
});

Then('every one of {int} requests to {string} gets {string}\'s token', doc(
  'Fetches the published address where it lives (the harness\'s helper on the engine\'s host, or keelhaul itself on a per-container-IP platform), one fresh connection per request (at most 50 requests, 20 s in all; a failed request is retried once, and two failed requests in a row end the count). Fails if any answer carries another container\'s token (a hijack) or anything but the expected token, or if requests find the port blocked.',
  'Then every one of 30 requests to "A" gets "A"\'s token',
  60_000,
), function (this: KeelhaulWorld, count: number, target: string, owner: string) {
  return ports.checkRequests(this, count, target, owner);
});

Then('no container of this scenario is left in Created', doc(
  'Lists the containers labelled with this run and scenario: fails if any is in state Created (a failed start the platform or the harness left behind), or if a container whose start failed still exists.',
  'Then no container of this scenario is left in Created',
), function (this: KeelhaulWorld) {
  return ports.checkNothingCreated(this);
});

When('{int} containers each publish container port {int} on an ephemeral host port of {string}', doc(
  'Starts N token servers (at most 10), each publishing the container port on a host port the platform chooses on the address (-p ADDR::PORT, the allocator -P uses). Every one must start.',
  'When 6 containers each publish container port 8080 on an ephemeral host port of "127.0.0.1"',
  120_000,
), function (this: KeelhaulWorld, count: number, containerPort: number, hostIp: string) {
  return ports.publishEphemeral(this, count, containerPort, hostIp);
});

Then('their published addresses are all different', doc(
  'Fails if the platform handed the same host address and port to two containers.',
  'Then their published addresses are all different',
), function (this: KeelhaulWorld) {
  expect(duplicateAddresses(Object.values(ports.ports(this).served)), 'the same published address was allocated twice').to.be.empty;
});

Then('each published address answers with its own container\'s token', doc(
  'Fetches every published address once where it lives (bounded: 20 s for the first answer of each): each must answer its own container\'s token.',
  'Then each published address answers with its own container\'s token',
  120_000,
), function (this: KeelhaulWorld) {
  return ports.checkEachAnswers(this);
});

When('a container {string} publishes container port {int} on a free host port of {string}', doc(
  'Asks for a token server publishing the container port on a different, free random host port (-p ADDR:H:C with H != C) and records what the platform did.',
  'When a container "A" publishes container port 8080 on a free host port of "127.0.0.1"',
  60_000,
), async function (this: KeelhaulWorld, name: string, containerPort: number, hostIp: string) {
  // A free port can be taken by someone else before the start: that collision is retried (3 tries).
  ports.observeAttempt(this, await ports.publishOnFreePort(this, name, hostIp, containerPort));
});

Then('the remapping is honoured, or refused where the profile declares no port remapping', doc(
  'Profile semantics.portRemapping true (Docker, Podman): the container must start and answer its token on the host port. false (Triton: "remapping of port numbers not allowed"): the request must be refused; honouring it means the profile is out of date.',
  'Then the remapping is honoured, or refused where the profile declares no port remapping',
  60_000,
), function (this: KeelhaulWorld) {
  return ports.checkRemapping(this);
});

When('a container {string} publishes a free privileged host port of {string}', doc(
  'Picks a privileged port (below 1024) that nothing listens on at the engine\'s host right now from a short fixed list, and asks for a token server publishing it (container port = host port).',
  'When a container "A" publishes a free privileged host port of "127.0.0.1"',
  60_000,
), function (this: KeelhaulWorld, name: string, hostIp: string) {
  return ports.publishPrivileged(this, name, hostIp);
});

Then('whether containers may publish privileged host ports is reported', doc(
  'Information (CIS Docker Benchmark 5.8): records whether the platform let a container publish a privileged host port, and whether it answered there. Never fails.',
  'Then whether containers may publish privileged host ports is reported',
  30_000,
), function (this: KeelhaulWorld) {
  return ports.reportPrivileged(this);
});
