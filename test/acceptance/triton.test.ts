// keelhaul against the Triton fixture (test/fixtures/triton, which answers as sdc-docker's code
// does): the platform adapter on sdc's hijack answer, the triton and triton-2015 profiles against
// the fixture in the matching mode, and the safety rules for a shared (multi-tenant) platform.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DOCKER, ensureBusybox, labelledContainers, project, reachable, runKeelhaul, type KeelhaulResult } from '../helpers/keelhaul.js';
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
  // A per-container address pool of its own: the two fixtures share one engine (and its loopback).
  preview = await startTritonFixture({ upstreamSocket: SOCKET, listen: { host: '127.0.0.1', port: 0 }, era: 'preview-2015', addressPool: Array.from({ length: 64 }, (_, i) => `127.0.0.${100 + i}`) });
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

const CONFORMANCE = 'features/conformance';

function run(url: string, profile: string, extra: string[] = []): Promise<KeelhaulResult> {
  return runKeelhaul(['run', `${process.cwd()}/${CONFORMANCE}`, '--target', url, '--profile', profile, '--reports', 'r', ...extra], { cwd: project({}), timeoutMs: 400_000 });
}
const ids = (r: KeelhaulResult, re: RegExp): string[] => (r.summary?.scenarios ?? []).filter((s: any) => re.test(s.reason)).map((s: any) => s.id).sort();

