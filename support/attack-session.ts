// The generic attack session behind steps/attack.steps.ts and steps/gauntlt.steps.ts: a target
// container from an image of the scenario's choice, an attack container from a tool image, both on a
// network keelhaul creates for the scenario, commands with <placeholders>, and the last attack's
// exit status and output for the assertions to judge.
//
// Safety: both containers are labelled and tracked (removed when the scenario ends, swept with the
// run), bounded in memory and pids, and live on an *internal* network: the attack can reach the
// target and nothing else, and every attack is bounded by a timeout.
import { randomBytes } from 'node:crypto';
import { PlatformRefusal, PlatformTimeout, type ContainerSpec, type RunResult } from '../adapters/platform/docker-client.js';
import { UsageError } from '../judges/errors.js';
import type { KeelhaulWorld } from './world.js';

/** Upper bound on an attack's own timeout, and cucumber's step timeout above it. */
export const MAX_ATTACK_SECONDS = 3600;
export const LAUNCH_STEP_TIMEOUT_MS = (MAX_ATTACK_SECONDS + 120) * 1000;
export const READY_SECONDS = 30;
/** Attack and target containers are bounded like every other container keelhaul starts. */
export const LIMITS = { Memory: 256 * 1024 * 1024, PidsLimit: 256 };

export interface AttackState {
  /** name '' = the platform's default networking (it cannot create networks, e.g. Triton). */
  network?: { id: string; name: string };
  target?: { id: string; ip: string; image: string };
  values: Record<string, string>;
  last?: RunResult & { command: string; image: string; durationMs: number; workingDir?: string };
}
declare module './world.js' {
  interface ScenarioContext { attack?: AttackState }
}

export function attackState(world: KeelhaulWorld): AttackState {
  // --define name=value (run/check) comes first and wins over the file's own tables (setValue).
  return (world.ctx.attack ??= { values: { ...(world.parameters.defines ?? {}) } });
}

/** Set a placeholder value from an attack file's table, unless --define gave it on the command line. */
export function setValue(world: KeelhaulWorld, name: string, value: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) throw new UsageError(`"${name}" cannot be a placeholder name (letters, digits, _ . -)`);
  if (world.parameters.defines && name in world.parameters.defines) return;
  attackState(world).values[name] = value;
}

const PLACEHOLDER = /<(env:[A-Za-z_][A-Za-z0-9_]*|[A-Za-z_][A-Za-z0-9_.-]*)>/g;

/**
 * Fill <name> placeholders from the scenario's values (target_ip, target_port, the attack values
 * table) and <env:NAME> from keelhaul's environment. An unknown placeholder is an authoring error.
 */
export function fillPlaceholders(text: string, values: Record<string, string>, env: NodeJS.ProcessEnv = process.env, strict = true): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => {
    if (!strict && !(name in values) && !(name.startsWith('env:') && env[name.slice(4)] !== undefined)) return whole;
    if (name.startsWith('env:')) {
      const value = env[name.slice(4)];
      if (value === undefined) throw new UsageError(`placeholder <${name}>: environment variable ${name.slice(4)} is not set`);
      return value;
    }
    if (name in values) return values[name]!;
    const known = Object.keys(values).map((k) => `<${k}>`).join(', ') || 'none yet';
    const hint = name.startsWith('target_') ? ' (start a target container first, and give its port with "Given the target listens on port N")' : '';
    throw new UsageError(`unknown placeholder <${name}> (known: ${known}, or <env:NAME>)${hint}`);
  });
}

/**
 * Placeholders in an assertion's text (values as they are) or regular expression (values escaped).
 * Lenient: "<html>" or a named group "(?<name>...)" that is no known placeholder stays as written.
 */
