// The scenario clean-up's order (support/resource-tracker.ts): held work first, containers (beside the
// background removals already under way) before networks, a failed background removal tried again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResourceTracker } from '../../support/resource-tracker.js';
import type { PlatformClient } from '../../adapters/platform/docker-client.js';

function fakeClient(log: string[], options: { failOnce?: Set<string>; slow?: Record<string, Promise<void>> } = {}) {
  const call = (what: string) => async (id: string) => {
    log.push(`${what} ${id} start`);
    await options.slow?.[id];
    if (options.failOnce?.delete(id)) { log.push(`${what} ${id} failed`); throw new Error(`cannot remove ${id}`); }
    log.push(`${what} ${id} done`);
  };
  return { removeContainer: call('container'), removeNetwork: call('network'), removeVolume: call('volume') } as unknown as PlatformClient;
}

test('held work ends before anything is removed', async () => {
  const log: string[] = [];
  const tracker = new ResourceTracker();
  tracker.track('network', 'n1');
  tracker.track('container', 'c1');
  let finish!: () => void;
  tracker.holdUntil(new Promise<void>((resolve) => { finish = resolve; }).then(() => { log.push('held work done'); }));
  const removal = tracker.removeAll(fakeClient(log));
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(log, [], 'nothing may be removed while held work runs');
  finish();
  assert.deepEqual(await removal, []);
  assert.deepEqual(log, ['held work done', 'container c1 start', 'container c1 done', 'network n1 start', 'network n1 done']);
});

test('a held failure is not the clean-up\'s', async () => {
  const tracker = new ResourceTracker();
  tracker.holdUntil(Promise.reject(new Error('the fetch failed')));
  assert.deepEqual(await tracker.removeAll(fakeClient([])), []);
});

test('containers are removed beside a background removal under way, networks only after both', async () => {
  const log: string[] = [];
  let release!: () => void;
  const slow = { bg: new Promise<void>((resolve) => { release = resolve; }) };
  const client = fakeClient(log, { slow });
  const tracker = new ResourceTracker();
  tracker.track('network', 'n1');
  tracker.track('container', 'bg');
  tracker.track('container', 'c1');
  tracker.removeInBackground(client, 'bg');
  const removal = tracker.removeAll(client);
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(log, ['container bg start', 'container c1 start', 'container c1 done'], 'c1 does not wait for bg; bg is not removed twice; no network yet');
  release();
  assert.deepEqual(await removal, []);
  assert.deepEqual(log.slice(3), ['container bg done', 'network n1 start', 'network n1 done']);
});

test('a container whose background removal failed is removed again, and a failure there is reported', async () => {
  const log: string[] = [];
  const client = fakeClient(log, { failOnce: new Set(['bg']) });
  const tracker = new ResourceTracker();
  tracker.track('container', 'bg');
  tracker.removeInBackground(client, 'bg');
  assert.deepEqual(await tracker.removeAll(client), []);
  assert.deepEqual(log, ['container bg start', 'container bg failed', 'container bg start', 'container bg done']);

  const failing = new ResourceTracker();
  failing.track('volume', 'v1');
  const failures = await failing.removeAll(fakeClient([], { failOnce: new Set(['v1']) }));
  assert.equal(failures.length, 1);
  assert.match(failures[0]!, /^volume v1: .*cannot remove v1/);
});
