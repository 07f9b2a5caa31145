// Gauntlt's attack files on keelhaul's attack session (support/attack-session.ts): which image an
// adapter's attack runs in (a `keelhaul tools build` image, or the probe image for generic and the
// busybox binaries), the profile and environment tables, the launch, and the files an attack wrote.
// A tool that is missing is an authoring error naming the build command (exit 2): the attack file
// asks for that tool explicitly, and a pass or not-applicable without running it would let a CI gate
// go green having tested nothing (Gauntlt itself fails the scenario: "nmap is not installed").
import { Before } from '@cucumber/cucumber';
import tar from 'tar-stream';
import { Readable } from 'node:stream';
import { TOOL_CATALOGUE, findToolImage } from '../adapters/tools/tool-images.js';
import { Finding, UsageError } from '../judges/errors.js';
import { selectorRows, xmlMatches } from './xml-query.js';
import { GAUNTLT_ADAPTERS, NMAP_ALIASES, UNSUPPORTED_ADAPTERS, adapterFor, arubaRegex, namedRows, cookieMismatches, resolveValues, setCookies, slashRegex } from '../judges/gauntlt.js';
import { attackState, excerpt, launch, lastAttack, output, setValue } from './attack-session.js';
import type { KeelhaulWorld } from './world.js';

/** Where the attack runs (aruba ran in tmp/aruba): relative file names in later steps are read here. */
export const ATTACK_DIR = '/tmp/aruba';
/** aruba's timeouts for Gauntlt's @slow and @reallyslow tags (cli_helper.rb), in seconds. */
const TAG_SECONDS: Record<string, number> = { '@slow': 30, '@reallyslow': 600 };
/**
 * Gauntlt ran its tools on the host, where ping is setuid and nmap runs as root with raw sockets.
 * Docker's default capabilities include NET_RAW, Podman's (4.x) do not: without it nmap quits
 * ("dnet: Failed to open device eth0") and ping is refused. Adding it back makes an attack file behave
 * the same on both; the container is still on the scenario's own network, bounded and removed.
 */
const GAUNTLT_CAPABILITIES = ['NET_RAW'];
/** A file read back from an attack container is at most this large. */
const MAX_FILE_BYTES = 16 * 1024 * 1024;

interface GauntltState {
  /** Tool name -> the image it runs from, as the "is installed" steps found it. */
  tools: Record<string, string>;
  /** The image of the last tool declared installed: where a generic attack using it runs. */
  genericImage?: string;
  minimumSeconds: number;
}
declare module './world.js' {
  interface ScenarioContext { gauntlt?: GauntltState }
}

function gauntlt(world: KeelhaulWorld): GauntltState {
  return (world.ctx.gauntlt ??= { tools: {}, minimumSeconds: 0 });
}

Before(function (this: KeelhaulWorld, { pickle }) {
  const seconds = Math.max(0, ...pickle.tags.map((t) => TAG_SECONDS[t.name] ?? 0));
  if (seconds > 0) gauntlt(this).minimumSeconds = seconds;
});

function buildHint(tool: string): string {
  return TOOL_CATALOGUE[tool]
    ? `build it with \`keelhaul tools build ${tool}\``
    : `\`keelhaul tools build\` cannot build ${tool} from Debian packages: tag an image of your own with \`keelhaul tools build ${tool} --from IMAGE\``;
}

/** The binary a tool name stands for (`testssl.sh` runs `testssl`), as the probe image would run it. */
function binaryOf(name: string): string {
  return TOOL_CATALOGUE[name]?.command ?? name;
}

/**
 * `Given "X" is installed` and its generic forms: a keelhaul tool image of that name, else (generic
 * forms, and tools keelhaul builds none of) the binary in the probe image (busybox: ping, wget, nc ...).
 */
export async function ensureInstalled(world: KeelhaulWorld, name: string): Promise<void> {
  const state = gauntlt(world);
  const key = name.toLowerCase();
  if (UNSUPPORTED_ADAPTERS[key]) throw new UsageError(`Gauntlt's "${name}" is not supported: ${UNSUPPORTED_ADAPTERS[key]} (see docs/gauntlt.md)`);
  const tool = GAUNTLT_ADAPTERS[key]?.tool ?? name;
  // An adapter's tool, or one keelhaul builds, runs from its tool image only; any other binary may
  // come with the probe image (generic attacks run there).
  const orInProbeImage = !GAUNTLT_ADAPTERS[key]?.tool && !TOOL_CATALOGUE[tool];
  const image = await findToolImage(world.platform, tool);
  if (image) {
    state.tools[name] = image.ref;
    state.genericImage = image.ref;
    world.observe(`toolImage.${tool}`, image.ref);
    return;
  }
  if (orInProbeImage && /^[A-Za-z0-9_.+-]+$/.test(name)) {
    const found = await world.probe(`command -v ${binaryOf(name)}`);
    if (found.exitCode === 0) {
      state.tools[name] = world.image;
      world.observe(`toolImage.${name}`, `${world.image} (${found.stdout.trim()})`);
      return;
    }
  }
  const where = orInProbeImage ? ` and the probe image ${world.image} has no ${binaryOf(name)}` : '';
  throw new UsageError(`${name} is not installed: no keelhaul-tool/${tool} image on the target${where}; ${buildHint(tool)}`);
}

