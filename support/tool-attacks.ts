// What the tool-attack steps (steps/tool-attacks.steps.ts) do besides judging: the scenario's typed slot,
// running a command line in a tool image (bounded, output attached), the sibling container they aim at,
// the addresses a tenant can name without sweeping. The judgements are pure: judges/nmap.ts,
// judges/tls-scan.ts, judges/http-answers.ts.
import { randomBytes } from 'node:crypto';
import type { RunResult } from '../adapters/platform/docker-client.js';
import type { ToolImage } from '../adapters/tools/tool-images.js';
import { UsageError } from '../judges/errors.js';
import type { KeelhaulWorld } from './world.js';

export const LIMITS = { Memory: 256 * 1024 * 1024, PidsLimit: 256 };
export const TOOL_SECONDS = 180;
export const STEP_TIMEOUT_MS = (TOOL_SECONDS + 60) * 1000;
export const SIBLING_PORT = 8080;

export interface ToolAttackState {
  tools: Record<string, ToolImage>;
  forbidden?: Map<number, string>;
  sibling?: { id: string; ip: string; gateway: string; port: number; hostPort?: number; token: string };
  scan?: { text: string; roles: Record<string, string>; expected: Record<string, number[]> };
  tls?: { xml: string; endpoint: string; vantage: string };
  http?: { direct: string; published: string; url: string; probe: { header: string; value: string } };
}
declare module './world.js' {
  interface ScenarioContext { toolAttacks?: ToolAttackState }
}

export function toolState(world: KeelhaulWorld): ToolAttackState {
  return (world.ctx.toolAttacks ??= { tools: {} });
}

export function tool(world: KeelhaulWorld, name: string): ToolImage {
  const image = toolState(world).tools[name];
  if (!image) throw new UsageError(`no "${name}" tool image was looked up: start the scenario with Given the "${name}" tool image is on the platform`);
  return image;
}

/** Run a command line in a tool image (`sh -c`), attach its output as the attack steps do. */
export async function runInTool(world: KeelhaulWorld, image: ToolImage, commandLine: string, hostConfig: Record<string, unknown> = {}): Promise<RunResult> {
  await world.quietPlan();
  const started = Date.now();
  const result = await world.runContainer({ image: image.ref, cmd: ['sh', '-c', commandLine], hostConfig: { ...LIMITS, ...hostConfig } }, TOOL_SECONDS * 1000);
  const ms = Date.now() - started;
  world.attach(`$ ${commandLine}\n(image ${image.ref}, ${result.timedOut ? `timed out after ${TOOL_SECONDS} s` : `exit ${result.exitCode}`}, ${ms} ms)\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}\n`,
    { mediaType: 'text/plain', fileName: `${image.name}.txt` });
  world.observe(`${image.name}Image`, image.ref);
  world.observe(`${image.name}DurationMs`, ms);
  if (result.timedOut) world.inconclusive(`${image.name} did not finish in ${TOOL_SECONDS} s`);
  return result;
}

export function addressesOf(inspect: any): { ip: string; gateway: string } {
  const settings = inspect?.NetworkSettings ?? {};
  const networks = Object.values<any>(settings.Networks ?? {});
  return {
    ip: String(settings.IPAddress || networks.map((n) => n?.IPAddress).find(Boolean) || ''),
    gateway: String(settings.Gateway || networks.map((n) => n?.Gateway).find(Boolean) || ''),
  };
}

export const LOOPBACK = /^(127\.|localhost$|::1$|\[::1\]$)/;

export function engineEndpoint(world: KeelhaulWorld): { host: string; port: number; tls: boolean } | undefined {
  const c = world.platform.connection;
  return c.transport === 'tcp' ? { host: c.host, port: c.port, tls: Boolean(c.tls) } : undefined;
}

/** A sibling serving HTTP (busybox httpd, a token page), published or not; bounded wait until it listens. */
export async function startSibling(world: KeelhaulWorld, publish: boolean, script?: string): Promise<void> {
  const state = toolState(world);
  const token = `keelhaul-${randomBytes(8).toString('hex')}`;
  const serve = script ?? `mkdir -p /www && echo ${token} > /www/index.html && exec httpd -f -p ${SIBLING_PORT} -h /www`;
  const id = await world.startContainer({
    cmd: ['sh', '-c', serve], env: [`KEELHAUL_TOKEN=${token}`, `KEELHAUL_PORT=${SIBLING_PORT}`],
    exposedPorts: publish ? { [`${SIBLING_PORT}/tcp`]: {} } : undefined,
    hostConfig: { ...LIMITS, ...(publish ? { PortBindings: { [`${SIBLING_PORT}/tcp`]: [{ HostIp: '', HostPort: '' }] } } : {}) },
  });
  // Bounded wait until it listens (read from /proc in its own namespace, as the attack steps do).
  const hex = SIBLING_PORT.toString(16).toUpperCase().padStart(4, '0');
  const ready = await world.platform.exec(id, ['sh', '-c', `i=0; while [ $i -lt 80 ]; do cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk '$4=="0A" && $2 ~ /:${hex}$/ {found=1} END {exit !found}' && exit 0; i=$((i+1)); sleep 0.25; done; exit 1`], { timeoutMs: 30_000, signal: world.signal });
  const inspect = await world.platform.inspectContainer(id, world.signal);
  if (ready.exitCode !== 0) throw new Error(`the sibling did not listen on port ${SIBLING_PORT} within 20 s (running: ${inspect?.State?.Running})`);
  const { ip, gateway } = addressesOf(inspect);
  if (!ip) world.inconclusive('the sibling has no address on the platform\'s default network: there is nothing a tenant can name to scan');
  const hostPort = Number(inspect?.NetworkSettings?.Ports?.[`${SIBLING_PORT}/tcp`]?.[0]?.HostPort ?? NaN);
  state.sibling = { id, ip, gateway, port: SIBLING_PORT, hostPort: Number.isInteger(hostPort) ? hostPort : undefined, token };
  world.observe('sibling', `${ip}:${SIBLING_PORT}${Number.isInteger(hostPort) ? `, published on host port ${hostPort}` : ''}; gateway ${gateway || 'none'}`);
}
