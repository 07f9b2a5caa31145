// The attack-tool judges (judges/nmap.ts, judges/tls-scan.ts) and tool-image naming, on outputs
// recorded from keelhaul's own tool images on this project's Docker 20.10 host
// (test/fixtures/tool-outputs/: nmap 7.93 -oG, sslscan 2.0.7 --xml).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeOpen, judgeScan, parseGreppable, scanFinished } from '../../judges/nmap.js';
import { judgeTlsScan, parseSslscanXml } from '../../judges/tls-scan.js';
import { curlScript, judgeHttpAnswers, parseCurlAnswers } from '../../judges/http-answers.js';
import { TOOL_CATALOGUE, toolTag, versionTag } from '../../adapters/tools/tool-images.js';
import { aptMirrors, importChanges } from '../../adapters/tools/tool-build.js';

const OUTPUTS = join(fileURLToPath(import.meta.url), '..', '..', 'fixtures', 'tool-outputs');
const read = (name: string) => readFileSync(join(OUTPUTS, name), 'utf8');
const FORBIDDEN = new Map([[22, 'ssh'], [23, 'telnet'], [2375, 'Docker API'], [8080, 'test only']]);

test('nmap -oG: hosts, states and services; a forbidden open port on the gateway is found, the sibling\'s own service is not', () => {
  const text = read('nmap-gateway-sibling.gnmap');
  assert.ok(scanFinished(text));
  const hosts = parseGreppable(text);
  assert.deepEqual(hosts.map((h) => [h.address, h.status, h.ports.length]), [['172.17.0.1', 'up', 5], ['172.17.0.3', 'up', 5]]);
  assert.deepEqual(hosts[0]!.ports[1], { port: 23, state: 'open', protocol: 'tcp', service: 'telnet' });
  const roles = { '172.17.0.1': 'gateway', '172.17.0.3': 'sibling' };
  const verdict = judgeScan(hosts, roles, FORBIDDEN, { '172.17.0.3': [8080] });
  assert.equal(describeOpen(verdict.open), 'gateway 172.17.0.1:23 (telnet), sibling 172.17.0.3:8080 (http-proxy)');
  assert.deepEqual(verdict.forbiddenOpen.map((p) => [p.role, p.port, p.why]), [['gateway', 23, 'telnet']]);
  assert.deepEqual(verdict.unscanned, []);
  // Without the sibling's port expected, 8080 (forbidden in this table) is a finding too.
  assert.equal(judgeScan(hosts, roles, FORBIDDEN).forbiddenOpen.length, 2);
  // An address nmap did not report is named, never silently passed.
  assert.deepEqual(judgeScan(hosts, { ...roles, '10.0.0.9': 'engine' }, FORBIDDEN).unscanned, ['10.0.0.9']);
});

test('nmap: a cut-short scan is not finished, and parses to nothing', () => {
  assert.equal(scanFinished('# Nmap 7.93 scan initiated'), false);
  assert.deepEqual(parseGreppable('garbage\n'), []);
});

test('sslscan: dockerd --tlsverify (TLS 1.2/1.3, P-256 key from a private CA) passes', () => {
  const verdict = judgeTlsScan(parseSslscanXml(read('sslscan-dockerd-tlsverify.xml')));
  assert.equal(verdict.speaksTls, true);
  assert.deepEqual(verdict.enabled, ['TLSv1.2', 'TLSv1.3']);
  assert.deepEqual(verdict.problems, []);
  assert.match(verdict.summary, /EC 128, ecdsa-with-SHA256, issuer "keelhaul test CA \."/);
});

test('sslscan: a plain-HTTP port speaks no TLS: a problem', () => {
  const verdict = judgeTlsScan(parseSslscanXml(read('sslscan-plain-http.xml')));
  assert.equal(verdict.speaksTls, false);
  assert.equal(verdict.problems.length, 1);
  assert.match(verdict.problems[0]!, /plain TCP/);
});

test('sslscan: an openssl s_server at SECLEVEL 0 with a self-signed RSA-1024/SHA-1 certificate: protocols, suites and certificate all named', () => {
  const verdict = judgeTlsScan(parseSslscanXml(read('sslscan-weak-openssl.xml')));
  const text = verdict.problems.join('\n');
  assert.match(text, /below TLS 1\.2 are enabled: TLSv1\.0, TLSv1\.1/);
  assert.match(text, /weak cipher suites are accepted: ADH-AES256-GCM-SHA384 \(TLSv1\.2, anonymous\)/);
  assert.match(text, /self-signed/);
  assert.match(text, /RSA key has 1024 bits/);
  assert.match(text, /signed with sha1WithRSAEncryption/);
});

test('sslscan: a connection error is reported as such', () => {
  const scan = parseSslscanXml('<document><error><![CDATA[Could not open a connection to host 10.0.0.1 (10.0.0.1) on port 2376.]]></error></document>');
  assert.match(scan.error!, /Could not open a connection/);
});

