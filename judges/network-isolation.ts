// Network isolation (ISO-13..15), pure: the scripts the containers run, the parser of the gateway
// probe and the verdicts. Probes go only to a container's own gateway, to containers of the scenario
// and to the target's own address; every connection is bounded (nc -w 2/3); nothing sweeps a range.
import { decodeCapabilities, parseCapabilityMask } from './capabilities.js';
import { pass, verdictIf, type Verdict } from './verdict.js';

export const HTTP_PORT = 8080;
export const BIG_KIB = 256;
export const DOWNLOADS = 4;

/** busybox httpd serving `token` (and a BIG_KIB file) until stopped. */
export function tokenServerScript(token: string): string {
  return `trap 'exit 0' TERM; mkdir -p /tmp/www && echo '${token}' > /tmp/www/index.html && dd if=/dev/zero of=/tmp/www/big bs=1024 count=${BIG_KIB} 2>/dev/null; httpd -f -p ${HTTP_PORT} -h /tmp/www & wait`;
}

export function fetchScript(ip: string, path = '/'): string {
  return `printf 'GET ${path} HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${ip} ${HTTP_PORT}; echo "nc-exit=$?"`;
}

export const IDLE_SCRIPT = "trap 'exit 0' TERM; while :; do sleep 1; done";

/** DOWNLOADS downloads of the big file from `ip`, printing the bytes received. */
export function downloadsScript(ip: string): string {
  return `n=0; for i in $(seq ${DOWNLOADS}); do c=$(printf 'GET /big HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${ip} ${HTTP_PORT} | wc -c); n=$((n + c)); done; echo "bytes=$n"`;
}

/** A container's address from its inspect answer: the first network that gave it one. */
export function addressOf(inspect: any, defaultLabel = 'default'): { ip: string; network: string } | undefined {
  const networks = inspect?.NetworkSettings?.Networks ?? {};
  for (const [name, n] of Object.entries<any>(networks)) if (n?.IPAddress) return { ip: n.IPAddress, network: name };
  if (inspect?.NetworkSettings?.IPAddress) return { ip: inspect.NetworkSettings.IPAddress, network: defaultLabel };
  return undefined;
}

export interface Fetched { got: boolean; output: string; exitCode: number | null }

/** The control: a container on the server's own network must reach it, or there is no traffic to isolate. */
export function judgeSameNetworkFetch(fetched: Fetched, label: string, name: string): Verdict {
  return verdictIf(!fetched.got, 'not-applicable',
    `containers on one network cannot reach each other here ("${label}" could not fetch "${name}": ${fetched.output.trim().slice(0, 160)}), so there is no traffic to isolate`);
}

/** `networkIsolation` false: the profile declares networks are not isolated (an exposure). */
export function judgeCrossNetworkFetch(fetched: Fetched, label: string, name: string, networkIsolation: unknown, profile: string): Verdict {
  if (!fetched.got) return pass();
  const what = `a container on network "${label}" reached "${name}" on another network`;
  return networkIsolation === false ? { outcome: 'exposure', why: `${what} (profile ${profile} declares networks are not isolated)` } : { outcome: 'finding', why: what };
}

/** The default network's inter-container policy (Docker's enable_icc option) against what a container observed. */
export function judgeIccPolicy(options: Record<string, string>, network: string, fetched: Fetched): Verdict {
  const icc = options['com.docker.network.bridge.enable_icc'];
  const policy = icc === 'false' ? 'deny' : icc === 'true' ? 'allow' : 'not declared';
  const observations: Record<string, unknown> = { iccPolicy: { network, policy, option: icc ?? null }, sameNetworkReachable: fetched.got };
  if (policy === 'deny' && fetched.got) return { outcome: 'finding', why: `the default network ${network} declares icc=false, yet a container on it reached another`, observations };
  // Stricter than declared (a host firewall the engine does not manage, e.g. dockerd --iptables=false
  // under a FORWARD DROP policy): no security harm, but recorded as a divergence.
  if (policy !== 'deny' && !fetched.got) observations.iccDivergence = `policy ${policy}, but a container on ${network} could not reach another: ${fetched.output.trim().slice(0, 120)}`;
  return pass(observations);
}

export interface BystanderMeasure {
  network: string;
  transferred: number;
  /** Bytes the bystander's eth0 received meanwhile. */
  seen: number;
  capEff?: string;
  talkStderr: string;
}

/** A switch delivers unicast only to its destination: a bystander receiving half of others' traffic could sniff it. */
export function judgeBystander(m: BystanderMeasure, defaults: string[] | undefined, profile: string): Verdict {
  const netRaw = (m.capEff ? decodeCapabilities(parseCapabilityMask(m.capEff)) : []).includes('NET_RAW');
  const observations = { bystander: { network: m.network, transferredBetweenOthers: m.transferred, bystanderReceived: m.seen, NET_RAW: netRaw } };
  if (m.transferred < BIG_KIB * 1024 * DOWNLOADS / 2) {
    return { outcome: 'inconclusive', why: `the two other containers moved only ${m.transferred} bytes (expected ${BIG_KIB * DOWNLOADS} KiB): ${m.talkStderr.trim().slice(0, 160)}`, observations };
  }
  if (netRaw && defaults && !defaults.includes('NET_RAW')) return { outcome: 'finding', why: `the bystander holds NET_RAW (raw sockets, spoofing), which profile ${profile}'s default set excludes`, observations };
  return verdictIf(m.seen >= m.transferred / 2, 'finding', `a bystander received ${m.seen} bytes while two other containers exchanged ${m.transferred}: it can see their traffic`, observations);
}

