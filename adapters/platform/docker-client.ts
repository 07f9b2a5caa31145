// The platform client: the only module that imports dockerode (DESIGN.md layout).
// Every call is bounded by an AbortSignal, never by docker-modem's global `timeout`, which can
// leave `wait()` pending forever and let Node exit 0 without cleaning up (ecosystem.md 3.5).
import type Docker from 'dockerode';
import { createRequire } from 'node:module';
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { Readable } from 'node:stream';
import { PlatformError, isConnectionFailure, isTlsFailure, oneLine } from '../../judges/errors.js';
import type { Connection } from './connection.js';
import { negotiateApiVersion, type Negotiation } from './negotiate.js';
import { fingerprint, type Fingerprint } from './fingerprint.js';
import { demuxDockerStream } from './demux.js';

export const LABEL_RUN = 'keelhaul.run';
export const LABEL_SCENARIO = 'keelhaul.scenario';

/**
 * The bound on one API call (ms), from the environment: KEELHAUL_CALL_TIMEOUT_MS (tests of stalling
 * platforms), else DOCKER_CLIENT_TIMEOUT in seconds, as the Docker CLI tools read it (Triton's docs
 * set it to 300), else 30 s.
 */
export function callTimeoutFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  if (Number(env.KEELHAUL_CALL_TIMEOUT_MS) > 0) return Number(env.KEELHAUL_CALL_TIMEOUT_MS);
  if (Number(env.DOCKER_CLIENT_TIMEOUT) > 0) return Number(env.DOCKER_CLIENT_TIMEOUT) * 1000;
  return undefined;
}
export const DEFAULT_CALL_TIMEOUT_MS = callTimeoutFromEnv() ?? 30_000;

export interface CallTimeouts {
  /** every API call */
  callMs: number;
  /** container create, start and remove: they wait for provisioning on some platforms (Triton) */
  provisioningMs: number;
}
/** Process-wide (the run and each worker set it from the same parameters). */
const callTimeouts: CallTimeouts = { callMs: DEFAULT_CALL_TIMEOUT_MS, provisioningMs: DEFAULT_CALL_TIMEOUT_MS };
export function configureCallTimeouts(t: Partial<CallTimeouts>): CallTimeouts {
  if (t.callMs && t.callMs > 0) callTimeouts.callMs = t.callMs;
  callTimeouts.provisioningMs = Math.max(callTimeouts.callMs, t.provisioningMs ?? 0);
  return { ...callTimeouts };
}
export function currentCallTimeouts(): CallTimeouts {
  return { ...callTimeouts };
}
const MAX_OUTPUT_BYTES = 8 * 1024 * 1024;

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json<T = any>(): T;
}

export interface RawRequest {
  method: string;
  path: string;
  body?: unknown;
  /** Send the path without the negotiated /vX.Y prefix (as /_ping and /version are probed). */
  unversioned?: boolean;
  headers?: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** For HTTP upgrade probes: resolve on the 101 and close the socket. */
  upgrade?: boolean;
}

export interface ContainerSpec {
  image: string;
  cmd?: string[];
  entrypoint?: string[];
  env?: string[];
  user?: string;
  tty?: boolean;
  hostname?: string;
  workingDir?: string;
  exposedPorts?: Record<string, Record<string, never>>;
  /** Passed through as-is: this is where attacks put the dangerous options. */
  hostConfig?: Record<string, unknown>;
  networkingConfig?: Record<string, unknown>;
  labels?: Record<string, string>;
  name?: string;
}

export interface ProcessResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

export interface RunResult extends ProcessResult {
  id: string;
  timedOut: boolean;
  inspect: any;
}

export interface ConnectedPlatform {
  client: PlatformClient;
  negotiation: Extract<Negotiation, { ok: true }>;
  fingerprint: Fingerprint;
  version: any;
  info: any;
}

/** Connected gate: once closed (on SIGINT/SIGTERM), no new object may be created in this process. */
let creationGateClosed = false;
export function closeCreationGate(): void {
  creationGateClosed = true;
}

/** Create calls still on the wire: an interrupted run waits for them (bounded) before it sweeps. */
const creationsInFlight = new Set<Promise<unknown>>();
function inFlight<T>(creation: Promise<T>): Promise<T> {
  creationsInFlight.add(creation);
  const done = () => creationsInFlight.delete(creation);
  creation.then(done, done);
  return creation;
}

/** Resolves when every create call in flight has answered or failed, or after timeoutMs. */
export async function settleCreations(timeoutMs: number): Promise<void> {
  if (creationsInFlight.size === 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled([...creationsInFlight]),
    new Promise((r) => { timer = setTimeout(r, timeoutMs); }),
  ]);
  clearTimeout(timer);
}

