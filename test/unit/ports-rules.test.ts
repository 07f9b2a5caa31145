// The ports family's rules (judges/host-ports.ts, judges/port-errors.ts) on what Docker 20.10 and
// Podman 4.3 really answered on this project's host (recorded from summary.json of PORT-01..05 runs,
// 2026-12-02), and on the weaknesses they exist to catch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientHost, duplicateAddresses, endpointFromInspect, judgeRequests, requestIp, tallyAnswers, type FetchResult } from '../../judges/host-ports.js';
import { classifyPortError, judgeCollision, judgeRemapping, type Publication } from '../../judges/port-errors.js';
import { tokenServerScript } from '../../support/recipes.js';

const DOCKER_COLLISION = 'driver failed programming external connectivity on endpoint inspiring_heisenberg (68df4196baeb791d73f034b413723505005f3059a0d1d5911b810ae0c329b714): Bind for 127.0.0.1:43271 failed: port is already allocated';
const PODMAN_COLLISION = 'cannot listen on the TCP port: listen tcp4 127.0.0.1:52658: bind: address already in use';

const holder: Publication = { name: 'A', hostIp: '127.0.0.1', hostPort: 43271, containerPort: 43271, started: true, endpoint: { host: '127.0.0.1', port: 43271 } };
const refused = (raw: string): Publication => ({ name: 'B', hostIp: '127.0.0.1', hostPort: 43271, containerPort: 43271, started: false, error: classifyPortError(raw) });
const shared = { perContainerIp: false, profile: 'docker' };

test('a refused second publication passes when it is recognisably a collision (Docker and Podman words)', () => {
  assert.equal(judgeCollision(refused(DOCKER_COLLISION), [holder], shared).outcome, 'pass');
  assert.equal(judgeCollision(refused(PODMAN_COLLISION), [holder], shared).outcome, 'pass');
  assert.equal(judgeCollision(refused('Internal Server Error'), [holder], shared).outcome, 'finding', 'a refusal that names no collision');
});

test('a second publication that started beside the holder is a finding; on per-container IPs it must land elsewhere', () => {
  const started = { ...holder, name: 'B' };
  assert.match(judgeCollision(started, [holder], shared).why ?? '', /did not detect the collision/);
  const perIp = { perContainerIp: true, profile: 'triton' };
  assert.equal(judgeCollision({ ...started, endpoint: { host: '10.0.0.7', port: 43271 } }, [holder], perIp).outcome, 'pass');
  assert.equal(judgeCollision(started, [holder], perIp).outcome, 'finding', 'the same address twice');
  assert.equal(judgeCollision(refused(DOCKER_COLLISION), [holder], perIp).outcome, 'finding');
});

const ok = (body: string): FetchResult => ({ ok: true, status: 200, body: `${body}\n` });
const tokens = new Map([['tok-A', 'A'], ['tok-B', 'B']]);
const where = { count: 3, target: 'A', owner: 'A', endpoint: { host: '127.0.0.1', port: 43271 }, refused: ['"B"'] };

test('requests: every answer the owner\'s token passes; another server\'s token is a hijack', () => {
  const all = tallyAnswers([ok('tok-A'), ok('tok-A'), ok('tok-A')], 'tok-A', tokens);
  assert.deepEqual({ own: all.own, asked: all.asked }, { own: 3, asked: 3 });
  assert.equal(judgeRequests(all, where).outcome, 'pass');
  const hijack = tallyAnswers([ok('tok-A'), ok('tok-B'), ok('tok-B')], 'tok-A', tokens);
  assert.deepEqual(hijack.hijackers, ['B']);
  assert.match(judgeRequests(hijack, where).why ?? '', /^hijack: 2 of 3 requests .* answered by "B"/);
});

