// Per-call bounds: --call-timeout, DOCKER_CLIENT_TIMEOUT (seconds, as the Docker CLI tools read
// it), the profile's timeouts; and a slow probe-image pull that is waited for, not replaced by an
// import the platform may refuse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { callTimeoutFromEnv } from '../../adapters/platform/docker-client.js';
import { ensureProbeImage } from '../../adapters/platform/probe-image.js';
import { callTimeoutsFor } from '../../run/run.js';
import { loadProfileFile, shippedProfilePath } from '../../run/profiles.js';

test('DOCKER_CLIENT_TIMEOUT is seconds; KEELHAUL_CALL_TIMEOUT_MS (tests) wins; neither: undefined', () => {
  assert.equal(callTimeoutFromEnv({ DOCKER_CLIENT_TIMEOUT: '300' }), 300_000);
  assert.equal(callTimeoutFromEnv({ DOCKER_CLIENT_TIMEOUT: '300', KEELHAUL_CALL_TIMEOUT_MS: '500' }), 500);
  assert.equal(callTimeoutFromEnv({ DOCKER_CLIENT_TIMEOUT: 'soon' }), undefined);
  assert.equal(callTimeoutFromEnv({}), undefined);
});

test('the flag, then the environment, then the profile bound a call; provisioning calls get the triton profile\'s 300 s', () => {
  const triton = loadProfileFile(shippedProfilePath('triton'), false);
  const docker = loadProfileFile(shippedProfilePath('docker'), false);
  assert.deepEqual(callTimeoutsFor(docker, undefined, {}), { callMs: 30_000, provisioningMs: 30_000 });
  assert.deepEqual(callTimeoutsFor(triton, undefined, {}), { callMs: 30_000, provisioningMs: 300_000 });
  assert.deepEqual(callTimeoutsFor(triton, undefined, { DOCKER_CLIENT_TIMEOUT: '60' }), { callMs: 60_000, provisioningMs: 300_000 });
  assert.deepEqual(callTimeoutsFor(triton, 600_000, { DOCKER_CLIENT_TIMEOUT: '60' }), { callMs: 600_000, provisioningMs: 600_000 });
  assert.deepEqual(callTimeoutsFor({ timeouts: { callSeconds: 45 } }, undefined, {}), { callMs: 45_000, provisioningMs: 45_000 });
});

test('a pull that times out is reported as slow, and no import is tried in its place', async () => {
  let imports = 0;
  const client = {
    imageExists: async () => false,
    pullImage: async () => { throw Object.assign(new Error('pull busybox:latest: no answer in time'), { name: 'PlatformTimeout' }); },
    importImage: async () => { imports++; },
  };
  await assert.rejects(ensureProbeImage(client as any, 'busybox:latest', {}, 300_000), (e: Error) => e.name === 'PlatformError' && /the pull did not finish in 300 s; raise the bound with --call-timeout or DOCKER_CLIENT_TIMEOUT/.test(e.message));
  assert.equal(imports, 0);
});
