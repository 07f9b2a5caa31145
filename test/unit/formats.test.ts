// judges/formats.ts: the one parser per format every family's probes use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cgroupLimit, cpuMaxCpus, keyValueRecord, num, parseKeyValues, parseSize } from '../../judges/formats.js';

test('key=value lines: repeated keys kept in order, the last one wins in a record; lines that are no key=value skipped', () => {
  const text = 'iter=5\niter=7\n  boot_id = abc \n214 195 254:0 / /etc/hosts rw - ext4 /dev/vda rw,lowerdir=/x\nsh: x=1: not found\n=nokey\n';
  const kv = parseKeyValues(text);
  assert.deepEqual(kv.all('iter'), ['5', '7']);
  assert.equal(kv.get('iter'), '7');
  assert.equal(kv.get('boot_id'), 'abc');
  assert.deepEqual(Object.keys(kv.raw).sort(), ['boot_id', 'iter']);
  // Keys with ":" or "/" (the conformance probe's "cg:memory.max") are keys where any key is allowed.
  assert.deepEqual(keyValueRecord('cg:memory.max=max\nprobe=done\nprobe=again\n'), { 'cg:memory.max': 'max', probe: 'again' });
  assert.equal(parseKeyValues('cg:memory.max=max\n').get('cg:memory.max'), undefined, 'the default key rule');
});

test('cgroup limits: v1 "no limit", v2 max and cfs -1 are unlimited; unreadable is undefined', () => {
  assert.equal(cgroupLimit('9223372036854771712'), 'unlimited');
  assert.equal(cgroupLimit('max'), 'unlimited');
  assert.equal(cgroupLimit(' -1 '), 'unlimited');
  assert.equal(cgroupLimit('33554432'), 33554432);
  for (const v of ['NA', '', 'garbage', undefined]) assert.equal(cgroupLimit(v), undefined);
  assert.equal(cpuMaxCpus('max 100000'), 'unlimited');
  assert.equal(cpuMaxCpus('25000 100000'), 0.25);
  assert.equal(cpuMaxCpus('NA'), undefined);
  assert.equal(num('NA'), undefined);
  assert.equal(num('1.5'), 1.5);
});

test('sizes as docker run takes them: binary units, bytes', () => {
  assert.equal(parseSize('32m'), 32 * 1024 * 1024);
  assert.equal(parseSize('64 MiB'), 64 * 1024 * 1024);
  assert.equal(parseSize('1g'), 1024 ** 3);
  assert.equal(parseSize('512k'), 512 * 1024);
  assert.equal(parseSize('100b'), 100);
  assert.equal(parseSize('512'), 512);
  assert.throws(() => parseSize('lots'), /not a size/);
});
