// Containers: create, start, wait, kill, inspect, remove, logs, exec, and the create-to-logs run the
// World's probes use. Every dockerode call goes through platformCall (calls.ts).
import type { Readable } from 'node:stream';
import { abortReason, currentCallTimeouts, platformCall, signalFor } from './calls.js';
import { demuxDockerStream } from './demux.js';
import type { EngineContext } from './engine-api.js';
import { PlatformTimeout, describeFailure, refusalFrom, statusOf } from './errors.js';
import { MAX_OUTPUT_BYTES, hijack } from './raw-http.js';

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

export interface ExecOptions {
  user?: string;
  privileged?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The numeric field `key` of an answer, or null (an answer that is not an object, or lacks it). */
function numberField(answer: unknown, key: string): number | null {
  const value = answer && typeof answer === 'object' ? (answer as Record<string, unknown>)[key] : undefined;
  return typeof value === 'number' ? value : null;
}

export async function createContainer(ctx: EngineContext, spec: ContainerSpec, labels: Record<string, string>, signal?: AbortSignal): Promise<string> {
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
    Labels: labels,
    HostConfig: spec.hostConfig ?? {},
    NetworkingConfig: spec.networkingConfig,
    AttachStdout: false,
    AttachStderr: false,
    name: spec.name,
  };
  // A create once sent is never abandoned by the scenario's signal: the platform goes on creating
  // after its client hangs up (dockerd does; a proxy such as sdc-docker forwards it all the same), and
  // the container would appear after the clean-up and the sweep looked. It is answered (or times out)
  // and handed back, so the caller tracks it; the caller's next call meets the abort.
  if (signal?.aborted) throw describeFailure(abortReason(signal), 'create container', ctx.endpoint.url);
  const id = await platformCall(
    { what: 'create container', url: ctx.endpoint.url, timeoutMs: currentCallTimeouts().provisioningMs, creates: 'containers' },
    async (abortSignal) => {
      const container = await ctx.engine().createContainer({ ...body, abortSignal });
      // dockerode hands back an unparseable answer as a string: no Id. The container may exist all
      // the same; it carries the run's label, so the sweep removes it.
      if (typeof container.id !== 'string' || container.id === '') {
        throw new Error('create container: the platform\'s answer has no container Id (truncated or not JSON)');
      }
      return container.id;
    },
  );
  return id;
}

export async function startContainer(ctx: EngineContext, id: string, signal?: AbortSignal): Promise<void> {
  await platformCall(
    // 304: already started.
    { what: 'start container', url: ctx.endpoint.url, timeoutMs: currentCallTimeouts().provisioningMs, signal, doneDespite: (error) => statusOf(error) === 304 },
    (abortSignal) => ctx.engine().getContainer(id).start({ abortSignal }),
  );
}

/** Wait for exit; on timeout the container is killed and `timedOut` is reported, never a hang. */
export async function waitContainer(ctx: EngineContext, id: string, timeoutMs: number, signal?: AbortSignal): Promise<{ exitCode: number | null; timedOut: boolean }> {
  try {
    const result = await platformCall(
      { what: 'wait for container', url: ctx.endpoint.url, timeoutMs, signal, refusals: false },
      (abortSignal) => ctx.engine().getContainer(id).wait({ abortSignal }),
    );
    return { exitCode: numberField(result, 'StatusCode'), timedOut: false };
  } catch (error) {
    if (!(error instanceof PlatformTimeout)) throw error;
    await killContainer(ctx, id).catch(() => undefined);
    return { exitCode: null, timedOut: true };
  }
}

export async function killContainer(ctx: EngineContext, id: string, signalName = 'KILL'): Promise<void> {
  await platformCall(
    // 404, 409, 304: gone or not running.
    { what: 'kill container', url: ctx.endpoint.url, timeoutMs: 10_000, refusals: false, doneDespite: (error) => [404, 409, 304].includes(statusOf(error) ?? 0) },
    (abortSignal) => ctx.engine().getContainer(id).kill({ signal: signalName, abortSignal }),
  );
}

export async function inspectContainer(ctx: EngineContext, id: string, signal?: AbortSignal): Promise<any> {
  return platformCall({ what: 'inspect container', url: ctx.endpoint.url, signal, timeoutMs: currentCallTimeouts().callMs }, (abortSignal) => ctx.engine().getContainer(id).inspect({ abortSignal }));
}

/**
 * Force-remove with its anonymous volumes. A container that is already gone is not an error. One
 * still provisioning cannot be removed yet (sdc-docker: 500 "Conflict, cannot currently remove a
 * provisioning container", lib/backends/sdc/containers.js:3322-3326): asked again, bounded by the
 * provisioning timeout.
 */
