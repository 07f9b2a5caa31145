// Verdicts of the escape (ISO-19..24), network (ISO-13..15) and tenant (ISO-25) steps, on probe
// outputs recorded from Docker, Podman and the weak fixture daemon (test/fixtures/probes/README.md),
// and the network-mode policy that decides where a probe without a network runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PlatformRefusal } from '../../adapters/platform/docker-client.js';
import * as esc from '../../judges/escape-verdicts.js';
import * as net from '../../judges/network-isolation.js';
import { learnNoneRefusal, noNetworkHostConfig, probeNetworkMode } from '../../support/network-policy.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'probes');
const out = (name: string) => ({ stdout: readFileSync(join(DIR, `${name}.txt`), 'utf8'), stderr: '', exitCode: 0 });

for (const engine of ['docker', 'podman']) {
  test(`${engine}: a default container passes every escape verdict`, () => {
    assert.equal(esc.seccompVerdict(out(`${engine}.seccomp`).stdout, 'busybox').outcome, 'pass');
    assert.equal(esc.envVerdict(out(`${engine}.env`), []).outcome, 'pass');
    assert.equal(esc.socketsVerdict(out(`${engine}.sockets`)).outcome, 'pass');
    assert.equal(esc.cgroupFuseVerdict(out(`${engine}.cgroup-fuse`)).outcome, 'pass');
    assert.equal(esc.lsmVerdict(out(`${engine}.lsm`), 'apparmor', true).outcome, 'finding', 'an LSM that is listed but confines nothing');
    assert.equal(esc.lsmVerdict(out(`${engine}.lsm`), 'apparmor', false).outcome, 'exposure');
    const { gateway, results, reported } = net.parseGatewayProbe(out(`${engine}.gateway`).stdout);
    assert.equal(reported, 7);
    assert.match(gateway, /^\d+\.\d+\.\d+\.1$/);
    assert.equal(net.judgeHostPorts(gateway, results).outcome, 'pass');
    assert.equal(net.judgeApiAnswers(gateway, results).outcome, 'pass');
  });
}

test('weak fixture, allow-all-seccomp inject-secret host-run rw-cgroup: each plant is a finding naming it', () => {
  const w = (p: string) => out(`weak-escape.${p}`);
  assert.match(esc.seccompVerdict(w('seccomp').stdout, 'busybox').why!, /Seccomp: 2\) let through .*bpf \(EINVAL\)/);
  assert.equal(esc.seccompVerdict(w('seccomp').stdout, 'busybox').outcome, 'finding');
  const env = esc.envVerdict(w('env'), []);
  assert.equal(env.outcome, 'finding');
  assert.match(env.why!, /KEELHAUL_PLANTED_API_TOKEN/);
  assert.match(esc.socketsVerdict(w('sockets')).why!, /\/run\/host\/docker\.sock: Docker engine/);
  assert.match(esc.cgroupFuseVerdict(w('cgroup-fuse')).why!, /devices\.allow can be opened for writing/);
});

test('escape verdicts: an unfinished probe is an error, nothing looked at is not a pass', () => {
  assert.equal(esc.envVerdict({ stdout: '', stderr: 'boom', exitCode: 1 }, []).outcome, 'error');
  assert.equal(esc.envVerdict({ stdout: 'envself=\nenvinit=\nprobe=done', stderr: '', exitCode: 0 }, []).outcome, 'inconclusive');
  assert.equal(esc.socketsVerdict({ stdout: '', stderr: '', exitCode: 1 }).outcome, 'error');
  assert.equal(esc.cgroupFuseVerdict({ stdout: 'probe=done', stderr: '', exitCode: 0 }).outcome, 'not-applicable');
  assert.equal(esc.seccompVerdict('sc.helper=absent\nSeccomp=2', 'busybox').outcome, 'inconclusive');
  assert.equal(esc.judgeWorkingDirectories([{ fd: 3, refused: 'mkdir /proc/self/fd/3: not a directory', why: 'refused' }]).outcome, 'pass');
  assert.equal(esc.judgeWorkingDirectories([{ fd: 3, why: 'refused without naming the working directory' }]).outcome, 'inconclusive');
  assert.match(esc.judgeWorkingDirectories([{ fd: 3, outside: true, why: 'x' }]).why!, /outside its root \(the CVE-2024-21626 precondition\): fd 3/);
});