/** `the following profile:` (| name | value |): values for <name> placeholders. */
export function addProfile(world: KeelhaulWorld, rows: string[][]): void {
  for (const [name, value] of namedRows(rows, 'value')) setValue(world, name, value);
}

/** `the following environment variables:` (| name | environment_variable_name |), read from keelhaul's environment. */
export function addProfileFromEnvironment(world: KeelhaulWorld, rows: string[][]): void {
  for (const [name, variable] of namedRows(rows, 'environment_variable_name')) {
    if (world.parameters.defines && name in world.parameters.defines) continue;
    const value = process.env[variable];
    if (value === undefined) throw new UsageError(`profile value ${name}: environment variable ${variable} is not set (set it, or give --define ${name}=VALUE)`);
    setValue(world, name, value);
  }
}

/** The image an adapter's attack runs in. */
async function imageFor(world: KeelhaulWorld, adapter: string, tool: string | undefined): Promise<string> {
  const state = gauntlt(world);
  if (!tool) return state.genericImage ?? world.image;
  if (state.tools[tool]) return state.tools[tool]!;
  const image = await findToolImage(world.platform, tool);
  if (!image) throw new UsageError(`the "${adapter}" attack needs the ${tool} tool: no keelhaul-tool/${tool} image on the target; ${buildHint(tool)}`);
  state.tools[tool] = image.ref;
  return image.ref;
}

/** `When I launch a/an "X" attack with:` in the adapter's image, the profile filled in, in ATTACK_DIR. */
export async function launchGauntlt(world: KeelhaulWorld, name: string, command: string): Promise<void> {
  const { adapter, tool, values } = adapterFor(name);
  const image = await imageFor(world, adapter, tool);
  const session = attackState(world);
  // The adapter's own values (tool paths inside the image) replace the file's, as Gauntlt's
  // add_to_profile did; --define still wins over both.
  for (const [key, value] of Object.entries(values)) session.values[key] = value;
  Object.assign(session.values, world.parameters.defines ?? {});
  session.values = resolveValues(session.values);
  const seconds = Math.max(Math.round(world.parameters.containerTimeoutMs / 1000), gauntlt(world).minimumSeconds);
  world.observe('gauntltAdapter', adapter);
  await launch(world, image, command, seconds, { workingDir: ATTACK_DIR, keep: true, capAdd: GAUNTLT_CAPABILITIES });
}

/** `When I launch an "nmap-NAME" attack`: one of Gauntlt's canned nmap commands. */
export async function launchNmapAlias(world: KeelhaulWorld, alias: string): Promise<void> {
  const canned = NMAP_ALIASES[alias];
  if (!canned) throw new UsageError(`no nmap attack alias "${alias}" (known: ${Object.keys(NMAP_ALIASES).join(', ')})`);
  world.attach(`${alias}: ${canned.description}\n${canned.command}\n`, { mediaType: 'text/plain', fileName: 'alias.txt' });
  await launchGauntlt(world, 'nmap', canned.command);
}

/** A file the last attack wrote (relative names are in ATTACK_DIR), read from its exited container. */
export async function attackFile(world: KeelhaulWorld, file: string): Promise<string> {
  const last = lastAttack(world);
  const path = file.startsWith('/') ? file : `${last.workingDir ?? ATTACK_DIR}/${file}`;
  const response = await world.platform.raw({ method: 'GET', path: `/containers/${last.id}/archive?path=${encodeURIComponent(path)}` });
  if (response.status === 404) throw new UsageError(`the attack wrote no file ${file} (${path} in its container)`);
  if (response.status !== 200) throw new Error(`reading ${path} from the attack container: ${response.status} ${response.text.slice(0, 200)}`);
  return firstFileOf(response.body, file);
}