test('requests: a blocked port (after the refused publication), a short series, a foreign answer', () => {
  const blocked = tallyAnswers([ok('tok-A'), { ok: false, error: 'ECONNREFUSED (x)' }, { ok: false, error: 'no answer in 2 s' }], 'tok-A', tokens);
  assert.match(judgeRequests(blocked, where).why ?? '', /2 of 3 requests .* failed: the port is blocked after the refused publication of "B"/);
  assert.equal(judgeRequests(tallyAnswers([ok('tok-A')], 'tok-A', tokens), where).outcome, 'inconclusive');
  const foreign = tallyAnswers([ok('tok-A'), ok('tok-A'), ok('<html>nginx</html>')], 'tok-A', tokens);
  assert.equal(foreign.other, 1);
  assert.equal(judgeRequests(foreign, where).outcome, 'finding');
});

test('ephemeral addresses: the same one twice is named (Docker handed out 32768.. in order, Podman at random)', () => {
  const served = (list: string[]) => list.map((a, i) => ({ name: `E${i + 1}`, endpoint: { host: a.split(':')[0]!, port: Number(a.split(':')[1]) } }));
  assert.deepEqual(duplicateAddresses(served(['127.0.0.1:32768', '127.0.0.1:32769', '127.0.0.1:32770'])), []);
  assert.deepEqual(duplicateAddresses(served(['127.0.0.1:34887', '127.0.0.1:40271', '127.0.0.1:34887'])), ['127.0.0.1:34887 (E1 and E3)']);
});

test('remapping follows the profile: honoured and answering, or refused where it is not declared', () => {
  const remapped: Publication = { name: 'A', hostIp: '127.0.0.1', hostPort: 41000, containerPort: 8080, started: true, endpoint: { host: '127.0.0.1', port: 41000 } };
  assert.equal(judgeRemapping(remapped, true, 'docker', { ok: true, detail: 'tok' }).outcome, 'pass');
  assert.equal(judgeRemapping(remapped, true, 'docker', { ok: false, detail: 'ECONNREFUSED' }).outcome, 'finding');
  assert.equal(judgeRemapping(remapped, false, 'triton').outcome, 'finding', 'honoured although the profile says no');
  const refusedRemap = { ...remapped, started: false, error: classifyPortError('remapping of port numbers not allowed') };
  assert.equal(judgeRemapping(refusedRemap, false, 'triton').outcome, 'pass');
  assert.equal(judgeRemapping(refusedRemap, true, 'docker').outcome, 'finding');
});

test('addresses: a wildcard is reached on loopback, "*" is sent as the empty HostIp, inspect gives the first binding', () => {
  assert.equal(clientHost('*'), '127.0.0.1');
  assert.equal(clientHost('0.0.0.0'), '127.0.0.1');
  assert.equal(clientHost('127.0.0.2'), '127.0.0.2');
  assert.equal(requestIp('*'), '');
  assert.equal(requestIp('0.0.0.0'), '0.0.0.0');
  const inspect = { NetworkSettings: { Ports: { '8080/tcp': [{ HostIp: '0.0.0.0', HostPort: '32768' }, { HostIp: '::', HostPort: '32768' }] } } };
  assert.deepEqual(endpointFromInspect(inspect, 8080), { host: '127.0.0.1', port: 32768 });
  assert.equal(endpointFromInspect({ NetworkSettings: { Ports: { '8080/tcp': null } } }, 8080), undefined);
});

test('a token server keeps sh as PID 1 and refuses what is no token or port', () => {
  assert.equal(tokenServerScript('keelhaul-PORT-01-A-abc', 8080), "trap 'exit 0' TERM; mkdir -p /tmp/www && echo 'keelhaul-PORT-01-A-abc' > /tmp/www/index.html && httpd -f -p 8080 -h /tmp/www & wait");
  assert.match(tokenServerScript('t', 8080, { bigKiB: 256 }), /count=256 2>\/dev\/null; httpd -f -p 8080/);
  assert.throws(() => tokenServerScript("x'; reboot", 8080), /not a token/);
  assert.throws(() => tokenServerScript('t', 0), /not a TCP port/);
});