function signalFor(timeoutMs: number, outer?: AbortSignal): AbortSignal {
  // Not AbortSignal.any([AbortSignal.timeout(ms), outer]): the composite holds its sources weakly,
  // so the timeout signal could be garbage-collected before it fired and the call would then wait
  // forever (seen: 1 run in 4 hung on a connection reset mid-stream). Here the timer's callback
  // holds the controller, and the outer signal's listener does too.
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(Object.assign(new Error(`no answer in ${timeoutMs} ms`), { name: 'TimeoutError' })), timeoutMs);
  timer.unref();
  if (outer?.aborted) controller.abort(outer.reason);
  else if (outer) {
    // A scenario's signal bounds every call the scenario makes: many listeners are expected.
    setMaxListeners(Infinity, outer);
    outer.addEventListener('abort', () => controller.abort(outer.reason), { once: true });
  }
  return controller.signal;
}

/**
 * Run a dockerode call under an abort signal, and give up when the signal fires even if dockerode
 * does not: docker-modem leaves its promise pending forever when a connection is cut after the
 * answer's headers (a reset mid-stream), abort signal or not.
 */
function bounded<T = any>(signal: AbortSignal, call: (abortSignal: AbortSignal) => unknown): Promise<T> {
  const aborted = () => (signal.reason instanceof Error ? signal.reason : Object.assign(new Error('aborted'), { name: 'AbortError' }));
  if (signal.aborted) return Promise.reject(aborted());
  return new Promise<T>((resolve, reject) => {
    // signalFor's timer is unref'd (it outlives a call that settles), so while the call is pending
    // something must hold the event loop: with a connection cut mid-stream nothing else may (in the
    // preflight, before cucumber's timers exist), and node would end the process (exit 13, an
    // unsettled top-level await) before the timeout fires.
    const hold = setInterval(() => undefined, 60_000);
    const settle = () => { clearInterval(hold); signal.removeEventListener('abort', onAbort); };
    const onAbort = () => { settle(); reject(aborted()); };
    signal.addEventListener('abort', onAbort, { once: true });
    (Promise.resolve(call(signal)) as Promise<T>).then(
      (value) => { settle(); resolve(value); },
      (error) => { settle(); reject(error); },
    );
  });
}

function describeFailure(error: unknown, what: string, url: string): Error {
  if ((error as Error)?.name === 'AbortError' || (error as Error)?.name === 'TimeoutError') {
    return new PlatformTimeout(`${what}: no answer from ${url} in time`);
  }
  if (isTlsFailure(error)) {
    return new PlatformError(`${what}: TLS with ${url} failed: ${oneLine(error)}${tlsHint(error)}`, { cause: error });
  }
  if (/\b(ECONNRESET|EPIPE)\b|socket hang up/.test(`${(error as { code?: string })?.code ?? ''} ${oneLine(error)}`)) {
    return new PlatformError(`${what}: connection to ${url} lost mid-call: ${oneLine(error)}`, { cause: error });
  }
  if (isConnectionFailure(error)) {
    return new PlatformError(`${what}: cannot reach ${url}: ${oneLine(error)}`, { cause: error });
  }
  return error as Error;
}

function tlsHint(error: unknown): string {
  const text = `${(error as { code?: string })?.code ?? ''} ${oneLine(error)}`;
  if (/certificate required|handshake failure|bad certificate|unknown ca|ALERT_CERTIFICATE_REQUIRED|ALERT_BAD_CERTIFICATE|ALERT_UNKNOWN_CA/i.test(text)) {
    return ' (the platform refused the client certificate: is DOCKER_CERT_PATH\'s cert.pem/key.pem there and signed by the CA the platform trusts?)';
  }
  if (/verify|self[- ]signed|issuer|SELF_SIGNED|UNABLE_TO/i.test(text)) {
    return ' (the platform\'s certificate is not signed by DOCKER_CERT_PATH\'s ca.pem)';
  }
  return '';
}

export class PlatformTimeout extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlatformTimeout';
  }
}

/** An HTTP error answer from the platform, with its status and the raw message kept for reports. */
export class PlatformRefusal extends Error {
  constructor(readonly statusCode: number, readonly rawMessage: string, what: string) {
    super(`${what}: the platform answered ${statusCode}: ${rawMessage}`);
    this.name = 'PlatformRefusal';
  }
}

/**
 * Was this error the platform refusing (an HTTP error answer, not a lost connection)? With a
 * pattern, only when the platform's own words match it. The one way steps ask "was this refused?".
 */
export function isRefusal(error: unknown, pattern?: RegExp): error is PlatformRefusal {
  return error instanceof PlatformRefusal && (pattern === undefined || pattern.test(error.rawMessage));
}

