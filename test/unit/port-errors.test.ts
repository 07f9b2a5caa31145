// Collision messages as the engines really word them (attacks.md section 5, Appendix A, and the
// strings observed on this project's Docker 20.10 and Podman 4.3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyPortError, isPortInUse } from '../../judges/port-errors.js';

const PORT_IN_USE: Array<[string, string | undefined]> = [
  // Docker 20.10, observed: same 127.0.0.1:P twice (port allocator).
  ['driver failed programming external connectivity on endpoint p4b (d04207c1667ea379c485407454ad1c513fbb88d48d48168b4e9590efb4325a8d): Bind for 127.0.0.1:53022 failed: port is already allocated', '127.0.0.1:53022'],
  // Docker 20.10, observed: 0.0.0.0:P against 127.0.0.1:P (userland proxy bind).
  ['driver failed programming external connectivity on endpoint p4c (dbd3ba14dde3): Error starting userland proxy: listen tcp4 0.0.0.0:53022: bind: address already in use', '0.0.0.0:53022'],
  // compose scale-out, the classic.
  ['driver failed programming external connectivity on endpoint web_2 (abc): Bind for 0.0.0.0:8000 failed: port is already allocated', '0.0.0.0:8000'],
  // ~v25-27 wording.
  ['driver failed programming external connectivity on endpoint x (y): failed to bind port 127.0.0.1:2375/tcp: Error starting userland proxy: listen tcp4 127.0.0.1:2375: bind: address already in use', '127.0.0.1:2375'],
  // v28+.
  ['failed to set up container networking: driver failed programming external connectivity on endpoint n (i): failed to bind host port for 0.0.0.0:9090:172.22.0.36:9090/tcp: address already in use', '0.0.0.0:9090'],
  // spurious -P collision.
  ['Error starting userland proxy: listen tcp 0.0.0.0:40845: bind: address already in use', '0.0.0.0:40845'],
  // Podman 4.3 rootful, observed (container vs container, host process vs container).
  ['cannot listen on the TCP port: listen tcp4 127.0.0.1:44501: bind: address already in use', '127.0.0.1:44501'],
  // Podman 4.3, observed: 0.0.0.0 against an existing 127.0.0.1 binding.
  ['cannot listen on the TCP port: listen tcp4 :44501: bind: address already in use', ':44501'],
  // Podman rootless and older.
  ['rootlessport listen tcp 0.0.0.0:9080: bind: address already in use', '0.0.0.0:9080'],
  ['error from slirp4netns while setting up port redirection: map[desc:bad request: add_hostfwd: slirp_add_hostfwd failed]', undefined],
  ['something went wrong with the request: "proxy already running\n"', undefined],
];

test('every known collision wording is the one class port-in-use, raw text kept', () => {
  for (const [raw, address] of PORT_IN_USE) {
    const verdict = classifyPortError(raw);
    assert.equal(verdict.class, 'port-in-use', raw);
    assert.equal(verdict.raw, raw.trim());
    assert.equal(verdict.address, address, raw);
    assert.ok(isPortInUse(raw));
  }
});

test('Triton refuses remapping: a class of its own, not a collision', () => {
  const verdict = classifyPortError('publish port: remapping of port numbers not allowed');
  assert.equal(verdict.class, 'remapping-refused');
  assert.equal(isPortInUse(verdict.raw), false);
});

test('unrelated errors stay unrecognised (never silently counted as a collision)', () => {
  for (const raw of [
    'No such image: busybox:nope',
    'OCI runtime create failed: container_linux.go:380: starting container process caused: exec: "httpd": executable file not found',
    '',
  ]) {
    const verdict = classifyPortError(raw);
    assert.equal(verdict.class, 'unrecognised', raw);
    assert.equal(verdict.source, undefined);
  }
});

test('a bind refused for privilege is its own class', () => {
  assert.equal(classifyPortError('listen tcp4 0.0.0.0:80: bind: permission denied').class, 'privileged-port-refused');
});
