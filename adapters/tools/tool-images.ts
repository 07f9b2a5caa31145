// Attack-tool images (issue 18): what keelhaul knows how to build from Debian packages, and how a
// step or a command finds the one built on a target. An image is a tool image by its labels
// (keelhaul.tool=<name>, keelhaul.tool.version=<Debian version>), the same prefix as keelhaul's
// run labels; its tag keelhaul-tool/<name>:<version as a tag> is what users see.
import type { PlatformClient } from '../platform/docker-client.js';
import { PlatformError } from '../../judges/errors.js';

export const LABEL_TOOL = 'keelhaul.tool';
export const LABEL_TOOL_VERSION = 'keelhaul.tool.version';
/** The packages the image was built from, pinned ("nmap=7.93+dfsg1-1,..."). */
export const LABEL_TOOL_PACKAGES = 'keelhaul.tool.packages';
export const TOOL_REPOSITORY_PREFIX = 'keelhaul-tool/';

export interface ToolImage {
  name: string;
  version: string;
  /** What to run: the keelhaul-tool/<name>:<version> tag when the image has it, else its id. */
  ref: string;
  id?: string;
  size?: number;
  created?: number;
}

export interface ToolEntry {
  /** Debian packages installed (with their dependencies, without recommends). */
  packages: string[];
  /** The binary's name in the image. */
  command: string;
  describe: string;
  /** A shell line that exits 0 when the binary runs (checked after a build and for --from). */
  probe: string;
}

export const TOOL_CATALOGUE: Record<string, ToolEntry> = {
  nmap: { packages: ['nmap'], command: 'nmap', describe: 'port scanner (connect scans need no capability)', probe: 'nmap --version' },
  curl: { packages: ['curl'], command: 'curl', describe: 'HTTP client: methods, headers, TLS', probe: 'curl --version' },
  sslscan: { packages: ['sslscan'], command: 'sslscan', describe: 'TLS protocol versions, cipher suites and certificate of a server', probe: 'sslscan --version' },
  'testssl.sh': { packages: ['testssl.sh', 'bsdextrautils', 'procps'], command: 'testssl', describe: 'TLS/SSL server checks (protocols, ciphers, vulnerabilities)', probe: 'testssl --version' },
  sqlmap: { packages: ['sqlmap'], command: 'sqlmap', describe: 'SQL injection detection and exploitation', probe: 'sqlmap --version' },
  dirb: { packages: ['dirb'], command: 'dirb', describe: 'web content scanner (dictionary of paths)', probe: 'dirb 2>&1 | grep -q DIRB' },
};

/** A Debian version as an image tag: [A-Za-z0-9_.-], at most 128 characters ("7.93+dfsg1-1" -> "7.93_dfsg1-1", epoch "1:2.3" -> "1_2.3"). */
export function versionTag(version: string): string {
  const tag = version.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^[.-]+/, '');
  return (tag || 'unknown').slice(0, 128);
}

export function toolRepository(name: string): string {
  return `${TOOL_REPOSITORY_PREFIX}${name}`;
}

export function toolTag(name: string, version: string): string {
  return `${toolRepository(name)}:${versionTag(version)}`;
}

export function catalogueEntry(name: string): ToolEntry | undefined {
  return Object.hasOwn(TOOL_CATALOGUE, name) ? TOOL_CATALOGUE[name] : undefined;
}

type ListedImage = Awaited<ReturnType<PlatformClient['listImages']>>[number];

/** Podman names a local image docker.io/NAME or localhost/NAME where Docker says NAME. */
function bare(tag: string): string {
  return tag.replace(/^(localhost|docker\.io)\//, '');
}

function asToolImage(image: ListedImage, name?: string): ToolImage | undefined {
  const tagged = image.repoTags.find((t) => bare(t).startsWith(TOOL_REPOSITORY_PREFIX) && !t.endsWith(':latest'))
    ?? image.repoTags.find((t) => bare(t).startsWith(TOOL_REPOSITORY_PREFIX));
  const toolName = image.labels[LABEL_TOOL] ?? name ?? (tagged && bare(tagged).slice(TOOL_REPOSITORY_PREFIX.length).split(':')[0]);
  if (!toolName || (name && toolName !== name)) return undefined;
  const version = image.labels[LABEL_TOOL_VERSION] ?? tagged?.split(':').pop() ?? 'unknown';
  const wanted = toolTag(toolName, version);
  const ref = image.repoTags.find((t) => bare(t) === wanted) ?? tagged ?? image.id;
  return { name: toolName, version, ref, id: image.id, size: image.size, created: image.created };
}

/** Images carrying a label (NAME or NAME=VALUE); filtered here where the platform refuses label filters. */
async function imagesLabelled(platform: PlatformClient, label: string): Promise<ListedImage[]> {
  try {
    return await platform.listImages({ label: [label] });
  } catch (error) {
    if (!(error instanceof PlatformError)) throw error;
    const [key, value] = label.split('=');
    return (await platform.listImages({})).filter((i) => key! in i.labels && (value === undefined || i.labels[key!] === value));
  }
}

/**
 * Every tool image on the platform: by label, and by repository name for an image whose labels
 * were lost (a tool image re-tagged or saved and loaded without them). Newest first per tool.
 */
export async function listToolImages(platform: PlatformClient): Promise<ToolImage[]> {
  const [byLabel, byName] = await Promise.all([
    imagesLabelled(platform, LABEL_TOOL),
    platform.listImages({ reference: [`${TOOL_REPOSITORY_PREFIX}*`] }).catch(() => [] as ListedImage[]),
  ]);
  const seen = new Map<string, ToolImage>();
  for (const image of [...byLabel, ...byName]) {
    const tool = asToolImage(image);
    if (tool && !seen.has(image.id)) seen.set(image.id, tool);
  }
  return [...seen.values()].sort((a, b) => a.name.localeCompare(b.name) || (b.created ?? 0) - (a.created ?? 0));
}

/** The newest image of this tool on the platform, or undefined when none is built. */
export async function findToolImage(platform: PlatformClient, name: string): Promise<ToolImage | undefined> {
  const images = await imagesLabelled(platform, `${LABEL_TOOL}=${name}`);
  const labelled = images.map((i) => asToolImage(i, name)).filter((t): t is ToolImage => Boolean(t));
  if (labelled.length > 0) return labelled.sort((a, b) => (b.created ?? 0) - (a.created ?? 0))[0];
  return (await listToolImages(platform)).find((t) => t.name === name);
}

/** The sentence a scenario or a Gauntlt step gives when a tool has no image on the target. */
export function buildHint(name: string): string {
  return `no "${name}" tool image on this platform: build it with \`keelhaul tools build ${name}\` (or \`keelhaul tools build ${name} --from IMAGE\`)`;
}
