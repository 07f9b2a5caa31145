// `keelhaul run`: authoring preflight, platform preflight, cucumber, reports, sweep, exit code.
// Import direction: cli -> run -> (steps, support) -> adapters. Nothing here decides a scenario's
// verdict; the outcome tracker reads them from cucumber's messages.
import { runCucumber, type ISupportCodeLibrary } from '@cucumber/cucumber/api';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { PlatformClient, callTimeoutFromEnv, closeCreationGate, configureCallTimeouts, settleCreations, type CallTimeouts, type ConnectedPlatform } from '../adapters/platform/docker-client.js';
import { resolveConnection, resolvePeerConnection } from '../adapters/platform/connection.js';
import { ensureProbeImage, DEFAULT_PROBE_IMAGE } from '../adapters/platform/probe-image.js';
import { KeelhaulError, UsageError, oneLine } from '../judges/errors.js';
import { EXIT } from '../judges/outcome.js';
import type { KeelhaulParameters } from '../support/parameters.js';
import type { RunnerReport } from '../support/port-vantage.js';
import { buildRunConfiguration, findStepProblems, formatProblem, loadPlan, nullStream } from './cucumber-config.js';
import { OutcomeTracker } from './outcome-tracker.js';
import { NoFeatureFiles } from './feature-files.js';
import { loadProfile, resolveProfileOption } from './profiles.js';
import { writeSummary, printConsoleSummary, type RunSummary } from './summary.js';
import { writeMatrixIfAny } from './matrix.js';
import { writeReportHtmlOrWarn } from './report-html.js';
import { otherRuns, sweep } from './sweep.js';
import { resetAllureResults } from './allure-report.js';
import { locateRunner } from './runner.js';

export interface RunOptions {
  paths: string[];
  target?: string;
  profile: string;
  tags?: string;
  parallel: number;
  reportsDir: string;
  image: string;
  requires: string[];
  advisory: boolean;
  containerTimeoutMs?: number;
  /** --call-timeout (ms): the bound on one API call; else DOCKER_CLIENT_TIMEOUT, else the profile's, else 30 s */
  callTimeoutMs?: number;
  /** --peer-target / --peer-cert-path: a second tenant (another account) for tenant-to-tenant scenarios */
  peerTarget?: string;
  peerCertPath?: string;
  cwd: string;
  stdout: Writable;
  stderr: Writable;
}

/** `@deep` scenarios (active probes) run only when the tag expression asks for them (DESIGN.md Tags). */
export function withoutDeep(tags: string | undefined): string {
  if (!tags?.trim()) return 'not @deep';
  return /@deep\b/.test(tags) ? tags : `(${tags}) and not @deep`;
}

/**
 * Scenarios that must not run on a shared (multi-tenant) platform unless the tag expression names
 * their tag: they cost money or can disturb other tenants (DESIGN.md safety rules).
 */
export const SHARED_PLATFORM_TAGS: Record<string, string> = {
  '@billable': 'costs money on a shared platform (a build VM, a real volume)',
  '@disruptive': 'sends malformed input a shared service may not survive',
};

/** The tags that stay out of this run: on a multi-tenant profile, every one the user's expression does not name. */
export function unsafeTagsLeftOut(tags: string | undefined, multiTenant: boolean): string[] {
  if (!multiTenant) return [];
  return Object.keys(SHARED_PLATFORM_TAGS).filter((tag) => !new RegExp(`${tag}\\b`).test(tags ?? ''));
}

/** The run's expression with the left-out tags excluded, as withoutDeep does for @deep. */
export function withoutUnsafe(expression: string, leftOut: string[]): string {
  return leftOut.reduce((expr, tag) => `(${expr}) and not ${tag}`, expression);
}

