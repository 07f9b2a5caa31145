// The platform client: the only module that imports dockerode (DESIGN.md layout), and the facade
// steps, support code and the run use. The work is in per-resource modules next to it, each given
// dockerode as a structurally typed EngineApi (engine-api.ts):
//   calls.ts             bounds (timeouts, abort, the creation gate, creates in flight) and the one call wrapper
//   errors.ts            the error taxonomy: PlatformTimeout, PlatformRefusal, HijackRefused, isRefusal
//   containers.ts        create, start, wait, kill, inspect, remove, logs, exec
//   networks-volumes.ts  networks and volumes
//   images.ts            image checks, pull, import
//   labelled.ts          listing by label (sweeps, the reaper)
//   raw-http.ts          raw requests and hijacked streams, for what dockerode normalises away
import type Docker from 'dockerode';
import { createRequire } from 'node:module';
import { PlatformError } from '../../judges/errors.js';
import type { Connection } from './connection.js';
import { OUR_API_VERSION, negotiateApiVersion, type Negotiation } from './negotiate.js';
import { fingerprint, type Fingerprint } from './fingerprint.js';
import type { EngineApi, EngineContext } from './engine-api.js';
import { PlatformTimeout } from './errors.js';
import { checkIdentityOf, hijack, rawRequest, type HijackRequest, type Hijacked, type RawRequest, type RawResponse } from './raw-http.js';
import * as containers from './containers.js';
import type { ContainerSpec, ExecOptions, ProcessResult, RunResult } from './containers.js';
import * as networksVolumes from './networks-volumes.js';
import * as images from './images.js';
import * as labelled from './labelled.js';

export { callTimeoutFromEnv, DEFAULT_CALL_TIMEOUT_MS, configureCallTimeouts, currentCallTimeouts, closeCreationGate, onFirstCreation, settleCreations, type CallTimeouts } from './calls.js';
export { PlatformTimeout, PlatformRefusal, HijackRefused, isRefusal } from './errors.js';
export type { RawRequest, RawResponse } from './raw-http.js';
export type { ContainerSpec, ProcessResult, RunResult } from './containers.js';

export const LABEL_RUN = 'keelhaul.run';
export const LABEL_SCENARIO = 'keelhaul.scenario';

export interface ConnectedPlatform {
  client: PlatformClient;
  negotiation: Extract<Negotiation, { ok: true }>;
  fingerprint: Fingerprint;
  version: any;
  info: any;
}

export class PlatformClient {
  private dockerInstance?: Docker;
  /** What the per-resource modules are given: dockerode on first use, and this client as the raw endpoint. */
  private readonly context: EngineContext = { engine: () => this.docker, endpoint: this };

  constructor(readonly connection: Connection, readonly apiVersion: string, readonly runId: string) {}

  /**
   * dockerode, loaded on first use: it pulls in gRPC and protobuf for BuildKit, hundreds of
   * milliseconds of start-up that preflight (raw /version, /info, image checks) never needs.
   */
  private get docker(): EngineApi {
    if (!this.dockerInstance) {
      const Dockerode = createRequire(import.meta.url)('dockerode') as typeof Docker;
      this.dockerInstance = withoutDockerEnv(() => new Dockerode({ ...dockerodeOptions(this.connection), version: `v${this.apiVersion}` }));
    }
    // dockerode's own types fit EngineApi: the compiler checks it here.
    return this.dockerInstance;
  }

