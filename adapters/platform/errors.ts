// The platform client's one error taxonomy: a call that got no answer in time (PlatformTimeout), an
// HTTP error answer (PlatformRefusal: the operation refused, the status, the platform's own words),
// a connection that failed (PlatformError from judges/errors.ts: exit 4), and the translation of
// dockerode's, docker-modem's and Node's errors into them.
import type http from 'node:http';
import { PlatformError, isConnectionFailure, isTlsFailure, oneLine } from '../../judges/errors.js';

export class PlatformTimeout extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlatformTimeout';
  }
}

/** An HTTP error answer from the platform, with its status and the raw message kept for reports. */
export class PlatformRefusal extends Error {
  /** What was refused, as the message names it: "create container", "list networks", "pull busybox". */
  readonly operation: string;
  constructor(readonly statusCode: number, readonly rawMessage: string, what: string) {
    super(`${what}: the platform answered ${statusCode}: ${rawMessage}`);
    this.name = 'PlatformRefusal';
    this.operation = what;
  }
}

/**
 * Podman's network create failing on a race with the host's interfaces, not on anything asked: to
 * pick a free subnet it lists the host's addresses (containers/common libnetwork/util
 * getLiveNetworkSubnets, Go's net.InterfaceAddrs), which dumps links and addresses separately and
 * fails with "route ip+net: no such network interface" when a veth came or went in between. Any
 * other container started or removed on the host at that moment causes it (seen in CI, while a
 * suite on Docker ran beside one on Podman). Nothing was created; the same create made again succeeds.
 */
export function isInterfaceListRace(error: unknown): boolean {
  if (statusOf(error) !== 500) return false;
  const e = error as StatusError;
  const words = `${typeof e.json === 'string' ? e.json : e.json?.message ?? ''} ${e.message ?? ''}`;
  return /route ip\+net: no such network interface/.test(words);
}

/**
 * Was this error the platform refusing (an HTTP error answer, not a lost connection)? With a
 * pattern, only when the platform's own words match it. The one way steps ask "was this refused?".
 */
export function isRefusal(error: unknown, pattern?: RegExp): error is PlatformRefusal {
  return error instanceof PlatformRefusal && (pattern === undefined || pattern.test(error.rawMessage));
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

/** What docker-modem's errors (and HijackRefused) carry for an HTTP error answer. */
export interface StatusError {
  statusCode?: number;
  json?: { message?: string } | string;
  reason?: string;
  message?: string;
}

/** The HTTP status of an error answer, if the error is one. */
export function statusOf(error: unknown): number | undefined {
  const code = (error as StatusError | undefined)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** An aborted or timed-out call, by the names AbortSignal gives its reasons. */
export function isAbort(error: unknown): boolean {
  const name = (error as Error | undefined)?.name;
  return name === 'AbortError' || name === 'TimeoutError';
}

/** A connection-level failure turned into a PlatformTimeout or PlatformError that names the call and the platform. */
export function describeFailure(error: unknown, what: string, url: string): Error {
  if (isAbort(error)) {
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

/** An HTTP error answer turned into a PlatformRefusal naming `what`; anything else as it is. */
export function refusalFrom(error: unknown, what: string): Error {
  const e = error as StatusError | undefined;
  if (typeof e?.statusCode === 'number') {
    // docker-modem puts the platform's own words in json.message (JSON bodies) or after " - " in
    // its message (plain-text bodies, as sdc-docker sends); its `reason` is only a generic label.
    const fromMessage = /^\(HTTP code \d+\) [^-]*- ([\s\S]*)$/.exec(e.message ?? '')?.[1];
    const fromJson = typeof e.json === 'string' ? e.json : e.json?.message;
    const raw = fromJson ?? fromMessage ?? e.reason ?? e.message ?? '';
    return new PlatformRefusal(e.statusCode, String(raw).trim(), what);
  }
  return error as Error;
}
