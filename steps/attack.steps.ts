// Generic attack steps (Gauntlt's `When I launch an "nmap" attack with:`, containerised): a target
// container from an image of the scenario's choice, an attack container from a tool image the user
// trusts, both on a network keelhaul creates for the scenario, a command given as a doc string with
// <placeholders>, and assertions on the attack's exit status and output.
//
// Safety: both containers are labelled and tracked (removed when the scenario ends, swept with the
// run), bounded in memory and pids, and live on an *internal* network: the attack can reach the
// target and nothing else, and every attack is bounded by a timeout.
import { Given, Then, When, type DataTable } from '@cucumber/cucumber';
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { PlatformRefusal, PlatformTimeout, type ContainerSpec, type RunResult } from '../adapters/platform/docker-client.js';
import { Finding, UsageError } from '../judges/errors.js';
import { doc } from '../support/step-docs.js';
import type { KeelhaulWorld } from '../support/world.js';

/** Upper bound on an attack's own timeout, and cucumber's step timeout above it. */
const MAX_ATTACK_SECONDS = 3600;
const LAUNCH_STEP_TIMEOUT_MS = (MAX_ATTACK_SECONDS + 120) * 1000;
const READY_SECONDS = 30;
/** Attack and target containers are bounded like every other container keelhaul starts. */
const LIMITS = { Memory: 256 * 1024 * 1024, PidsLimit: 256 };

interface AttackState {
  /** name '' = the platform's default networking (it cannot create networks, e.g. Triton). */
  network?: { id: string; name: string };
  target?: { id: string; ip: string; image: string };
  values: Record<string, string>;
  last?: RunResult & { command: string; image: string; durationMs: number };
}

