// Raw HTTP to the platform, for what dockerode normalises away or cannot read: conformance checks
// that judge status codes, headers and error shapes; listing by label and image checks (which need
// no dockerode, so preflight and sweeps never load it); and hijacked streams (attach, exec start)
// read the way the Docker CLI reads them. Bounded like every call (calls.ts).
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { Connection } from './connection.js';
import { abortReason, currentCallTimeouts, gatedCreation, signalFor } from './calls.js';
import { HijackRefused, describeFailure } from './errors.js';

export const MAX_OUTPUT_BYTES = 8 * 1024 * 1024;

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
  /**
   * A connection of its own rather than one kept alive from earlier calls: a daemon that is
   * shutting down still answers on connections it already had (Docker 20.10 answers 500 there for
   * seconds) while it accepts no new ones, and only a new one tells whether it is still there.
   */
  fresh?: boolean;
}

export interface HijackRequest {
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal;
  unversioned?: boolean;
}

export interface Hijacked {
  status: number;
  headers: http.IncomingHttpHeaders;
  stream: net.Socket;
}

/** Where raw requests go: the connection, and the API version their paths are prefixed with ('0': none). */
export interface Endpoint {
  connection: Connection;
  apiVersion: string;
  url: string;
}

function versioned(endpoint: Endpoint, request: { path: string; unversioned?: boolean }): string {
  const prefix = request.unversioned || endpoint.apiVersion === '0' ? '' : `/v${endpoint.apiVersion}`;
  return `${prefix}${request.path}`;
}

/**
 * A raw request, always bounded by a timeout. A create over raw HTTP (the conformance checks') is a
 * create like any other: refused once the gate is closed, and waited for by an interrupted run
 * before it sweeps.
 */
export function rawRequest(endpoint: Endpoint, request: RawRequest): Promise<RawResponse> {
  if (isCreation(request)) {
    // Never abandoned by the scenario's signal once sent (adapters/platform/containers.ts says why):
    // answered or timed out, so what it made is known and removed.
    if (request.signal?.aborted) return Promise.reject(describeFailure(abortReason(request.signal), `${request.method} ${request.path}`, endpoint.url));
    return gatedCreation(`no new objects (${request.method} ${request.path})`, () => send(endpoint, { ...request, signal: undefined }));
  }
  return send(endpoint, request);
}

function send(endpoint: Endpoint, request: RawRequest): Promise<RawResponse> {
  if (request.upgrade) {
    // The head of the answer only; the stream is closed at once.
    return hijack(endpoint, { ...request, timeoutMs: request.timeoutMs }).then(
      ({ status, headers, stream }) => { stream.destroy(); return makeResponse(status, headers, Buffer.alloc(0)); },
      (error: unknown) => {
        if (error instanceof HijackRefused) return makeResponse(error.status, error.headers, error.body);
        throw error;
      },
    );
  }
  const c = endpoint.connection;
  const headers: Record<string, string> = { Host: 'docker', ...request.headers };
  let payload: Buffer | undefined;
  if (request.body !== undefined) {
    payload = Buffer.isBuffer(request.body) ? request.body : Buffer.from(JSON.stringify(request.body));
    headers['Content-Type'] ??= 'application/json';
    headers['Content-Length'] = String(payload.length);
  }
  const signal = signalFor(request.timeoutMs ?? currentCallTimeouts().callMs, request.signal);
  const options: https.RequestOptions = { method: request.method, path: versioned(endpoint, request), headers, signal };
  if (request.fresh) options.agent = false;
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
    const fail = (error: unknown) => settle(() => reject(describeFailure(error, `${request.method} ${request.path}`, endpoint.url)));
    const onAbort = () => {
      req.destroy();
      fail(abortReason(signal));
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

/**
 * An HTTP request whose answer turns into a raw stream, read the way the Docker CLI does (a raw
 * connection, then the response head): any 101 or 200 answer is the stream, with or without
 * Upgrade/Connection headers. Docker answers "101 Switching Protocols" with both headers;
 * sdc-docker a bare "101 UPGRADED" (its lib/endpoints/exec.js:50, containers.js:629). An error
 * status rejects with HijackRefused carrying the body. Bounded by timeoutMs until the head arrives;
 * the caller bounds the stream.
 */
export function hijack(endpoint: Endpoint, request: HijackRequest): Promise<Hijacked> {
  const c = endpoint.connection;
  const payload = request.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(request.body) ? request.body : Buffer.from(JSON.stringify(request.body));
  const headers: Record<string, string> = {
    Host: 'docker', 'Content-Type': 'application/json', ...request.headers,
    Connection: 'Upgrade', Upgrade: 'tcp', 'Content-Length': String(payload.length),
  };
  const head = [`${request.method} ${versioned(endpoint, request)} HTTP/1.1`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join('\r\n') + '\r\n\r\n';
  const signal = signalFor(request.timeoutMs ?? currentCallTimeouts().callMs, request.signal);
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
    const fail = (error: unknown): void => { socket.destroy(); done(() => reject(describeFailure(error, what, endpoint.url))); };
    const onAbort = (): void => fail(abortReason(signal));
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

/** The server's certificate is checked against the target's host, not the Host header ("docker"). */
export function checkIdentityOf(host: string) {
  return (_servername: string, cert: tls.PeerCertificate) => tls.checkServerIdentity(host, cert);
}
