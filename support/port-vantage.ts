// Where the ports family stands when it reaches a published port, picks a free host port or holds one.
// A published port lives on the engine's host, so that is where it is reached from, whatever
// keelhaul's own place (natively, in a container, on another machine):
//   - a helper container on the target in the host's network namespace (NetworkMode host), where
//     the platform allows it (Docker, Podman): it reads the host's TCP table, holds ports with
//     busybox httpd and fetches tokens with busybox nc. Labelled and tracked like every container
//     of the scenario, removed when the scenario ends;
//   - keelhaul's own process, where the platform gives every container an address of its own
//     (profile semantics.perContainerIp, Triton): clients reach those addresses directly, which is
//     the documented semantics; no host port is shared, so none is held;
//   - not applicable, with the platform's words, where the platform refuses the helper.
import { isRefusal } from '../adapters/platform/docker-client.js';
import { canBind, freePort, httpGet, isLoopback, waitForHttp } from '../adapters/tools/loopback.js';
import { classifyRunner, containerMarker, type RunnerLocation } from '../adapters/tools/runner-location.js';
import type { Connection } from '../adapters/platform/connection.js';
import {
  PORT_TABLE_SCRIPT, SERIES, holdScript, parseAnswers, parsePortTable, pickFreePort, requestSeriesScript, waitForHttpScript,
  type FetchResult,
} from '../judges/host-ports.js';
import type { Profile } from '../judges/profile.js';
import type { KeelhaulWorld } from './world.js';

export type PortsVia = 'helper-container' | 'keelhaul-process';

/**
 * keelhaul's step files (steps/<name>.ts) whose steps can reach a published port through this
 * module, directly or through support code: only a run that selects one of their steps needs
 * where keelhaul runs measured (ProcessVantage judges by it), so only such a run pays for
 * run/runner.ts's helper container (~0.3 s). test/unit/runner-need.test.ts keeps the list in
 * step with the import graph.
 */
export const STEP_FILES_REACHING_PUBLISHED_PORTS: readonly string[] = ['conformance.steps', 'ports.steps'];

export interface PortVantage {
  readonly via: PortsVia;
  /** A port with no TCP socket on the engine's host right now (any address). */
  freePort(): Promise<number>;
  /** The first of the candidates nobody listens on at the engine's host, if any. */
  freeAmong(candidates: number[]): Promise<number | undefined>;
  /** Up to `count` GETs, one connection each, with the SERIES policy (retry once, two failures in a row stop, 20 s). */
  requestSeries(host: string, port: number, count: number): Promise<FetchResult[]>;
  /** GET until status 200 or the deadline (a server starting up). */
  waitFor(host: string, port: number, deadlineMs: number): Promise<FetchResult>;
  /** Hold a free port of `host` on the engine's host with a listener answering `token`; returns the port. */
  hold(host: string, token: string): Promise<number>;
}

/** How published ports are reached under this profile: for summary.json, doctor and the steps. */
export function portsVia(profile: Pick<Profile, 'semantics'>): PortsVia {
  return profile.semantics?.perContainerIp === true ? 'keelhaul-process' : 'helper-container';
}

export interface RunnerReport extends RunnerLocation {
  publishedPorts: { via: PortsVia; detail: string };
}

/** summary.json's target.runner and doctor's lines: where keelhaul runs, and how it reaches published ports. */
export function describeRunner(connection: Connection, profile: Pick<Profile, 'semantics' | 'name'>, location: RunnerLocation): RunnerReport {
  const via = portsVia(profile);
  const detail = via === 'helper-container'
    ? 'from a helper container on the target in the host\'s network namespace (NetworkMode host), wherever keelhaul runs'
    : `from keelhaul's own process, on each container's own address (profile ${profile.name}: semantics.perContainerIp)`;
  return { ...location, publishedPorts: { via, detail } };
}

const HELPER_SCRIPT = "trap 'exit 0' TERM; sleep 900 & wait";
const EXEC_TIMEOUT_MS = SERIES.deadlineMs + 15_000;

class HelperVantage implements PortVantage {
  readonly via = 'helper-container' as const;
  private id?: Promise<string>;

  constructor(private readonly world: KeelhaulWorld) {}

  private helper(): Promise<string> {
    this.id ??= this.start();
    return this.id;
  }

  private async start(): Promise<string> {
    const w = this.world;
    try {
      const id = await w.platform.createContainer({
        image: w.image, cmd: ['sh', '-c', HELPER_SCRIPT], hostConfig: { NetworkMode: 'host' }, labels: { 'keelhaul.role': 'port-helper' },
      }, w.scenarioId, w.signal);
      w.resources.track('container', id);
      await w.platform.startContainer(id, w.signal);
      w.observe('portHelper', { id: id.slice(0, 12), networkMode: 'host' });
      return id;
    } catch (error) {
      if (!isRefusal(error)) throw error;
      w.observe('portHelper', { refused: error.rawMessage, status: error.statusCode });
      return w.notApplicable(`published ports live on the engine's host, and the platform refused a helper container in the host's network namespace (NetworkMode host): ${error.rawMessage}`);
    }
  }