export function newRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** The reports folder must exist and be writable before anything runs (exit 2 otherwise). */
export function prepareReportsDir(dir: string): string {
  const absolute = resolve(dir);
  try {
    mkdirSync(absolute, { recursive: true });
    const probe = join(absolute, `.keelhaul-write-test-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (error) {
    throw new UsageError(`reports folder ${dir} cannot be written (${(error as NodeJS.ErrnoException).code ?? oneLine(error)})`);
  }
  return absolute;
}

export async function connectPlatform(target: string | undefined, runId: string, timeoutMs = 10_000): Promise<ConnectedPlatform> {
  const connection = resolveConnection({ target });
  return PlatformClient.connect(connection, runId, timeoutMs);
}

/**
 * The per-call bounds of a run: --call-timeout, else DOCKER_CLIENT_TIMEOUT (seconds), else the
 * profile's callSeconds, else 30 s; provisioning calls (create, start, remove) get the profile's
 * provisioningSeconds when that is longer (Triton: 300 s, as its docs tell Docker users).
 */
export function callTimeoutsFor(profile: { timeouts?: { callSeconds?: number; provisioningSeconds?: number } }, flagMs?: number, env: NodeJS.ProcessEnv = process.env): CallTimeouts {
  const callMs = flagMs ?? callTimeoutFromEnv(env) ?? (profile.timeouts?.callSeconds ? profile.timeouts.callSeconds * 1000 : 30_000);
  const provisioningMs = Math.max(callMs, (profile.timeouts?.provisioningSeconds ?? 0) * 1000);
  return { callMs, provisioningMs };
}

export async function runSuite(options: RunOptions): Promise<number> {
  const startedAt = new Date();
  const runId = newRunId();
  const log = (line: string) => options.stderr.write(`${line}\n`);
  // Armed from the first moment: a signal during preflight still exits 130/143 (nothing to clean
  // before the platform is connected; after that, whatever carries this run's label is swept).
  const interrupt = installInterruptHandlers(runId, log);

  // 1. Everything that needs no platform: flags, paths, profile file, features, steps.
  const reportsDir = prepareReportsDir(options.reportsDir);
  const profileChoice = resolveProfileOption(options.profile);
  if (profileChoice.kind === 'file') loadProfile(options.profile);
  const selection = { paths: options.paths, tags: withoutDeep(options.tags), requires: options.requires, cwd: options.cwd };
  let preflightConfig: Awaited<ReturnType<typeof buildRunConfiguration>>;
  try {
    preflightConfig = await buildRunConfiguration(selection);
  } catch (error) {
    if (!(error instanceof NoFeatureFiles)) throw error;
    log(`keelhaul: nothing ran: ${error.paths.join(', ')} ${error.paths.length > 1 ? 'hold' : 'holds'} no feature file`);
    return EXIT.nothingRan;
  }
  const { planned, problems: parseProblems } = await loadPlan(preflightConfig, options.cwd);
  if (parseProblems.length > 0) {
    throw new UsageError(parseProblems.map((p) => `parse error: ${formatProblem(p)}`).join('\n'));
  }
  if (planned === 0) {
    log(`keelhaul: nothing ran: ${options.tags ? `--tags '${options.tags}' selected no scenario` : 'the paths hold no scenario'}`);
    return EXIT.nothingRan;
  }
  // The platform preflight (read-only: /version, /info) overlaps the authoring dry run; an authoring
  // error still wins (exit 2), and a failed connection is only reported if there is none.
  const connecting = connectPlatform(options.target, runId, options.callTimeoutMs ?? callTimeoutFromEnv() ?? 10_000);
  connecting.catch(() => undefined);
  const { problems: stepProblems, support } = await findStepProblems(preflightConfig, options.cwd);
  if (stepProblems.length > 0) {
    throw new UsageError(stepProblems.map(formatProblem).join('\n') + '\n(run `keelhaul check` for suggestions)');
  }

  // 2. The platform: reach it, negotiate, fingerprint, profile, probe image (exit 4 on failure).
  const platform = await connecting;
  interrupt.client = platform.client;
  const profile = loadProfile(options.profile, platform.fingerprint);
  if (platform.negotiation.note) log(`keelhaul: ${platform.negotiation.note}`);
  const timeouts = configureCallTimeouts(callTimeoutsFor(profile, options.callTimeoutMs));
  // The second tenant is reached like the first (exit 4 when it cannot be), before anything runs.
  const peer = options.peerTarget
    ? await PlatformClient.connect(resolvePeerConnection(options.peerTarget, options.peerCertPath), runId, options.callTimeoutMs ?? callTimeoutFromEnv() ?? 10_000)
    : undefined;
  // A shared platform: what costs money or can disturb other tenants runs only when asked for by tag.
  const leftOut = unsafeTagsLeftOut(options.tags, profile.multiTenant);
  const skipped: RunSummary['skipped'] = [];
  for (const tag of leftOut) {
    const { pickles } = await loadPlan(await buildRunConfiguration({ ...selection, tags: `(${selection.tags}) and ${tag}` }), options.cwd);
    for (const p of pickles) {
      if (skipped.some((s) => s.location === p.location)) continue;
      skipped.push({ ...p, tag, reason: `${tag}: ${SHARED_PLATFORM_TAGS[tag]}; profile ${profile.name} is multi-tenant: name ${tag} in --tags to run it` });
    }
  }
  if (skipped.length > 0) {
    log(`keelhaul: skipped ${skipped.length} scenario(s) on multi-tenant profile ${profile.name}: ${skipped.map((s) => `${s.name} (${s.tag})`).join(', ')}; name the tag in --tags to run them`);
  }
  if (skipped.length === planned) {
    log('keelhaul: nothing ran: every selected scenario was skipped on this shared platform');
    return EXIT.nothingRan;
  }
  // A slow pull is waited for as long as provisioning may take, not replaced by an import (which
  // Triton refuses: sdc-docker lib/endpoints/images.js:67) when it is merely slow.
  const imageSource = await ensureProbeImage(platform.client, options.image, process.env, Math.max(30_000, timeouts.provisioningMs));
  if (imageSource === 'seeded') log(`keelhaul: seeded probe image ${options.image} from the local static busybox`);
  const [others, runner] = await Promise.all([
    otherRuns(platform.client, runId).catch(() => new Map<string, number>()),
    locateRunner(platform.client, options.image, profile),
  ]);
  if (others.size > 0) {
    const list = [...others].map(([id, n]) => `${id} (${n})`).join(', ');
    log(`keelhaul: warning: containers of other keelhaul runs are on this platform: ${list}; if those runs are dead, \`keelhaul clean\` removes them`);
  }

  // 3. The run. Interruption sweeps this run's label and exits 130/143 (DESIGN.md safety rules).
  const messagesPath = join(reportsDir, 'messages.ndjson');
  const parameters: KeelhaulParameters = {
    runId, target: options.target ?? '', apiVersion: platform.negotiation.version, image: options.image,
    profile, fingerprint: platform.fingerprint, containerTimeoutMs: options.containerTimeoutMs ?? 60_000, timeouts,
    peer: peer && options.peerTarget ? { target: options.peerTarget, certPath: options.peerCertPath, apiVersion: peer.negotiation.version } : undefined,
    runner: { where: runner.where, detail: runner.detail, measured: runner.measured },
  };
  const runConfig = await buildRunConfiguration({
    ...selection,
    tags: withoutUnsafe(selection.tags, leftOut),
    parallel: options.parallel,
    worldParameters: parameters as unknown as Record<string, unknown>,
    formats: {
      // A progress line on a terminal, plain lines in logs, bounded reasons (run/progress-formatter.ts).
      stdout: import.meta.resolve('./progress-formatter.js'),
      files: {
        [messagesPath]: 'message',
        [join(reportsDir, 'junit.xml')]: 'junit',
        [join(reportsDir, 'cucumber.json')]: 'json',
        // Allure results every run (reports/allure-results; `keelhaul report` makes the HTML).
        // The reporter writes nothing to its stream; the file keeps stdout free.
        [join(reportsDir, 'allure.log')]: import.meta.resolve('./allure-formatter.js'),
      },
    },
  });
  runConfig.formats.options = { ...runConfig.formats.options, resultsDir: resetAllureResults(reportsDir) };
  const summaryBase = { runId, startedAt, reportsDir, profile, platform, skipped, runner };
  interrupt.finish = (signal) => {
    const tracker = trackerFrom(messagesPath);
    const exitCode = signal === 'SIGINT' ? EXIT.sigint : EXIT.sigterm;
    const summary = buildSummary(summaryBase, tracker, exitCode);
    writeSummary(summary, reportsDir);
    writeReportHtmlOrWarn(reportsDir, { runs: [{ summary }] }, log);
    return exitCode;
  };
  // Always the library the preflight loaded: ES modules run once per process, so loading the
  // support code again here would register no step at all. Parallel workers get its coordinates.
  await runCucumber({ ...runConfig, support: support as ISupportCodeLibrary }, {
    cwd: options.cwd, stdout: options.stdout, stderr: options.stderr, env: process.env,
  }).catch(async (error: unknown) => {
    // Workers stopped by the signal can make cucumber's coordinator throw: the handler still owns the exit.
    if (interrupt.exiting) await interrupt.exiting;
    throw error;
  });
  // Interrupted: the scenarios in flight end in error once creation is refused; the handler owns the
  // exit (130/143), so the run must not go on to a verdict of its own.
  if (interrupt.exiting) await interrupt.exiting;

  // 4. Verdict, reports, sweep (the second tenant's objects carry the same run label).
  if (peer) {
    await sweep(peer.client, runId).catch((error) => log(`keelhaul: warning: end-of-run sweep of the peer tenant failed: ${oneLine(error)}`));
  }
  const swept = await sweep(platform.client, runId).catch((error) => {
    log(`keelhaul: warning: end-of-run sweep failed: ${oneLine(error)}`);
    return undefined;
  });
  if (swept && swept.removed.containers + swept.removed.networks + swept.removed.volumes > 0) {
    log(`keelhaul: swept ${swept.removed.containers} container(s), ${swept.removed.networks} network(s), ${swept.removed.volumes} volume(s) a scenario had left`);
  }
  const tracker = trackerFrom(messagesPath);
  const exitCode = tracker.exitCode(options.advisory);
  const summary = buildSummary(summaryBase, tracker, exitCode);
  // A signal during the end-of-run sweep is still handled (sweep again, exit 130/143) up to here.
  interrupt.disarm();
  if (interrupt.exiting) await interrupt.exiting;
  writeSummary(summary, reportsDir);
  writeMatrixIfAny(reportsDir, [summary]);
  // The same RunSummary object summary.json was written from: one source for both.
  const report = writeReportHtmlOrWarn(reportsDir, { runs: [{ summary }] }, log);
  printConsoleSummary(summary, options.stdout);
  if (report) options.stdout.write(`report: ${report}\n`);
  return exitCode;
}

