// The network isolation family's recipes (ISO-13..15): a network per scenario label, token servers,
// fetches, the bystander's counters and the gateway probe. Probes go only to the container's gateway,
// to containers of this scenario and to the target's own TCP address (judges/network-isolation.ts).
import { randomBytes } from 'node:crypto';
import {
  IDLE_SCRIPT, addressOf, downloadsScript, fetchScript, gatewayProbeScript, parseGatewayProbe, tokenServerScript,
  type BystanderMeasure, type Fetched, type GatewayResult, type GatewayTarget,
} from '../judges/network-isolation.js';
import type { KeelhaulWorld } from './world.js';

const DEFAULT = 'default';

interface TokenServer { name: string; id: string; ip: string; network: string; token: string }
interface NetContext {
  /** label -> the network created for it in this scenario */
  networks: Record<string, string>;
  servers: Record<string, TokenServer>;
  /** label -> what a container on that network fetched (a fetch still running until collected) */
  fetches: Record<string, Promise<Fetched>>;
  /** Set when containers of one network turned out unable to talk at all. */
  noTraffic?: boolean;
}

declare module './world.js' {
  interface ScenarioContext { net?: NetContext }
}

export function netOf(world: KeelhaulWorld): NetContext {
  return (world.ctx.net ??= { networks: {}, servers: {}, fetches: {} });
}

/**
 * HostConfig for a network label: "default" is the engine's default network (no NetworkMode sent);
 * any other label gets a bridge network created, labelled and tracked for this scenario.
 */
export async function networkFor(world: KeelhaulWorld, label: string): Promise<Record<string, unknown>> {
  if (label === DEFAULT) return {};
  const net = netOf(world);
  if (!net.networks[label]) {
    const name = `keelhaul-${world.platform.runId}-${world.scenarioId}-${label}`.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-');
    let id: string;
    try {
      id = await world.platform.createNetwork(name, world.scenarioId, { Driver: 'bridge', CheckDuplicate: true });
    } catch (error) {
      world.notApplicable(`the platform does not let keelhaul create a network: ${(error as Error).message}`);
    }
    world.resources.track('network', id);
    net.networks[label] = name;
  }
  return { NetworkMode: net.networks[label] };
}

/** A busybox httpd serving a fresh token on the labelled network; not applicable where it gets no address. */
export async function startTokenServer(world: KeelhaulWorld, name: string, label: string): Promise<void> {
  const token = `keelhaul-${world.scenarioId}-${name}-${randomBytes(6).toString('hex')}`;
  const id = await world.startContainer({ cmd: ['sh', '-c', tokenServerScript(token)], hostConfig: await networkFor(world, label) });
  const inspect = await world.platform.inspectContainer(id, world.signal);
  const address = addressOf(inspect, DEFAULT);
  if (!address) world.notApplicable(`container "${name}" got no network address on network "${label}" (NetworkMode ${inspect?.HostConfig?.NetworkMode})`);
  netOf(world).servers[name] = { name, id, token, ip: address.ip, network: address.network };
  world.observe(`${name}.address`, `${address.ip} on ${address.network}`);
}

function serverOf(world: KeelhaulWorld, name?: string): TokenServer {
  const server = name === undefined ? Object.values(netOf(world).servers)[0] : netOf(world).servers[name];
  if (!server) throw new Error(name === undefined ? 'start a token server first' : `no token server "${name}" in this scenario`);
  return server;
}

/**
 * Starts a fetch from a container on the labelled network; fetchedFrom collects it. The fetches of one
 * scenario run at once (ISO-14's from "x" and from "y"): the one that is refused waits out its nc
 * timeout, which is what proves it cannot reach, and the other no longer waits behind it. The network
 * is made here, so a refusal to make one is this step's.
 */
export async function fetchToken(world: KeelhaulWorld, label: string, name: string): Promise<void> {
  const server = serverOf(world, name);
  const hostConfig = await networkFor(world, label);
  const fetching = world.runContainer({ cmd: ['sh', '-c', fetchScript(server.ip)], hostConfig }, 30_000).then((result): Fetched => {
    const got = result.stdout.includes(server.token);
    world.observe(`fetchFrom.${label}`, { reached: got, nc: /nc-exit=(\d+)/.exec(result.stdout)?.[1], stderr: result.stderr.trim().slice(0, 160) });
    return { got, output: result.stdout + result.stderr, exitCode: result.exitCode };
  });
  world.resources.holdUntil(fetching);
  netOf(world).fetches[label] = fetching;
}

