// The World: one per scenario. It holds the platform client of this worker, the run id, the
// scenario's resource tracker and abort signal, and what the scenario observed.
// Steps talk to the platform only through the World, never to dockerode or execa.
import { World, setWorldConstructor, type IWorldOptions } from '@cucumber/cucumber';
import { PlatformClient, configureCallTimeouts, type ContainerSpec, type RunResult } from '../adapters/platform/docker-client.js';
import { resolveConnection, resolvePeerConnection } from '../adapters/platform/connection.js';
import { Finding, OutcomeSignal } from '../judges/errors.js';
import type { Verdict } from '../judges/verdict.js';
import type { KeelhaulParameters } from './parameters.js';
import { ResourceTracker } from './resource-tracker.js';
import { ProbeCache } from './probe-cache.js';
import { learnNoneRefusal, noNetworkHostConfig, probeNetworkMode, type ProbeNetworkMode } from './network-policy.js';

let workerClient: PlatformClient | undefined;

/** One API client per worker process: scenarios share its connection pool. */
export function platformFor(parameters: KeelhaulParameters): PlatformClient {
  if (!workerClient) {
    if (parameters.timeouts) configureCallTimeouts(parameters.timeouts); // a parallel worker is its own process
    workerClient = new PlatformClient(resolveConnection({ target: parameters.target || undefined }), parameters.apiVersion, parameters.runId);
  }
  return workerClient;
}

let peerClient: PlatformClient | undefined;

/** The second tenant's client, one per worker, labelled with the same run id (so the run sweeps it). */
export function peerFor(parameters: KeelhaulParameters): PlatformClient | undefined {
  if (!parameters.peer) return undefined;
  peerClient ??= new PlatformClient(resolvePeerConnection(parameters.peer.target, parameters.peer.certPath), parameters.peer.apiVersion, parameters.runId);
  return peerClient;
}

/**
 * Typed per-family slots of one scenario (issue 15: instead of a free-form state bag). Each family
 * declares its own slot next to its code, by declaration merging:
 *
 *   declare module '../support/world.js' { interface ScenarioContext { ports?: PortsContext } }
 *
 * and reads and writes it as `this.ctx.ports`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface ScenarioContext {
  /** GET /info and GET /version as this scenario read them (shared: posture, LSM, resource families). */
  daemon?: { info?: DaemonInfo; version?: DaemonInfo };
}

/** A daemon's /info or /version answer: free-form JSON whose fields differ per platform. */
export type DaemonInfo = Record<string, any>;

const probeCache = new ProbeCache();

export class KeelhaulWorld extends World<KeelhaulParameters> {
  readonly resources = new ResourceTracker();
  /** What the scenario made as the second tenant: removed with that tenant's client. */
  readonly peerResources = new ResourceTracker();
  readonly controller = new AbortController();
  readonly observations: Record<string, unknown> = {};
  readonly exposures: string[] = [];
  /** Set when a step ends the scenario as not-applicable or inconclusive. */
  signalled?: { outcome: 'not-applicable' | 'inconclusive'; reason: string };
  /** The scenario's @ID tag (e.g. ISO-01), or a slug of its name. */
  scenarioId = 'unnamed';
  /** A world of the probe plan (support/probe-plan-hooks.ts), running a scenario's probes ahead of it. */
  ahead = false;
  /**
   * Called just before an attack is launched, so that it measures with the probe plan paused
   * (support/probe-plan-hooks.ts sets it for the scenarios that pause at their attack).
   */
  quietPlan: () => Promise<void> = async () => undefined;
  /** Typed per-family state steps pass to later steps of the same scenario (see ScenarioContext). */
  readonly ctx: ScenarioContext = {};
  /** Free-form state: being replaced by `ctx` (issue 15); do not add keys. */
  readonly state: Record<string, any> = {};

  constructor(options: IWorldOptions<KeelhaulParameters>) {
    super(options);
  }