function refusalFrom(error: unknown, what: string): Error {
  const e = error as { statusCode?: number; json?: { message?: string }; reason?: string; message?: string };
  if (typeof e?.statusCode === 'number') {
    // docker-modem puts the platform's own words in json.message (JSON bodies) or after " - " in
    // its message (plain-text bodies, as sdc-docker sends); its `reason` is only a generic label.
    const fromMessage = /^\(HTTP code \d+\) [^-]*- ([\s\S]*)$/.exec(e.message ?? '')?.[1];
    const raw = e.json?.message ?? (typeof e.json === 'string' ? e.json : undefined) ?? fromMessage ?? e.reason ?? e.message ?? '';
    return new PlatformRefusal(e.statusCode, String(raw).trim(), what);
  }
  return error as Error;
}

export class PlatformClient {
  private dockerInstance?: Docker;

  constructor(readonly connection: Connection, readonly apiVersion: string, readonly runId: string) {}

  /**
   * dockerode, loaded on first use: it pulls in gRPC and protobuf for BuildKit, hundreds of
   * milliseconds of start-up that preflight (raw /version, /info, image checks) never needs.
   */
  private get docker(): Docker {
    if (!this.dockerInstance) {
      const Dockerode = createRequire(import.meta.url)('dockerode') as typeof Docker;
      this.dockerInstance = withoutDockerEnv(() => new Dockerode({ ...dockerodeOptions(this.connection), version: `v${this.apiVersion}` }));
    }
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
    const infoResponse = await preflight(client, '/info', false);
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

  // ---- containers ---------------------------------------------------------------------------

  async createContainer(spec: ContainerSpec, scenario: string, signal?: AbortSignal): Promise<string> {
    if (creationGateClosed) throw new Error('keelhaul is shutting down: no new containers');
    const body: Record<string, unknown> = {
      Image: spec.image,
      Cmd: spec.cmd,
      Entrypoint: spec.entrypoint,
      Env: spec.env,
      User: spec.user,
      Tty: spec.tty ?? false,
      Hostname: spec.hostname,
      WorkingDir: spec.workingDir,
      ExposedPorts: spec.exposedPorts,
      Labels: this.labelsFor(scenario, spec.labels),
      HostConfig: spec.hostConfig ?? {},
      NetworkingConfig: spec.networkingConfig,
      AttachStdout: false,
      AttachStderr: false,
      name: spec.name,
    };
    try {
      const container = await inFlight(bounded(signalFor(callTimeouts.provisioningMs, signal), (abortSignal) => this.docker.createContainer({ ...(body as any), abortSignal })));
      // dockerode hands back an unparseable answer as a string: no Id. The container may exist all
      // the same; it carries the run's label, so the sweep removes it.
      if (typeof container.id !== 'string' || container.id === '') {
        throw new Error('create container: the platform\'s answer has no container Id (truncated or not JSON)');
      }
      return container.id;
    } catch (error) {
      throw refusalFrom(describeFailure(error, 'create container', this.url), 'create container');
    }
  }

  async startContainer(id: string, signal?: AbortSignal): Promise<void> {
    try {
      await bounded(signalFor(callTimeouts.provisioningMs, signal), (abortSignal) => this.docker.getContainer(id).start({ abortSignal } as any));
    } catch (error) {
      const e = error as { statusCode?: number };
      if (e?.statusCode === 304) return; // already started
      throw refusalFrom(describeFailure(error, 'start container', this.url), 'start container');
    }
  }

  /** Wait for exit; on timeout the container is killed and `timedOut` is reported, never a hang. */
  async waitContainer(id: string, timeoutMs: number, signal?: AbortSignal): Promise<{ exitCode: number | null; timedOut: boolean }> {
    try {
      const result: any = await (bounded(signalFor(timeoutMs, signal), (abortSignal) => this.docker.getContainer(id).wait({ abortSignal } as any)) as unknown as Promise<unknown>);
      return { exitCode: typeof result?.StatusCode === 'number' ? result.StatusCode : null, timedOut: false };
    } catch (error) {
      const name = (error as Error)?.name;
      if (name === 'AbortError' || name === 'TimeoutError') {
        await this.killContainer(id).catch(() => undefined);
        return { exitCode: null, timedOut: true };
      }
      throw describeFailure(error, 'wait for container', this.url);
    }
  }

  async killContainer(id: string, signalName = 'KILL'): Promise<void> {
    try {
      await bounded(signalFor(10_000), (abortSignal) => this.docker.getContainer(id).kill({ signal: signalName, abortSignal } as any));
    } catch (error) {
      const code = (error as { statusCode?: number })?.statusCode;
      if (code === 404 || code === 409 || code === 304) return; // gone or not running
      throw describeFailure(error, 'kill container', this.url);
    }
  }

  async inspectContainer(id: string, signal?: AbortSignal): Promise<any> {
    try {
      return await bounded(signalFor(callTimeouts.callMs, signal), (abortSignal) => this.docker.getContainer(id).inspect({ abortSignal } as any));
    } catch (error) {
      throw refusalFrom(describeFailure(error, 'inspect container', this.url), 'inspect container');
    }
  }

  /**
   * Force-remove with its anonymous volumes. A container that is already gone is not an error. One
   * still provisioning cannot be removed yet (sdc-docker: 500 "Conflict, cannot currently remove a
   * provisioning container", lib/backends/sdc/containers.js:3322-3326): asked again, bounded by the
   * provisioning timeout.
   */
  async removeContainer(id: string): Promise<void> {
    const deadline = Date.now() + callTimeouts.provisioningMs;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.removeOnce(id);
        return;
      } catch (error) {
        if (!/remove a provisioning container/i.test(String((error as Error)?.message)) || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 500 * 2 ** attempt)));
      }
    }
  }

  private async removeOnce(id: string): Promise<void> {
    try {
      await bounded(signalFor(Math.max(20_000, callTimeouts.provisioningMs)), (abortSignal) => this.docker.getContainer(id).remove({ force: true, v: true, abortSignal } as any));
    } catch (error) {
      const code = (error as { statusCode?: number })?.statusCode;
      if (code === 404) return;
      // 409 "removal already in progress" is as good as removed.
      if (code === 409 && /already in progress/i.test(String((error as Error).message))) return;
      throw describeFailure(error, `remove container ${id.slice(0, 12)}`, this.url);
    }
  }

  async logs(id: string, tty = false, signal?: AbortSignal): Promise<{ stdout: string; stderr: string }> {
    try {
      const raw = (await bounded(signalFor(callTimeouts.callMs, signal), (abortSignal) => this.docker.getContainer(id).logs({
        stdout: true, stderr: true, follow: false, abortSignal,
      } as any))) as unknown as Buffer;
      const buffer = Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw));
      return tty ? { stdout: buffer.toString('utf8'), stderr: '' } : demuxDockerStream(buffer);
    } catch (error) {
      throw refusalFrom(describeFailure(error, 'read logs', this.url), 'read logs');
    }
  }

  /** create, start, wait (bounded), read logs and inspect. The caller owns removal (the World tracks it). */
  async runToCompletion(spec: ContainerSpec, scenario: string, timeoutMs: number, track: (id: string) => void, signal?: AbortSignal): Promise<RunResult> {
    const id = await this.createContainer(spec, scenario, signal);
    track(id);
    await this.startContainer(id, signal);
    const { exitCode, timedOut } = await this.waitContainer(id, timeoutMs, signal);
    const [{ stdout, stderr }, inspect] = await Promise.all([this.logs(id, spec.tty, signal), this.inspectContainer(id, signal)]);
    return { id, exitCode: timedOut ? null : exitCode, timedOut, stdout, stderr, inspect };
  }

  async exec(id: string, cmd: string[], options: { user?: string; privileged?: boolean; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<ProcessResult & { timedOut: boolean }> {
    const timeoutMs = options.timeoutMs ?? callTimeouts.callMs;
    const abortSignal = signalFor(timeoutMs, options.signal);
    let exec: Docker.Exec;
    try {
      exec = await bounded(abortSignal, () => this.docker.getContainer(id).exec({
        Cmd: cmd, AttachStdout: true, AttachStderr: true, Tty: false, User: options.user, Privileged: options.privileged,
        abortSignal,
      } as any));
    } catch (error) {
      throw refusalFrom(describeFailure(error, 'create exec', this.url), 'create exec');
    }
    let stream: Readable;
    try {
      // Not dockerode's exec.start({hijack}): docker-modem only takes the stream from Node's
      // 'upgrade' event, which needs Upgrade and Connection headers on the 101. sdc-docker answers a
      // bare "HTTP/1.1 101 UPGRADED" (its lib/endpoints/exec.js:50): Node then raises 'response',
      // docker-modem reports "answered 101", and the stream bytes crash Node's HTTP parser.
      stream = (await this.hijack({ method: 'POST', path: `/exec/${exec.id}/start`, body: { Detach: false, Tty: false }, signal: abortSignal })).stream;
    } catch (error) {
      throw refusalFrom(describeFailure(error, 'start exec', this.url), 'start exec');
    }
    const collected = await collectStream(stream, abortSignal);
    const output = demuxDockerStream(collected.buffer);
    if (collected.aborted) return { exitCode: null, timedOut: true, ...output };
    // Inspecting before the stream ends gives Running: true, ExitCode: null (ecosystem.md 3.4).
    const inspected: any = await bounded(signalFor(10_000), (inspectSignal) => exec.inspect({ abortSignal: inspectSignal } as any))
      .catch((error: unknown) => { throw describeFailure(error, 'inspect exec', this.url); });
    return { exitCode: typeof inspected.ExitCode === 'number' ? inspected.ExitCode : null, timedOut: false, ...output };
  }

  // ---- labelled objects -----------------------------------------------------------------------

  // Listing goes over raw HTTP: the preflight and the sweeps need no dockerode (see `docker`).
  private async listByLabel(what: 'containers' | 'networks' | 'volumes', label: string): Promise<any> {
    const filters = encodeURIComponent(JSON.stringify({ label: [label] }));
    const response = await this.raw({ method: 'GET', path: `/${what}${what === 'containers' ? '/json?all=1&' : '?'}filters=${filters}` });
    if (response.status !== 200) throw new PlatformRefusal(response.status, response.text.trim().slice(0, 300), `list ${what}`);
    try {
      return response.json();
    } catch {
      throw new PlatformError(`list ${what}: the platform answered no JSON: ${response.text.slice(0, 120)}`);
    }
  }

  async listContainersByLabel(label: string): Promise<Array<{ id: string; labels: Record<string, string>; state: string; names: string[] }>> {
    const list = await this.listByLabel('containers', label);
    return (Array.isArray(list) ? list : []).map((c: any) => ({ id: c.Id, labels: c.Labels ?? {}, state: c.State, names: c.Names ?? [] }));
  }

  async listNetworksByLabel(label: string): Promise<Array<{ id: string; labels: Record<string, string> }>> {
    const list = await this.listByLabel('networks', label);
    return (Array.isArray(list) ? list : []).map((n: any) => ({ id: n.Id, labels: n.Labels ?? {} }));
  }

  async listVolumesByLabel(label: string): Promise<Array<{ id: string; labels: Record<string, string> }>> {
    const result = await this.listByLabel('volumes', label);
    return (result?.Volumes ?? []).map((v: any) => ({ id: v.Name, labels: v.Labels ?? {} }));
  }

  async createNetwork(name: string, scenario: string, options: Record<string, unknown> = {}): Promise<string> {
    if (creationGateClosed) throw new Error('keelhaul is shutting down: no new networks');
    try {
      const network = await inFlight(bounded(signalFor(callTimeouts.callMs), (abortSignal) => this.docker.createNetwork({ Name: name, Labels: this.labelsFor(scenario), ...options, abortSignal } as any)) as unknown as Promise<Docker.Network>);
      return network.id;
    } catch (error) {
      throw refusalFrom(describeFailure(error, 'create network', this.url), 'create network');
    }
  }

  async removeNetwork(id: string): Promise<void> {
    try {
      await bounded(signalFor(20_000), (abortSignal) => this.docker.getNetwork(id).remove({ abortSignal } as any));
    } catch (error) {
      if ((error as { statusCode?: number })?.statusCode === 404) return;
      throw describeFailure(error, 'remove network', this.url);
    }
  }

  /** `driver` and `driverOpts` as POST /volumes/create takes them (e.g. local with type=none,o=bind,device=...). */
  async createVolume(name: string, scenario: string, options: { driver?: string; driverOpts?: Record<string, string> } = {}): Promise<string> {
    if (creationGateClosed) throw new Error('keelhaul is shutting down: no new volumes');
    const driver = options.driver ? { Driver: options.driver, DriverOpts: options.driverOpts ?? {} } : {};
    try {
      const volume: any = await inFlight(bounded(signalFor(callTimeouts.callMs), (abortSignal) => this.docker.createVolume({ Name: name, Labels: this.labelsFor(scenario), ...driver, abortSignal } as any)) as unknown as Promise<unknown>);
      return volume.Name ?? name;
    } catch (error) {
      throw refusalFrom(describeFailure(error, 'create volume', this.url), 'create volume');
    }
  }

  async removeVolume(name: string): Promise<void> {
    try {
      await bounded(signalFor(20_000), (abortSignal) => this.docker.getVolume(name).remove({ abortSignal } as any));
    } catch (error) {
      if ((error as { statusCode?: number })?.statusCode === 404) return;
      // sdc-docker without NFS volumes answers every /volumes route so (its lib/endpoints/volumes.js:277): nothing can exist.
      if (/Volumes are not supported/.test(String((error as Error)?.message))) return;
      throw describeFailure(error, 'remove volume', this.url);
    }
  }

  // ---- images -------------------------------------------------------------------------------

  async imageExists(ref: string): Promise<boolean> {
    const response = await this.raw({ method: 'GET', path: `/images/${encodeURIComponent(ref)}/json` });
    if (response.status === 200) return true;
    if (response.status === 404) return false;
    throw new PlatformError(`GET /images/${ref}/json answered ${response.status}: ${response.text.slice(0, 200)}`);
  }

  /** Pull; resolves only when the pull has finished, and fails on in-band errors (ecosystem.md 3.6). */
  async pullImage(ref: string, timeoutMs: number): Promise<void> {
    const signal = signalFor(timeoutMs);
    const stream = await this.docker.pull(ref, { abortSignal: signal } as any).catch((error: unknown) => {
      throw refusalFrom(describeFailure(error, `pull ${ref}`, this.url), `pull ${ref}`);
    });
    const output: any[] = await new Promise((resolve, reject) => {
      this.docker.modem.followProgress(stream as any, (error: unknown, result: any[]) => (error ? reject(error) : resolve(result ?? [])));
    });
    const inBand = output.find((event) => event?.error || event?.errorDetail);
    if (inBand) throw new Error(`pull ${ref}: ${inBand.error ?? inBand.errorDetail?.message}`);
  }

  /** POST /images/create?fromSrc=- with a root filesystem tarball. */
  async importImage(tarball: Buffer, repo: string, tag: string, changes: string[]): Promise<void> {
    const query = new URLSearchParams({ fromSrc: '-', repo, tag });
    for (const change of changes) query.append('changes', change);
    const response = await this.raw({
      method: 'POST', path: `/images/create?${query}`, body: tarball, headers: { 'Content-Type': 'application/x-tar' }, timeoutMs: 120_000,
    });
    const failure = response.status >= 400 ? response.text : response.text.split('\n').find((line) => /"error"/.test(line));
    if (failure) throw new Error(`import ${repo}:${tag}: ${failure.slice(0, 300)}`);
    // Podman's compatible import ignores repo and tag and leaves the image untagged: tag it by the
    // image id the import reported (Docker tags it already; tagging again is harmless).
    const imageId = /"status":"(sha256:[0-9a-f]{64})"/.exec(response.text)?.[1];
    if (imageId && !(await this.imageExists(`${repo}:${tag}`))) {
      const tagged = await this.raw({ method: 'POST', path: `/images/${imageId}/tag?${new URLSearchParams({ repo, tag })}` });
      if (tagged.status >= 300) throw new Error(`tag ${imageId.slice(0, 19)} as ${repo}:${tag}: ${tagged.status} ${tagged.text.slice(0, 200)}`);
    }
  }

  // ---- hijacked streams (attach, exec start) ----------------------------------------------------

  /**
   * An HTTP request whose answer turns into a raw stream, read the way the Docker CLI does (a raw
   * connection, then the response head): any 101 or 200 answer is the stream, with or without
   * Upgrade/Connection headers. Docker answers "101 Switching Protocols" with both headers;
   * sdc-docker a bare "101 UPGRADED" (its lib/endpoints/exec.js:50, containers.js:629). An error
   * status rejects with HijackRefused carrying the body. Bounded by timeoutMs until the head arrives;
   * the caller bounds the stream.
   */
  hijack(request: { method: string; path: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number; signal?: AbortSignal; unversioned?: boolean }): Promise<{ status: number; headers: http.IncomingHttpHeaders; stream: net.Socket }> {
    const c = this.connection;
    const prefix = request.unversioned || this.apiVersion === '0' ? '' : `/v${this.apiVersion}`;
    const payload = request.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(request.body) ? request.body : Buffer.from(JSON.stringify(request.body));
    const headers: Record<string, string> = {
      Host: 'docker', 'Content-Type': 'application/json', ...request.headers,
      Connection: 'Upgrade', Upgrade: 'tcp', 'Content-Length': String(payload.length),
    };
    const head = [`${request.method} ${prefix}${request.path} HTTP/1.1`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join('\r\n') + '\r\n\r\n';
    const signal = signalFor(request.timeoutMs ?? callTimeouts.callMs, request.signal);
    const what = `${request.method} ${request.path}`;
    return new Promise((resolve, reject) => {
      const socket: net.Socket = c.transport === 'unix'
        ? net.connect(c.socketPath)
        : c.tls
          ? tls.connect({ host: c.host, port: c.port, ca: c.tls.ca, cert: c.tls.cert, key: c.tls.key, rejectUnauthorized: c.tls.verify, servername: '', checkServerIdentity: checkIdentityOf(c.host) })
          : net.connect(c.port, c.host);
      let settled = false;
      let buffered = Buffer.alloc(0);
      const done = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        socket.off('data', onData);
        outcome();
      };
      const fail = (error: unknown): void => { socket.destroy(); done(() => reject(describeFailure(error, what, this.url))); };
      const onAbort = (): void => fail(signal.reason instanceof Error ? signal.reason : Object.assign(new Error('aborted'), { name: 'AbortError' }));
      signal.addEventListener('abort', onAbort, { once: true });
      const onData = (chunk: Buffer): void => {
        buffered = Buffer.concat([buffered, chunk]);
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) {
          if (buffered.length > 64 * 1024) fail(new Error('the answer has no end of headers in 64 KiB'));
          return;
        }
        const parsed = parseHead(buffered.subarray(0, end).toString('latin1'));
        if (!parsed) return fail(new Error(`not an HTTP answer: ${JSON.stringify(buffered.subarray(0, 60).toString('latin1'))}`));
        const rest = buffered.subarray(end + 4);
        if (parsed.status === 101 || parsed.status === 200) {
          done(() => {
            if (rest.length > 0) socket.unshift(rest);
            resolve({ status: parsed.status, headers: parsed.headers, stream: socket });
          });
          return;
        }
        // An error answer: its body, by Content-Length or until the peer closes (bounded by the signal).
        const length = Number(parsed.headers['content-length'] ?? NaN);
        let body = rest;
        const finish = (): void => {
          socket.destroy();
          done(() => reject(new HijackRefused(parsed.status, parsed.headers, Number.isFinite(length) ? body.subarray(0, length) : body, what)));
        };
        if (Number.isFinite(length) && body.length >= length) return finish();
        socket.off('data', onData);
        socket.on('data', (more: Buffer) => { body = Buffer.concat([body, more]); if (Number.isFinite(length) && body.length >= length) finish(); });
        socket.once('end', finish);
      };
      socket.on('data', onData);
      socket.once('error', fail);
      socket.once('close', () => { if (!settled) fail(Object.assign(new Error('socket hang up: no answer head'), { code: 'ECONNRESET' })); });
      socket.write(Buffer.concat([Buffer.from(head, 'latin1'), payload]));
    });
  }

  // ---- raw HTTP -----------------------------------------------------------------------------

  /**
   * A raw request, for conformance checks that judge status codes, headers and error shapes,
   * which dockerode normalises away. Always bounded by a timeout.
   */
  raw(request: RawRequest): Promise<RawResponse> {
    // A create over raw HTTP (the conformance checks') is a create like any other: refused once the
    // gate is closed, and waited for by an interrupted run before it sweeps.
    if (isCreation(request)) {
      if (creationGateClosed) return Promise.reject(new Error(`keelhaul is shutting down: no new objects (${request.method} ${request.path})`));
      return inFlight(this.send(request));
    }
    return this.send(request);
  }

  private send(request: RawRequest): Promise<RawResponse> {
    if (request.upgrade) {
      // The head of the answer only; the stream is closed at once.
      return this.hijack({ ...request, timeoutMs: request.timeoutMs }).then(
        ({ status, headers, stream }) => { stream.destroy(); return makeResponse(status, headers, Buffer.alloc(0)); },
        (error: unknown) => {
          if (error instanceof HijackRefused) return makeResponse(error.status, error.headers, error.body);
          throw error;
        },
      );
    }
    const c = this.connection;
    const prefix = request.unversioned || this.apiVersion === '0' ? '' : `/v${this.apiVersion}`;
    const path = `${prefix}${request.path}`;
    const headers: Record<string, string> = { Host: 'docker', ...request.headers };
    let payload: Buffer | undefined;
    if (request.body !== undefined) {
      payload = Buffer.isBuffer(request.body) ? request.body : Buffer.from(JSON.stringify(request.body));
      headers['Content-Type'] ??= 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    if (request.upgrade) {
      headers.Connection = 'Upgrade';
      headers.Upgrade = 'tcp';
    }
    const timeoutMs = request.timeoutMs ?? callTimeouts.callMs;
    const signal = signalFor(timeoutMs, request.signal);
    const options: https.RequestOptions = { method: request.method, path, headers, signal };
    let transport: typeof http | typeof https = http;
    if (c.transport === 'unix') {
      options.socketPath = c.socketPath;
    } else {
      options.host = c.host;
      options.port = c.port;
      if (c.tls) {
        transport = https;
        Object.assign(options, { ca: c.tls.ca, cert: c.tls.cert, key: c.tls.key, rejectUnauthorized: c.tls.verify, servername: '', checkServerIdentity: checkIdentityOf(c.host) });
      }
    }
    return new Promise<RawResponse>((resolve, reject) => {
      // Settles exactly once, whatever the connection does: a response cut after its headers can
      // close without 'end' or 'error', and the abort signal must end the wait in every case.
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        outcome();
      };
      const fail = (error: unknown) => settle(() => reject(describeFailure(error, `${request.method} ${request.path}`, this.url)));
      const onAbort = () => {
        req.destroy();
        fail(signal.reason instanceof Error ? signal.reason : Object.assign(new Error('aborted'), { name: 'AbortError' }));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const req = transport.request(options, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_OUTPUT_BYTES) chunks.push(chunk);
        });
        res.on('end', () => settle(() => resolve(makeResponse(res.statusCode ?? 0, res.headers, Buffer.concat(chunks)))));
        res.on('error', fail);
        res.on('close', () => {
          if (!res.complete) fail(Object.assign(new Error('socket hang up: the answer was cut short'), { code: 'ECONNRESET' }));
        });
      });
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        settle(() => resolve(makeResponse(res.statusCode ?? 101, res.headers, Buffer.alloc(0))));
      });
      req.on('error', fail);
      if (payload) req.write(payload);
      req.end();
    });
  }

  // ---- tool images (adapters/tools/tool-images.ts) ---------------------------------------------

  /** GET /images/json with filters (label, reference): id, tags, labels, size, creation time. */
  async listImages(filters: Record<string, string[]>): Promise<Array<{ id: string; repoTags: string[]; labels: Record<string, string>; size: number; created: number }>> {
    const response = await this.raw({ method: 'GET', path: `/images/json?filters=${encodeURIComponent(JSON.stringify(filters))}` });
    if (response.status !== 200) throw new PlatformError(`GET /images/json answered ${response.status}: ${response.text.slice(0, 200)}`);
    const list = JSON.parse(response.text);
    return (Array.isArray(list) ? list : []).map((image: any) => ({
      id: String(image.Id ?? ''), repoTags: (image.RepoTags ?? []).filter((t: string) => t && t !== '<none>:<none>'),
      labels: image.Labels ?? {}, size: Number(image.Size ?? 0), created: Number(image.Created ?? 0),
    }));
  }

  /** POST /commit: a new image from a container, with Dockerfile-style changes (LABEL ...); its id. */
  async commitContainer(id: string, repo: string, tag: string, changes: string[]): Promise<string> {
    const query = new URLSearchParams({ container: id, repo, tag });
    for (const change of changes) query.append('changes', change);
    // An empty config body: Podman's compatible commit refuses a request without one ("Decode(): EOF").
    const response = await this.raw({ method: 'POST', path: `/commit?${query}`, body: {}, timeoutMs: 120_000 });
    if (response.status >= 300) throw new PlatformRefusal(response.status, response.text.slice(0, 300), `commit ${id.slice(0, 12)} as ${repo}:${tag}`);
    return String(JSON.parse(response.text || '{}').Id ?? '');
  }
}

