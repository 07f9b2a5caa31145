// The platform preflight (PlatformClient.connect): /info is asked at keelhaul's API version while
// /version is still on the wire, and asked again at the negotiated version when that is another.
// A real HTTP server on a unix socket plays the platform (no engine needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlatformClient } from '../../adapters/platform/docker-client.js';
import { resolveConnection } from '../../adapters/platform/connection.js';
import { PlatformError } from '../../judges/errors.js';

interface Seen { path: string; at: number }

/** A platform speaking `apiVersion` whose /version answers after `versionDelayMs`; /info answers `info(path)`. */
async function platform(apiVersion: string, versionDelayMs: number, info: (path: string) => { status: number; body: unknown }) {
  const dir = mkdtempSync(join(tmpdir(), 'keelhaul-preflight-'));
  const socket = join(dir, 'api.sock');
  const seen: Seen[] = [];
  const started = Date.now();
  const server = createServer((req: IncomingMessage, res) => {
    const path = req.url ?? '';
    seen.push({ path, at: Date.now() - started });
    const answer = (status: number, body: unknown) => { res.writeHead(status, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(body)); };
    if (path === '/version') setTimeout(() => answer(200, { Version: '1.0.0', ApiVersion: apiVersion, Os: 'linux' }), versionDelayMs);
    else if (path.endsWith('/info')) { const r = info(path); answer(r.status, r.body); }
    else answer(404, { message: 'page not found' });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return {
    seen,
    connect: () => PlatformClient.connect(resolveConnection({ target: `unix://${socket}` }), 'preflight-test', 5_000),
    close: async () => { await new Promise((resolve) => server.close(resolve)); rmSync(dir, { recursive: true, force: true }); },
  };
}

test('/info is asked at 1.41 before /version has answered, and that answer is the fingerprint\'s', async () => {
  const p = await platform('1.41', 300, () => ({ status: 200, body: { Name: 'asked-ahead', OperatingSystem: 'Debian', CgroupVersion: '1' } }));
  try {
    const connected = await p.connect();
    assert.equal(connected.negotiation.version, '1.41');
    assert.equal(connected.fingerprint.name, 'asked-ahead');
    const info = p.seen.filter((s) => s.path.endsWith('/info'));
    assert.deepEqual(info.map((s) => s.path), ['/v1.41/info'], 'asked once, at 1.41');
    assert.ok(info[0]!.at < 250, `/info was asked ${info[0]!.at} ms in, not while /version (300 ms) was on the wire`);
  } finally {
    await p.close();
  }
});

test('a platform that speaks an older API (Triton: 1.21) refuses /v1.41/info: /info is asked again at 1.21', async () => {
  const p = await platform('1.21', 50, (path) => (path === '/v1.21/info'
    ? { status: 200, body: { Name: 'at-1.21' } }
    : { status: 400, body: { message: 'client version 1.41 is too new' } }));
  try {
    const connected = await p.connect();
    assert.equal(connected.negotiation.version, '1.21');
    assert.equal(connected.fingerprint.name, 'at-1.21');
    assert.deepEqual(p.seen.filter((s) => s.path.endsWith('/info')).map((s) => s.path).sort(), ['/v1.21/info', '/v1.41/info']);
  } finally {
    await p.close();
  }
});

test('an /info that answers an error at the negotiated version is still the preflight\'s failure (exit 4)', async () => {
  const p = await platform('1.41', 10, () => ({ status: 500, body: { message: 'storage figures unavailable' } }));
  try {
    await assert.rejects(p.connect(), (error: unknown) => error instanceof PlatformError && /GET \/info .* answered 500/.test((error as Error).message));
  } finally {
    await p.close();
  }
});
