// Port errors from the engines, normalised into classes (attacks.md section 5 and Appendix A).
// The raw message is always kept beside the class: wording changes between engine versions.

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
