// The pure parts of Gauntlt's vocabulary: profile tables, placeholder filling, aruba's expressions
// and escapes, cookies, XML selectors, adapters, and `.attack` as a readable kind of path.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  adapterFor, arubaRegex, arubaUnescape, cookieMismatches, namedRows, regexProblem, resolveValues, setCookies, slashRegex, tableProblem,
} from '../../judges/gauntlt.js';
import { selectorProblem, selectorRows, xmlMatches } from '../../support/xml-query.js';
import { fillPlaceholders } from '../../support/attack-session.js';
import { resolveFeatureFiles } from '../../run/feature-files.js';
import { UsageError } from '../../judges/errors.js';

describe('profile tables', () => {
  test('name/value rows after the header', () => {
    assert.deepEqual(namedRows([['name', 'value'], ['hostname', 'example.test'], ['port', '80']], 'value'), [['hostname', 'example.test'], ['port', '80']]);
    assert.deepEqual(namedRows([['name', 'environment_variable_name'], ['hostname', 'TEST_HOSTNAME']], 'environment_variable_name'), [['hostname', 'TEST_HOSTNAME']]);
  });
  test('a table without the header (its first row would be lost) or with a bad name is refused', () => {
    assert.match(tableProblem([['hostname', 'example.test']], 'value')!, /header row \| name \| value \|/);
    assert.match(tableProblem([['name', 'value', 'extra']], 'value')!, /header row/);
    assert.match(tableProblem([['name', 'value'], ['host name', 'x']], 'value')!, /cannot be a profile name/);
    assert.equal(tableProblem([['name', 'value'], ['a', 'b']], 'value'), undefined);
  });
});

describe('placeholders', () => {
  test('profile values naming other values are resolved, bounded, and a self-reference stays', () => {
    assert.deepEqual(resolveValues({ url: 'http://<hostname>:<port>/', hostname: '<target_ip>', target_ip: '10.0.0.2', port: '80' }).url, 'http://10.0.0.2:80/');
    assert.equal(resolveValues({ a: '<a>x' }).a, '<a>x');
    assert.equal(resolveValues({ a: '<b>', b: '<a>' }).a.length < 100, true);
  });
  test('commands are filled strictly: an unknown placeholder is an authoring error', () => {
    assert.equal(fillPlaceholders('nmap -p <port> <hostname>', { port: '80', hostname: 'h' }, {}), 'nmap -p 80 h');
    assert.throws(() => fillPlaceholders('nmap <hostnme>', { hostname: 'h' }, {}), (e: unknown) => e instanceof UsageError && /unknown placeholder <hostnme>/.test((e as Error).message));
    assert.equal(fillPlaceholders('echo <html>', {}, {}, false), 'echo <html>');
    assert.equal(fillPlaceholders('<env:HOST>', {}, { HOST: 'from-env' }), 'from-env');
  });
});

describe("aruba's expressions", () => {
  test('/re/ forms', () => {
    assert.deepEqual(slashRegex('/80.tcp\\s+open/'), { source: '80.tcp\\s+open', flags: '' });
    assert.deepEqual(slashRegex('/HELLO/i'), { source: 'HELLO', flags: 'i' });
    assert.deepEqual(slashRegex('/a/b/'), { source: 'a/b', flags: '' });
    assert.throws(() => slashRegex('80/tcp'), UsageError);
    assert.throws(() => slashRegex('/a b/x'), /extended/);
  });
  test('Ruby /m semantics: dot crosses lines, ^ and $ at line ends', () => {
    assert.ok(arubaRegex('target.a line').test('hello from the target\na line'));
    assert.ok(arubaRegex('^a line$').test('first\na line\nlast'));
    assert.ok(arubaRegex('\\Afirst').test('first\nsecond'));
    assert.ok(!arubaRegex('\\Asecond').test('first\nsecond'));
    assert.ok(arubaRegex('last\\z').test('x\nlast'));
    assert.ok(arubaRegex('\\h+').test('cafe'));
    assert.ok(arubaRegex('HELLO', 'i').test('hello'));
  });
  test('an expression that cannot be read is named, before anything runs', () => {
    assert.match(regexProblem('/(unclosed/', true)!, /not a regular expression/);
    assert.match(regexProblem('[z-a]', false)!, /not a regular expression/);
    assert.equal(regexProblem('/80.tcp\\s+open/', true), undefined);
  });
  test('escapes in inline texts', () => {
    assert.equal(arubaUnescape('a\\nb \\"q\\" \\tc'), 'a\nb "q" \tc');
    assert.equal(arubaUnescape('plain'), 'plain');
  });
});