  /** Reach the platform, negotiate the API version and fingerprint it. Throws PlatformError (exit 4). */
  static async connect(connection: Connection, runId: string, timeoutMs = 10_000): Promise<ConnectedPlatform> {
    const probe = new PlatformClient(connection, '0', runId);
    // Preflight: whatever goes wrong reaching /version and /info means the platform is unusable (exit 4).
    const preflight = async (client: PlatformClient, path: string, unversioned: boolean) => {
      try {
        return await client.raw({ method: 'GET', path, unversioned, timeoutMs });
      } catch (error) {
        if (error instanceof PlatformTimeout) throw new PlatformError(`GET ${path} on ${connection.url}: no answer in ${timeoutMs} ms`, { cause: error });
        throw error;
      }
    };
    // /info is asked at the version keelhaul speaks while /version is still on the wire: the
    // negotiation almost always lands there, and Podman answers each in 0.25-0.45 s here (both at
    // once: 0.53 s against 0.84 s one after the other). Negotiated elsewhere, or refused (a platform
    // that speaks an older API), it is asked again at the negotiated version.
    const guessed = new PlatformClient(connection, OUR_API_VERSION, runId);
    const infoAhead = preflight(guessed, '/info', false);
    infoAhead.catch(() => undefined);
    const versionResponse = await preflight(probe, '/version', true);
    if (versionResponse.status !== 200) {
      throw new PlatformError(`GET /version on ${connection.url} answered ${versionResponse.status}: ${versionResponse.text.slice(0, 200)}`);
    }
    let version: any;
    try {
      version = versionResponse.json();
    } catch {
      throw new PlatformError(`GET /version on ${connection.url} did not answer JSON: ${versionResponse.text.slice(0, 120)}`);
    }
    const negotiation = negotiateApiVersion(version);
    if (!negotiation.ok) throw new PlatformError(`${connection.url}: ${negotiation.reason}`);
    const client = new PlatformClient(connection, negotiation.version, runId);
    // A failure to reach /info is the preflight's failure (exit 4), as if asked now; another answer than 200 is asked again.
    const ahead = negotiation.version === OUR_API_VERSION ? await infoAhead : undefined;
    const infoResponse = ahead?.status === 200 ? ahead : await preflight(client, '/info', false);
    if (infoResponse.status !== 200) {
      throw new PlatformError(`GET /info on ${connection.url} answered ${infoResponse.status}: ${infoResponse.text.slice(0, 200)}`);
    }
    let info: any;
    try {
      info = infoResponse.json();
    } catch {
      throw new PlatformError(`GET /info on ${connection.url} did not answer JSON: ${infoResponse.text.slice(0, 120)}`);
    }
    return { client, negotiation, version, info, fingerprint: fingerprint(version, info, negotiation.version) };
  }

  get url(): string {
    return this.connection.url;
  }

  labelsFor(scenario: string, extra: Record<string, string> = {}): Record<string, string> {
    return { ...extra, [LABEL_RUN]: this.runId, [LABEL_SCENARIO]: scenario };
  }

  // ---- containers (containers.ts) ------------------------------------------------------------

  createContainer(spec: ContainerSpec, scenario: string, signal?: AbortSignal): Promise<string> {
    return containers.createContainer(this.context, spec, this.labelsFor(scenario, spec.labels), signal);
  }

  startContainer(id: string, signal?: AbortSignal): Promise<void> {
    return containers.startContainer(this.context, id, signal);
  }

  /** Wait for exit; on timeout the container is killed and `timedOut` is reported, never a hang. */
  waitContainer(id: string, timeoutMs: number, signal?: AbortSignal): Promise<{ exitCode: number | null; timedOut: boolean }> {
    return containers.waitContainer(this.context, id, timeoutMs, signal);
  }

  killContainer(id: string, signalName = 'KILL'): Promise<void> {
    return containers.killContainer(this.context, id, signalName);
  }

  inspectContainer(id: string, signal?: AbortSignal): Promise<any> {
    return containers.inspectContainer(this.context, id, signal);
  }

  /** Force-remove with its anonymous volumes; already gone is not an error; still provisioning is asked again (bounded). */
  removeContainer(id: string): Promise<void> {
    return containers.removeContainer(this.context, id);
  }

  logs(id: string, tty = false, signal?: AbortSignal): Promise<{ stdout: string; stderr: string }> {
    return containers.logs(this.context, id, tty, signal);
  }

  /** create, start, wait (bounded), read logs and inspect. The caller owns removal (the World tracks it). */
  runToCompletion(spec: ContainerSpec, scenario: string, timeoutMs: number, track: (id: string) => void, signal?: AbortSignal): Promise<RunResult> {
    return containers.runToCompletion(this.context, spec, this.labelsFor(scenario, spec.labels), timeoutMs, track, signal);
  }

  exec(id: string, cmd: string[], options: ExecOptions = {}): Promise<ProcessResult & { timedOut: boolean }> {
    return containers.exec(this.context, id, cmd, options);
  }

  // ---- labelled objects (labelled.ts) ----------------------------------------------------------

  listContainersByLabel(label: string): Promise<Array<{ id: string; labels: Record<string, string>; state: string; names: string[] }>> {
    return labelled.listContainersByLabel(this, label);
  }

  listNetworksByLabel(label: string): Promise<Array<{ id: string; labels: Record<string, string> }>> {
    return labelled.listNetworksByLabel(this, label);
  }

  listVolumesByLabel(label: string): Promise<Array<{ id: string; labels: Record<string, string> }>> {
    return labelled.listVolumesByLabel(this, label);
  }

  // ---- networks and volumes (networks-volumes.ts) ----------------------------------------------

  createNetwork(name: string, scenario: string, options: Record<string, unknown> = {}): Promise<string> {
    return networksVolumes.createNetwork(this.context, name, this.labelsFor(scenario), options);
  }

  removeNetwork(id: string): Promise<void> {
    return networksVolumes.removeNetwork(this.context, id);
  }