function trackerFrom(messagesPath: string): OutcomeTracker {
  const tracker = new OutcomeTracker();
  try {
    tracker.consumeNdjson(readFileSync(messagesPath, 'utf8'));
  } catch {
    // An interrupted run can leave a partial last line; what was complete still counts.
  }
  return tracker;
}

function buildSummary(base: { runId: string; startedAt: Date; profile: any; platform: ConnectedPlatform; skipped: RunSummary['skipped']; runner: RunnerReport }, tracker: OutcomeTracker, exitCode: number): RunSummary {
  const fp = base.platform.fingerprint;
  return {
    run: base.runId,
    startedAt: base.startedAt.toISOString(),
    durationMs: Date.now() - base.startedAt.getTime(),
    exitCode,
    target: { url: base.platform.client.url, engine: fp.engine, version: fp.version, apiVersion: fp.apiVersion, os: fp.os, name: fp.name, kernel: fp.kernel, cgroupVersion: fp.cgroupVersion, securityOptions: fp.securityOptions, runner: base.runner },
    profile: base.profile.name,
    outcomes: tracker.counts(),
    scenarios: tracker.scenarios.map((s) => ({
      id: s.id, name: s.name, feature: s.feature, tags: s.tags, outcome: s.outcome, reason: s.reason,
      durationMs: s.durationMs, observations: s.observations, location: `${s.uri}:${s.line}`,
    })),
    exposures: tracker.scenarios.flatMap((s) => s.exposures.map((what) => ({ id: s.id, what }))),
    command: process.argv.slice(2),
    skipped: base.skipped,
  };
}