describe('the Triton profiles against the fixture in the matching mode', { concurrency: 4 }, () => {
  test('triton on the current-code fixture: the whole conformance family passes (exit 0)', async () => {
    const r = await run(current.url, 'triton');
    assert.equal(r.exitCode, 0, r.stdout.slice(-3000) + r.stderr);
    assert.equal(r.summary.outcomes.error, 0);
    const c = Object.fromEntries(r.summary.scenarios.map((s: any) => [s.id, s.observations?.conformance]));
    assert.equal(c['CONF-L1'].verdict, 'known'); // 204, not 304
    assert.equal(c['CONF-L3'].evidence.status, 500);
    assert.equal(c['CONF-C9'].verdict, 'conformant'); // 2 volumes-from
    assert.equal(c['CONF-R22'], undefined); // @billable: not run
    await noLeftovers(r);
  });

  test('triton-2015 on the preview-2015 fixture passes; on the current-code fixture its preview entries are out of date', async () => {
    const [ok, stale] = await Promise.all([run(preview.url, 'triton-2015'), run(current.url, 'triton-2015')]);
    assert.equal(ok.exitCode, 0, ok.stdout.slice(-3000) + ok.stderr);
    assert.equal(stale.exitCode, 1);
    assert.deepEqual(ids(stale, /^profile out of date/), ['CONF-C9', 'CONF-L10', 'CONF-R23', 'CONF-R24', 'CONF-R25', 'CONF-R26', 'CONF-R27', 'CONF-R28']);
    await noLeftovers(ok);
    await noLeftovers(stale);
  });

  test('--profile docker on the fixture: exit 1, every divergence named as undeclared', async () => {
    const r = await run(current.url, 'docker');
    assert.equal(r.exitCode, 1);
    const undeclared = ids(r, /^undeclared divergence/);
    for (const id of ['CONF-V3', 'CONF-E1', 'CONF-E4', 'CONF-L1', 'CONF-L2', 'CONF-L3', 'CONF-L6', 'CONF-L9', 'CONF-C1', 'CONF-C8', 'CONF-C10', 'CONF-C14-INVALID', 'CONF-R21']) {
      assert.ok(undeclared.includes(id), `${id} not named: ${undeclared.join(', ')}`);
    }
    assert.match(r.stdout, /undeclared divergence: CONF-L3 is divergent: delete of a running container without force answered 500 where Docker answers 409 \(Conflict, You cannot remove a running container/);
    await noLeftovers(r);
  });
});

// One era after the other (about 90 s each). Seen once in CI while they ran at once: both fixtures
// handed out the same per-container loopback addresses (the default pool), so a PORT-05 publication
// of one collided with the other's and Docker refused it, which sdc's bare "problem starting
// container" then hid. The preview fixture now has a pool of its own as well.
describe('the whole default suite (without @slow) on the fixture, as a user pointing keelhaul at Triton would run it', { concurrency: 1 }, () => {
  // Every family, not only conformance: no scenario may break (error) on sdc-docker's answers, and
  // nothing is left. The one finding is real for what the fixture models: sdc-docker with useTls=false
  // answers every request as the admin account ("for non-production dev/testing", sdc-docker
  // lib/auth.js:316-317, 381-389), and HARD-19 condemns an API that answers clients without
  // credentials. A production sdc-docker runs with useTls, where authTls refuses a client without a
  // certificate (lib/auth.js:53-60) and HARD-19 passes; the fixture does not model TLS.
  const whole = (url: string, profile: string) => runKeelhaul(['run', '--target', url, '--profile', profile, '--tags', 'not @slow', '--reports', 'r'], { cwd: project({}), timeoutMs: 540_000 });
  for (const [era, profile] of [['current', 'triton'], ['preview-2015', 'triton-2015']] as const) {
    test(`${profile} on the ${era} fixture: no error outcome, only the plain-HTTP fixture's own HARD-19 finding, nothing left`, { timeout: 600_000 }, async () => {
      const r = await whole(era === 'current' ? current.url : preview.url, profile);
      const broken = (r.summary?.scenarios ?? []).filter((s: any) => s.outcome === 'error' || s.outcome === 'finding').map((s: any) => `${s.id} ${s.outcome}: ${s.reason}`);
      assert.equal(broken.length, 1, broken.join('\n') + r.stdout.slice(-3000));
      assert.match(broken[0], /^HARD-19 finding: the API at 127\.0\.0\.1:\d+ answers clients without credentials: plain-http GET \/_ping 200/);
      assert.equal(r.exitCode, 1, r.stdout.slice(-3000) + r.stderr);
      assert.ok(r.summary.scenarios.length > 100, `only ${r.summary.scenarios.length} scenarios ran`);
      assert.ok(r.summary.skipped.length > 0, 'the @billable/@disruptive scenarios are listed as skipped');
      await noLeftovers(r);
    });
  }
});

describe('a shared platform: @billable and @disruptive run only when the tag expression names them', () => {
  const UNSAFE = '@CONF-R22 or @CONF-R14 or @CONF-E5 or @CONF-V1';
  const reached = (f: TritonFixture, from: number): string[] => f.requests.slice(from).map((q) => `${q.method} ${q.path}`);
  const unsafeRequest = (line: string): boolean => /^POST \/build|\/volumes\/create|filters=garb1age/.test(line);

  test('under --profile triton they are skipped, listed in summary.json, and none of their requests reaches the platform', async () => {
    const from = current.requests.length;
    const r = await runKeelhaul(['run', `${process.cwd()}/${CONFORMANCE}`, '--target', current.url, '--profile', 'triton', '--tags', UNSAFE, '--reports', 'r'], { cwd: project({}), timeoutMs: 120_000 });
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    assert.deepEqual(r.summary.scenarios.map((s: any) => s.id), ['CONF-V1']);
    assert.deepEqual(r.summary.skipped.map((s: any) => s.tag).sort(), ['@billable', '@billable', '@disruptive']);
    for (const s of r.summary.skipped) assert.match(s.reason, /profile triton is multi-tenant: name @(billable|disruptive) in --tags to run it/);
    assert.match(r.stderr, /skipped 3 scenario\(s\) on multi-tenant profile triton/);
    assert.deepEqual(reached(current, from).filter(unsafeRequest), []);
    // and the same selection on a single-tenant profile runs them (the filter is the profile's doing)
    const docker = await runKeelhaul(['run', `${process.cwd()}/${CONFORMANCE}`, '--target', DOCKER, '--profile', 'docker', '--tags', UNSAFE, '--reports', 'r'], { cwd: project({}), timeoutMs: 120_000 });
    assert.deepEqual(docker.summary.scenarios.map((s: any) => s.id).sort(), ['CONF-E5', 'CONF-R14', 'CONF-R22', 'CONF-V1']);
    assert.deepEqual(docker.summary.skipped, []);
  });

  test('named in --tags, they run, and their requests reach the platform', async () => {
    const from = current.requests.length;
    const r = await runKeelhaul(['run', `${process.cwd()}/${CONFORMANCE}`, '--target', current.url, '--profile', 'triton', '--tags', '@disruptive or (@CONF-R22 or @CONF-R14)', '--reports', 'r'], { cwd: project({}), timeoutMs: 120_000 });
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    assert.deepEqual(r.summary.scenarios.map((s: any) => s.id).sort(), ['CONF-E5']); // @CONF-R22 alone does not name @billable
    assert.deepEqual(r.summary.skipped.map((s: any) => s.tag), ['@billable', '@billable']);
    const both = await runKeelhaul(['run', `${process.cwd()}/${CONFORMANCE}`, '--target', current.url, '--profile', 'triton', '--tags', '@billable or @disruptive', '--reports', 'r'], { cwd: project({}), timeoutMs: 120_000 });
    assert.equal(both.exitCode, 0, both.stdout + both.stderr);
    assert.deepEqual(both.summary.scenarios.map((s: any) => s.id).sort(), ['CONF-E5', 'CONF-R14', 'CONF-R22']);
    const seen = reached(current, from);
    for (const re of [/^POST \/build/, /\/volumes\/create/, /filters=garb1age/]) assert.ok(seen.some((l) => re.test(l)), `${re} did not reach the fixture:\n${seen.join('\n')}`);
  });
});

describe('noisy neighbours on the Triton fixture (RES-01 only: a few at a time)', { concurrency: 3 }, () => {
  const NOISY = `${process.cwd()}/features/noisy-neighbours`;
  const res01 = (url: string, profile: string, cwd = project({})): Promise<KeelhaulResult> =>
    runKeelhaul(['run', NOISY, '--target', url, '--profile', profile, '--tags', '@RES-01', '--reports', 'r'], { cwd, timeoutMs: 180_000 });

  test('co-location asked with the affinity filter and proved by the boot id; memory judged against the 128M package', async () => {
    const from = current.requests.length;
    const r = await res01(current.url, 'triton');
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    const s = r.summary.scenarios[0];
    assert.equal(s.outcome, 'pass', s.reason);
    assert.match(s.observations.affinity, /^container==[0-9a-f]{64}$/);
    const boots = Object.values(s.observations.coLocation.bootIds);
    assert.equal(boots.length, 2);
    assert.equal(new Set(boots).size, 1);
    assert.deepEqual({ ...s.observations.platformMemory, inspectMemorySwap: undefined }, { askedBytes: 32 * 2 ** 20, packageBytes: 128 * 2 ** 20, inspectMemory: 128 * 2 ** 20, inspectMemorySwap: undefined, packageLabel: 't4-standard-128M' });
    assert.equal(s.observations.offender.requestedBytes, 256 * 2 ** 20); // twice the package, as 64m is twice 32m
    assert.equal(s.observations.offender.memoryLimitInside, 128 * 2 ** 20);
    // every RES create went out without NetworkMode none (the fixture would have refused it: 400)
    assert.ok(current.requests.slice(from).filter((q) => q.path === '/containers/create').length >= 2);
    await noLeftovers(r);
  });

  test('placed apart (the server is full): not-applicable with the platform\'s reason', async () => {
    const apart = await startTritonFixture({ upstreamSocket: SOCKET, listen: { host: '127.0.0.1', port: 0 }, placement: 'apart' });
    try {
      const r = await res01(apart.url, 'triton');
      assert.equal(r.exitCode, 0, r.stdout + r.stderr);
      const s = r.summary.scenarios[0];
      assert.equal(s.outcome, 'not-applicable');
      assert.match(s.reason, /could not place the parties on one server \(affinity:container==[0-9a-f]+\): 409 \(NoAllocatableServersError\)/);
      await noLeftovers(r);
    } finally { await apart.close(); }
  });

  test('a profile that does not declare the packages misjudges the rounded-up memory as a finding (why memoryPackagesMiB is read)', async () => {
    const cwd = project({});
    const { readFileSync, writeFileSync } = await import('node:fs');
    const text = readFileSync(`${process.cwd()}/profiles/triton.yaml`, 'utf8').replace(/^name: triton$/m, 'name: triton-nopackages').replace(/^  memoryPackagesMiB:.*$/m, '');
    writeFileSync(`${cwd}/nopackages.yaml`, text);
    const r = await res01(current.url, './nopackages.yaml', cwd);
    assert.equal(r.exitCode, 1, r.stdout + r.stderr);
    assert.match(r.summary.scenarios[0].reason, /the offender got all 64 MiB it asked for in a container limited to 32 MiB \(memory limit inside: 134217728/);
    await noLeftovers(r);
  });
});

describe('objects the platform makes on keelhaul\'s behalf are tracked and removed', () => {
  test('with NFS volumes on, CONF-R14\'s volume (answered 200, not 201) is removed at the scenario\'s end', async () => {
    const nfs = await startTritonFixture({ upstreamSocket: SOCKET, listen: { host: '127.0.0.1', port: 0 }, nfsVolumes: true });
    try {
      const r = await runKeelhaul(['run', `${process.cwd()}/${CONFORMANCE}`, '--target', nfs.url, '--profile', 'triton', '--tags', '@billable and @CONF-R14', '--reports', 'r'], { cwd: project({}), timeoutMs: 120_000 });
      const s = r.summary.scenarios[0];
      // the operator's flag makes the profile's "rejected" out of date: said so, not an error
      assert.equal(s.outcome, 'finding', s.reason);
      assert.match(s.reason, /^profile out of date: .*a volume was created \(200\)/);
      const created = nfs.requests.find((q) => q.method === 'POST' && q.path === '/volumes/create');
      assert.ok(created, 'no volume create reached the fixture');
      const removed = nfs.requests.filter((q) => q.method === 'DELETE' && /^\/volumes\/keelhaul-conf-r14-/.test(q.path));
      assert.equal(removed.length >= 1, true, nfs.requests.map((q) => `${q.method} ${q.path}`).join('\n'));
      // removed by the scenario (tracked), before the run's label sweep lists volumes
      const firstDelete = nfs.requests.indexOf(removed[0]!);
      const sweepList = nfs.requests.findIndex((q, i) => i > nfs.requests.indexOf(created) && q.method === 'GET' && /^\/volumes\?filters=/.test(q.path));
      assert.ok(sweepList < 0 || firstDelete < sweepList, `the volume was removed by the sweep, not by the scenario (delete #${firstDelete}, sweep list #${sweepList})`);
      const left = await new Promise<any[]>((resolve, reject) => {
        const f = encodeURIComponent(JSON.stringify({ label: [`keelhaul.run=${r.summary.run}`] }));
        import('node:http').then(({ default: http }) => http.get({ socketPath: SOCKET, path: `/volumes?filters=${f}` }, (res) => {
          let t = ''; res.on('data', (c) => (t += c)); res.on('end', () => resolve(JSON.parse(t).Volumes ?? []));
        }).on('error', reject));
      });
      assert.deepEqual(left, []);
    } finally { await nfs.close(); }
  });
});

describe('a create answered only once the VM is provisioned (sdc: vmapi.createVm with sync: true)', () => {
  test('the scenario\'s signal firing meanwhile does not abandon it: it is answered and handed back, so it is tracked and removed', async () => {
    await ensureBusybox(DOCKER);
    const slow = await startTritonFixture({ upstreamSocket: SOCKET, listen: { host: '127.0.0.1', port: 0 }, provisioningDelayMs: 1500 });
    try {
      const client = await connect(slow.url);
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 200);
      const startedAt = Date.now();
      // Abandoned at 200 ms (as before), the create would reject and its container appear at 1.5 s,
      // after a clean-up and a sweep that had nothing to remove.
      const id = await client.createContainer({ image: 'busybox:latest', cmd: ['true'] }, 'SLOW-CREATE', controller.signal);
      clearTimeout(timer);
      assert.ok(Date.now() - startedAt >= 1400, `answered after ${Date.now() - startedAt} ms: the delay did not apply`);
      assert.match(id, /^[0-9a-f]{64}$/);
      await client.removeContainer(id);
      const creates = () => slow.requests.filter((q) => q.path === '/containers/create').length;
      const sent = creates();
      // A signal that has already fired sends nothing.
      await assert.rejects(client.createContainer({ image: 'busybox:latest', cmd: ['true'] }, 'SLOW-CREATE', controller.signal));
      assert.equal(creates(), sent);
      assert.deepEqual((await labelledContainers(DOCKER, `triton-test-${process.pid}`)).map((c) => c.Id), []);
    } finally { await slow.close(); }
  });
});

describe('tenant to tenant (ISO-25): a second account through --peer-target', () => {
  const ISO = `${process.cwd()}/features/isolation`;
  const iso19 = (url: string, profile: string, extra: string[] = []): Promise<KeelhaulResult> =>
    runKeelhaul(['run', ISO, '--target', url, '--profile', profile, '--tags', '@ISO-25', '--reports', 'r', ...extra], { cwd: project({}), timeoutMs: 120_000 });

  test('two accounts on the fixture cannot see or touch each other\'s containers; without a peer: not-applicable; one engine as its own peer: a finding', async () => {
    const alice = await startTritonFixture({ upstreamSocket: SOCKET, listen: { host: '127.0.0.1', port: 0 }, account: 'alice' });
    const bob = await startTritonFixture({ upstreamSocket: SOCKET, listen: { host: '127.0.0.1', port: 0 }, account: 'bob' });
    try {
      const [apart, alone, shared] = await Promise.all([
        iso19(alice.url, 'triton', ['--peer-target', bob.url]),
        iso19(alice.url, 'triton'),
        iso19(DOCKER, 'docker', ['--peer-target', DOCKER]),
      ]);
      assert.equal(apart.exitCode, 0, apart.stdout + apart.stderr);
      assert.equal(apart.summary.scenarios[0].outcome, 'pass');
      assert.deepEqual(Object.values(apart.summary.scenarios[0].observations.tenantRequests), [200, 404, 404, 404, 404, 404]);
      assert.ok(bob.requests.some((q) => q.path === '/containers/create'), 'the peer container was made as the second tenant');
      assert.equal(alone.summary.scenarios[0].outcome, 'not-applicable');
      assert.match(alone.summary.scenarios[0].reason, /no second tenant: give --peer-target/);
      assert.equal(shared.exitCode, 1);
      assert.match(shared.summary.scenarios[0].reason, /another tenant's container is reachable from this account: it is in this tenant's container list; GET \/containers\/<its id>\/json answered 200/);
      for (const r of [apart, alone, shared]) await noLeftovers(r);
    } finally { await alice.close(); await bob.close(); }
  });
});