  /** `driver` and `driverOpts` as POST /volumes/create takes them (e.g. local with type=none,o=bind,device=...). */
  createVolume(name: string, scenario: string, options: { driver?: string; driverOpts?: Record<string, string> } = {}): Promise<string> {
    return networksVolumes.createVolume(this.context, name, this.labelsFor(scenario), options);
  }

  removeVolume(name: string): Promise<void> {
    return networksVolumes.removeVolume(this.context, name);
  }

  // ---- images (images.ts) ----------------------------------------------------------------------

  imageExists(ref: string): Promise<boolean> {
    return images.imageExists(this, ref);
  }

  /** Pull; resolves only when the pull has finished, and fails on in-band errors (ecosystem.md 3.6). */
  pullImage(ref: string, timeoutMs: number): Promise<void> {
    return images.pullImage(this.context, ref, timeoutMs);
  }

  /** POST /images/create?fromSrc=- with a root filesystem tarball. */
  importImage(tarball: Buffer, repo: string, tag: string, changes: string[]): Promise<void> {
    return images.importImage(this, tarball, repo, tag, changes);
  }

  /** GET /images/json with filters (label, reference): id, tags, labels, size, creation time. */
  listImages(filters: Record<string, string[]>): Promise<images.ListedImage[]> {
    return images.listImages(this, filters);
  }

  /** POST /commit: a new image from a container, with Dockerfile-style changes (LABEL ...); its id. */
  commitContainer(id: string, repo: string, tag: string, changes: string[]): Promise<string> {
    return images.commitContainer(this, id, repo, tag, changes);
  }

  // ---- raw HTTP and hijacked streams (raw-http.ts) ---------------------------------------------

  /**
   * An HTTP request whose answer turns into a raw stream (attach, exec start): any 101 or 200 answer
   * is the stream; an error status rejects with HijackRefused carrying the body. Bounded by
   * timeoutMs until the head arrives; the caller bounds the stream.
   */
  hijack(request: HijackRequest): Promise<Hijacked> {
    return hijack(this, request);
  }

  /**
   * A raw request, for conformance checks that judge status codes, headers and error shapes,
   * which dockerode normalises away. Always bounded by a timeout; a create goes through the gate.
   */
  raw(request: RawRequest): Promise<RawResponse> {
    return rawRequest(this, request);
  }

  /**
   * Does the platform still answer a new connection? Asked after a scenario that did not pass, so
   * that a platform gone mid-run is reported as unreachable (exit 4) rather than as broken checks
   * or as the refusals a dying daemon answers with. Bounded; never throws.
   */
  async stillAnswering(timeoutMs = 3_000): Promise<{ answering: true } | { answering: false; reason: string }> {
    try {
      const answer = await rawRequest(this, { method: 'GET', path: '/_ping', unversioned: true, timeoutMs, fresh: true });
      // Any HTTP answer means something is there; a 5xx on /_ping is a daemon that is not usable.
      if (answer.status < 500) return { answering: true };
      return { answering: false, reason: `GET /_ping answered ${answer.status}: ${answer.text.slice(0, 120).trim()}` };
    } catch (error) {
      // A slow answer is not a missing platform (a loaded machine is slow): only a connection that
      // fails counts, so a healthy engine under load never turns a verdict into exit 4.
      if (error instanceof PlatformTimeout) return { answering: true };
      return { answering: false, reason: error instanceof Error ? error.message : String(error) };
    }
  }
}

/**
 * docker-modem reads DOCKER_HOST, DOCKER_CERT_PATH (opening cert.pem and key.pem synchronously, so a
 * missing client certificate throws ENOENT) and DOCKER_CLIENT_TIMEOUT (the global timeout this module
 * avoids) in its constructor, whatever options it is given. The connection is already resolved from
 * them (connection.ts): hide them while dockerode is built.
 */
function withoutDockerEnv<T>(build: () => T): T {
  const names = ['DOCKER_HOST', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'DOCKER_CLIENT_TIMEOUT', 'DOCKER_PATH_PREFIX'];
  const saved = names.map((name) => [name, process.env[name]] as const);
  for (const name of names) delete process.env[name];
  try {
    return build();
  } finally {
    for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
  }
}

function dockerodeOptions(c: Connection): Docker.DockerOptions {
  if (c.transport === 'unix') return { socketPath: c.socketPath };
  if (c.tls) return { host: c.host, port: c.port, protocol: 'https', ca: c.tls.ca, cert: c.tls.cert, key: c.tls.key, checkServerIdentity: checkIdentityOf(c.host) } as Docker.DockerOptions;
  return { host: c.host, port: c.port, protocol: 'http' };
}
