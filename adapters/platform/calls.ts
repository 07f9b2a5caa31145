// How every call to the platform is bounded and how its failure is reported: the per-call timeouts,
// the abort signal that bounds a call (never docker-modem's global `timeout`, which can leave
// `wait()` pending forever and let Node exit 0 without cleaning up: ecosystem.md 3.5), the creation
// gate and the creates still on the wire (an interrupted run waits for them before it sweeps), and
// `platformCall`, the one wrapper every dockerode call goes through.
import { setMaxListeners } from 'node:events';
import { setTimeout as pause } from 'node:timers/promises';
import { describeFailure, refusalFrom } from './errors.js';

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

// ---- the creation gate and the creates in flight ----------------------------------------------

/** Connected gate: once closed (on SIGINT/SIGTERM), no new object may be created in this process. */
let creationGateClosed = false;
export function closeCreationGate(): void {
  creationGateClosed = true;
}

/**
 * Called once, synchronously, just before this process's first create goes out: a run starts its
 * reaper there (run/run.ts), so that one whose scenarios create nothing does not pay for it.
 */
let beforeFirstCreation: (() => void) | undefined;
export function onFirstCreation(hook: (() => void) | undefined): void {
  beforeFirstCreation = hook;
}

/** Create calls still on the wire: an interrupted run waits for them (bounded) before it sweeps. */
const creationsInFlight = new Set<Promise<unknown>>();

/**
 * A create: refused once the gate is closed (with `refused`'s message), else started and kept in
 * the in-flight list until it has been answered or has failed.
 */
export function gatedCreation<T>(refused: string, create: () => Promise<T>): Promise<T> {
  if (creationGateClosed) return Promise.reject(new Error(`keelhaul is shutting down: ${refused}`));
  const first = beforeFirstCreation;
  beforeFirstCreation = undefined;
  first?.();
  const creation = create();
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

// ---- bounds -----------------------------------------------------------------------------------

/** An abort signal that fires after timeoutMs, or when `outer` (a scenario's) fires. */
export function signalFor(timeoutMs: number, outer?: AbortSignal): AbortSignal {
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

/** The error an aborted signal stands for: its reason, or a plain AbortError. */
export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : Object.assign(new Error('aborted'), { name: 'AbortError' });
}

/**
 * Run a dockerode call under an abort signal, and give up when the signal fires even if dockerode
 * does not: docker-modem leaves its promise pending forever when a connection is cut after the
 * answer's headers (a reset mid-stream), abort signal or not.
 */
export function bounded<T>(signal: AbortSignal, call: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    // signalFor's timer is unref'd (it outlives a call that settles), so while the call is pending
    // something must hold the event loop: with a connection cut mid-stream nothing else may (in the
    // preflight, before cucumber's timers exist), and node would end the process (exit 13, an
    // unsettled top-level await) before the timeout fires.
    const hold = setInterval(() => undefined, 60_000);
    const settle = () => { clearInterval(hold); signal.removeEventListener('abort', onAbort); };
    const onAbort = () => { settle(); reject(abortReason(signal)); };
    signal.addEventListener('abort', onAbort, { once: true });
    Promise.resolve(call(signal)).then(
      (value) => { settle(); resolve(value); },
      (error: unknown) => { settle(); reject(error); },
    );
  });
}

// ---- the call wrapper -------------------------------------------------------------------------

export interface PlatformCall {
  /** The operation, as errors and refusals name it: "create container", "remove network". */
  what: string;
  /** The platform's URL, for the messages of failed connections. */
  url: string;
  /** The bound of this call (ms), on top of `signal`; without it, `signal` is the bound. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** A create: refused once the creation gate is closed ("no new <creates>"), tracked while in flight. */
  creates?: 'containers' | 'networks' | 'volumes';
  /** Error answers that mean the call's work is done (a 404 on a remove): the call resolves undefined. */
  doneDespite?: (error: unknown) => boolean;
  /** Turn HTTP error answers into PlatformRefusal (default); false: only connection failures are translated. */
  refusals?: boolean;
  /**
   * A failure the platform is known to answer transiently, for which the same call is made again:
   * at most `attempts` calls in all, `pauseMs` times the attempt number apart, all within the call's
   * one bound (and each create still through the creation gate, so a signal stops the retries).
   */
  again?: { when: (error: unknown) => boolean; attempts: number; pauseMs: number };
}

/**
 * One dockerode call: bounded (the timeout, the scenario's signal, the creation gate), its failure
 * translated (PlatformTimeout, PlatformError, PlatformRefusal naming `what`).
 */
export function platformCall<T>(call: PlatformCall & { doneDespite?: undefined }, run: (abortSignal: AbortSignal) => Promise<T>): Promise<T>;
export function platformCall<T>(call: PlatformCall, run: (abortSignal: AbortSignal) => Promise<T>): Promise<T | undefined>;
export async function platformCall<T>(call: PlatformCall, run: (abortSignal: AbortSignal) => Promise<T>): Promise<T | undefined> {
  const signal = call.timeoutMs === undefined && call.signal ? call.signal : signalFor(call.timeoutMs ?? callTimeouts.callMs, call.signal);
  const once = () => (call.creates
    ? gatedCreation(`no new ${call.creates}`, () => bounded(signal, run))
    : bounded(signal, run));
  try {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await once();
      } catch (error) {
        if (!call.again || attempt >= call.again.attempts || !call.again.when(error) || signal.aborted) throw error;
        await pause(call.again.pauseMs * attempt, undefined, { signal });
      }
    }
  } catch (error) {
    if (call.doneDespite?.(error)) return undefined;
    const failure = describeFailure(error, call.what, call.url);
    throw call.refusals === false ? failure : refusalFrom(failure, call.what);
  }
}