/**
 * SIGINT/SIGTERM during a run: refuse new objects, let creations already in flight land, sweep this
 * run's label (twice, to catch a create that was still in flight), write the summary and exit
 * 130/143. Armed before the platform is contacted (then there is nothing to sweep); a second
 * signal exits at once; the whole clean-up is bounded by a deadline.
 */
interface InterruptHandler {
  client?: PlatformClient;
  finish?: (signal: NodeJS.Signals) => number;
  /** Set once a signal is being handled: never resolves (the handler exits the process). */
  exiting?: Promise<never>;
  disarm(): void;
}

function installInterruptHandlers(runId: string, log: (l: string) => void): InterruptHandler {
  let handling = false;
  const state: InterruptHandler = { disarm };
  const codeFor = (signal: NodeJS.Signals) => (signal === 'SIGINT' ? EXIT.sigint : EXIT.sigterm);
  const handler = (signal: NodeJS.Signals) => {
    if (handling) process.exit(codeFor(signal));
    handling = true;
    state.exiting = new Promise<never>(() => undefined);
    closeCreationGate();
    const client = state.client;
    log(client ? `keelhaul: ${signal}: cleaning up run ${runId}` : `keelhaul: ${signal}: run ${runId} had not reached the platform: nothing to clean up`);
    const deadline = setTimeout(() => process.exit(codeFor(signal)), 30_000);
    // Parallel workers are our children and do not see a signal sent to this process alone: pass it
    // on, so that they stop creating (support/hooks.ts closes their gate and exits them at once).
    const workers = signalChildren(signal);
    void (async () => {
      if (client) {
        await settleCreations(10_000);
        await sweep(client, runId).catch(() => undefined);
        // A worker's create that was on the wire when it exited lands late: a longer second look.
        await new Promise((r) => setTimeout(r, workers > 0 ? 1_500 : 500));
        await settleCreations(5_000);
        await sweep(client, runId).catch(() => undefined);
      }
      // Workers the coordinator was still starting when the signal came missed it: stop them, look again.
      if (signalChildren(signal) > 0 && client) {
        await new Promise((r) => setTimeout(r, 1_000));
        await sweep(client, runId).catch(() => undefined);
      }
      let code: number = codeFor(signal);
      try {
        code = state.finish ? state.finish(signal) : code;
      } catch (error) {
        log(`keelhaul: warning: could not write the interrupted run's summary: ${oneLine(error)}`);
      }
      clearTimeout(deadline);
      process.exit(code);
    })();
  };
  function disarm() {
    if (handling) return;
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
    (globalThis as Record<symbol, unknown>)[INTERRUPT_OWNER] = undefined;
  }
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  // The CLI's early handler (a signal before any command owns the exit) stands aside while this is armed.
  (globalThis as Record<symbol, unknown>)[INTERRUPT_OWNER] = runId;
  return state;
}

const INTERRUPT_OWNER = Symbol.for('keelhaul.interrupt-owner');

/** Send `signal` to this process's children (cucumber's parallel workers), found in /proc. Returns how many. */
function signalChildren(signal: NodeJS.Signals): number {
  let count = 0;
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return 0; // no /proc: nothing to do
  }
  for (const pid of entries) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) {
        process.kill(Number(pid), signal);
        count++;
      }
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return count;
}

export { KeelhaulError, nullStream, DEFAULT_PROBE_IMAGE };