export function filled(world: KeelhaulWorld, text: string, asRegex = false): string {
  const values = attackState(world).values;
  if (!asRegex) return fillPlaceholders(text, values, process.env, false);
  const escaped = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')]));
  const env = Object.fromEntries(Object.entries(process.env).map(([k, v]) => [k, v?.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')]));
  return fillPlaceholders(text, escaped, env, false);
}

export async function ensureNetwork(world: KeelhaulWorld): Promise<{ id: string; name: string }> {
  const state = attackState(world);
  if (state.network) return state.network;
  const name = `keelhaul-${world.parameters.runId.slice(0, 12)}-${world.scenarioId.slice(0, 20)}-${randomBytes(3).toString('hex')}`.replace(/[^a-zA-Z0-9_.-]/g, '-');
  // Internal (no route out) where internal networks still carry container-to-container traffic:
  // Podman 4.3's netavark drops that traffic on internal networks, so there it is a plain bridge.
  const internal = world.fingerprint?.engine !== 'podman';
  let id: string;
  try {
    id = await world.platform.createNetwork(name, world.scenarioId, { Driver: 'bridge', Internal: internal, CheckDuplicate: true });
  } catch (error) {
    // A platform without user networks (Triton: 400 NotImplemented) gives every container an
    // address of its own: target and attack meet on its default network instead.
    if (!(error instanceof PlatformRefusal) || ![400, 404, 501].includes(error.statusCode)) throw error;
    world.observe('attackNetwork', `platform default (network create refused: ${error.rawMessage.slice(0, 120)})`);
    state.network = { id: '', name: '' };
    return state.network;
  }
  world.observe('attackNetworkInternal', internal);
  world.resources.track('network', id);
  state.network = { id, name };
  state.values.network = name;
  return state.network;
}

export function onNetwork(network: { name: string }, alias?: string): Pick<ContainerSpec, 'networkingConfig'> & { hostConfig: Record<string, unknown> } {
  if (!network.name) return { hostConfig: { ...LIMITS } };
  return {
    hostConfig: { NetworkMode: network.name, ...LIMITS },
    networkingConfig: { EndpointsConfig: { [network.name]: alias ? { Aliases: [alias] } : {} } },
  };
}

export async function startTarget(world: KeelhaulWorld, image: string, script: string): Promise<void> {
  const state = attackState(world);
  if (state.target) throw new UsageError('this scenario already has a target container (one per scenario)');
  const network = await ensureNetwork(world);
  const command = fillPlaceholders(script, state.values);
  const id = await world.startContainer({ image, cmd: ['sh', '-c', command], ...onNetwork(network, 'target') });
  const inspect = await world.platform.inspectContainer(id, world.signal);
  const networks = inspect?.NetworkSettings?.Networks ?? {};
  const ip = String((network.name ? networks[network.name]?.IPAddress
    : inspect?.NetworkSettings?.IPAddress || Object.values<any>(networks).map((n) => n?.IPAddress).find(Boolean)) ?? '');
  if (!ip) {
    const state_ = inspect?.State?.Running === false ? ` (it is not running: exit status ${inspect?.State?.ExitCode})` : '';
    throw new Error(`the target container has no address on network ${network.name || '(platform default)'}${state_} (networks: ${Object.keys(networks).join(', ') || 'none'})`);
  }
  state.target = { id, ip, image };
  state.values.target_ip = ip;
  world.observe('targetImage', image);
  world.observe('targetIp', ip);
}

/** Wait (bounded) until the target listens on a TCP port, read from /proc/net/tcp{,6} in its own network namespace. */
export async function waitForPort(world: KeelhaulWorld, port: number): Promise<void> {
  const state = attackState(world);
  if (!state.target) throw new UsageError('no target container: start one with "Given a target container running:" first');
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`port ${port} is not a TCP port`);
  state.values.target_port = String(port);
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const tries = READY_SECONDS * 4;
  const script = `i=0; while [ $i -lt ${tries} ]; do `
    + `cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk '$4=="0A" && $2 ~ /:${hex}$/ {found=1} END {exit !found}' && exit 0; `
    + `i=$((i+1)); sleep 0.25; done; exit 1`;
  // The probe image joins the target's network namespace, so this works whatever the target image
  // holds. A platform without container: network modes (Triton) gets the same script by exec in
  // the target (which has sh: it runs its command with it). Neither connects to the target.
  let probe: { exitCode: number | null };
  try {
    probe = await world.runContainer({
      cmd: ['sh', '-c', script], hostConfig: { NetworkMode: `container:${state.target.id}`, ...LIMITS },
    }, (READY_SECONDS + 15) * 1000);
  } catch (error) {
    if (!(error instanceof PlatformRefusal) || error.statusCode !== 400) throw error;
    world.observe('readinessBy', 'exec in the target');
    probe = await world.platform.exec(state.target.id, ['sh', '-c', script], { timeoutMs: (READY_SECONDS + 15) * 1000, signal: world.signal });
  }
  if (probe.exitCode !== 0) {
    const inspect = await world.platform.inspectContainer(state.target.id, world.signal).catch(() => undefined);
    const logs = await world.platform.logs(state.target.id, false, world.signal).catch(() => ({ stdout: '', stderr: '' }));
    const running = inspect?.State?.Running;
    world.attach(`--- target stdout\n${logs.stdout}\n--- target stderr\n${logs.stderr}`, { mediaType: 'text/plain', fileName: 'target.txt' });
    throw new Error(`the target did not listen on port ${port} within ${READY_SECONDS} s`
      + (running === false ? ` (it exited with status ${inspect?.State?.ExitCode}: ${(logs.stderr || logs.stdout).trim().slice(-200)})` : ''));
  }
}

export interface LaunchOptions {
  env?: string[];
  workingDir?: string;
  /** Keep the exited container until the scenario ends (files it wrote are read from it). */
  keep?: boolean;
  /** Capabilities added to the attack container (HostConfig.CapAdd). */
  capAdd?: string[];
}

export async function launch(world: KeelhaulWorld, image: string, script: string, timeoutSeconds?: number, options: LaunchOptions = {}): Promise<void> {
  const state = attackState(world);
  const seconds = timeoutSeconds ?? Math.round(world.parameters.containerTimeoutMs / 1000);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_ATTACK_SECONDS) {
    throw new UsageError(`an attack timeout must be 1 to ${MAX_ATTACK_SECONDS} seconds, not ${seconds}`);
  }
  const command = fillPlaceholders(script, state.values);
  const network = await ensureNetwork(world);
  await world.quietPlan();
  const started = Date.now();
  const placed = onNetwork(network);
  if (options.capAdd) placed.hostConfig.CapAdd = options.capAdd;
  const spec: ContainerSpec & { cmd: string[] } = { image, cmd: ['sh', '-c', command], env: options.env, workingDir: options.workingDir, ...placed };
  const result = options.keep
    ? await world.platform.runToCompletion(spec, world.scenarioId, seconds * 1000, (id) => world.resources.track('container', id), world.signal)
    : await world.runContainer(spec, seconds * 1000);
  const durationMs = Date.now() - started;
  state.last = { ...result, command, image, durationMs, workingDir: options.workingDir };
  world.attach(
    `$ ${command}\n(image ${image}, ${result.timedOut ? `timed out after ${seconds} s` : `exit ${result.exitCode}`}, ${durationMs} ms)\n`
    + `--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}\n`,
    { mediaType: 'text/plain', fileName: 'attack.txt' },
  );
  world.observe('attackImage', image);
  world.observe('attackExitCode', result.exitCode);
  world.observe('attackDurationMs', durationMs);
  if (result.timedOut) {
    world.observe('attackTimedOut', true);
    throw new PlatformTimeout(`attack timed out after ${seconds} s`);
  }
}

export function lastAttack(world: KeelhaulWorld): NonNullable<AttackState['last']> {
  const last = attackState(world).last;
  if (!last) throw new UsageError('no attack was launched: use "When I launch an attack with:" before judging its result');
  return last;
}

export function output(world: KeelhaulWorld): string {
  const last = lastAttack(world);
  return last.stdout + (last.stdout && last.stderr && !last.stdout.endsWith('\n') ? '\n' : '') + last.stderr;
}

export function regex(source: string): RegExp {
  try {
    return new RegExp(source, 'm');
  } catch (error) {
    throw new UsageError(`"${source}" is not a valid regular expression: ${(error as Error).message}`);
  }
}

export function matchingLines(world: KeelhaulWorld, source: string): string[] {
  const pattern = regex(source);
  return output(world).split('\n').filter((line) => pattern.test(line));
}

export function excerpt(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > 300 ? `${trimmed.slice(0, 300)}...` : trimmed || '(no output)';
}

