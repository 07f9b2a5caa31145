import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConnection } from '../../adapters/platform/connection.js';

const noSockets = () => false;
const files: Record<string, string> = { '/certs/ca.pem': 'CA', '/certs/cert.pem': 'CERT', '/certs/key.pem': 'KEY' };
const readFile = (p: string) => {
  if (!(p in files)) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
  return Buffer.from(files[p]!);
};

test('--target wins over DOCKER_HOST', () => {
  const c = resolveConnection({ target: 'unix:///tmp/a.sock', env: { DOCKER_HOST: 'tcp://1.2.3.4:2375' }, socketExists: noSockets });
  assert.equal(c.transport, 'unix');
  assert.equal(c.url, 'unix:///tmp/a.sock');
  assert.equal(c.source, '--target');
});

test('DOCKER_HOST tcp without TLS', () => {
  const c = resolveConnection({ env: { DOCKER_HOST: 'tcp://10.0.0.5:2375' }, socketExists: noSockets });
  assert.equal(c.transport, 'tcp');
  assert.ok(c.transport === 'tcp' && !c.tls);
  assert.equal(c.url, 'tcp://10.0.0.5:2375');
});

test('DOCKER_TLS_VERIFY (any non-empty value, as the Docker CLI does) loads the certificates', () => {
  const c = resolveConnection({ env: { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: 'true', DOCKER_CERT_PATH: '/certs' }, socketExists: noSockets, readFile });
  assert.ok(c.transport === 'tcp' && c.tls);
  if (c.transport === 'tcp' && c.tls) {
    assert.equal(c.tls.ca?.toString(), 'CA');
    assert.equal(c.tls.verify, true);
  }
  assert.equal(c.url, 'https://h:2376');
});

test('missing certificate files are a usage error naming the file', () => {
  assert.throws(
    () => resolveConnection({ env: { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/nowhere' }, socketExists: noSockets, readFile }),
    (e: Error) => e.name === 'UsageError' && /DOCKER_CERT_PATH|ca\.pem/.test(e.message),
  );
});

test('no target: the first local socket that exists, Podman\'s when Docker\'s is absent', () => {
  const c = resolveConnection({ env: {}, socketExists: (p) => p === '/run/podman/podman.sock' });
  assert.equal(c.url, 'unix:///run/podman/podman.sock');
  const none = resolveConnection({ env: {}, socketExists: noSockets });
  assert.equal(none.url, 'unix:///var/run/docker.sock');
});

test('an unknown scheme is a usage error', () => {
  assert.throws(() => resolveConnection({ target: 'ftp://x', env: {} }), (e: Error) => e.name === 'UsageError' && /unsupported scheme "ftp"/.test(e.message));
});

test('a bare host:port is tcp', () => {
  const c = resolveConnection({ target: '127.0.0.1:2375', env: {} });
  assert.equal(c.url, 'tcp://127.0.0.1:2375');
});
