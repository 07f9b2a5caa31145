// Requests made WITHOUT the client's credentials, to see whether a TCP API refuses them (HARD-19):
// over TLS with the server verified as usual but no client certificate, and as plain HTTP. Not
// through dockerode, which always sends what the connection carries.
import http from 'node:http';
import https from 'node:https';
import type { Connection } from './connection.js';

export interface UnauthenticatedAnswer {
  how: 'tls-without-client-certificate' | 'plain-http';
  path: string;
  /** HTTP status, when an answer came. */
  status?: number;
  /** The handshake or connection failure, when none came. */
  failure?: string;
  body?: string;
}

export function unauthenticatedGet(conn: Extract<Connection, { transport: 'tcp' }>, path: string, how: UnauthenticatedAnswer['how'], timeoutMs = 10_000): Promise<UnauthenticatedAnswer> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (answer: UnauthenticatedAnswer) => { if (!settled) { settled = true; resolve(answer); } };
    const options = { host: conn.host, port: conn.port, path, method: 'GET', timeout: timeoutMs, headers: { Host: conn.host } };
    const request = how === 'plain-http'
      ? http.request(options)
      // The server is verified as the connection says (its CA, when given); the client shows no certificate.
      : https.request({ ...options, ca: conn.tls?.ca, rejectUnauthorized: conn.tls?.verify ?? false, servername: undefined, agent: false });
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => { if (chunks.reduce((n, b) => n + b.length, 0) < 4096) chunks.push(c); });
      response.on('end', () => done({ how, path, status: response.statusCode, body: Buffer.concat(chunks).toString('utf8').slice(0, 300) }));
      response.on('error', (error) => done({ how, path, status: response.statusCode, failure: error.message }));
    });
    request.on('timeout', () => { request.destroy(new Error(`no answer within ${timeoutMs} ms`)); });
    request.on('error', (error: NodeJS.ErrnoException) => done({ how, path, failure: `${error.code ? `${error.code}: ` : ''}${error.message.split('\n')[0]!.replace(/^[0-9A-F]{8,}:error:/, '').slice(0, 160)}` }));
    request.end();
  });
}
