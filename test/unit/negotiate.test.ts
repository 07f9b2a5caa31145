import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareApiVersions, negotiateApiVersion } from '../../adapters/platform/negotiate.js';

test('the lower of the daemon\'s maximum and ours', () => {
  assert.deepEqual(negotiateApiVersion({ ApiVersion: '1.47', MinAPIVersion: '1.24' }), { ok: true, version: '1.41', daemonMax: '1.47', daemonMin: '1.24' });
  assert.equal((negotiateApiVersion({ ApiVersion: '1.41', MinAPIVersion: '1.12' }) as any).version, '1.41');
  assert.equal((negotiateApiVersion({ ApiVersion: '1.21' }) as any).version, '1.21', 'Triton speaks 1.21 and reports no minimum');
});

test('a daemon below our minimum is refused with a clear reason', () => {
  const r = negotiateApiVersion({ ApiVersion: '1.18' });
  assert.equal(r.ok, false);
  assert.match((r as any).reason, /speaks API 1.18, older than keelhaul's minimum 1.21/);
});

test('a daemon whose minimum is above ours (Docker 29: 1.44) is spoken to at its minimum, with a note', () => {
  const r = negotiateApiVersion({ ApiVersion: '1.52', MinAPIVersion: '1.44' });
  assert.equal(r.ok, true);
  assert.equal((r as any).version, '1.44');
  assert.match((r as any).note, /newer than the 1.41/);
});

test('no usable ApiVersion', () => {
  assert.equal(negotiateApiVersion({}).ok, false);
  assert.equal(negotiateApiVersion({ ApiVersion: 'latest' }).ok, false);
});

test('versions compare numerically, not as strings', () => {
  assert.equal(compareApiVersions('1.9', '1.10'), -1);
  assert.equal(compareApiVersions('1.41', '1.41'), 0);
});
