// Port errors from the engines, normalised into classes (attacks.md section 5 and Appendix A).
// The raw message is always kept beside the class: wording changes between engine versions.

import { finding, pass, type Verdict } from './verdict.js';

export type PortErrorClass = 'port-in-use' | 'remapping-refused' | 'privileged-port-refused' | 'unrecognised';

interface Rule {
  cls: Exclude<PortErrorClass, 'unrecognised'>;
  re: RegExp;
  /** Which engine wording this is, for the report. */
  source: string;
}

const RULES: Rule[] = [
  // Docker's port allocator: "Bind for 0.0.0.0:8000 failed: port is already allocated".
  { cls: 'port-in-use', re: /port is already allocated/i, source: 'docker port allocator' },
  // Podman (rootful, netavark): "cannot listen on the TCP port: listen tcp4 127.0.0.1:P: bind: address already in use".
  { cls: 'port-in-use', re: /cannot listen on the (?:tcp|udp|sctp) port/i, source: 'podman' },
  // Podman rootless / older slirp4netns / macOS gvproxy.
  { cls: 'port-in-use', re: /rootlessport listen .*address already in use/i, source: 'podman rootlessport' },
  { cls: 'port-in-use', re: /slirp_add_hostfwd failed/i, source: 'podman slirp4netns' },
  { cls: 'port-in-use', re: /proxy already running/i, source: 'podman gvproxy' },
  // Docker's userland proxy (<= v27) and v28+ "failed to bind host port ... address already in use".
  { cls: 'port-in-use', re: /address already in use|EADDRINUSE/i, source: 'bind(2) EADDRINUSE' },
  // Triton (sdc-docker, DOCKER-341).
  { cls: 'remapping-refused', re: /remapping of port numbers not allowed/i, source: 'sdc-docker' },
  { cls: 'privileged-port-refused', re: /permission denied|EACCES/i, source: 'bind(2) EACCES' },
];

export interface PortErrorVerdict {
  class: PortErrorClass;
  /** Which rule matched (engine wording), or undefined when unrecognised. */
  source?: string;
  /** The bound address the message names, when it names one ("127.0.0.1:52699", ":44200"). */
  address?: string;
  raw: string;
}

const ADDRESS = /(?:Bind for |listen tcp[46]? |listen udp[46]? |bind host port for |failed to bind port )((?:\[[0-9a-f:]+\]|[0-9.]*):\d+)/i;

export function classifyPortError(raw: string): PortErrorVerdict {
  const text = String(raw ?? '').trim();
  const rule = RULES.find((r) => r.re.test(text));
  const address = ADDRESS.exec(text)?.[1];
  return { class: rule?.cls ?? 'unrecognised', source: rule?.source, address, raw: text };
}

export function isPortInUse(raw: string): boolean {
  return classifyPortError(raw).class === 'port-in-use';
}

// ---- the rules on a publication (PORT-01..03, PORT-06) -----------------------------------------

/** A publication as the rules see it: what was asked, whether it started, where it landed, the refusal. */
export interface Publication {
  name: string;
  hostIp: string;
  hostPort: number | '';
  containerPort: number;
  started: boolean;
  endpoint?: { host: string; port: number };
  error?: Pick<PortErrorVerdict, 'class' | 'raw'>;
}

/**
 * A second publication of a port someone holds must be refused, recognisably as a collision
 * (class port-in-use); on a per-container-IP platform it must instead start on an address of its own.
 */
export function judgeCollision(second: Publication, holders: Publication[], platform: { perContainerIp: boolean; profile: string }): Verdict {
  if (platform.perContainerIp) {
    if (!second.started) return finding(`profile ${platform.profile} declares per-container IPs, yet "${second.name}" was refused: ${second.error?.raw} (class ${second.error?.class})`);
    const clash = holders.find((s) => second.endpoint && s.endpoint?.host === second.endpoint.host && s.endpoint?.port === second.endpoint.port);
    if (clash) return finding(`"${second.name}" was given the address ${clash.endpoint!.host}:${clash.endpoint!.port} that "${clash.name}" already publishes`);
    return pass(`"${second.name}" started on an address of its own`);
  }
  if (second.started) {
    return finding(`"${second.name}" started on ${second.hostIp}:${second.hostPort} while ${holders.map((s) => `"${s.name}" publishes ${s.hostIp}:${s.hostPort}`).join(', ')}: the platform did not detect the collision`);
  }
  if (second.error?.class !== 'port-in-use') return finding(`"${second.name}" was refused, but not recognisably as a port collision: ${second.error?.raw}`);
  return pass(`"${second.name}" was refused as a port collision`);
}

/**
 * Port remapping (-p H:C, H != C) as the profile declares it: honoured (and answering the
 * container's token: `answered`) where it is declared, refused where it is not.
 */
export function judgeRemapping(p: Publication, declared: boolean, profile: string, answered?: { ok: boolean; detail: string }): Verdict {
  if (!declared) {
    return p.started ? finding(`profile ${profile} declares no port remapping, yet ${p.hostPort}->${p.containerPort} was honoured (profile out of date?)`) : pass('the remapping was refused, as the profile declares');
  }
  if (!p.started) return finding(`remapping ${p.hostIp}:${p.hostPort}->${p.containerPort} was refused though profile ${profile} declares it: ${p.error?.raw}`);
  if (!answered?.ok) return finding(`the remapped port ${p.endpoint?.host}:${p.endpoint?.port} did not answer the container's token (${answered?.detail ?? 'not asked'})`);
  return pass(`the remapped port ${p.endpoint?.host}:${p.endpoint?.port} answered the container's token`);
}