function attackState(world: KeelhaulWorld): AttackState {
  world.state.attack ??= { values: {} } satisfies AttackState;
  return world.state.attack as AttackState;
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
function filled(world: KeelhaulWorld, text: string, asRegex = false): string {
  const values = attackState(world).values;
  if (!asRegex) return fillPlaceholders(text, values, process.env, false);
  const escaped = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')]));
  const env = Object.fromEntries(Object.entries(process.env).map(([k, v]) => [k, v?.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')]));
  return fillPlaceholders(text, escaped, env, false);
}

async function ensureNetwork(world: KeelhaulWorld): Promise<{ id: string; name: string }> {
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

function onNetwork(network: { name: string }, alias?: string): Pick<ContainerSpec, 'networkingConfig'> & { hostConfig: Record<string, unknown> } {
  if (!network.name) return { hostConfig: { ...LIMITS } };
  return {
    hostConfig: { NetworkMode: network.name, ...LIMITS },
    networkingConfig: { EndpointsConfig: { [network.name]: alias ? { Aliases: [alias] } : {} } },
  };
}

async function startTarget(world: KeelhaulWorld, image: string, script: string): Promise<void> {
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
async function waitForPort(world: KeelhaulWorld, port: number): Promise<void> {
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

async function launch(world: KeelhaulWorld, image: string, script: string, timeoutSeconds?: number): Promise<void> {
  const state = attackState(world);
  const seconds = timeoutSeconds ?? Math.round(world.parameters.containerTimeoutMs / 1000);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_ATTACK_SECONDS) {
    throw new UsageError(`an attack timeout must be 1 to ${MAX_ATTACK_SECONDS} seconds, not ${seconds}`);
  }
  const command = fillPlaceholders(script, state.values);
  const network = await ensureNetwork(world);
  const started = Date.now();
  const result = await world.runContainer({ image, cmd: ['sh', '-c', command], ...onNetwork(network) }, seconds * 1000);
  const durationMs = Date.now() - started;
  state.last = { ...result, command, image, durationMs };
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

function lastAttack(world: KeelhaulWorld): NonNullable<AttackState['last']> {
  const last = attackState(world).last;
  if (!last) throw new UsageError('no attack was launched: use "When I launch an attack with:" before judging its result');
  return last;
}

function output(world: KeelhaulWorld): string {
  const last = lastAttack(world);
  return last.stdout + (last.stdout && last.stderr && !last.stdout.endsWith('\n') ? '\n' : '') + last.stderr;
}

function regex(source: string): RegExp {
  try {
    return new RegExp(source, 'm');
  } catch (error) {
    throw new UsageError(`"${source}" is not a valid regular expression: ${(error as Error).message}`);
  }
}

function matchingLines(world: KeelhaulWorld, source: string): string[] {
  const pattern = regex(source);
  return output(world).split('\n').filter((line) => pattern.test(line));
}

function excerpt(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > 300 ? `${trimmed.slice(0, 300)}...` : trimmed || '(no output)';
}

// ---- values and the target ------------------------------------------------------------------

Given('the attack values:', doc(
  'Names and values (a two-column table) for <placeholders> in later target and attack commands. A value may itself be <env:NAME>, read from the environment keelhaul runs in, so targets and secrets are passed in without editing the feature.',
  'Given the attack values:\n  | path  | /index.html    |\n  | token | <env:API_TOKEN> |',
), function (this: KeelhaulWorld, table: DataTable) {
  const state = attackState(this);
  for (const [name, value] of Object.entries(table.rowsHash())) {
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) throw new UsageError(`"${name}" cannot be a placeholder name (letters, digits, _ . -)`);
    state.values[name] = fillPlaceholders(value, state.values);
  }
});

Given('a target container running:', doc(
  'Starts the target: a container of the probe image running the doc string with `sh -c`, on a network keelhaul creates for the scenario (internal, no route out, except on Podman; the platform\'s default network where networks cannot be created). Its address becomes <target_ip>. Labelled, bounded (256 MiB, 256 pids) and removed when the scenario ends.',
  'Given a target container running:\n  """\n  mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 8080 -h /www\n  """',
), async function (this: KeelhaulWorld, script: string) {
  await startTarget(this, this.image, script);
});

Given('a target container from {string} running:', doc(
  'The same as "a target container running:" with an image of the scenario\'s choice (it must be present on the platform and have `sh`).',
  'Given a target container from "busybox:latest" running:\n  """\n  exec nc -ll -p 7000 -e cat\n  """',
), async function (this: KeelhaulWorld, image: string, script: string) {
  await startTarget(this, image, script);
});

Given('the target listens on port {int}', doc(
  'Sets <target_port> and waits (up to 30 s) until the target listens on that TCP port, read from /proc/net/tcp inside the target\'s network namespace. An error, not a finding, when it never does.',
  'Given the target listens on port 8080',
  (READY_SECONDS + 60) * 1000,
), async function (this: KeelhaulWorld, port: number) {
  await waitForPort(this, port);
});

// ---- the attack ------------------------------------------------------------------------------

When('I launch an attack with:', doc(
  'Runs the doc string with `sh -c` in a probe-image container on the scenario\'s network, after filling <placeholders>. Bounded by --container-timeout (default 60 s); on expiry the scenario ends as an error "attack timed out after N s". Output and exit status are attached to the reports.',
  'When I launch an attack with:\n  """\n  printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w 5 <target_ip> <target_port>\n  """',
  LAUNCH_STEP_TIMEOUT_MS,
), async function (this: KeelhaulWorld, script: string) {
  await launch(this, this.image, script);
});

When('I launch an attack with a timeout of {int} second(s):', doc(
  'The same as "I launch an attack with:" with its own timeout (1 to 3600 s).',
  'When I launch an attack with a timeout of 10 seconds:\n  """\n  nc -w 3 <target_ip> <target_port> </dev/null\n  """',
  LAUNCH_STEP_TIMEOUT_MS,
), async function (this: KeelhaulWorld, seconds: number, script: string) {
  await launch(this, this.image, script, seconds);
});

When('I launch an attack from {string} with:', doc(
  'Runs the doc string with `sh -c` in a container of a tool image you trust (it must be present on the platform and have `sh`), on the scenario\'s network.',
  'When I launch an attack from "busybox:latest" with:\n  """\n  printf "GET <path> HTTP/1.0\\r\\n\\r\\n" | nc -w 5 <target_ip> <target_port>\n  """',
  LAUNCH_STEP_TIMEOUT_MS,
), async function (this: KeelhaulWorld, image: string, script: string) {
  await launch(this, image, script);
});

When('I launch an attack from {string} with a timeout of {int} second(s):', doc(
  'An attack from a tool image with its own timeout (1 to 3600 s).',
  'When I launch an attack from "busybox:latest" with a timeout of 30 seconds:\n  """\n  for p in 22 80 443; do nc -w 1 <target_ip> $p </dev/null && echo open $p; done\n  """',
  LAUNCH_STEP_TIMEOUT_MS,
), async function (this: KeelhaulWorld, image: string, seconds: number, script: string) {
  await launch(this, image, script, seconds);
});

// ---- judging the attack ------------------------------------------------------------------------
// Known <placeholders> are filled in the texts and expressions below too (escaped in expressions).

Then('the attack exits with status {int}', doc(
  'A finding unless the attack command exited with exactly this status.',
  'Then the attack exits with status 0',
), function (this: KeelhaulWorld, status: number) {
  const last = lastAttack(this);
  expect(last.exitCode, `the attack exited with status ${last.exitCode}, not ${status}: ${excerpt(last.stderr || last.stdout)}`).to.equal(status);
});

Then('the attack exits with a non-zero status', doc(
  'A finding if the attack command succeeded (exit 0): use it when success means a breach.',
  'Then the attack exits with a non-zero status',
), function (this: KeelhaulWorld) {
  const last = lastAttack(this);
  expect(last.exitCode, `the attack succeeded (exit 0): ${excerpt(last.stdout)}`).to.not.equal(0);
});

Then('the attack output contains {string}', doc(
  'A finding unless the attack\'s output (stdout then stderr) contains this text.',
  'Then the attack output contains "hello"',
), function (this: KeelhaulWorld, raw: string) {
  const text = filled(this, raw);
  const out = output(this);
  if (!out.includes(text)) throw new Finding(`the attack output does not contain "${text}": ${excerpt(out)}`);
});

Then('the attack output does not contain {string}', doc(
  'A finding if the attack\'s output (stdout then stderr) contains this text.',
  'Then the attack output does not contain "root:x:0:0"',
), function (this: KeelhaulWorld, raw: string) {
  const text = filled(this, raw);
  const out = output(this);
  if (out.includes(text)) throw new Finding(`the attack output contains "${text}": ${excerpt(out)}`);
});

Then('the attack output matches {string}', doc(
  'A finding unless the attack\'s output matches this regular expression (JavaScript syntax, multiline: ^ and $ match at line ends). An invalid expression is an authoring error.',
  'Then the attack output matches "^HTTP/1\\.[01] 200"',
), function (this: KeelhaulWorld, raw: string) {
  const source = filled(this, raw, true);
  const out = output(this);
  if (!regex(source).test(out)) throw new Finding(`the attack output does not match /${source}/: ${excerpt(out)}`);
});

Then('the attack output does not match {string}', doc(
  'A finding if the attack\'s output matches this regular expression.',
  'Then the attack output does not match "uid=0\\("',
), function (this: KeelhaulWorld, raw: string) {
  const source = filled(this, raw, true);
  const out = output(this);
  const found = out.match(regex(source));
  if (found) throw new Finding(`the attack output matches /${source}/ ("${found[0]}")`);
});

Then('the attack output has {int} line(s) matching {string}', doc(
  'A finding unless exactly this many lines of the attack\'s output match the regular expression.',
  'Then the attack output has 1 line matching "^open "',
), function (this: KeelhaulWorld, count: number, raw: string) {
  const source = filled(this, raw, true);
  const lines = matchingLines(this, source);
  this.observe('matchingLines', lines.length);
  expect(lines.length, `${lines.length} line(s) match /${source}/, not ${count}: ${excerpt(lines.join('\n'))}`).to.equal(count);
});

Then('the attack output has at least {int} line(s) matching {string}', doc(
  'A finding unless at least this many lines of the attack\'s output match the regular expression.',
  'Then the attack output has at least 2 lines matching "^open "',
), function (this: KeelhaulWorld, count: number, raw: string) {
  const source = filled(this, raw, true);
  const lines = matchingLines(this, source);
  this.observe('matchingLines', lines.length);
  expect(lines.length, `only ${lines.length} line(s) match /${source}/, fewer than ${count}`).to.be.at.least(count);
});

Then('the attack output has at most {int} line(s) matching {string}', doc(
  'A finding if more than this many lines of the attack\'s output match the regular expression.',
  'Then the attack output has at most 0 lines matching "^open "',
), function (this: KeelhaulWorld, count: number, raw: string) {
  const source = filled(this, raw, true);
  const lines = matchingLines(this, source);
  this.observe('matchingLines', lines.length);
  expect(lines.length, `${lines.length} line(s) match /${source}/, more than ${count}: ${excerpt(lines.join('\n'))}`).to.be.at.most(count);
});

Then('the target is still running', doc(
  'A finding if the target container has exited (an attack that crashes or kills its target), with its exit status and last output.',
  'Then the target is still running',
), async function (this: KeelhaulWorld) {
  const target = attackState(this).target;
  if (!target) throw new UsageError('no target container: start one with "Given a target container running:" first');
  const inspect = await this.platform.inspectContainer(target.id, this.signal);
  const running = inspect?.State?.Running === true;
  if (!running) {
    const logs = await this.platform.logs(target.id, false, this.signal).catch(() => ({ stdout: '', stderr: '' }));
    expect.fail(`the target exited with status ${inspect?.State?.ExitCode}: ${excerpt(logs.stderr || logs.stdout)}`);
  }
});
