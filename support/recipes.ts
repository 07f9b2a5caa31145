// Container recipes more than one family uses (issue 15: "one home per concept"): a scenario network
// that tracks itself, and token servers. Like testcontainers' Network, a scenario network is made on
// first use, tracked for removal the moment it exists, and removed with the scenario's other
// resources whatever the outcome; a step never removes one itself.
//
// API
//   scenarioNetwork(world, label, { internal? })  -> Promise<ScenarioNetwork>
//       The scenario's network called `label` (made once per scenario and label, a bridge labelled
//       with the run and scenario; `internal`: no route out). A refusal is thrown as the platform's
//       PlatformRefusal: the caller decides what it means (not applicable, or the platform's
//       default network; test with isRefusal from adapters/platform/docker-client.ts).
//   network.join(alias?)                          -> { hostConfig, networkingConfig }
//       What a container spec needs to be on the network (with a DNS alias when given).
//   uniqueToken(world, name)                      -> "keelhaul-<scenario>-<name>-<12 hex>"
//       A token no other container, scenario or run serves: an answer carrying it can only come
//       from the server it was given to.
//   tokenServerScript(token, port, { bigKiB? })   -> sh script
//       busybox httpd serving `token` at / on `port` (and a /big file of bigKiB KiB of zeros). sh
//       stays PID 1 with a TERM trap: busybox httpd as PID 1 ignores SIGTERM, and Podman's forced
//       removal would wait 10 s for it before SIGKILL.
//   startTokenServer(world, name, { port, hostConfig?, bigKiB? }) -> Promise<{ id, token }>
//       Starts one (tracked like every container of the scenario).
import { randomBytes } from 'node:crypto';
import type { ContainerSpec } from '../adapters/platform/docker-client.js';
import type { KeelhaulWorld } from './world.js';

export interface ScenarioNetwork {
  readonly id: string;
  readonly name: string;
  readonly label: string;
  join(alias?: string): { hostConfig: { NetworkMode: string }; networkingConfig: Record<string, unknown> };
}

declare module './world.js' {
  interface ScenarioContext {
    /** The scenario's networks by label (support/recipes.ts). */
    networks?: Record<string, Promise<ScenarioNetwork>>;
  }
}

/** A network name Docker and Podman accept, unique per run, scenario and label. */
export function scenarioNetworkName(runId: string, scenarioId: string, label: string): string {
  return `keelhaul-${runId.slice(0, 12)}-${scenarioId.slice(0, 20)}-${label}-${randomBytes(3).toString('hex')}`.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-');
}

async function createNetwork(world: KeelhaulWorld, label: string, internal: boolean): Promise<ScenarioNetwork> {
  const name = scenarioNetworkName(world.platform.runId, world.scenarioId, label);
  const id = await world.platform.createNetwork(name, world.scenarioId, { Driver: 'bridge', Internal: internal, CheckDuplicate: true });
  world.resources.track('network', id);
  return {
    id, name, label,
    join: (alias) => ({ hostConfig: { NetworkMode: name }, networkingConfig: { EndpointsConfig: { [name]: alias ? { Aliases: [alias] } : {} } } }),
  };
}

export function scenarioNetwork(world: KeelhaulWorld, label: string, options: { internal?: boolean } = {}): Promise<ScenarioNetwork> {
  const networks = (world.ctx.networks ??= {});
  const made = (networks[label] ??= createNetwork(world, label, options.internal === true));
  // A refused create is not remembered: the next step that asks gets the refusal again.
  made.catch(() => { if (networks[label] === made) delete networks[label]; });
  return made;
}

export function uniqueToken(world: Pick<KeelhaulWorld, 'scenarioId'>, name: string): string {
  return `keelhaul-${world.scenarioId}-${name.replace(/[^A-Za-z0-9]+/g, '')}-${randomBytes(6).toString('hex')}`;
}

export function tokenServerScript(token: string, port: number, options: { bigKiB?: number } = {}): string {
  if (!/^[A-Za-z0-9._-]+$/.test(token)) throw new Error(`not a token: ${token}`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`not a TCP port: ${port}`);
  const big = options.bigKiB ? ` && dd if=/dev/zero of=/tmp/www/big bs=1024 count=${options.bigKiB} 2>/dev/null;` : ' &&';
  return `trap 'exit 0' TERM; mkdir -p /tmp/www && echo '${token}' > /tmp/www/index.html${big} httpd -f -p ${port} -h /tmp/www & wait`;
}

export async function startTokenServer(world: KeelhaulWorld, name: string, options: { port: number; hostConfig?: Record<string, unknown>; bigKiB?: number } & Partial<ContainerSpec>): Promise<{ id: string; token: string }> {
  const { port, bigKiB, ...spec } = options;
  const token = uniqueToken(world, name);
  const id = await world.startContainer({ ...spec, cmd: ['sh', '-c', tokenServerScript(token, port, { bigKiB })] });
  return { id, token };
}
