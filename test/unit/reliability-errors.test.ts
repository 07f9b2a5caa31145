// How platform faults are classified: a connection cut mid-call breaks one check (exit 5); a platform
// that cannot be reached at all, or a TLS failure, is exit 4. Error texts as keelhaul's adapter words them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyFailure } from '../../judges/classify.js';
import { isConnectionFailure, isTlsFailure, PlatformError } from '../../judges/errors.js';

const named = (name: string, message: string) => Object.assign(new Error(message), { name });

test('a connection lost mid-call is an error that broke the check, not an unreachable platform', () => {
  for (const message of [
    'read logs: connection to unix:///tmp/p.sock lost mid-call: aborted',
    'inspect container: connection to unix:///tmp/p.sock lost mid-call: read ECONNRESET',
    'start container: connection to tcp://h:2375 lost mid-call: socket hang up',
  ]) {
    const c = classifyFailure(named('PlatformError', message));
    assert.equal(c.outcome, 'error');
    assert.notEqual(c.errorKind, 'platform-unreachable', message);
    // the same text as cucumber hands it to the After hook
    assert.notEqual(classifyFailure(`PlatformError: ${message}\n    at x (y.js:1:1)`).errorKind, 'platform-unreachable');
  }
});

test('a platform that refuses connections, has no socket or fails TLS is unreachable (exit 4)', () => {
  for (const message of [
    'create container: cannot reach tcp://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1',
    'list containers: cannot reach unix:///nonexistent.sock: connect ENOENT /nonexistent.sock',
    'GET /version: TLS with https://127.0.0.1:2376 failed: unable to verify the first certificate',
  ]) {
    assert.equal(classifyFailure(named('PlatformError', message)).errorKind, 'platform-unreachable', message);
  }
});

test('timeouts stay timeouts', () => {
  assert.equal(classifyFailure(named('PlatformTimeout', 'start container: no answer from unix:///x in time')).errorKind, 'timeout');
  assert.equal(classifyFailure('function timed out, ensure the promise resolves within 3000 milliseconds').errorKind, 'timeout');
});

test('TLS failures are recognised by node/OpenSSL code and by alert text', () => {
  assert.ok(isTlsFailure(Object.assign(new Error('unable to verify the first certificate'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' })));
  assert.ok(isTlsFailure(Object.assign(new Error('x'), { code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' })));
  assert.ok(isTlsFailure(new Error('805C01A0EB7F0000:error:0A000412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:rec_layer_s3.c:1601:SSL alert number 42')));
  assert.ok(isConnectionFailure(Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })));
  assert.ok(!isTlsFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })));
  assert.ok(!isTlsFailure(new Error('the platform answered 500: certificate of the image is bad')));
  assert.ok(isConnectionFailure(new PlatformError('x')));
});