  get platform(): PlatformClient {
    return platformFor(this.parameters);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get image(): string {
    return this.parameters.image;
  }

  /** The second tenant, when --peer-target names one (tenant-to-tenant scenarios). */
  get peer(): PlatformClient | undefined {
    return peerFor(this.parameters);
  }

  get profile() {
    return this.parameters.profile;
  }

  get fingerprint() {
    return this.parameters.fingerprint;
  }

  observe(key: string, value: unknown): void {
    this.observations[key] = value;
  }

  /** Record what passed only because the profile accepts it (summary.json "exposures"). */
  expose(what: string): void {
    this.exposures.push(what);
  }

  notApplicable(reason: string): never {
    throw new OutcomeSignal('not-applicable', reason);
  }

  inconclusive(reason: string): never {
    throw new OutcomeSignal('inconclusive', reason);
  }

  /**
   * A named volume in Binds ("name:/path") is created by the platform on first use (Docker; Triton
   * with NFS volumes auto-mounted): keelhaul did not create it, but must remove it, so it is
   * tracked before the create is even sent (removing a volume that was never made is harmless).
   */
  private trackNamedVolumes(spec: Partial<ContainerSpec>): void {
    const binds = (spec.hostConfig as { Binds?: unknown } | undefined)?.Binds;
    if (!Array.isArray(binds)) return;
    for (const bind of binds) {
      const source = typeof bind === 'string' ? bind.split(':')[0] : undefined;
      if (source && !source.startsWith('/') && /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(source)) this.resources.track('volume', source);
    }
  }

  /** Create and start a container that keeps running; tracked for removal. */
  async startContainer(spec: Partial<ContainerSpec> & { cmd: string[] }): Promise<string> {
    this.trackNamedVolumes(spec);
    const id = await this.platform.createContainer({ image: this.image, ...spec }, this.scenarioId, this.signal);
    this.resources.track('container', id);
    await this.platform.startContainer(id, this.signal);
    return id;
  }

  /** Run a container to completion (bounded), returning its exit code and separated output. */
  async runContainer(spec: Partial<ContainerSpec> & { cmd: string[] }, timeoutMs = this.parameters.containerTimeoutMs): Promise<RunResult> {
    this.trackNamedVolumes(spec);
    const result = await this.platform.runToCompletion(
      { image: this.image, ...spec }, this.scenarioId, timeoutMs, (id) => this.resources.track('container', id), this.signal,
    );
    // Remove at once rather than at scenario end (fewer live containers on a shared host), but
    // without waiting: the scenario's end waits for it.
    this.resources.removeInBackground(this.platform, result.id);
    return result;
  }

  /**
   * Run a read-only probe script in a container of the given configuration. Identical
   * configurations are probed once per worker and the observation shared (issue: speed), which is
   * sound because the probes only read and the platform's answer to one configuration is stable
   * within a run.
   */
  async probe(script: string, spec: Partial<ContainerSpec> = {}): Promise<RunResult> {
    const askedForNetwork = spec.hostConfig !== undefined && 'NetworkMode' in spec.hostConfig;
    const hostConfig = askedForNetwork ? { ...spec.hostConfig } : { ...spec.hostConfig, ...noNetworkHostConfig(this.probeNetworkMode) };
    const full = { image: this.image, cmd: ['sh', '-c', script], ...spec, hostConfig };
    try {
      return await this.runCached(full);
    } catch (error) {
      // A probe that did not ask for a network runs on the platform's default network where NetworkMode
      // none is refused (support/network-policy.ts), for the rest of this worker's scenarios too, and
      // says so, so that the refusal is never mistaken for a verdict on the option under test.
      if (askedForNetwork || hostConfig.NetworkMode !== 'none' || !learnNoneRefusal(this.platform, error)) throw error;
      return this.probe(script, spec);
    }
  }

  /**
   * A read-only container run shared (per worker) by every scenario, and the probe plan
   * (support/probe-plan.ts), asking for the identical configuration: run once, read by all. Only
   * for containers whose output is the observation and that change nothing others could see.
   */
  runCached(spec: Partial<ContainerSpec> & { cmd: string[] }, timeoutMs?: number): Promise<RunResult> {
    const full = { image: this.image, ...spec };
    return probeCache.get(full, () => this.runContainer(full, timeoutMs), { ahead: this.ahead });
  }

  /**
   * The network mode probes use when they ask for none in particular: 'none', or 'default' (the
   * platform's own, leave NetworkMode unset) where the platform refuses 'none' (support/network-policy.ts).
   */
  get probeNetworkMode(): ProbeNetworkMode {
    const { mode, note } = probeNetworkMode(this.platform, this.profile);
    if (note) this.observe('probeNetwork', note);
    return mode;
  }

  /**
   * Act on a judge's verdict (judges/verdict.ts): record its observations, then pass, record the
   * exposure, or end the scenario as a finding, not-applicable, inconclusive or an error.
   */
  settle(verdict: Verdict): void {
    for (const [key, value] of Object.entries(verdict.observations ?? {})) this.observe(key, value);
    const why = verdict.why ?? '';
    switch (verdict.outcome) {
      case 'pass': return;
      case 'exposure': this.expose(why); return;
      case 'finding': throw new Finding(why);
      case 'not-applicable': this.notApplicable(why);
      case 'inconclusive': this.inconclusive(why);
      case 'error': throw new Error(why);
    }
  }
}

setWorldConstructor(KeelhaulWorld);
