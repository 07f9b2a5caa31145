// nmap's greppable output (-oG -) read into hosts and ports, and the policy's forbidden ports judged
// on it. Pure: unit-tested on outputs recorded from the tool image (test/fixtures/tool-outputs/).
//
//   Host: 172.17.0.1 ()	Status: Up
//   Host: 172.17.0.1 ()	Ports: 22/closed/tcp//ssh///, 23/open/tcp//telnet///

export interface ScannedPort {
  port: number;
  state: string; // open, closed, filtered, open|filtered, unfiltered, closed|filtered
  protocol: string;
  service: string;
}

export interface ScannedHost {
  address: string;
  status?: string;
  ports: ScannedPort[];
}

export function parseGreppable(text: string): ScannedHost[] {
  const hosts = new Map<string, ScannedHost>();
  for (const line of text.split('\n')) {
    const head = /^Host: (\S+) \([^)]*\)\t(.*)$/.exec(line);
    if (!head) continue;
    const address = head[1]!;
    const host = hosts.get(address) ?? { address, ports: [] };
    hosts.set(address, host);
    for (const field of head[2]!.split('\t')) {
      const status = /^Status: (\S+)/.exec(field);
      if (status) host.status = status[1]!.toLowerCase();
      const ports = /^Ports: (.*)$/.exec(field);
      if (!ports) continue;
      for (const entry of ports[1]!.split(/,\s*/)) {
        // port/state/protocol/owner/service/rpc info/version/
        const [port, state, protocol, , service] = entry.split('/');
        const n = Number(port);
        if (!Number.isInteger(n) || !state) continue;
        host.ports.push({ port: n, state: state, protocol: protocol || 'tcp', service: service || '' });
      }
    }
  }
  return [...hosts.values()];
}

/** Did nmap finish? Its greppable output ends with "# Nmap done at ... -- N IP addresses (M hosts up) scanned". */
export function scanFinished(text: string): boolean {
  return /^# Nmap done at .* scanned in /m.test(text);
}

export interface OpenPort { address: string; role: string; port: number; service: string }

/**
 * Open ports per scanned address (role: gateway, sibling, engine ...), and those the policy forbids.
 * A port that is expected open on an address (the sibling's own service) is reported, never forbidden.
 */
export function judgeScan(hosts: ScannedHost[], roles: Record<string, string>, forbidden: Map<number, string>, expected: Record<string, number[]> = {}): { open: OpenPort[]; forbiddenOpen: Array<OpenPort & { why: string }>; unscanned: string[] } {
  const open: OpenPort[] = [];
  for (const host of hosts) {
    for (const p of host.ports) {
      if (p.state === 'open') open.push({ address: host.address, role: roles[host.address] ?? 'address', port: p.port, service: p.service });
    }
  }
  const forbiddenOpen = open
    .filter((p) => forbidden.has(p.port) && !(expected[p.address] ?? []).includes(p.port))
    .map((p) => ({ ...p, why: forbidden.get(p.port)! }));
  const unscanned = Object.keys(roles).filter((address) => !hosts.some((h) => h.address === address && h.ports.length > 0));
  return { open, forbiddenOpen, unscanned };
}

export function describeOpen(open: OpenPort[]): string {
  if (open.length === 0) return 'none';
  return open.map((p) => `${p.role} ${p.address}:${p.port}${p.service ? ` (${p.service})` : ''}`).join(', ');
}
