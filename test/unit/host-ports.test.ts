// The port helper's parsers (judges/host-ports.ts), on transcripts as busybox wget and the kernel
// really print them (observed on this project's Docker 20.10 host), and where keelhaul runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAnswer, parseAnswers, parsePortTable, pickFreePort, requestSeriesScript, holdScript } from '../../judges/host-ports.js';
import { classifyRunner, parseHostIdentity } from '../../adapters/tools/runner-location.js';
import { describeRunner } from '../../support/port-vantage.js';

test('an ask transcript: the body of a 200, the status of an error answer', () => {
  assert.deepEqual(parseAnswer('OK\ntok\n'), { ok: true, status: 200, body: 'tok\n' });
  assert.deepEqual(parseAnswer('ERR\nwget: server returned error: HTTP/1.1 404 Not Found'), { ok: true, status: 404, body: '' });
});

test('no answer: connection refused, a timeout, anything else kept in wget\'s own words', () => {
  // busybox 1.35 wget, observed.
  const refused = parseAnswer('ERR\nwget: can\'t connect to remote host (127.0.0.1): Connection refused');
  assert.deepEqual(refused, { ok: false, error: 'ECONNREFUSED (can\'t connect to remote host (127.0.0.1): Connection refused)' });
  assert.deepEqual(parseAnswer('ERR\nno answer in 2 s'), { ok: false, error: 'no answer in 2 s' });
  assert.deepEqual(parseAnswer('ERR\nwget: error getting response'), { ok: false, error: 'error getting response' });
  assert.deepEqual(parseAnswer(''), { ok: false, error: 'no answer' });
});

test('answers between markers, in order, each request on its own', () => {
  const out = '@@keelhaul-answer\nOK\ntok\n@@keelhaul-end\n@@keelhaul-answer\nERR\nno answer in 2 s\n@@keelhaul-end\n@@keelhaul-answer\nOK\nother\n@@keelhaul-end\n';
  const answers = parseAnswers(out);
  assert.equal(answers.length, 3);
  assert.equal(answers[0]!.ok && answers[0]!.body.trim(), 'tok');
  assert.equal(answers[1]!.ok, false);
  assert.equal(answers[2]!.ok && answers[2]!.body.trim(), 'other');
});

test('the host\'s TCP table: every local port in any state, and the ephemeral range', () => {
  const table = parsePortTable([
    '32768\t60999', '@@tcp',
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1050 1 0 100 0 0 10 0',
    '   1: 0100007F:98D3 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 88781 1 0 100 0 0 10 0',
    '   2: 0100007F:8001 0100007F:98D3 01 00000000:00000000 00:00000000 00000000     0        0 0 1 0 100 0 0 10 0',
    '  sl  local_address                         remote_address                        st',
    '   0: 00000000000000000000000000000000:0051 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1 0',
  ].join('\n'));
  assert.deepEqual(table.range, [32768, 60999]);
  assert.deepEqual([...table.used].sort((a, b) => a - b), [81, 2024, 32769, 39123]);
  // A free pick avoids them all, and stays in the range.
  let n = 0;
  const sequence = [0.00003, 0.5];
  const picked = pickFreePort({ range: [32768, 32770], used: new Set([32768, 32769]) }, [], () => sequence[n++ % 2]!);
  assert.equal(picked, 32770);
  assert.throws(() => pickFreePort({ range: [10, 11], used: new Set([10, 11]) }), /no free port in 10-11/);
});

test('scripts refuse what is not an address, a port, a token or a sane count', () => {
  assert.throws(() => requestSeriesScript('127.0.0.1; rm -rf /', 80, 1), /not a host address/);
  assert.throws(() => requestSeriesScript('127.0.0.1', 70000, 1), /not a TCP port/);
  assert.throws(() => requestSeriesScript('127.0.0.1', 80, 0), /1 to 100/);
  assert.throws(() => holdScript('127.0.0.1', 80, "x' ; reboot"), /not a token/);
  assert.match(requestSeriesScript('127.0.0.1', 8080, 10), /timeout 2 wget -q -O - http:\/\/127\.0\.0\.1:8080\//);
});

test('where keelhaul runs: measured against the engine host (netns, boot id), else inferred; published ports reached where they live', () => {
  const unix = { url: 'unix:///var/run/docker.sock', transport: 'unix' as const, socketPath: '/var/run/docker.sock', source: 'x' };
  const remote = { url: 'tcp://10.0.0.1:2376', transport: 'tcp' as const, host: '10.0.0.1', port: 2376, source: 'x' };
  // Observed on this project's machine: itself a container (/.dockerenv) in the host's network namespace.
  const host = parseHostIdentity('net:[4026531833]\n6b4a3379-b967-4a52-958c-8dc7b0f63079\n')!;
  assert.deepEqual(host, { netns: 'net:[4026531833]', bootId: '6b4a3379-b967-4a52-958c-8dc7b0f63079' });
  assert.equal(parseHostIdentity('sh: readlink: not found'), undefined);
  const inContainer = { netns: 'net:[4026532194]', bootId: host.bootId };
  const elsewhere = { netns: host.netns, bootId: '00000000-b967-4a52-958c-8dc7b0f63079' };
  assert.equal(classifyRunner(unix, host, host, '/.dockerenv').where, 'native', 'a marker does not make it a container when the netns is the host\'s');
  assert.equal(classifyRunner(unix, inContainer, host, undefined).where, 'container');
  // The init namespace has the same inode on every kernel: the boot id tells machines apart.
  assert.equal(classifyRunner(remote, elsewhere, host, undefined).where, 'remote');
  assert.equal(classifyRunner(unix, inContainer, host, undefined).measured, true);
  // Not measured (host networking refused): from the connection and the markers.
  assert.deepEqual([classifyRunner(unix, undefined, undefined, undefined).where, classifyRunner(unix, undefined, undefined, '/run/.containerenv').where, classifyRunner(remote, undefined, undefined, undefined).where], ['native', 'container', 'remote']);
  assert.match(classifyRunner(remote, host, undefined, undefined, 'refused').detail, /inferred from the connection: refused/);
  const location = classifyRunner(unix, inContainer, host, undefined);
  assert.equal(describeRunner(unix, { name: 'docker', semantics: {} } as any, location).publishedPorts.via, 'helper-container');
  assert.equal(describeRunner(remote, { name: 'triton', semantics: { perContainerIp: true } } as any, location).publishedPorts.via, 'keelhaul-process');
});
