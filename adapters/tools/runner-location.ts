// Where keelhaul itself runs, relative to the engine it tests: natively in the engine host's network
// namespace, in a container (a network namespace of its own on the engine's machine), or remote from
// it (another kernel). Verdicts must not depend on it (published ports are reached where they live,
// support/port-vantage.ts); reports say it, so that a reader knows the run's vantage.
//
// Measured, not guessed, where the platform allows a container in the host's network namespace:
// keelhaul compares its own network namespace and kernel boot id with those a helper container in
// NetworkMode host reads (run/runner.ts). /.dockerenv alone would mislead: a build agent can itself be
// a container that shares the engine host's network namespace (this project's CI machine is one).
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import type { Connection } from '../platform/connection.js';
import { isLoopback } from './loopback.js';

export type RunnerWhere = 'native' | 'container' | 'remote';

export interface RunnerLocation {
  where: RunnerWhere;
  /** One line for people: from where keelhaul reaches the engine, and how that was found. */
  detail: string;
  /** Whether `where` was measured against the engine's host, or inferred from the connection alone. */
  measured: boolean;
}

export interface HostIdentity {
  /** readlink /proc/self/ns/net, e.g. "net:[4026531833]". */
  netns: string;
  /** /proc/sys/kernel/random/boot_id: one per running kernel. */
  bootId: string;
}

/** The script a container in the host's network namespace runs to print its HostIdentity. */
export const HOST_IDENTITY_SCRIPT = 'readlink /proc/self/ns/net; cat /proc/sys/kernel/random/boot_id';

export function parseHostIdentity(stdout: string): HostIdentity | undefined {
  const [netns, bootId] = stdout.trim().split('\n').map((l) => l.trim());
  return netns && /^net:\[\d+\]$/.test(netns) && bootId && /^[0-9a-f-]{36}$/.test(bootId) ? { netns, bootId } : undefined;
}

export function localIdentity(): HostIdentity | undefined {
  try {
    return { netns: readlinkSync('/proc/self/ns/net'), bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() };
  } catch {
    return undefined;
  }
}

/** The markers the engines put in every container's root: Docker's /.dockerenv, Podman's /run/.containerenv. */
export function containerMarker(markers = ['/.dockerenv', '/run/.containerenv']): string | undefined {
  return markers.find((m) => existsSync(m));
}

function via(connection: Connection): string {
  return connection.transport === 'unix' ? `the socket ${connection.socketPath}` : `TCP ${connection.host}:${connection.port}`;
}

/**
 * Measured: compare keelhaul's identity with the engine host's. Without the engine host's identity
 * (the platform refused host networking), inferred from the connection and the container markers.
 */
export function classifyRunner(connection: Connection, local: HostIdentity | undefined, engineHost: HostIdentity | undefined, marker: string | undefined, why = ''): RunnerLocation {
  if (local && engineHost) {
    if (local.bootId !== engineHost.bootId) {
      return { where: 'remote', measured: true, detail: `on another machine than the engine (another kernel), the engine through ${via(connection)}` };
    }
    if (local.netns === engineHost.netns) {
      return { where: 'native', measured: true, detail: `natively, in the engine host's network namespace, the engine through ${via(connection)}` };
    }
    return { where: 'container', measured: true, detail: `in a container on the engine's machine (a network namespace of its own), the engine through ${via(connection)}` };
  }
  const inferred = `inferred from the connection${why ? `: ${why}` : ''}`;
  if (connection.transport === 'tcp' && !isLoopback(connection.host)) {
    return { where: 'remote', measured: false, detail: `remote from the engine, the API over ${via(connection)} (${inferred})` };
  }
  if (marker) return { where: 'container', measured: false, detail: `in a container (${marker}), the engine through ${via(connection)} (${inferred})` };
  return { where: 'native', measured: false, detail: `natively, the engine through ${via(connection)} (${inferred})` };
}
