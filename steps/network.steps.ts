// Network isolation (ISO-13..15, attacks.md 8.1), judged from inside containers the run created: the
// engine's API and the host's services on the container's own gateway, containers on other networks,
// the default network's inter-container policy, and what a bystander receives. Recipes:
// support/network-probes.ts; scripts and rules: judges/network-isolation.ts.
import { Given, Then, When } from '@cucumber/cucumber';
import * as judge from '../judges/network-isolation.js';
import {
  apiTargets, defaultNetworkPolicy, fetchToken, fetchedFrom, measureBystander, netOf, probeGateway, startTokenServer,
} from '../support/network-probes.js';
import { doc, listArgument as list } from '../support/step-docs.js';
import type { KeelhaulWorld } from '../support/world.js';

Given('a container {string} serving a token on network {string}', doc(
  'Starts a busybox httpd token server (port 8080, plus a 256 KiB file) on a bridge network created and labelled for this scenario, or on the engine\'s default network when the name is "default". Not applicable when the platform gives the container no address.',
  'Given a container "A" serving a token on network "x"',
  60_000,
), async function (this: KeelhaulWorld, name: string, label: string) {
  await startTokenServer(this, name, label);
});

When('a container on network {string} fetches {string}\'s token', doc(
  'Runs a busybox container on the network (created for this scenario, or "default") that fetches the token server\'s page with nc (3 s timeout). The fetch runs on while the scenario goes on (the fetches of one scenario run at once); the step that judges it waits for it.',
  'When a container on network "y" fetches "A"\'s token',
  60_000,
), async function (this: KeelhaulWorld, label: string, name: string) {
  await fetchToken(this, label, name);
});

Then('the container on network {string} got {string}\'s token', doc(
  'The control: a container on the token server\'s own network must reach it. When it cannot, the platform offers no container-to-container traffic at all, so isolation between networks has nothing to be judged on (not applicable).',
  'Then the container on network "x" got "A"\'s token',
), async function (this: KeelhaulWorld, label: string, name: string) {
  this.settle(judge.judgeSameNetworkFetch(await fetchedFrom(this, label), label, name));
});

Then('the container on network {string} did not get {string}\'s token', doc(
  'Fails if a container on another network reached the token server. A profile that declares semantics.networkIsolation: false (Podman: networks are not isolated unless created with isolate=true) turns it into an exposure.',
  'Then the container on network "y" did not get "A"\'s token',
), async function (this: KeelhaulWorld, label: string, name: string) {
  const networkIsolation = (this.profile.semantics as Record<string, unknown> | undefined)?.networkIsolation;
  this.settle(judge.judgeCrossNetworkFetch(await fetchedFrom(this, label), label, name, networkIsolation, this.profile.name));
});

Then('reachability on the default network follows the engine\'s inter-container policy', doc(
  'Reports the default network\'s inter-container communication policy (Docker: com.docker.network.bridge.enable_icc; absent: not declared, containers on one network reach each other) and what the container on the default network observed. Fails only when the policy says no (icc=false) and the container got through; a network stricter than its policy is recorded as a divergence (iccDivergence).',
  'Then reachability on the default network follows the engine\'s inter-container policy',
), async function (this: KeelhaulWorld) {
  const { options, network, fetched } = await defaultNetworkPolicy(this);
  const verdict = judge.judgeIccPolicy(options, network, fetched);
  if (verdict.observations?.iccDivergence) netOf(this).noTraffic = true;
  this.settle(verdict);
});

Then('a bystander on network {string} receives less than half of the traffic between two others', doc(
  'Starts a bystander container and another one on the network (at once), reads the bystander\'s eth0 receive counter, lets the other container download "A"\'s 256 KiB file 4 times (by exec), and reads the counter again. A switch delivers unicast only to its destination; a bystander that receives as much as half of that traffic could sniff it (a hub, a flooding fabric). Also records whether the bystander holds NET_RAW (raw sockets: spoofing), and fails if it holds it where the profile\'s default capability set excludes it.',
  'Then a bystander on network "x" receives less than half of the traffic between two others',
  120_000,
), async function (this: KeelhaulWorld, label: string) {
  this.settle(judge.judgeBystander(await measureBystander(this, label), this.profile.promises?.defaultCapabilities, this.profile.name));
});

Then('the engine\'s API does not answer from inside a container on its gateway or the target\'s address', doc(
  'From a container on the default network: connects (nc -w 2, the ports at once) to its gateway on 2375 and 2376 and, when keelhaul reaches the engine over TCP, on the target\'s port (and to the target\'s own host when that is not loopback), sending GET /_ping. Fails if the Docker API answers "OK"; a port that is open but wants TLS or authentication is recorded.',
  'Then the engine\'s API does not answer from inside a container on its gateway or the target\'s address',
  90_000,
), async function (this: KeelhaulWorld) {
  const { ports, extra } = apiTargets(this);
  const { gateway, results } = await probeGateway(this, ports, extra);
  this.settle(judge.judgeApiAnswers(gateway, results));
});

Then('none of the host ports {string} on its gateway accepts a connection from inside a container', doc(
  'From a container on the default network: connects (nc -w 2, the ports at once) to each listed port of its own gateway, the host\'s address on that network. Fails if any accepts a connection. Only the gateway is probed: no address range is swept.',
  'Then none of the host ports "22, 111, 2049, 10250" on its gateway accepts a connection from inside a container',
  90_000, (args) => judge.portListProblem(list(String(args[0] ?? ''))),
), async function (this: KeelhaulWorld, portList: string) {
  const problem = judge.portListProblem(list(portList));
  if (problem) throw new Error(`give 1 to 16 port numbers, not "${portList}"`);
  const { gateway, results } = await probeGateway(this, list(portList).map(Number));
  this.settle(judge.judgeHostPorts(gateway, results));
});
