// support/recipes.ts: a scenario network is made once per scenario and label, tracked for removal the
// moment it exists, and a refused create is not remembered; token servers (see also ports-rules.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PlatformRefusal } from '../../adapters/platform/docker-client.js';
import { scenarioNetwork, scenarioNetworkName, uniqueToken } from '../../support/recipes.js';
import type { KeelhaulWorld } from '../../support/world.js';

function fakeWorld(refuse = 0) {
  const created: Array<{ name: string; options: Record<string, unknown> }> = [];
  const tracked: Array<[string, string]> = [];
  const world = {
    scenarioId: 'PORT-02-1',
    ctx: {},
    platform: {
      runId: '0123456789abcdef0123',
      async createNetwork(name: string, _scenario: string, options: Record<string, unknown>) {
        if (refuse-- > 0) throw new PlatformRefusal(400, 'NotImplemented: networks', 'create network');
        created.push({ name, options });
        return `id-${created.length}`;
      },
    },
    resources: { track: (kind: string, id: string) => tracked.push([kind, id]) },
  };
  return { world: world as unknown as KeelhaulWorld, created, tracked };
}

test('one network per scenario and label, tracked as soon as it exists, joined by name', async () => {
  const { world, created, tracked } = fakeWorld();
  const [a, again, b] = await Promise.all([scenarioNetwork(world, 'x'), scenarioNetwork(world, 'x'), scenarioNetwork(world, 'y', { internal: true })]);
  assert.equal(a, again);
  assert.equal(created.length, 2);
  assert.deepEqual(tracked, [['network', 'id-1'], ['network', 'id-2']]);
  assert.equal(created[1]!.options.Internal, true);
  assert.equal(created[0]!.options.Internal, false);
  assert.deepEqual(a.join('target'), { hostConfig: { NetworkMode: a.name }, networkingConfig: { EndpointsConfig: { [a.name]: { Aliases: ['target'] } } } });
  assert.match(a.name, /^keelhaul-0123456789ab-port-02-1-x-[0-9a-f]{6}$/);
});

test('a refused create is thrown as the platform refusal, and asked again next time', async () => {
  const { world, created } = fakeWorld(1);
  await assert.rejects(scenarioNetwork(world, 'x'), (e: unknown) => e instanceof PlatformRefusal && e.statusCode === 400);
  const n = await scenarioNetwork(world, 'x');
  assert.equal(n.id, 'id-1');
  assert.equal(created.length, 1);
});

test('names and tokens are safe for the engines and the shell', () => {
  assert.match(scenarioNetworkName('run', 'RES 01/ä', 'My Net'), /^keelhaul-run-res-01-+my-net-[0-9a-f]{6}$/);
  assert.match(uniqueToken({ scenarioId: 'PORT-01' }, 'the harness'), /^keelhaul-PORT-01-theharness-[0-9a-f]{12}$/);
});