describe('cookies', () => {
  const response = 'HTTP/1.1 302 Found\r\nSet-Cookie: NID=1; path=/; HttpOnly\r\n\r\nHTTP/1.1 200 OK\r\n  Set-Cookie: theme=dark; Secure; SameSite=Lax\r\n\r\nbody';
  test('every Set-Cookie of every response, curl --include and wget -S alike', () => {
    const cookies = setCookies(response);
    assert.deepEqual(cookies.map((c) => [c.name, c.httponly, c.secure]), [['NID', 'true', 'false'], ['theme', 'false', 'true']]);
    assert.equal(cookies[1]!.samesite, 'Lax');
  });
  test('mismatches: wrong attribute, missing cookie; empty cells are not judged', () => {
    const cookies = setCookies(response);
    assert.deepEqual(cookieMismatches(cookies, [['name', 'httponly'], ['NID', 'true'], ['theme', '']]), []);
    assert.match(cookieMismatches(cookies, [['name', 'httponly'], ['theme', 'true']])[0]!, /httponly is false, not true/);
    assert.match(cookieMismatches(cookies, [['name'], ['tracker']])[0]!, /no cookie "tracker"/);
  });
});

describe('XML selectors', () => {
  const xml = '<?xml version="1.0"?><nmaprun><host><ports><port protocol="tcp" portid="80"><state state="open"/></port></ports></host></nmaprun>';
  test("CSS as Gauntlt's examples write it, and XPath", () => {
    assert.equal(xmlMatches(xml, 'css', 'ports port[protocol="tcp"][portid="80"] state[state="open"]'), true);
    assert.equal(xmlMatches(xml, 'css', 'ports port[protocol="tcp"][portid="443"] state[state="open"]'), false);
    assert.equal(xmlMatches(xml, 'xpath', '//port[@portid="80"]/state[@state="open"]'), true);
    assert.equal(xmlMatches(xml, 'xpath', '//port[@portid="443"]'), false);
  });
  test('tables and selectors that cannot work are refused', () => {
    assert.deepEqual(selectorRows([['css'], ['a b']]), { kind: 'css', selectors: ['a b'] });
    assert.throws(() => selectorRows([['selector'], ['a']]), /\| css \| or \| xpath \|/);
    assert.throws(() => selectorRows([['xpath']]), /no selector/);
    assert.match(selectorProblem('xpath', '//port[')!, /xpath selector/);
    assert.match(selectorProblem('css', 'port[[')!, /css selector/);
    assert.equal(selectorProblem('css', 'ports port[portid="80"]'), undefined);
  });
  test('XPath on XML that is not well-formed is an error, not "not found"', () => {
    assert.throws(() => xmlMatches('<a><b></a>', 'xpath', '//b'), /not well-formed/);
  });
});

describe('adapters', () => {
  test('supported adapters and their tool images; unsupported ones say why', () => {
    assert.deepEqual(adapterFor('generic'), { adapter: 'generic', tool: undefined, values: {} });
    assert.equal(adapterFor('nmap').tool, 'nmap');
    assert.equal(adapterFor('dirb').values.dirb_wordlists_path, '/usr/share/dirb/wordlists');
    assert.throws(() => adapterFor('Heartbleed'), /not supported: .*packaged nowhere/);
    assert.throws(() => adapterFor('arachni'), /not supported/);
    assert.throws(() => adapterFor('nikto'), /no Gauntlt adapter "nikto"/);
  });
});

describe('.attack paths', () => {
  test('files, and folders of them, are read like .feature; .audit is refused with a reason', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keelhaul-attack-'));
    mkdirSync(join(dir, 'nmap'));
    writeFileSync(join(dir, 'nmap', 'simple.attack'), 'Feature: f\n  Scenario: s\n    When I launch a "generic" attack with:\n      """\n      true\n      """\n');
    writeFileSync(join(dir, 'other.feature'), 'Feature: g\n');
    writeFileSync(join(dir, 'old.audit'), 'Feature: h\n');
    const { files } = resolveFeatureFiles([dir], dir, dir);
    assert.deepEqual(files.map((f) => f.slice(dir.length + 1)), ['nmap/simple.attack', 'other.feature']);
    assert.deepEqual(resolveFeatureFiles(['nmap/simple.attack:2'], dir, dir).files, [join(dir, 'nmap', 'simple.attack') + ':2']);
    assert.throws(() => resolveFeatureFiles(['old.audit'], dir, dir), /\.audit files are not read/);
  });
});
