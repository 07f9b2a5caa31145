// The RES rules (judges/resources.ts) on what the probe scripts really printed under Docker 20.10 and
// Podman 4.3 on this project's host (test/fixtures/recorded/resources/README.md says how they were
// recorded), and on the same outputs with the weakness each rule exists to catch written in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  cgroupLimit, isIdentityUidMap, judgeAllocation, judgeBlkioWeight, judgeCpuset, judgeFlood, judgeHeartbeat, judgeMemsw, judgeOomIsolation,
  judgePinnedRate, judgePriority, judgeShm, judgeStorageQuota, judgeVictimForks, parseDataDevice, parseKeyValues, unboundedLogs, visibleQuota,
} from '../../judges/resources.js';

const MiB = 1024 * 1024;
const ENGINES = ['docker', 'podman'] as const;
const recorded = (engine: string, name: string): string => readFileSync(join('test/fixtures/recorded/resources', `${engine}-${name}.txt`), 'utf8');
const kv = (engine: string, name: string) => parseKeyValues(recorded(engine, name));
/** The recorded output with one key=value line replaced (the weakness written in). */
const planted = (text: string, key: string, value: string) => parseKeyValues(text.replace(new RegExp(`^${key.replace('.', '\\.')}=.*$`, 'm'), `${key}=${value}`));

for (const engine of ENGINES) {
  test(`${engine} defaults: no pids or memory limit, host uid 0, no CPU quota (RES-08, RES-15 exposures)`, () => {
    const limits = kv(engine, 'limits');
    assert.equal(cgroupLimit(limits.get('pids.max')), 'unlimited');
    assert.equal(cgroupLimit(limits.get('memory.limit')), 'unlimited');
    assert.equal(isIdentityUidMap(limits.get('uid_map')!), true);
    assert.equal(isIdentityUidMap('0 100000 65536'), false, 'a remapped root');
    assert.equal(visibleQuota(limits), 'unlimited');
  });

  test(`${engine} --cpus 0.25 --cpuset-cpus 0: the quota and the cpuset are what the container sees (RES-03, RES-06)`, () => {
    const limits = kv(engine, 'limits-cpu');
    assert.equal(visibleQuota(limits), 0.25);
    assert.equal(judgeCpuset(limits, 1, '0').outcome, 'pass');
    assert.equal(judgeCpuset(planted(recorded(engine, 'limits-cpu'), 'cpus_allowed', '0-1'), 1, '0').outcome, 'finding', 'cpuset ignored');
    assert.equal(judgeCpuset(planted(recorded(engine, 'limits-cpu'), 'nproc', '2'), 1, '0').outcome, 'finding');
    assert.equal(visibleQuota(planted(recorded(engine, 'limits-cpu'), 'cfs_quota', '-1')), 'unlimited', 'drop-cpu-quota');
  });

  test(`${engine}: every priority raise is refused (RES-14); one that succeeds is a finding`, () => {
    const text = recorded(engine, 'priority');
    const { report, verdict } = judgePriority(parseKeyValues(text));
    assert.equal(verdict.outcome, 'pass');
    assert.equal(report.chrt, 'absent');
    assert.match(report.renice!, /^1: renice: setpriority: Permission denied$/);
    assert.match(judgePriority(planted(text, 'renice', '0')).verdict.why, /raised its priority with renice/);
    assert.equal(judgePriority(parseKeyValues('')).verdict.outcome, 'inconclusive');
  });

  test(`${engine}: no blkio weight file on this kernel is not applicable (RES-10-WEIGHT); a wrong weight is a finding`, () => {
    const w = kv(engine, 'weight');
    assert.equal(judgeBlkioWeight({ weight: w.get('weight'), scheduler: w.get('scheduler') }, 300).outcome, 'not-applicable');
    assert.equal(judgeBlkioWeight({ weight: '300' }, 300).outcome, 'pass');
    assert.equal(judgeBlkioWeight({ weight: 'default 300' }, 300).outcome, 'pass', 'v2 io.weight');
    assert.equal(judgeBlkioWeight({ weight: '500' }, 300).outcome, 'finding');
    assert.equal(judgeBlkioWeight({ refused: 'unknown option' }, 300).outcome, 'not-applicable');
  });

  test(`${engine}: the data disk is found from inside (RES-10)`, () => {
    const device = parseDataDevice(recorded(engine, 'device'));
    assert.equal(device.path, '/dev/vda');
    assert.equal(device.majorMinor, '254:0');
  });

  test(`${engine} --pids-limit 50: the flood stops at 48 (RES-07); all 100 started is a finding`, () => {
    const text = recorded(engine, 'flood');
    const f = parseKeyValues(text);
    const seen = (k: ReturnType<typeof parseKeyValues>) => ({ limit: 50, count: 100, forked: Number(k.get('forked')), pidsMaxInside: k.get('pids.max') });
    assert.equal(judgeFlood(seen(f)).outcome, 'pass');
    assert.equal(judgeFlood(seen(planted(text, 'forked', '100'))).outcome, 'finding');
    assert.equal(judgeFlood(seen(planted(text, 'forked', '60'))).outcome, 'finding', 'more than the limit');
    assert.equal(judgeFlood({ ...seen(planted(text, 'forked', '100')), pidsMaxInside: '2000' }, { profile: 'triton', source: 'max_lwps' }).outcome, 'not-applicable');
    assert.equal(judgeFlood({ limit: 50, count: 100 }).outcome, 'inconclusive');
    assert.equal(judgeVictimForks(parseKeyValues('forked=20\nfork_err=\n'), 20).outcome, 'pass');
    assert.equal(judgeVictimForks(parseKeyValues('forked=3\nfork_err=sh: can\'t fork\n'), 20).outcome, 'finding');
  });

  test(`${engine}: /dev/shm is 64 MiB and the write stopped there (RES-13)`, () => {
    const s = kv(engine, 'shm');
    const size = Number(s.get('shm.size_kb')) * 1024;
    const written = Number(s.get('written_kb')) * 1024;
    assert.equal(judgeShm(size, written, 64 * MiB).outcome, 'pass');
    assert.equal(judgeShm(size, written, 32 * MiB).outcome, 'finding', 'a /dev/shm larger than the bound');
    assert.equal(judgeShm(size, size + 8 * MiB, 64 * MiB).outcome, 'finding', 'written past its size');
    assert.equal(judgeShm(0, 0, 64 * MiB).outcome, 'inconclusive');
  });

  test(`${engine} -m 32m: the offender's allocation is killed (137) at its limit, and only it (RES-01, RES-02)`, () => {
    const text = recorded(engine, 'offender');
    const o = parseKeyValues(text);
    const seen = (k: ReturnType<typeof parseKeyValues>) => ({ status: k.get('alloc_exit'), requested: 64 * MiB, limit: 32 * MiB, asked: 32 * MiB, scale: 1, insideRaw: k.get('memory.limit'), inspectMemory: 32 * MiB });
    assert.equal(judgeAllocation(seen(o)).outcome, 'pass');
    assert.equal(judgeAllocation(seen(planted(text, 'alloc_exit', '0'))).outcome, 'finding', 'the limit is not enforced');
    assert.equal(judgeAllocation(seen(planted(text, 'memory.limit', '9223372036854771712'))).outcome, 'finding', 'no limit inside');
    assert.equal(judgeAllocation({ ...seen(o), status: undefined }).outcome, 'inconclusive');
    const oom = { byInspect: false, byCounter: Number(o.get('oom_kill')) > 0, bySignal: o.get('alloc_exit') === '137' };
    assert.equal(judgeOomIsolation(oom, { running: true, oomKilled: false }).outcome, 'pass');
    assert.equal(judgeOomIsolation(oom, { running: true, oomKilled: true }).outcome, 'finding');
    assert.equal(judgeOomIsolation(oom, { running: false, oomKilled: false }).outcome, 'finding');
    assert.equal(judgeOomIsolation(oom, { running: false, oomKilled: false, completed: false }).outcome, 'finding');
    assert.equal(judgeOomIsolation(oom, { running: false, oomKilled: false, completed: true }).outcome, 'inconclusive');
    assert.equal(judgeOomIsolation({ byInspect: false, byCounter: false, bySignal: false }, { running: true, oomKilled: false }).outcome, 'finding');
    assert.equal(judgeMemsw(o.get('memsw.limit'), { text: '32m', bytes: 32 * MiB }).outcome, 'pass');
    assert.equal(judgeMemsw(planted(text, 'memsw.limit', '9223372036854771712').get('memsw.limit'), { text: '32m', bytes: 32 * MiB }).outcome, 'finding', 'swap unlimited');
    assert.equal(judgeMemsw(planted(text, 'memsw.limit', String(64 * MiB)).get('memsw.limit'), { text: '32m', bytes: 32 * MiB }).outcome, 'finding');
    assert.equal(judgeMemsw('NA', { text: '32m', bytes: 32 * MiB }).outcome, 'inconclusive');
  });
}

