// Network isolation (ISO-13..15, attacks.md 8.1), judged from inside containers the run created:
// the engine's API and the host's services on the container's own gateway, containers on other
// networks, the default network's inter-container policy, and what a bystander receives.
// Probes go only to the container's gateway, to containers of this scenario and to the target's own
// TCP address; every probe is bounded (nc -w 2/3) and nothing sweeps an address range.
import { Given, Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { decodeCapabilities, parseCapabilityMask } from '../judges/capabilities.js';
import { Finding } from '../judges/errors.js';
import { doc } from '../support/step-docs.js';
import type { KeelhaulWorld } from '../support/world.js';

const HTTP_PORT = 8080;
const BIG_KIB = 256;
const DEFAULT = 'default';

interface Server { name: string; id: string; ip: string; network: string; token: string }
interface NetState {
  networks: Record<string, string>;
  servers: Record<string, Server>;
  fetches: Record<string, { got: boolean; output: string; exitCode: number | null }>;
  /** Set when containers of one network turned out unable to talk at all. */
  noTraffic?: boolean;
}

function net(world: KeelhaulWorld): NetState {
  world.state.net ??= { networks: {}, servers: {}, fetches: {} } satisfies NetState;
  return world.state.net as NetState;
}

function list(text: string): string[] {
  return text.split(/\s*(?:,|\band\b)\s*/).map((s) => s.trim()).filter(Boolean);
}

/** The NetworkMode for a label: "default" is the engine's default network (no NetworkMode sent). */
async function networkMode(world: KeelhaulWorld, label: string): Promise<Record<string, unknown>> {
  if (label === DEFAULT) return {};
  const state = net(world);
  if (!state.networks[label]) {
    const name = `keelhaul-${world.platform.runId}-${world.scenarioId}-${label}`.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-');
    let id: string;
    try {
      id = await world.platform.createNetwork(name, world.scenarioId, { Driver: 'bridge', CheckDuplicate: true });
    } catch (error) {
      world.notApplicable(`the platform does not let keelhaul create a network: ${(error as Error).message}`);
    }
    world.resources.track('network', id);
    state.networks[label] = name;
  }
  return { NetworkMode: state.networks[label] };
}

function ipOf(inspect: any): { ip: string; network: string } | undefined {
  const networks = inspect?.NetworkSettings?.Networks ?? {};
  for (const [name, n] of Object.entries<any>(networks)) if (n?.IPAddress) return { ip: n.IPAddress, network: name };
  if (inspect?.NetworkSettings?.IPAddress) return { ip: inspect.NetworkSettings.IPAddress, network: DEFAULT };
  return undefined;
}

function fetchScript(ip: string, path = '/'): string {
  return `printf 'GET ${path} HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${ip} ${HTTP_PORT}; echo "nc-exit=$?"`;
}

Given('a container {string} serving a token on network {string}', doc(
  'Starts a busybox httpd token server (port 8080, plus a 256 KiB file) on a bridge network created and labelled for this scenario, or on the engine\'s default network when the name is "default". Not applicable when the platform gives the container no address.',
  'Given a container "A" serving a token on network "x"',
  60_000,
), async function (this: KeelhaulWorld, name: string, label: string) {
  const token = `keelhaul-${this.scenarioId}-${name}-${randomBytes(6).toString('hex')}`;
  const script = `trap 'exit 0' TERM; mkdir -p /tmp/www && echo '${token}' > /tmp/www/index.html && dd if=/dev/zero of=/tmp/www/big bs=1024 count=${BIG_KIB} 2>/dev/null; httpd -f -p ${HTTP_PORT} -h /tmp/www & wait`;
  const id = await this.startContainer({ cmd: ['sh', '-c', script], hostConfig: await networkMode(this, label) });
  const inspect = await this.platform.inspectContainer(id, this.signal);
  const address = ipOf(inspect);
  if (!address) this.notApplicable(`container "${name}" got no network address on network "${label}" (NetworkMode ${inspect?.HostConfig?.NetworkMode})`);
  net(this).servers[name] = { name, id, token, ip: address.ip, network: address.network };
  this.observe(`${name}.address`, `${address.ip} on ${address.network}`);
});

When('a container on network {string} fetches {string}\'s token', doc(
  'Runs a busybox container on the network (created for this scenario, or "default") that fetches the token server\'s page with nc (3 s timeout).',
  'When a container on network "y" fetches "A"\'s token',
  60_000,
), async function (this: KeelhaulWorld, label: string, name: string) {
  const server = net(this).servers[name];
  if (!server) throw new Error(`no token server "${name}" in this scenario`);
  const result = await this.runContainer({ cmd: ['sh', '-c', fetchScript(server.ip)], hostConfig: await networkMode(this, label) }, 30_000);
  const got = result.stdout.includes(server.token);
  net(this).fetches[label] = { got, output: result.stdout + result.stderr, exitCode: result.exitCode };
  this.observe(`fetchFrom.${label}`, { reached: got, nc: /nc-exit=(\d+)/.exec(result.stdout)?.[1], stderr: result.stderr.trim().slice(0, 160) });
});

Then('the container on network {string} got {string}\'s token', doc(
  'The control: a container on the token server\'s own network must reach it. When it cannot, the platform offers no container-to-container traffic at all, so isolation between networks has nothing to be judged on (not applicable).',
  'Then the container on network "x" got "A"\'s token',
), function (this: KeelhaulWorld, label: string, name: string) {
  const fetched = net(this).fetches[label];
  if (!fetched) throw new Error(`no container on network "${label}" fetched anything`);
  if (!fetched.got) {
    this.notApplicable(`containers on one network cannot reach each other here ("${label}" could not fetch "${name}": ${fetched.output.trim().slice(0, 160)}), so there is no traffic to isolate`);
  }
});

Then('the container on network {string} did not get {string}\'s token', doc(
  'Fails if a container on another network reached the token server. A profile that declares semantics.networkIsolation: false (Podman: networks are not isolated unless created with isolate=true) turns it into an exposure.',
  'Then the container on network "y" did not get "A"\'s token',
), function (this: KeelhaulWorld, label: string, name: string) {
  const fetched = net(this).fetches[label];
  if (!fetched) throw new Error(`no container on network "${label}" fetched anything`);
  if (!fetched.got) return;
  const what = `a container on network "${label}" reached "${name}" on another network`;
  if ((this.profile.semantics as Record<string, unknown> | undefined)?.networkIsolation === false) {
    this.expose(`${what} (profile ${this.profile.name} declares networks are not isolated)`);
    return;
  }
  throw new Finding(what);
});

Then('reachability on the default network follows the engine\'s inter-container policy', doc(
  'Reports the default network\'s inter-container communication policy (Docker: com.docker.network.bridge.enable_icc; absent: not declared, containers on one network reach each other) and what the container on the default network observed. Fails only when the policy says no (icc=false) and the container got through; a network stricter than its policy is recorded as a divergence (iccDivergence).',
  'Then reachability on the default network follows the engine\'s inter-container policy',
), async function (this: KeelhaulWorld) {
  const state = net(this);
  const fetched = state.fetches[DEFAULT];
  const server = Object.values(state.servers)[0];
  if (!fetched || !server) throw new Error('start a token server and fetch it from the default network first');
  const response = await this.platform.raw({ method: 'GET', path: `/networks/${encodeURIComponent(server.network)}`, signal: this.signal });
  const options = response.status === 200 ? response.json()?.Options ?? {} : {};
  const icc = options['com.docker.network.bridge.enable_icc'];
  const policy = icc === 'false' ? 'deny' : icc === 'true' ? 'allow' : 'not declared';
  this.observe('iccPolicy', { network: server.network, policy, option: icc ?? null });
  this.observe('sameNetworkReachable', fetched.got);
  if (policy === 'deny' && fetched.got) throw new Finding(`the default network ${server.network} declares icc=false, yet a container on it reached another`);
  if (policy !== 'deny' && !fetched.got) {
    // Stricter than declared (a host firewall the engine does not manage, e.g. dockerd --iptables=false
    // under a FORWARD DROP policy): no security harm, but recorded as a divergence.
    this.observe('iccDivergence', `policy ${policy}, but a container on ${server.network} could not reach another: ${fetched.output.trim().slice(0, 120)}`);
    state.noTraffic = true;
  }
});

Then('a bystander on network {string} receives less than half of the traffic between two others', doc(
  'Starts a bystander container on the network, reads its eth0 receive counter, lets another container there download "A"\'s 256 KiB file 4 times, and reads the counter again. A switch delivers unicast only to its destination; a bystander that receives as much as half of that traffic could sniff it (a hub, a flooding fabric). Also records whether the bystander holds NET_RAW (raw sockets: spoofing), and fails if it holds it where the profile\'s default capability set excludes it.',
  'Then a bystander on network "x" receives less than half of the traffic between two others',
  120_000,
), async function (this: KeelhaulWorld, label: string) {
  const state = net(this);
  const server = Object.values(state.servers)[0];
  if (!server) throw new Error('start a token server first');
  if (state.noTraffic) this.notApplicable('containers on this network cannot reach each other, so there is no traffic between others to receive');
  const bystander = await this.startContainer({ cmd: ['sh', '-c', "trap 'exit 0' TERM; while :; do sleep 1; done"], hostConfig: await networkMode(this, label) });
  const read = async (): Promise<number> => {
    const r = await this.platform.exec(bystander, ['cat', '/sys/class/net/eth0/statistics/rx_bytes'], { timeoutMs: 15_000, signal: this.signal });
    const n = Number(r.stdout.trim());
    if (r.exitCode !== 0 || !Number.isFinite(n)) this.inconclusive(`cannot read the bystander's receive counter: ${r.stderr.trim() || r.stdout.trim()}`);
    return n;
  };
  const status = await this.platform.exec(bystander, ['cat', '/proc/self/status'], { timeoutMs: 15_000, signal: this.signal });
  const capEff = /CapEff:\s*([0-9a-f]+)/i.exec(status.stdout)?.[1];
  const before = await read();
  const downloads = 4;
  const script = `n=0; for i in $(seq ${downloads}); do c=$(printf 'GET /big HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${server.ip} ${HTTP_PORT} | wc -c); n=$((n + c)); done; echo "bytes=$n"`;
  const talk = await this.runContainer({ cmd: ['sh', '-c', script], hostConfig: await networkMode(this, label) }, 60_000);
  const after = await read();
  const transferred = Number(/bytes=(\d+)/.exec(talk.stdout)?.[1] ?? 0);
  const seen = after - before;
  const caps = capEff ? decodeCapabilities(parseCapabilityMask(capEff)) : [];
  const netRaw = caps.includes('NET_RAW');
  this.observe('bystander', { network: label, transferredBetweenOthers: transferred, bystanderReceived: seen, NET_RAW: netRaw });
  if (transferred < BIG_KIB * 1024 * downloads / 2) this.inconclusive(`the two other containers moved only ${transferred} bytes (expected ${BIG_KIB * downloads} KiB): ${talk.stderr.trim().slice(0, 160)}`);
  const allowed = this.profile.promises?.defaultCapabilities;
  if (netRaw && allowed && !allowed.includes('NET_RAW')) throw new Finding(`the bystander holds NET_RAW (raw sockets, spoofing), which profile ${this.profile.name}'s default set excludes`);
  expect(seen, `a bystander received ${seen} bytes while two other containers exchanged ${transferred}: it can see their traffic`).to.be.below(transferred / 2);
});

async function probeGateway(world: KeelhaulWorld, ports: number[], extra: Array<{ host: string; port: number }> = []): Promise<{ gateway: string; results: Array<{ target: string; state: 'closed' | 'open' | 'api'; first: string }> }> {
  const lines = [
    "gw=$(ip route | awk '/^default/ {print $3; exit}')",
    'echo "gateway=$gw"',
    '[ -n "$gw" ] || exit 0',
  ];
  const targets = [...ports.map((p) => ({ host: '$gw', port: p })), ...extra];
  for (const t of targets) {
    // Connect first (stdin closed: busybox nc then closes at once); only an open port gets the GET,
    // with stdin held open for 1 s so the answer can arrive.
    lines.push(`r=; nc -w 2 ${t.host} ${t.port} </dev/null >/dev/null 2>&1; rc=$?; [ $rc = 0 ] && r=$( (printf 'GET /_ping HTTP/1.0\\r\\nHost: docker\\r\\n\\r\\n'; sleep 1) | nc -w 2 ${t.host} ${t.port} 2>/dev/null); echo "probe ${t.host === '$gw' ? 'gw' : t.host}:${t.port} rc=$rc first=$(echo "$r" | head -1 | tr -d '\\r') ok=$(echo "$r" | tail -1 | tr -d '\\r')"`);
  }
  const result = await world.runContainer({ cmd: ['sh', '-c', lines.join('\n')], hostConfig: {} }, 60_000);
  const gateway = /gateway=(\S*)/.exec(result.stdout)?.[1] ?? '';
  if (!gateway) world.notApplicable(`a container on the default network has no default route (no network to reach the host by): ${result.stderr.trim().slice(0, 160)}`);
  const results = [...result.stdout.matchAll(/^probe (\S+):(\d+) rc=(\d+) first=(.*?) ok=(.*)$/gm)].map((m) => {
    const target = `${m[1] === 'gw' ? gateway : m[1]}:${m[2]}`;
    const open = m[3] === '0'; // busybox nc exits 1 when the connection is refused or times out
    const api = open && /^HTTP\/1\.[01] 200/.test(m[4]!) && m[5] === 'OK';
    return { target, state: api ? 'api' as const : open ? 'open' as const : 'closed' as const, first: m[4]! };
  });
  if (results.length !== targets.length) world.inconclusive(`the probe reported ${results.length} of ${targets.length} ports: ${result.stdout.slice(0, 200)} ${result.stderr.slice(0, 200)}`);
  const unique = [...new Map(results.map((r) => [r.target, r])).values()];
  return { gateway, results: unique };
}

Then('the engine\'s API does not answer from inside a container on its gateway or the target\'s address', doc(
  'From a container on the default network: connects (nc -w 2) to its gateway on 2375 and 2376 and, when keelhaul reaches the engine over TCP, on the target\'s port (and to the target\'s own host when that is not loopback), sending GET /_ping. Fails if the Docker API answers "OK"; a port that is open but wants TLS or authentication is recorded.',
  'Then the engine\'s API does not answer from inside a container on its gateway or the target\'s address',
  90_000,
), async function (this: KeelhaulWorld) {
  const c = this.platform.connection;
  const ports = [2375, 2376];
  const extra: Array<{ host: string; port: number }> = [];
  if (c.transport === 'tcp') {
    if (!ports.includes(c.port)) ports.push(c.port);
    if (!/^127\.|^localhost$|^::1$/.test(c.host)) extra.push({ host: c.host, port: c.port });
  }
  const { gateway, results } = await probeGateway(this, ports, extra);
  this.observe('apiProbe', { gateway, results: results.map((r) => `${r.target} ${r.state}${r.first ? ` (${r.first})` : ''}`) });
  const answering = results.filter((r) => r.state === 'api').map((r) => r.target);
  expect(answering, 'the engine API answers GET /_ping from inside a container at').to.be.empty;
});

Then('none of the host ports {string} on its gateway accepts a connection from inside a container', doc(
  'From a container on the default network: connects (nc -w 2) to each listed port of its own gateway, the host\'s address on that network. Fails if any accepts a connection. Only the gateway is probed: no address range is swept.',
  'Then none of the host ports "22, 111, 2049, 10250" on its gateway accepts a connection from inside a container',
  90_000,
  (args) => {
    const ports = list(String(args[0] ?? ''));
    const bad = ports.filter((p) => !/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535);
    if (ports.length === 0 || ports.length > 16) return `this step judges 1 to 16 port numbers; got ${ports.length}`;
    return bad.length > 0 ? `this step judges port numbers from 1 to 65535; not ${bad.map((b) => `"${b}"`).join(', ')}` : undefined;
  },
), async function (this: KeelhaulWorld, portList: string) {
  const ports = list(portList).map(Number);
  if (ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535) || ports.length > 16) throw new Error(`give 1 to 16 port numbers, not "${portList}"`);
  const { gateway, results } = await probeGateway(this, ports);
  this.observe('hostServiceProbe', { gateway, results: results.map((r) => `${r.target} ${r.state}${r.first ? ` (${r.first})` : ''}`) });
  const open = results.filter((r) => r.state !== 'closed').map((r) => r.target);
  expect(open, 'host services reachable from inside a container').to.be.empty;
});