// ---- the gateway probe (ISO-13, ISO-15) --------------------------------------------------------------

export interface GatewayTarget { host: string; port: number }
export interface GatewayResult { target: string; state: 'closed' | 'open' | 'api'; first: string }

/**
 * `$gw` as host: the container's default gateway. The targets are probed at once (each its own
 * connection, each still bounded by nc -w 2: a port that drops the SYN costs its 2 s once, not once per
 * port); every line carries its target's index, so the output is put back in the order of the targets.
 */
export function gatewayProbeScript(targets: GatewayTarget[]): string {
  const lines = ["gw=$(ip route | awk '/^default/ {print $3; exit}')", 'echo "gateway=$gw"', '[ -n "$gw" ] || exit 0', '{'];
  targets.forEach((t, i) => {
    // Connect first (stdin closed: busybox nc then closes at once); only an open port gets the GET,
    // with stdin held open for 1 s so the answer can arrive.
    lines.push(`( r=; nc -w 2 ${t.host} ${t.port} </dev/null >/dev/null 2>&1; rc=$?; [ $rc = 0 ] && r=$( (printf 'GET /_ping HTTP/1.0\\r\\nHost: docker\\r\\n\\r\\n'; sleep 1) | nc -w 2 ${t.host} ${t.port} 2>/dev/null); echo "${i} probe ${t.host === '$gw' ? 'gw' : t.host}:${t.port} rc=$rc first=$(echo "$r" | head -1 | tr -d '\\r') ok=$(echo "$r" | tail -1 | tr -d '\\r')" ) &`);
  });
  // One echo is one write (busybox), so concurrent lines do not interleave.
  lines.push('wait; } | sort -n | cut -d" " -f2-');
  return lines.join('\n');
}

/** The gateway and one result per probed target (all of them, duplicates merged), from the probe's output. */
export function parseGatewayProbe(stdout: string): { gateway: string; results: GatewayResult[]; reported: number } {
  const gateway = /gateway=(\S*)/.exec(stdout)?.[1] ?? '';
  const results = [...stdout.matchAll(/^probe (\S+):(\d+) rc=(\d+) first=(.*?) ok=(.*)$/gm)].map((m) => {
    const target = `${m[1] === 'gw' ? gateway : m[1]}:${m[2]}`;
    const open = m[3] === '0'; // busybox nc exits 1 when the connection is refused or times out
    const api = open && /^HTTP\/1\.[01] 200/.test(m[4]!) && m[5] === 'OK';
    return { target, state: api ? 'api' as const : open ? 'open' as const : 'closed' as const, first: m[4]! };
  });
  return { gateway, results: [...new Map(results.map((r) => [r.target, r])).values()], reported: results.length };
}

const shown = (results: GatewayResult[]) => results.map((r) => `${r.target} ${r.state}${r.first ? ` (${r.first})` : ''}`);

export function judgeApiAnswers(gateway: string, results: GatewayResult[]): Verdict {
  const answering = results.filter((r) => r.state === 'api').map((r) => r.target);
  return verdictIf(answering.length > 0, 'finding', `the engine API answers GET /_ping from inside a container at ${answering.join(', ')}`, { apiProbe: { gateway, results: shown(results) } });
}

export function judgeHostPorts(gateway: string, results: GatewayResult[]): Verdict {
  const open = results.filter((r) => r.state !== 'closed').map((r) => r.target);
  return verdictIf(open.length > 0, 'finding', `host services reachable from inside a container: ${open.join(', ')}`, { hostServiceProbe: { gateway, results: shown(results) } });
}

/** Why a list of host ports cannot be judged (1 to 16 numbers from 1 to 65535), or undefined. */
export function portListProblem(ports: string[]): string | undefined {
  const bad = ports.filter((p) => !/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535);
  if (ports.length === 0 || ports.length > 16) return `this step judges 1 to 16 port numbers; got ${ports.length}`;
  return bad.length > 0 ? `this step judges port numbers from 1 to 65535; not ${bad.map((b) => `"${b}"`).join(', ')}` : undefined;
}

// ---- tenant to tenant (ISO-25) ---------------------------------------------------------------------

/** Read-only or harmless requests on the other tenant's container: SIGCONT to a running process changes nothing. */
export function tenantRequests(id: string): Array<[string, string, unknown?]> {
  return [
    ['GET', `/containers/${id}/json`], ['GET', `/containers/${id}/top`], ['GET', `/containers/${id}/logs?stdout=1`],
    ['POST', `/containers/${id}/exec`, { Cmd: ['true'] }], ['POST', `/containers/${id}/kill?signal=SIGCONT`],
  ];
}

/** `answers`: "METHOD path" (the id as {peer}) -> status; every one must be 404, and the container unlisted. */
export function judgeTenantAnswers(listed: boolean, answers: Record<string, number>): Verdict {
  const leaks = [
    ...(listed ? ['it is in this tenant\'s container list'] : []),
    ...Object.entries(answers).filter(([request, status]) => !request.startsWith('GET /containers/json') && status !== 404)
      .map(([request, status]) => `${request.replace('{peer}', '<its id>')} answered ${status}`),
  ];
  return verdictIf(leaks.length > 0, 'finding', `another tenant's container is reachable from this account: ${leaks.join('; ')}`, { tenantRequests: answers });
}
