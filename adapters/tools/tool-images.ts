// stub: helper tools' version replaces this at merge.
// Attack-tool images built on the target by `keelhaul tools build NAME` (issue 18): tagged
// `keelhaul-tool/<name>:<version>`, labelled `org.keelhaul.tool=<name>`. This stub only finds them;
// the Gauntlt steps code against this interface and nothing else.
import type { PlatformClient } from '../platform/docker-client.js';

export interface ToolImage { name: string; version: string; ref: string }

/** The tools `keelhaul tools build` knows: their Debian packages and the binary they run. */
export const TOOL_CATALOGUE: Record<string, { packages: string[]; command: string; describe: string }> = {
  nmap: { packages: ['nmap'], command: 'nmap', describe: 'network scanner (ports, services)' },
  curl: { packages: ['curl', 'ca-certificates'], command: 'curl', describe: 'HTTP client' },
  sslscan: { packages: ['sslscan'], command: 'sslscan', describe: 'TLS protocol and cipher scanner' },
  'testssl.sh': { packages: ['testssl.sh', 'bsdmainutils'], command: 'testssl', describe: 'TLS configuration checker' },
  sqlmap: { packages: ['sqlmap'], command: 'sqlmap', describe: 'SQL injection scanner' },
  dirb: { packages: ['dirb'], command: 'dirb', describe: 'web content scanner (wordlists)' },
};

const LABEL = 'org.keelhaul.tool';

/** The newest image of this tool on the platform (by label, else by the `keelhaul-tool/<name>` tag). */
export async function findToolImage(platform: PlatformClient, name: string): Promise<ToolImage | undefined> {
  const list = async (filter: Record<string, string[]>) => {
    const response = await platform.raw({ method: 'GET', path: `/images/json?filters=${encodeURIComponent(JSON.stringify(filter))}` });
    return response.status === 200 ? JSON.parse(response.text) as Array<{ RepoTags?: string[] | null; Created?: number }> : [];
  };
  const labelled = await list({ label: [`${LABEL}=${name}`] });
  const images = labelled.length > 0 ? labelled : await list({ reference: [`keelhaul-tool/${name}`] });
  const tags = images
    .sort((a, b) => (b.Created ?? 0) - (a.Created ?? 0))
    .flatMap((image) => image.RepoTags ?? [])
    // Podman lists a local tag as localhost/... or docker.io/...: matched without it, run as listed.
    .filter((tag) => tag.replace(/^(localhost|docker\.io)\//, '').startsWith(`keelhaul-tool/${name}:`));
  const ref = tags[0];
  return ref ? { name, version: ref.slice(ref.lastIndexOf(':') + 1), ref } : undefined;
}