async function firstFileOf(archive: Buffer, file: string): Promise<string> {
  const extract = tar.extract();
  let text: string | undefined;
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (data: unknown) => { const chunk = data as Buffer; size += chunk.length; if (size <= MAX_FILE_BYTES) chunks.push(chunk); });
    stream.on('end', () => {
      if (text === undefined && header.type === 'file') {
        if (size > MAX_FILE_BYTES) text = '\u0000too-large';
        else text = Buffer.concat(chunks).toString('utf8');
      }
      next();
    });
    stream.resume();
  });
  await new Promise<void>((done, fail) => {
    extract.on('finish', done);
    extract.on('error', fail);
    Readable.from(archive).pipe(extract);
  });
  if (text === undefined) throw new UsageError(`${file} is not a file the attack wrote (a folder?)`);
  if (text === '\u0000too-large') throw new Error(`${file} is larger than ${MAX_FILE_BYTES / 1024 / 1024} MB`);
  return text;
}

/** An aruba expression: `/re/flags` inline, or a doc string taken whole. */
export function expression(text: string, inline: boolean): RegExp {
  if (!inline) return arubaRegex(text.trim());
  const { source, flags } = slashRegex(text);
  return arubaRegex(source, flags);
}

export type Stream = 'output' | 'stdout' | 'stderr';

/** aruba's streams of the last attack: `output` is stdout then stderr (aruba's all_output). */
export function streamText(world: KeelhaulWorld, stream: Stream): string {
  const last = lastAttack(world);
  return stream === 'stdout' ? last.stdout : stream === 'stderr' ? last.stderr : output(world);
}

/** `the output should (not) contain`: a finding when the text is (or is not) there. */
export function judgeContains(world: KeelhaulWorld, stream: Stream, expected: string, wanted: boolean): void {
  const text = streamText(world, stream);
  if (text.includes(expected) === wanted) return;
  throw new Finding(`the ${stream} ${wanted ? 'does not contain' : 'contains'} "${excerpt(expected)}": ${excerpt(text)}`);
}

/** `the output should (not) match`: a finding when the expression does not (or does) match. */
export function judgeMatches(world: KeelhaulWorld, stream: Stream, pattern: RegExp, wanted: boolean): void {
  const text = streamText(world, stream);
  const found = text.match(pattern);
  if (Boolean(found) === wanted) return;
  throw new Finding(wanted ? `the ${stream} does not match ${pattern}: ${excerpt(text)}` : `the ${stream} matches ${pattern} ("${excerpt(found![0])}")`);
}

/** `the exit status should (not) be N`, and the exit half of `it should pass/fail with`. */
export function judgeExit(world: KeelhaulWorld, check: { is?: number; isNot?: number }): void {
  const last = lastAttack(world);
  const why = last.stderr || last.stdout;
  if (check.is !== undefined && last.exitCode !== check.is) throw new Finding(`the attack exited with status ${last.exitCode}, not ${check.is}: ${excerpt(why)}`);
  if (check.isNot !== undefined && last.exitCode === check.isNot) throw new Finding(`the attack exited with status ${check.isNot}: ${excerpt(why)}`);
}

/** `the file "F" should (not) contain XML:` with a | css | or | xpath | table: every selector judged. */
export async function judgeXml(world: KeelhaulWorld, file: string, rows: string[][], wanted: boolean): Promise<void> {
  const { kind, selectors } = selectorRows(rows);
  const text = await attackFile(world, file);
  const wrong: string[] = [];
  for (const selector of selectors) {
    let matches: boolean;
    try {
      matches = xmlMatches(text, kind, selector);
    } catch (error) {
      throw new Finding(`${file} cannot be judged: ${(error as Error).message}`);
    }
    if (matches !== wanted) wrong.push(selector);
  }
  world.observe('xmlSelectorsJudged', selectors.length);
  if (wrong.length > 0) throw new Finding(`${file} ${wanted ? 'has nothing matching' : 'has'} ${kind} ${wrong.map((s) => `"${s}"`).join(', ')}`);
}

/** `the following cookies should be received:` on a curl --include response. */
export function judgeCookies(world: KeelhaulWorld, rows: string[][]): void {
  const cookies = setCookies(output(world));
  world.observe('cookiesReceived', cookies.map((c) => c.name));
  const problems = cookieMismatches(cookies, rows);
  if (problems.length > 0) throw new Finding(problems.join('; '));
}

/** aruba's `the file "F" should (not) contain "x"` on a file the attack wrote. */
export async function judgeFileContains(world: KeelhaulWorld, file: string, expected: string, wanted: boolean): Promise<void> {
  const text = await attackFile(world, file);
  if (text.includes(expected) === wanted) return;
  throw new Finding(`${file} ${wanted ? 'does not contain' : 'contains'} "${excerpt(expected)}": ${excerpt(text)}`);
}