  private async run(script: string, what: string): Promise<string> {
    const id = await this.helper();
    const result = await this.world.platform.exec(id, ['sh', '-c', script], { timeoutMs: EXEC_TIMEOUT_MS, signal: this.world.signal });
    if (result.timedOut) throw new Error(`the port helper did not finish ${what} in ${EXEC_TIMEOUT_MS / 1000} s`);
    if (result.exitCode !== 0) throw new Error(`the port helper failed ${what} (exit ${result.exitCode}): ${result.stderr.trim().slice(0, 200)}`);
    return result.stdout;
  }

  private table() {
    return this.run(PORT_TABLE_SCRIPT, 'reading the host\'s TCP table').then(parsePortTable);
  }

  async freePort(): Promise<number> {
    return pickFreePort(await this.table());
  }

  async freeAmong(candidates: number[]): Promise<number | undefined> {
    const { used } = await this.table();
    return candidates.find((p) => !used.has(p));
  }

  async requestSeries(host: string, port: number, count: number): Promise<FetchResult[]> {
    return parseAnswers(await this.run(requestSeriesScript(host, port, count), `${count} requests to ${host}:${port}`));
  }

  async waitFor(host: string, port: number, deadlineMs: number): Promise<FetchResult> {
    const answers = parseAnswers(await this.run(waitForHttpScript(host, port, deadlineMs), `waiting for ${host}:${port}`));
    return answers.at(-1) ?? { ok: false, error: 'no answer' };
  }

  async hold(host: string, token: string): Promise<number> {
    const id = await this.helper();
    let last = '';
    // A free port can be taken between choosing and binding: another one, at most 3 times.
    for (let tries = 0; tries < 3; tries++) {
      const port = await this.freePort();
      const result = await this.world.platform.exec(id, ['sh', '-c', holdScript(host, port, token)], { timeoutMs: 15_000, signal: this.world.signal });
      if (result.exitCode === 0) return port;
      last = `${result.stderr.trim()} (exit ${result.exitCode})`;
    }
    throw new Error(`the port helper could not hold a port of ${host}: ${last}`);
  }
}

class ProcessVantage implements PortVantage {
  readonly via = 'keelhaul-process' as const;

  constructor(private readonly world: KeelhaulWorld, private readonly location: RunnerLocation) {}

  /**
   * A per-container address on loopback is the engine host's: reachable only when keelhaul runs
   * there. Unreachable from elsewhere is where keelhaul runs, not a verdict.
   */
  private unreachable(host: string, answer: FetchResult): void {
    if (!answer.ok && isLoopback(host) && this.location.where !== 'native') {
      this.world.notApplicable(`the platform gave the container an address on the engine host's loopback (${host}), and keelhaul, running ${this.location.detail}, cannot reach it (${answer.error})`);
    }
  }

  freePort(): Promise<number> {
    return freePort('127.0.0.1');
  }

  async freeAmong(candidates: number[]): Promise<number | undefined> {
    for (const c of candidates) if (await canBind('127.0.0.1', c)) return c;
    return undefined;
  }

  async requestSeries(host: string, port: number, count: number): Promise<FetchResult[]> {
    const answers: FetchResult[] = [];
    const deadline = Date.now() + SERIES.deadlineMs;
    let failedInARow = 0;
    for (let i = 0; i < count && Date.now() < deadline && !this.world.signal.aborted; i++) {
      let answer = await httpGet(host, port, '/', SERIES.requestTimeoutS * 1000);
      if (!answer.ok) answer = await httpGet(host, port, '/', SERIES.requestTimeoutS * 1000);
      answers.push(answer);
      failedInARow = answer.ok ? 0 : failedInARow + 1;
      if (failedInARow >= SERIES.failuresInARow) break;
    }
    return answers;
  }

  async waitFor(host: string, port: number, deadlineMs: number): Promise<FetchResult> {
    const answer = await waitForHttp(host, port, deadlineMs, this.world.signal);
    this.unreachable(host, answer);
    return answer;
  }

  hold(): Promise<number> {
    this.world.notApplicable(`the platform gives every container an address of its own (profile ${this.world.profile.name}: semantics.perContainerIp): no host port is shared with processes outside the platform`);
  }
}

declare module './world.js' {
  interface ScenarioContext {
    portVantage?: PortVantage;
  }
}

/** The scenario's vantage on published ports (one helper per scenario, made on first use). */
export function portVantage(world: KeelhaulWorld): PortVantage {
  return (world.ctx.portVantage ??= portsVia(world.profile) === 'helper-container'
    ? new HelperVantage(world)
    : new ProcessVantage(world, world.parameters.runner ?? classifyRunner(world.platform.connection, undefined, undefined, containerMarker())));
}
