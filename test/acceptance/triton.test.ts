// keelhaul against the Triton fixture (test/fixtures/triton, which answers as sdc-docker's code
// does): the platform adapter on sdc's hijack answer, the triton and triton-2015 profiles against
// the fixture in the matching mode, and the safety rules for a shared (multi-tenant) platform.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DOCKER, labelledContainers, project, reachable, runKeelhaul, type KeelhaulResult } from '../helpers/keelhaul.js';
import { startTritonFixture, type TritonFixture } from '../fixtures/triton/server.js';
import { PlatformClient } from '../../adapters/platform/docker-client.js';
import { parseTarget } from '../../adapters/platform/connection.js';

const SOCKET = DOCKER.replace(/^unix:\/\//, '');
let current: TritonFixture;
let preview: TritonFixture;

async function connect(url: string): Promise<PlatformClient> {
  const conn = parseTarget(url, 'test', process.env, () => Buffer.alloc(0));
  return (await PlatformClient.connect(conn, `triton-test-${process.pid}`)).client;
}

async function noLeftovers(r: KeelhaulResult): Promise<void> {
  assert.deepEqual((await labelledContainers(DOCKER, r.summary.run)).map((c) => c.Id), [], `run ${r.summary.run} left containers`);
}

before(async () => {
  assert.ok(await reachable(DOCKER), `${DOCKER} is not reachable (scripts/engines.sh up)`);
  current = await startTritonFixture({ upstreamSocket: SOCKET, listen: { host: '127.0.0.1', port: 0 } });
  preview = await startTritonFixture({ upstreamSocket: SOCKET, listen: { host: '127.0.0.1', port: 0 }, era: 'preview-2015' });
});
after(async () => {
  await current?.close();
  await preview?.close();
});

describe('the platform adapter on sdc-docker\'s hijack answer (bare "101 UPGRADED")', () => {
  test('exec works through the fixture and through Docker (101 with and without Upgrade headers)', async () => {
    for (const url of [current.url, DOCKER]) {
      const client = await connect(url);
      const id = await client.createContainer({ image: 'busybox:latest', cmd: ['sleep', '30'], hostConfig: {} }, 'TRITON-EXEC');
      try {
        await client.startContainer(id);
        const started = Date.now();
        const r = await client.exec(id, ['sh', '-c', 'echo out; echo err >&2; exit 3'], { timeoutMs: 15_000 });
        assert.equal(r.timedOut, false, `${url}: exec hung`);
        assert.equal(r.stdout, 'out\n', url);
        assert.equal(r.stderr, 'err\n', url);
        assert.equal(r.exitCode, 3, url);
        assert.ok(Date.now() - started < 10_000, `${url}: exec took ${Date.now() - started} ms`);
      } finally {
        await client.removeContainer(id);
      }
    }
  });

  test('an attach upgrade probe sees the fixture\'s 101 without Upgrade/Connection headers; an exec start error keeps sdc\'s text', async () => {
    const client = await connect(current.url);
    const id = await client.createContainer({ image: 'busybox:latest', cmd: ['true'], hostConfig: {} }, 'TRITON-ATTACH');
    try {
      const r = await client.raw({ method: 'POST', path: `/containers/${id}/attach?stream=1&stdout=1`, upgrade: true, timeoutMs: 10_000 });
      assert.equal(r.status, 101);
      assert.equal(r.headers['content-type'], 'application/vnd.docker.raw-stream');
      assert.equal(r.headers.upgrade, undefined);
      assert.equal(r.headers.connection, undefined);
      const missing = await client.raw({ method: 'POST', path: '/exec/keelhaul-none/start', body: {}, upgrade: true, timeoutMs: 10_000 });
      assert.equal(missing.status, 404);
      assert.match(missing.text, /\(ResourceNotFound\)/);
    } finally {
      await client.removeContainer(id);
    }
  });
});
