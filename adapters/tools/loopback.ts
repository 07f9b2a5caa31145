// keelhaul's own process as a client of published ports: fetch a token over HTTP. Used where the
// platform gives every container an address of its own (support/port-vantage.ts); published ports of
// other platforms are reached from a helper container on the engine's host instead.
// Plain node:net/node:http (no dockerode, no execa).
// Every call is bounded in time; nothing here listens beyond the address it is given.
import http from 'node:http';
import net from 'node:net';

/**
 * A port that is free on `host` right now (bind port 0, read it, release). Another process can take
 * it before the caller does: callers treat a collision on it as "retry", not as a verdict.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port was assigned'))));
    });
  });
}

/** Whether `host:port` can be bound right now (used to pick a free privileged port). */
export function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

import type { FetchResult } from '../../judges/host-ports.js';

export type { FetchResult };

/** One bounded HTTP GET to host:port (no keep-alive, so every request is a fresh connection). */
export function httpGet(host: string, port: number, path = '/', timeoutMs = 3_000): Promise<FetchResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: FetchResult) => {
      if (!settled) {
        settled = true;
        resolve(result);
      }
    };
    const req = http.request({ host, port, path, method: 'GET', agent: false, headers: { Connection: 'close' }, signal: AbortSignal.timeout(timeoutMs) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 65_536) body += chunk;
      });
      res.on('end', () => done({ ok: true, status: res.statusCode ?? 0, body }));
      res.on('error', (error) => done({ ok: false, error: error.message }));
    });
    req.on('error', (error) => {
      const code = (error as NodeJS.ErrnoException).code;
      done({ ok: false, error: code === 'ABORT_ERR' || error.name === 'AbortError' ? `no answer in ${timeoutMs} ms` : code ?? error.message });
    });
    req.end();
  });
}

/** GET until an answer with status 200 arrives or the deadline passes (a container's server starting up). */
export async function waitForHttp(host: string, port: number, deadlineMs: number, signal?: AbortSignal): Promise<FetchResult> {
  const until = Date.now() + deadlineMs;
  let last: FetchResult = { ok: false, error: 'not tried' };
  for (let attempt = 0; attempt < 100 && Date.now() < until && !signal?.aborted; attempt++) {
    last = await httpGet(host, port, '/', Math.min(2_000, Math.max(200, until - Date.now())));
    if (last.ok && last.status === 200) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  return last;
}

/** Whether an address is a loopback one (127/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
