import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cgroupParent, classify, execRuntimeRefusal, limitValue, refusalStage, verdictFor } from '../../judges/hardening.js';
import { mountRefused, parseIsolationProbe, refused } from '../../judges/probes-isolation.js';

test('three outcomes: a refusal is rejected, no effect is neutralised, an effect is effective', () => {
  assert.equal(classify({ stage: 'start', message: 'unable to apply caps' }), 'rejected');
  assert.equal(classify(undefined, { effective: false, evidence: '' }), 'neutralised');
  assert.equal(classify(undefined, { effective: true, evidence: '' }), 'effective');
  assert.equal(classify(undefined, { effective: 'unknown', evidence: '' }), 'unknown');
});

test('the profile decides: effective is a finding only on a multi-tenant platform', () => {
  assert.deepEqual(verdictFor('effective', true), { verdict: 'finding', classification: 'effective' });
  assert.deepEqual(verdictFor('effective', false), { verdict: 'exposure', classification: 'effective' });
  assert.deepEqual(verdictFor('rejected', true), { verdict: 'pass', classification: 'rejected' });
  assert.deepEqual(verdictFor('neutralised', true), { verdict: 'pass', classification: 'neutralised' });
  assert.deepEqual(verdictFor('unknown', true), { verdict: 'inconclusive' });
});

test('refusal stages and exec runtime errors', () => {
  assert.equal(refusalStage('start container: the platform answered 500: OCI runtime create failed'), 'start');
  assert.equal(refusalStage('create container: the platform answered 400: bad parameter'), 'create');
  assert.match(execRuntimeRefusal(126, 'OCI runtime exec failed: unable to apply caps')!, /apply caps/);
  assert.equal(execRuntimeRefusal(0, '00000000a80425fb'), undefined);
});

test('cgroup parents and limits', () => {
  assert.equal(cgroupParent(['9:name=systemd:/docker/abc', '8:pids:/docker/abc']), '/docker');
  assert.equal(cgroupParent(['8:pids:/abc']), '/');
  assert.equal(cgroupParent(['0::/']), '/');
  assert.equal(limitValue('9223372036854771712'), 'unlimited');
  assert.equal(limitValue('max'), 'unlimited');
  assert.equal(limitValue('2048'), 2048);
  assert.equal(limitValue(''), 'absent');
});

test('the probe output decodes attempts, keyed attempts and repeated keys', () => {
  const report = parseIsolationProbe([
    'CapEff=00000000a80425fb', 'mnt=1 0 0:1 / / rw - overlay overlay rw', 'exists=/proc/keys', 'sock=/run/x.sock',
    'try.unshare_user=1:unshare: unshare(0x10000000): Operation not permitted',
    'try.mount=1:mount: mounting none on /tmp failed: No such device',
    'try.sethostname=skipped:the uts namespace is the host\'s',
    'mknod=b 7:0|0:', 'devopen=b 7:0|1:sh: can\'t open /tmp/keelhaul-dev: Operation not permitted',
    'cgw=/sys/fs/cgroup/pids|1:sh: can\'t create /sys/fs/cgroup/pids/cgroup.procs: Read-only file system',
    'probe=done',
  ].join('\n'));
  assert.equal(refused(report.attempts.unshare_user), true);
  assert.equal(mountRefused(report.attempts.mount), false, 'no such device: the permission check passed');
  assert.equal(refused(report.attempts.sethostname), 'unknown');
  assert.equal(report.keyed.mknod!['b 7:0']!.ok, true);
  assert.equal(refused(report.keyed.devopen!['b 7:0']), true);
  assert.equal(refused(report.keyed.cgw!['/sys/fs/cgroup/pids']), true);
  assert.deepEqual(report.exists, ['/proc/keys']);
  assert.deepEqual(report.sockets, ['/run/x.sock']);
});