test('tool images: Debian versions become tags; the catalogue has the six tools with a probe line', () => {
  assert.equal(versionTag('7.93+dfsg1-1'), '7.93_dfsg1-1');
  assert.equal(versionTag('1:2.3~rc1'), '1_2.3_rc1');
  assert.equal(toolTag('testssl.sh', '3.0.8+dfsg-1'), 'keelhaul-tool/testssl.sh:3.0.8_dfsg-1');
  for (const name of ['nmap', 'curl', 'sslscan', 'testssl.sh', 'sqlmap', 'dirb']) {
    const entry = TOOL_CATALOGUE[name]!;
    assert.ok(entry.packages.length > 0 && entry.command && entry.probe.includes(entry.command), name);
  }
  assert.deepEqual(importChanges('testssl.sh', '3.0.8+dfsg-1', ['testssl.sh=3.0.8+dfsg-1', 'procps=2:4.0.2-3'], { tool: 'keelhaul.tool', version: 'keelhaul.tool.version', packages: 'keelhaul.tool.packages' }).slice(2),
    ['LABEL keelhaul.tool=testssl.sh', 'LABEL keelhaul.tool.version=3.0.8+dfsg-1', 'LABEL keelhaul.tool.packages=testssl.sh=3.0.8+dfsg-1,procps=2:4.0.2-3']);
});

test('the mirror apt uses: deb822 and one-line sources, else deb.debian.org', () => {
  const files: Record<string, string> = {
    '/etc/apt/sources.list': 'deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main\n',
    '/etc/apt/sources.list.d/debian.sources': 'Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\n\nTypes: deb\nURIs: http://mirror.example/debian-security\n',
  };
  const read = (p: string) => { if (!(p in files)) throw new Error('ENOENT'); return files[p]!; };
  assert.deepEqual(aptMirrors(read, () => ['debian.sources']), { main: 'http://mirror.example/debian', security: 'http://mirror.example/debian-security' });
  assert.deepEqual(aptMirrors(() => { throw new Error('ENOENT'); }, () => []), { main: 'http://deb.debian.org/debian', security: 'http://deb.debian.org/debian-security' });
});

test('curl -i answers: busybox httpd (GET 200, OPTIONS/TRACE 501) and a refused connection; the same answers through a plain forward add nothing', () => {
  const answers = parseCurlAnswers(read('curl-busybox-httpd.txt'));
  assert.deepEqual(answers.map((a) => [a.method, a.status, a.curlExit]), [['GET', 200, 0], ['OPTIONS', 501, 0], ['TRACE', 501, 0], ['GET', undefined, 7]]);
  assert.equal(answers[0]!.body, 'tok-123\n');
  assert.deepEqual(answers[0]!.headers.map(([n]) => n), ['date', 'connection', 'content-type', 'accept-ranges', 'last-modified', 'etag', 'content-length']);
  const sent = answers.flatMap((a) => a.headers.map(([n]) => n));
  const verdict = judgeHttpAnswers(answers.slice(0, 3), sent, { header: 'X-Keelhaul-Probe', value: 'abc123' });
  assert.deepEqual(verdict.problems, []);
  assert.deepEqual(verdict.addedHeaders, []);
});

test('curl answers through a proxy that adds Via and X-Forwarded-For and reflects TRACE: each named once', () => {
  const text = [
    '=== keelhaul method GET', 'HTTP/1.1 200 OK', 'Content-type: text/html', 'Via: 1.1 edge-7 (platform-lb/2.4.1)', 'X-Forwarded-For: 10.4.0.17', '', 'tok', '', '=== keelhaul end GET 0',
    '=== keelhaul method TRACE', 'HTTP/1.1 200 OK', 'Content-type: message/http', 'Via: 1.1 edge-7 (platform-lb/2.4.1)', '', 'TRACE / HTTP/1.1', 'X-Keelhaul-Probe: abc123', '', '=== keelhaul end TRACE 0',
  ].join('\r\n');
  const verdict = judgeHttpAnswers(parseCurlAnswers(text), ['content-type'], { header: 'X-Keelhaul-Probe', value: 'abc123' });
  assert.equal(verdict.problems.length, 3, verdict.problems.join('\n'));
  assert.match(verdict.problems[0]!, /answers \(GET, TRACE\) carry "via: 1\.1 edge-7/);
  assert.match(verdict.problems[1]!, /x-forwarded-for: 10\.4\.0\.17.*an internal address/);
  assert.match(verdict.problems[2]!, /TRACE is answered 200 with the request reflected/);
  assert.match(curlScript('http://h:1/', ['GET'], 'X-P', 'v'), /rc=\$\?; echo; echo "=== keelhaul end GET \$rc"/);
});
