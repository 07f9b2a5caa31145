// Platform attacks with real tools (issue 18, features/attacks/): nmap, sslscan and curl run in
// their tool images (keelhaul tools build) from a tenant container, the way the generic attack steps
// run a command (`sh -c` in a container of the image, output attached). Thin: the judgement is
// judges/nmap.ts, judges/tls-scan.ts, judges/http-answers.ts.
//
// Safety: every address scanned is one the tenant container can name without sweeping (its
// gateway, the sibling this scenario started, the engine's own TCP address), with a fixed port
// list; every container is labelled, bounded and removed with the scenario.
import { Given, Then, When, type DataTable } from '@cucumber/cucumber';
import { randomBytes } from 'node:crypto';
import { isRefusal, type RunResult } from '../adapters/platform/docker-client.js';
import { buildHint, findToolImage } from '../adapters/tools/tool-images.js';
import { Finding, UsageError } from '../judges/errors.js';
import { ANSWER_START, curlScript, judgeHttpAnswers, parseCurlAnswers } from '../judges/http-answers.js';
import { describeOpen, judgeScan, parseGreppable, scanFinished } from '../judges/nmap.js';
import { judgeTlsScan, parseSslscanXml } from '../judges/tls-scan.js';
import { doc } from '../support/step-docs.js';
import type { KeelhaulWorld } from '../support/world.js';
import {
  LOOPBACK, SIBLING_PORT, STEP_TIMEOUT_MS, engineEndpoint, runInTool, startSibling, tool, toolState,
} from '../support/tool-attacks.js';

// ---- preconditions ---------------------------------------------------------------------------

Given('the {string} tool image is on the platform', doc(
  'Looks the tool image up on the target (labelled keelhaul.tool=NAME, tagged keelhaul-tool/NAME:VERSION). Without one the scenario is not applicable and says how to build it: `keelhaul tools build NAME`.',
  'Given the "nmap" tool image is on the platform',
), async function (this: KeelhaulWorld, name: string) {
  const image = await findToolImage(this.platform, name);
  if (!image) this.notApplicable(buildHint(name));
  toolState(this).tools[name] = image;
  this.observe(`${name}Version`, image.version);
});

Given('the target is a TCP engine', doc(
  'Not applicable on a unix socket (its access is the file\'s permissions; there is no port to judge).',
  'Given the target is a TCP engine',
), function (this: KeelhaulWorld) {
  const engine = engineEndpoint(this);
  if (!engine) this.notApplicable(`the target is a unix socket (${this.platform.url}): no API port to judge`);
  this.observe('engineEndpoint', `${engine.host}:${engine.port} (${engine.tls ? 'TLS' : 'plain TCP'})`);
});

Given('the policy forbids these ports from a tenant container:', doc(
  'The forbidden ports (a table: port and why). The engine\'s own TCP port, when the target is TCP, is always forbidden.',
  'Given the policy forbids these ports from a tenant container:\n  | port | why                    |\n  | 2375 | Docker API without TLS |',
), function (this: KeelhaulWorld, table: DataTable) {
  const forbidden = new Map<number, string>();
  for (const row of table.hashes()) {
    const port = Number(row.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`forbidden port "${row.port}" is not a TCP port`);
    forbidden.set(port, row.why ?? '');
  }
  toolState(this).forbidden = forbidden;
});

Given('a sibling container serving HTTP on port 8080', doc(
  'Starts a sibling on the platform\'s default network (where tenants run): busybox httpd serving a unique token on port 8080. Its address and its network\'s gateway are what the scan may name.',
  'Given a sibling container serving HTTP on port 8080',
  60_000,
), async function (this: KeelhaulWorld) {
  await startSibling(this, false);
});

Given('a sibling container publishing HTTP on a host port', doc(
  'The same sibling, with its port 8080 published on a host port the engine picks (all addresses), as a tenant publishes a service.',
  'Given a sibling container publishing HTTP on a host port',
  60_000,
), async function (this: KeelhaulWorld) {
  await startSibling(this, true);
});

Given('a sibling container publishing HTTP on a host port, served by:', doc(
  'A published sibling whose server is the doc string (`sh -c` in the probe image; $KEELHAUL_TOKEN and $KEELHAUL_PORT=8080 are set): for fixtures that stand in for a platform\'s publication path.',
  'Given a sibling container publishing HTTP on a host port, served by:\n  """\n  exec nc -lk -p $KEELHAUL_PORT -e cat\n  """',
  60_000,
), async function (this: KeelhaulWorld, script: string) {
  await startSibling(this, true, script);
});

// ---- nmap ------------------------------------------------------------------------------------