export async function removeContainer(ctx: EngineContext, id: string): Promise<void> {
  const deadline = Date.now() + currentCallTimeouts().provisioningMs;
  for (let attempt = 0; ; attempt++) {
    try {
      await removeOnce(ctx, id);
      return;
    } catch (error) {
      if (!/remove a provisioning container/i.test(String((error as Error)?.message)) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 500 * 2 ** attempt)));
    }
  }
}

async function removeOnce(ctx: EngineContext, id: string): Promise<void> {
  await platformCall(
    {
      what: `remove container ${id.slice(0, 12)}`, url: ctx.endpoint.url, timeoutMs: Math.max(20_000, currentCallTimeouts().provisioningMs), refusals: false,
      // Gone; or 409 "removal already in progress", as good as removed.
      doneDespite: (error) => statusOf(error) === 404 || (statusOf(error) === 409 && /already in progress/i.test(String((error as Error).message))),
    },
    (abortSignal) => ctx.engine().getContainer(id).remove({ force: true, v: true, abortSignal }),
  );
}

export async function logs(ctx: EngineContext, id: string, tty = false, signal?: AbortSignal): Promise<{ stdout: string; stderr: string }> {
  const raw = await platformCall(
    { what: 'read logs', url: ctx.endpoint.url, signal, timeoutMs: currentCallTimeouts().callMs },
    (abortSignal) => ctx.engine().getContainer(id).logs({ stdout: true, stderr: true, follow: false, abortSignal }),
  );
  const buffer = Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw));
  return tty ? { stdout: buffer.toString('utf8'), stderr: '' } : demuxDockerStream(buffer);
}

/** create, start, wait (bounded), read logs and inspect. The caller owns removal (the World tracks it). */
export async function runToCompletion(ctx: EngineContext, spec: ContainerSpec, labels: Record<string, string>, timeoutMs: number, track: (id: string) => void, signal?: AbortSignal): Promise<RunResult> {
  const id = await createContainer(ctx, spec, labels, signal);
  track(id);
  await startContainer(ctx, id, signal);
  const { exitCode, timedOut } = await waitContainer(ctx, id, timeoutMs, signal);
  const [{ stdout, stderr }, inspect] = await Promise.all([logs(ctx, id, spec.tty, signal), inspectContainer(ctx, id, signal)]);
  return { id, exitCode: timedOut ? null : exitCode, timedOut, stdout, stderr, inspect };
}

/** Run `cmd` in a running container; the whole of it (create, stream, exit code) bounded by timeoutMs. */
export async function exec(ctx: EngineContext, id: string, cmd: string[], options: ExecOptions = {}): Promise<ProcessResult & { timedOut: boolean }> {
  const url = ctx.endpoint.url;
  const abortSignal = signalFor(options.timeoutMs ?? currentCallTimeouts().callMs, options.signal);
  const execution = await platformCall({ what: 'create exec', url, signal: abortSignal }, () => ctx.engine().getContainer(id).exec({
    Cmd: cmd, AttachStdout: true, AttachStderr: true, Tty: false, User: options.user, Privileged: options.privileged,
    abortSignal,
  }));
  let stream: Readable;
  try {
    // Not dockerode's exec.start({hijack}): docker-modem only takes the stream from Node's
    // 'upgrade' event, which needs Upgrade and Connection headers on the 101. sdc-docker answers a
    // bare "HTTP/1.1 101 UPGRADED" (its lib/endpoints/exec.js:50): Node then raises 'response',
    // docker-modem reports "answered 101", and the stream bytes crash Node's HTTP parser.
    stream = (await hijack(ctx.endpoint, { method: 'POST', path: `/exec/${execution.id}/start`, body: { Detach: false, Tty: false }, signal: abortSignal })).stream;
  } catch (error) {
    throw refusalFrom(describeFailure(error, 'start exec', url), 'start exec');
  }
  const collected = await collectStream(stream, abortSignal);
  const output = demuxDockerStream(collected.buffer);
  if (collected.aborted) return { exitCode: null, timedOut: true, ...output };
  // Inspecting before the stream ends gives Running: true, ExitCode: null (ecosystem.md 3.4).
  const inspected = await platformCall({ what: 'inspect exec', url, timeoutMs: 10_000, refusals: false }, (inspectSignal) => execution.inspect({ abortSignal: inspectSignal }));
  return { exitCode: numberField(inspected, 'ExitCode'), timedOut: false, ...output };
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
