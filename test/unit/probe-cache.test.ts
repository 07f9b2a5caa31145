// support/probe-cache.ts: one run per configuration; failures are not shared, except a refusal met by a
// probe run ahead (the probe plan), which its next asker sees once, as it would have met it itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PlatformRefusal, PlatformTimeout, type RunResult } from '../../adapters/platform/docker-client.js';
import { ProbeCache } from '../../support/probe-cache.js';

const spec = (n: number) => ({ image: 'busybox', cmd: ['sh', '-c', `echo ${n}`], hostConfig: { NetworkMode: 'none' } });
const ok = { exitCode: 0, stdout: 'x', stderr: '', timedOut: false } as unknown as RunResult;

test('one run per configuration, whatever the key order of its spec', async () => {
  const cache = new ProbeCache();
  let runs = 0;
  const run = async () => { runs++; return ok; };
  await Promise.all([cache.get(spec(1), run), cache.get({ hostConfig: { NetworkMode: 'none' }, cmd: ['sh', '-c', 'echo 1'], image: 'busybox' }, run), cache.get(spec(1), run, { ahead: true })]);
  assert.equal(runs, 1);
  assert.equal(cache.hits, 2);
});

test('a scenario\'s own failure is not kept: the next asker asks the platform again', async () => {
  const cache = new ProbeCache();
  let runs = 0;
  const refuse = async (): Promise<RunResult> => { runs++; throw new PlatformRefusal(500, 'unable to start: privileged', 'start container'); };
  await assert.rejects(cache.get(spec(2), refuse), /privileged/);
  await assert.rejects(cache.get(spec(2), refuse), /privileged/);
  assert.equal(runs, 2);
});

test('a refusal met ahead is seen once by the next asker, then asked again; other failures ahead are not kept', async () => {
  const cache = new ProbeCache();
  let runs = 0;
  const refuse = async (): Promise<RunResult> => { runs++; throw new PlatformRefusal(500, 'unable to start: privileged', 'start container'); };
  await assert.rejects(cache.get(spec(3), refuse, { ahead: true }), /privileged/);
  await assert.rejects(cache.get(spec(3), refuse), /privileged/);
  assert.equal(runs, 1, 'the scenario read the refusal its plan met');
  await assert.rejects(cache.get(spec(3), refuse), /privileged/);
  assert.equal(runs, 2, 'whoever asks after it asks the platform');
  let slow = 0;
  const timeout = async (): Promise<RunResult> => { slow++; throw new PlatformTimeout('create container: no answer in 30000 ms'); };
  await assert.rejects(cache.get(spec(4), timeout, { ahead: true }));
  await assert.rejects(cache.get(spec(4), timeout));
  assert.equal(slow, 2, 'a timeout met ahead is not the platform\'s answer: the scenario tries itself');
});