When('nmap scans, from a tenant container, its gateway, the sibling and the engine\'s TCP port', doc(
  'A connect scan (-sT -Pn, no raw sockets, no sweep) from a container on the default network of: its gateway, the sibling, and the engine\'s address when the target is TCP (its gateway when that address is loopback), for the forbidden ports plus the sibling\'s and the engine\'s.',
  'When nmap scans, from a tenant container, its gateway, the sibling and the engine\'s TCP port',
  STEP_TIMEOUT_MS,
), async function (this: KeelhaulWorld) {
  const state = toolState(this);
  const sibling = state.sibling;
  if (!sibling) throw new UsageError('no sibling: use "Given a sibling container serving HTTP on port 8080" first');
  const forbidden = state.forbidden ?? new Map<number, string>();
  const roles: Record<string, string> = {};
  if (sibling.gateway) roles[sibling.gateway] = 'gateway';
  roles[sibling.ip] = 'sibling';
  const ports = new Set([...forbidden.keys(), SIBLING_PORT]);
  const engine = engineEndpoint(this);
  if (engine) {
    ports.add(engine.port);
    forbidden.set(engine.port, `the engine's API (${engine.tls ? 'TLS' : 'plain TCP'}) reachable from a tenant container`);
    if (!LOOPBACK.test(engine.host)) roles[engine.host] = roles[engine.host] ?? 'engine';
  }
  state.forbidden = forbidden;
  const list = [...ports].sort((a, b) => a - b).join(',');
  const result = await runInTool(this, tool(this, 'nmap'), `nmap -sT -Pn -n --max-retries 1 --host-timeout 60s -oG - -p ${list} ${Object.keys(roles).join(' ')}`);
  if (result.exitCode !== 0 || !scanFinished(result.stdout)) throw new Error(`nmap failed (exit ${result.exitCode}): ${(result.stderr || result.stdout).trim().slice(0, 300)}`);
  state.scan = { text: result.stdout, roles, expected: { [sibling.ip]: [SIBLING_PORT] } };
});

Then('the open ports are reported, and no forbidden port is open', doc(
  'Reports every open port per address (observation openPorts). A finding for each forbidden port open on an address the tenant could name; the sibling\'s own service port is expected open. An address nmap reported nothing for is inconclusive.',
  'Then the open ports are reported, and no forbidden port is open',
), function (this: KeelhaulWorld) {
  const state = toolState(this);
  if (!state.scan) throw new UsageError('no scan: use "When nmap scans, ..." first');
  const verdict = judgeScan(parseGreppable(state.scan.text), state.scan.roles, state.forbidden ?? new Map(), state.scan.expected);
  this.observe('openPorts', describeOpen(verdict.open));
  if (verdict.forbiddenOpen.length > 0) {
    throw new Finding(`forbidden port(s) open from a tenant container: ${verdict.forbiddenOpen.map((p) => `${p.role} ${p.address}:${p.port} (${p.why})`).join('; ')}`);
  }
  if (verdict.unscanned.length > 0) this.inconclusive(`nmap reported no ports for ${verdict.unscanned.map((a) => `${state.scan!.roles[a]} ${a}`).join(', ')}`);
  if (!verdict.open.some((p) => p.address === state.sibling?.ip && p.port === SIBLING_PORT)) {
    this.inconclusive(`the sibling's own port ${state.sibling?.ip}:${SIBLING_PORT} was not seen open: the scan did not see what it should, so its silence proves nothing`);
  }
});

// ---- sslscan ---------------------------------------------------------------------------------

When('sslscan reads the engine\'s API port from a container', doc(
  'Runs sslscan (--xml) against the engine\'s host and port in a container: in the host\'s network namespace (so a loopback address is the engine\'s), else, where host networking is refused, on the default network against a non-loopback address.',
  'When sslscan reads the engine\'s API port from a container',
  STEP_TIMEOUT_MS,
), async function (this: KeelhaulWorld) {
  const engine = engineEndpoint(this);
  if (!engine) this.notApplicable('the target is a unix socket');
  const endpoint = `${engine.host.replace(/^\[|\]$/g, '')}:${engine.port}`;
  const line = `sslscan --no-colour --xml=- ${endpoint}`;
  let result: RunResult;
  let vantage = 'host network';
  try {
    result = await runInTool(this, tool(this, 'sslscan'), line, { NetworkMode: 'host' });
  } catch (error) {
    if (!isRefusal(error)) throw error;
    if (LOOPBACK.test(engine.host)) this.inconclusive(`host networking is refused (${error.rawMessage.slice(0, 120)}) and the engine's address ${engine.host} is loopback: no container can reach it`);
    vantage = 'default network';
    result = await runInTool(this, tool(this, 'sslscan'), line);
  }
  toolState(this).tls = { xml: result.stdout, endpoint, vantage };
  this.observe('tlsScanFrom', vantage);
});