/** What the container on the labelled network fetched (waiting for it to finish). */
export async function fetchedFrom(world: KeelhaulWorld, label: string): Promise<Fetched> {
  const fetched = netOf(world).fetches[label];
  if (!fetched) throw new Error(`no container on network "${label}" fetched anything`);
  return fetched;
}

/** The default network's driver options (GET /networks/{name}) and what its token server's network is. */
export async function defaultNetworkPolicy(world: KeelhaulWorld): Promise<{ options: Record<string, string>; network: string; fetched: Fetched }> {
  const pending = netOf(world).fetches[DEFAULT];
  const server = Object.values(netOf(world).servers)[0];
  if (!pending || !server) throw new Error('start a token server and fetch it from the default network first');
  const fetched = await pending;
  const response = await world.platform.raw({ method: 'GET', path: `/networks/${encodeURIComponent(server.network)}`, signal: world.signal });
  return { options: response.status === 200 ? response.json()?.Options ?? {} : {}, network: server.network, fetched };
}

/**
 * A bystander's eth0 receive counter around DOWNLOADS downloads between two other containers on the
 * labelled network. The bystander and the container that downloads (an idle one, the downloads run by
 * exec) start at once; the counter is read after both are up, so the downloader's own start-up
 * chatter (ARP, IPv6 solicitations) is no longer counted as traffic the bystander received.
 */
export async function measureBystander(world: KeelhaulWorld, label: string): Promise<BystanderMeasure> {
  const server = serverOf(world);
  if (netOf(world).noTraffic) world.notApplicable('containers on this network cannot reach each other, so there is no traffic between others to receive');
  const hostConfig = await networkFor(world, label);
  const [bystander, talker] = await Promise.all([
    world.startContainer({ cmd: ['sh', '-c', IDLE_SCRIPT], hostConfig }),
    world.startContainer({ cmd: ['sh', '-c', IDLE_SCRIPT], hostConfig }),
  ]);
  const exec = (id: string, script: string, timeoutMs = 15_000) => world.platform.exec(id, ['sh', '-c', script], { timeoutMs, signal: world.signal });
  const read = async (script = ''): Promise<{ rx: number; stdout: string }> => {
    const r = await exec(bystander, `${script}echo "rx=$(cat /sys/class/net/eth0/statistics/rx_bytes)"`);
    const rx = /^rx=(\d+)$/m.exec(r.stdout)?.[1];
    if (r.exitCode !== 0 || rx === undefined) world.inconclusive(`cannot read the bystander's receive counter: ${r.stderr.trim() || r.stdout.trim()}`);
    return { rx: Number(rx), stdout: r.stdout };
  };
  // One exec: the capabilities an exec'd process holds (cat's own status) and the counter before.
  const first = await read('cat /proc/self/status; ');
  const capEff = /CapEff:\s*([0-9a-f]+)/i.exec(first.stdout)?.[1];
  const talk = await exec(talker, downloadsScript(server.ip), 60_000);
  const seen = (await read()).rx - first.rx;
  return { network: label, transferred: Number(/bytes=(\d+)/.exec(talk.stdout)?.[1] ?? 0), seen, capEff, talkStderr: talk.stderr };
}

/** The host ports of a container's own gateway on the default network (and `extra` addresses), probed once each. */
export async function probeGateway(world: KeelhaulWorld, ports: number[], extra: GatewayTarget[] = []): Promise<{ gateway: string; results: GatewayResult[] }> {
  const targets = [...ports.map((port) => ({ host: '$gw', port })), ...extra];
  const result = await world.runContainer({ cmd: ['sh', '-c', gatewayProbeScript(targets)], hostConfig: {} }, 60_000);
  const { gateway, results, reported } = parseGatewayProbe(result.stdout);
  if (!gateway) world.notApplicable(`a container on the default network has no default route (no network to reach the host by): ${result.stderr.trim().slice(0, 160)}`);
  if (reported !== targets.length) world.inconclusive(`the probe reported ${reported} of ${targets.length} ports: ${result.stdout.slice(0, 200)} ${result.stderr.slice(0, 200)}`);
  return { gateway, results };
}

/** ISO-13: the gateway's 2375 and 2376, plus the target's own port (and host, unless loopback) when keelhaul reaches it over TCP. */
export function apiTargets(world: KeelhaulWorld): { ports: number[]; extra: GatewayTarget[] } {
  const c = world.platform.connection;
  const ports = [2375, 2376];
  const extra: GatewayTarget[] = [];
  if (c.transport === 'tcp') {
    if (!ports.includes(c.port)) ports.push(c.port);
    if (!/^127\.|^localhost$|^::1$/.test(c.host)) extra.push({ host: c.host, port: c.port });
  }
  return { ports, extra };
}