/** An attach or exec start answered with an error status instead of a stream. */
export class HijackRefused extends Error {
  readonly statusCode: number;
  readonly json: { message: string };
  constructor(readonly status: number, readonly headers: http.IncomingHttpHeaders, readonly body: Buffer, what: string) {
    const text = body.toString('utf8').trim();
    let message = text;
    try { message = String(JSON.parse(text).message ?? text); } catch { /* a text/plain body (sdc-docker) */ }
    super(`(HTTP code ${status}) ${what} - ${message}`);
    this.name = 'HijackRefused';
    this.statusCode = status;
    this.json = { message }; // read by refusalFrom, as for docker-modem's errors
  }
}

/** "HTTP/1.1 101 UPGRADED\r\nK: v..." -> status and lower-cased headers (no header folding: obsolete). */
function parseHead(text: string): { status: number; headers: http.IncomingHttpHeaders } | undefined {
  const [statusLine, ...lines] = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(statusLine ?? '');
  if (!m) return undefined;
  const headers: http.IncomingHttpHeaders = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status: Number(m[1]), headers };
}

/** POST /containers/create, /networks/create, /volumes/create (with or without a query string). */
function isCreation(request: RawRequest): boolean {
  return request.method.toUpperCase() === 'POST' && /^\/(containers|networks|volumes)\/create(\?|$)/.test(request.path);
}