Then('the port speaks TLS 1.2 or later only, with no weak cipher suite and a sound certificate', doc(
  'A finding when the port speaks no TLS at all (a plain-TCP API), enables SSLv2/3 or TLS 1.0/1.1, accepts a null, anonymous, export, RC4, DES/3DES or sub-128-bit suite, is open to heartbleed or insecure renegotiation, or shows a certificate that is expired, self-signed, signed with MD5/SHA-1 or has an RSA key under 2048 bits. Inconclusive when sslscan could not connect.',
  'Then the port speaks TLS 1.2 or later only, with no weak cipher suite and a sound certificate',
), function (this: KeelhaulWorld) {
  const tls = toolState(this).tls;
  if (!tls) throw new UsageError('no scan: use "When sslscan reads the engine\'s API port from a container" first');
  const scan = parseSslscanXml(tls.xml);
  if (scan.error || !/<ssltest /.test(tls.xml)) this.inconclusive(`sslscan could not judge ${tls.endpoint} from the ${tls.vantage}: ${scan.error ?? tls.xml.trim().slice(0, 200)}`);
  const verdict = judgeTlsScan(scan);
  this.observe('tls', verdict.summary);
  if (verdict.problems.length > 0) throw new Finding(`the engine's API port ${tls.endpoint}: ${verdict.problems.join('; ')}`);
});

// ---- curl ------------------------------------------------------------------------------------

const PROBE_HEADER = 'X-Keelhaul-Probe';

When('curl asks the sibling with GET, OPTIONS and TRACE, directly and on its published port', doc(
  'From a tenant container on the default network: curl -i with each method, with a marker header, to the sibling\'s own address and port (what its server sends) and to its published port on the gateway (the way other tenants and users reach it).',
  'When curl asks the sibling with GET, OPTIONS and TRACE, directly and on its published port',
  STEP_TIMEOUT_MS,
), async function (this: KeelhaulWorld) {
  const state = toolState(this);
  const sibling = state.sibling;
  if (!sibling) throw new UsageError('no sibling: use "Given a sibling container publishing HTTP on a host port" first');
  if (!sibling.hostPort) this.inconclusive('the platform did not publish the sibling\'s port (no host port in its inspect)');
  const host = sibling.gateway || engineEndpoint(this)?.host;
  if (!host) this.inconclusive('the sibling has no gateway and the target is a unix socket: no address at which a tenant reaches its published port');
  const probe = { header: PROBE_HEADER, value: randomBytes(6).toString('hex') };
  const methods = ['GET', 'OPTIONS', 'TRACE'];
  const direct = `http://${sibling.ip}:${sibling.port}/`;
  const url = `http://${host}:${sibling.hostPort}/`;
  const result = await runInTool(this, tool(this, 'curl'), `${curlScript(direct, methods, probe.header, probe.value)}; echo '#published'; ${curlScript(url, methods, probe.header, probe.value)}`);
  const [before, after] = result.stdout.split('#published\n');
  state.http = { direct: before ?? '', published: after ?? '', url, probe };
});

Then('the published port answers with the sibling\'s page, adds no header that names the platform, and does not reflect TRACE', doc(
  'Inconclusive unless GET on the published port returns the sibling\'s token. A finding when the published answers carry a header the sibling\'s own answers did not (Via, X-Forwarded-For, a Server version, an internal address) or TRACE comes back 2xx with the request reflected (cross-site tracing). The methods\' statuses are reported.',
  'Then the published port answers with the sibling\'s page, adds no header that names the platform, and does not reflect TRACE',
), function (this: KeelhaulWorld) {
  const state = toolState(this);
  if (!state.http || !state.sibling) throw new UsageError('no answers: use "When curl asks the sibling ..." first');
  const direct = parseCurlAnswers(state.http.direct);
  const published = parseCurlAnswers(state.http.published);
  if (!state.http.published.includes(ANSWER_START)) throw new Error(`curl gave no answers: ${state.http.published.slice(0, 200)}`);
  const get = published.find((a) => a.method === 'GET');
  this.observe('publishedMethods', published.map((a) => `${a.method} ${a.status ?? `no answer (curl exit ${a.curlExit})`}`).join(', '));
  if (!get?.status || !get.body.includes(state.sibling.token)) {
    this.inconclusive(`GET ${state.http.url} did not return the sibling's page (${get?.status ?? `curl exit ${get?.curlExit}`}: ${get?.body.slice(0, 120) ?? ''}): a tenant cannot reach the published port this way, so nothing on its path was judged`);
  }
  const sent = direct.flatMap((a) => a.headers.map(([name]) => name));
  const verdict = judgeHttpAnswers(published, sent, state.http.probe);
  this.observe('headersAddedOnTheWay', verdict.addedHeaders.join('; ') || 'none');
  if (verdict.problems.length > 0) throw new Finding(`the sibling's published port ${state.http.url}: ${verdict.problems.join('; ')}`);
});