test('network: the gateway probe, token fetches, the inter-container policy and the bystander', () => {
  // Synthetic lines in the probe's own format: an open port and an answering engine API.
  const { gateway, results } = net.parseGatewayProbe('gateway=172.17.0.1\nprobe gw:22 rc=0 first=SSH-2.0-OpenSSH ok=\nprobe gw:2375 rc=0 first=HTTP/1.1 200 OK ok=OK\nprobe gw:2375 rc=0 first=HTTP/1.1 200 OK ok=OK\n');
  assert.deepEqual(results.map((r) => `${r.target} ${r.state}`), ['172.17.0.1:22 open', '172.17.0.1:2375 api']);
  assert.match(net.judgeApiAnswers(gateway, results).why!, /answers GET \/_ping .* at 172\.17\.0\.1:2375/);
  assert.match(net.judgeHostPorts(gateway, results).why!, /172\.17\.0\.1:22, 172\.17\.0\.1:2375/);
  const got = { got: true, output: 'keelhaul-token', exitCode: 0 };
  const missed = { got: false, output: 'nc-exit=1 nc: timed out', exitCode: 0 };
  assert.equal(net.judgeSameNetworkFetch(missed, 'x', 'A').outcome, 'not-applicable');
  assert.equal(net.judgeCrossNetworkFetch(got, 'y', 'A', undefined, 'docker').outcome, 'finding');
  assert.equal(net.judgeCrossNetworkFetch(got, 'y', 'A', false, 'podman').outcome, 'exposure');
  assert.equal(net.judgeCrossNetworkFetch(missed, 'y', 'A', undefined, 'docker').outcome, 'pass');
  assert.equal(net.judgeIccPolicy({ 'com.docker.network.bridge.enable_icc': 'false' }, 'bridge', got).outcome, 'finding');
  const stricter = net.judgeIccPolicy({ 'com.docker.network.bridge.enable_icc': 'true' }, 'bridge', missed);
  assert.equal(stricter.outcome, 'pass');
  assert.match(String(stricter.observations?.iccDivergence), /policy allow/);
  const moved = net.BIG_KIB * 1024 * net.DOWNLOADS;
  const m = { network: 'x', transferred: moved, seen: 9_000, capEff: '00000000a80425fb', talkStderr: '' };
  assert.equal(net.judgeBystander(m, undefined, 'docker').outcome, 'pass');
  assert.match(net.judgeBystander({ ...m, seen: moved }, undefined, 'docker').why!, /can see their traffic/);
  assert.match(net.judgeBystander(m, ['CHOWN'], 'podman').why!, /holds NET_RAW/);
  assert.equal(net.judgeBystander({ ...m, transferred: 10 }, undefined, 'docker').outcome, 'inconclusive');
  assert.equal(net.portListProblem(['22', '70000']), 'this step judges port numbers from 1 to 65535; not "70000"');
  assert.equal(net.portListProblem(['22', '111']), undefined);
});

test('tenants: every request on the other tenant\'s container must be refused with 404', () => {
  const answers = { 'GET /containers/json?all=1': 200, 'GET /containers/{peer}/json': 404, 'POST /containers/{peer}/kill?signal=SIGCONT': 404 };
  assert.equal(net.judgeTenantAnswers(false, answers).outcome, 'pass');
  assert.match(net.judgeTenantAnswers(true, { ...answers, 'GET /containers/{peer}/json': 200 }).why!, /container list; GET \/containers\/<its id>\/json answered 200/);
  assert.equal(net.tenantRequests('abc').length, 5);
});

test('the network-mode policy: none, unless the profile or the platform\'s own refusal says otherwise', () => {
  const platform = {};
  assert.deepEqual(probeNetworkMode(platform, { name: 'docker' }), { mode: 'none' });
  assert.equal(probeNetworkMode(platform, { name: 'triton', semantics: { noneNetwork: false } }).mode, 'default');
  assert.equal(learnNoneRefusal(platform, new PlatformRefusal(404, 'No such image: busybox', 'create')), false);
  assert.equal(learnNoneRefusal(platform, new Error('network none')), false, 'only a refusal by the platform');
  assert.equal(probeNetworkMode(platform, { name: 'docker' }).mode, 'none');
  // The Triton fixture's (and sdc-docker's) words.
  assert.equal(learnNoneRefusal(platform, new PlatformRefusal(400, '(NotImplemented) NetworkMode none is not supported is not implemented', 'create')), true);
  assert.match(probeNetworkMode(platform, { name: 'docker' }).note!, /refused NetworkMode none \(\(NotImplemented\)/);
  assert.equal(probeNetworkMode({}, { name: 'docker' }).mode, 'none', 'learned per platform');
  assert.deepEqual(noNetworkHostConfig('none'), { NetworkMode: 'none' });
  assert.deepEqual(noNetworkHostConfig('default'), {});
});

test('ISO-22: a socket search stopped by its time bound is inconclusive, never a pass; what it did find is still a finding', () => {
  const cut = 'sockany=/tmp/app.sock\nfind_exit=143\nnetunix_readable=yes\nprobe=done';
  const verdict = esc.socketsVerdict({ stdout: cut, stderr: '', exitCode: 0 });
  assert.equal(verdict.outcome, 'inconclusive');
  assert.match(verdict.why!, /stopped by its 5 s bound/);
  const complete = cut.replace('find_exit=143', 'find_exit=0');
  assert.equal(esc.socketsVerdict({ stdout: complete, stderr: '', exitCode: 0 }).outcome, 'pass');
  const cutWithEngine = `sockany=/host/run/docker.sock\n${cut}`;
  assert.equal(esc.socketsVerdict({ stdout: cutWithEngine, stderr: '', exitCode: 0 }).outcome, 'finding');
});