test('the nproc ulimit does not bind root under Docker (moby#12898: all 20 started under a ulimit of 10)', () => {
  assert.equal(kv('docker', 'nproc').get('forked'), '20');
});

test('heartbeat, pinned rate, disk quota and log rotation rules', () => {
  assert.equal(judgeHeartbeat({ maxGapS: 0.3, after: 4 }, 2).outcome, 'pass');
  assert.equal(judgeHeartbeat({ maxGapS: 2.6, after: 4 }, 2).outcome, 'finding');
  assert.equal(judgeHeartbeat({ maxGapS: 0.3, after: 0 }, 2).outcome, 'finding');
  assert.equal(judgePinnedRate(0.99, 1, 20, 0.05).outcome, 'pass');
  assert.equal(judgePinnedRate(1.9, 1, 20, 0.05).outcome, 'finding');
  assert.equal(judgePinnedRate(undefined, 1, 20, 0.05).outcome, 'inconclusive');
  const quota = { quota: 64 * MiB, size: 96 * MiB };
  assert.equal(judgeStorageQuota({ ...quota, refused: '--storage-opt is supported only for overlay over xfs with \'pquota\' mount option', writtenBytes: 0 }, 264241152).outcome, 'not-applicable');
  assert.equal(judgeStorageQuota({ ...quota, writeExit: '0', writtenBytes: 96 * MiB }, 0).outcome, 'finding');
  assert.equal(judgeStorageQuota({ ...quota, writeExit: '1', writtenBytes: 64 * MiB }, 0).outcome, 'pass');
  assert.match(unboundedLogs({ Type: 'json-file', Config: {} })!, /log driver json-file with no max-size/);
  assert.equal(unboundedLogs({ Type: 'k8s-file', Config: { 'max-size': '10m' } }), undefined);
  assert.equal(unboundedLogs({ Type: 'local' }), undefined);
  assert.equal(unboundedLogs({ Type: 'journald' }), undefined);
});