function makeResponse(status: number, headers: http.IncomingHttpHeaders, body: Buffer): RawResponse {
  const text = body.toString('utf8');
  return { status, headers, body, text, json: () => JSON.parse(text) };
}

function collectStream(stream: Readable, signal: AbortSignal): Promise<{ buffer: Buffer; aborted: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (aborted: boolean) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      resolve({ buffer: Buffer.concat(chunks), aborted });
    };
    const onAbort = () => {
      stream.destroy();
      finish(true);
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_OUTPUT_BYTES) chunks.push(Buffer.from(chunk));
    });
    // demuxStream never ends its outputs: listen for the source's end ourselves (dockerode #422).
    stream.on('end', () => finish(false));
    stream.on('close', () => finish(false));
    stream.on('error', () => finish(false));
  });
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

/** The server's certificate is checked against the target's host, not the Host header ("docker"). */
function checkIdentityOf(host: string) {
  return (_servername: string, cert: tls.PeerCertificate) => tls.checkServerIdentity(host, cert);
}

function dockerodeOptions(c: Connection): Docker.DockerOptions {
  if (c.transport === 'unix') return { socketPath: c.socketPath };
  if (c.tls) return { host: c.host, port: c.port, protocol: 'https', ca: c.tls.ca, cert: c.tls.cert, key: c.tls.key, checkServerIdentity: checkIdentityOf(c.host) } as Docker.DockerOptions;
  return { host: c.host, port: c.port, protocol: 'http' };
}
