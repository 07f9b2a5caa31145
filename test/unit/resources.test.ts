import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cgroupLimit, dataDeviceFromMountinfo, heartbeatGap, judgeFairShare, judgeQuota, judgeWeights, judgeWriteThrottle, median,
  parseCpuStat, parseKeyValues, parseSize, parseSpin,
} from '../../judges/resources.js';

test('cgroup limits: v1 "no limit", v2 max and cfs -1 are unlimited; numbers stay numbers', () => {
  assert.equal(cgroupLimit('9223372036854771712'), 'unlimited');
  assert.equal(cgroupLimit('max'), 'unlimited');
  assert.equal(cgroupLimit('-1'), 'unlimited');
  assert.equal(cgroupLimit('33554432'), 33554432);
  assert.equal(cgroupLimit('NA'), undefined);
  assert.equal(cgroupLimit(undefined), undefined);
});

test('sizes parse as binary units', () => {
  assert.equal(parseSize('32m'), 32 * 1024 * 1024);
  assert.equal(parseSize('64 MiB'), 64 * 1024 * 1024);
  assert.equal(parseSize('1g'), 1024 ** 3);
  assert.equal(parseSize('512'), 512);
  assert.throws(() => parseSize('lots'), /not a size/);
});

test('cpu.stat and key=value output parse, repeated keys kept in order', () => {
  assert.deepEqual(parseCpuStat('nr_periods 30\nnr_throttled 28\nthrottled_time 123\n'), { nr_periods: 30, nr_throttled: 28, throttled_time: 123 });
  const kv = parseKeyValues('iter=5\niter=7\nboot_id=abc\nnoise line\n');
  assert.deepEqual(kv.all('iter'), ['5', '7']);
  assert.equal(kv.get('boot_id'), 'abc');
});

test('a spin measurement sums its loops and derives the cgroup CPU rate (observed --cpus 0.25: 0.249)', () => {
  const r = parseSpin('boot_id=b\nu0=597.52\nc0=94604435\nthr0=1\niter=424778\niter=349371\nu1=600.64\nc1=871640836\nthr1=31\nspin=done\n')!;
  assert.equal(r.iterations, 774149);
  assert.equal(r.loops, 2);
  assert.equal(r.cpuRate, 0.249);
  assert.equal(r.throttledDelta, 30);
  assert.equal(r.bootId, 'b');
  assert.equal(parseSpin('u0=1\n'), undefined, 'an unfinished measurement is not a result');
});

test('the data disk is the mount source of /etc/hosts (Docker and Podman mountinfo)', () => {
  const docker = '214 195 254:0 /var/lib/docker/containers/x/hosts /etc/hosts rw,relatime - ext4 /dev/vda rw,discard\n';
  assert.deepEqual(dataDeviceFromMountinfo(docker), { majorMinor: '254:0', device: '/dev/vda' });
  const podman = '182 176 254:0 /run/containers/storage/overlay-containers/y/userdata/hosts /etc/hosts rw,relatime - ext4 /dev/vda rw\n';
  assert.equal(dataDeviceFromMountinfo(podman).device, '/dev/vda');
  assert.deepEqual(dataDeviceFromMountinfo('1 0 0:50 / / rw - overlay overlay rw\n'), {});
});

test('heartbeat: the longest silence over the offender window, and beats after it', () => {
  const beats = [1.0, 1.1, 1.2, 1.3, 3.9, 4.0, 4.1];
  const gap = heartbeatGap(beats, 1.15, 4.0);
  assert.equal(gap.maxGapS, 2.6);
  assert.equal(gap.after, 1);
  assert.equal(heartbeatGap([1, 1.1, 1.2], 1.15, 2).after, 0);
});

test('RES-03 quota: honoured, dropped, exceeded, or unmeasurable on a saturated machine', () => {
  assert.equal(judgeQuota({ quotaCpus: 0.25, rates: [0.249, 0.25], throttled: [30, 29], visibleQuota: 0.25 }).outcome, 'pass');
  // Noise only lowers the rate: a throttled container at 0.15 CPUs still passes.
  assert.equal(judgeQuota({ quotaCpus: 0.25, rates: [0.15, 0.14], throttled: [3, 2], visibleQuota: 0.25 }).outcome, 'pass');
  // drop-cpu-quota: the cgroup shows no quota, whatever the rate.
  assert.equal(judgeQuota({ quotaCpus: 0.25, rates: [0.2, 0.2], throttled: [0, 0], visibleQuota: 'unlimited' }).outcome, 'finding');
  assert.equal(judgeQuota({ quotaCpus: 0.25, rates: [1.6, 1.7], throttled: [0, 0] }).outcome, 'finding');
  assert.equal(judgeQuota({ quotaCpus: 0.25, rates: [0.3, 0.31], throttled: [0, 0], visibleQuota: 0.25 }).outcome, 'finding');
  assert.equal(judgeQuota({ quotaCpus: 0.25, rates: [0.05, 0.06], throttled: [0, 0], visibleQuota: 0.25 }).outcome, 'inconclusive');
});

test('RES-04 fairness: per-container scheduling (observed 0.35-0.49) passes, thread-level (0.11) is a finding', () => {
  assert.equal(judgeFairShare([0.46, 0.35], 0.22, 0.11).outcome, 'pass');
  assert.equal(judgeFairShare([0.11, 0.13], 0.22, 0.11).outcome, 'finding');
  assert.equal(median([0.2, 0.5, 0.4]), 0.4);
});

test('RES-05 weights: 4:1 shares (observed 3.6-3.8 pinned) pass at a 2:1 minimum; equal weights do not', () => {
  assert.equal(judgeWeights([3.6, 3.8], 2, 4).outcome, 'pass');
  assert.equal(judgeWeights([1.05, 0.97], 2, 4).outcome, 'finding');
  assert.equal(judgeWeights([], 2, 4).outcome, 'inconclusive');
});

test('RES-10 direct writes: 5 MB/s limit, 10 MiB in 2 s passes, in 0.1 s is a finding', () => {
  const limit = 5 * 1024 * 1024;
  assert.equal(judgeWriteThrottle((10 * 1024 * 1024) / 2.0, limit).outcome, 'pass');
  assert.equal(judgeWriteThrottle((10 * 1024 * 1024) / 0.1, limit).outcome, 'finding');
});
