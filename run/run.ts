// `keelhaul run`: authoring preflight, platform preflight, cucumber, reports, sweep, exit code.
// Import direction: cli -> run -> (steps, support) -> adapters. Nothing here decides a scenario's
// verdict; the outcome tracker reads them from cucumber's messages.
import { runCucumber, type ISupportCodeLibrary } from '@cucumber/cucumber/api';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { PlatformClient, callTimeoutFromEnv, closeCreationGate, configureCallTimeouts, onFirstCreation, settleCreations, type CallTimeouts, type ConnectedPlatform } from '../adapters/platform/docker-client.js';
import { resolveConnection, resolvePeerConnection } from '../adapters/platform/connection.js';
import { ensureProbeImage, DEFAULT_PROBE_IMAGE } from '../adapters/platform/probe-image.js';
import { KeelhaulError, UsageError, oneLine } from '../judges/errors.js';
import { EXIT } from '../judges/outcome.js';
import type { KeelhaulParameters } from '../support/parameters.js';
import { STEP_FILES_REACHING_PUBLISHED_PORTS, type RunnerReport } from '../support/port-vantage.js';
import { buildRunConfiguration, findStepProblems, formatProblem, loadPlan, nullStream, ourStepFilesUsed } from './cucumber-config.js';
import { defaultProbeConcurrency, planOfRun } from './probe-plan.js';
import { planReport, type MatchableStep, type ProbePlan } from '../support/probe-plan.js';
import { OutcomeTracker } from './outcome-tracker.js';
import { NoFeatureFiles } from './feature-files.js';
import { loadProfile, resolveProfileOption } from './profiles.js';
import { writeSummary, printConsoleSummary, type RunSummary } from './summary.js';
import { writeMatrixIfAny } from './matrix.js';
import { writeReportHtmlOrWarn } from './report-html.js';
import { otherRuns, sweep } from './sweep.js';
import { resetAllureResults } from './allure-report.js';
import { inferRunner, locateRunner } from './runner.js';
import { onDemandReaper, startReaper, type Reaper } from './reaper.js';
import { claimInterrupts, exitCodeOnSignal, markInterruptedForChildren, type InterruptSignal } from '../support/signals.js';
import { planShard, type ShardPlan } from './shard.js';
import type { ShardSpec } from '../judges/shard.js';

export interface RunOptions {
  paths: string[];
  target?: string;
  profile: string;
  tags?: string;
  parallel: number;
  /** Probes run ahead at most this many at a time (0: none ahead); default from the platform's CPUs. */
  probeConcurrency?: number;
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
  /** Given with --run-id (scripts that need the id before anything is printed); else a new one. */
  runId?: string;
  /** --define name=value: Gauntlt profile values (support/attack-session.ts setValue). */
  defines?: Record<string, string>;
  /** --shard i/n (run/shard.ts): only this part of the selection; --durations balances it by recorded time. */
  shard?: ShardSpec;
  durationsFile?: string;
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
  const runId = options.runId ?? newRunId();
  const log = (line: string) => options.stderr.write(`${line}\n`);
  // Armed from the first moment: a signal during preflight still exits 130/143 (nothing to clean
  // before the platform is connected; after that, whatever carries this run's label is swept).
  const interrupt = installInterruptHandlers(runId, log);
  // Every process this run starts (parallel workers, the reaper) carries the run id in its
  // environment: the reaper waits for them by it, and tests find them by it.
  process.env.KEELHAUL_RUN = runId;

  // 1. Everything that needs no platform: flags, paths, profile file, features, steps.
  const reportsDir = prepareReportsDir(options.reportsDir);
  const profileChoice = resolveProfileOption(options.profile);
  if (profileChoice.kind === 'file') loadProfile(options.profile);
  let selection = { paths: options.paths, tags: withoutDeep(options.tags), requires: options.requires, cwd: options.cwd };
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
  interrupt.connecting = connecting;
  const { problems: stepProblems, support, envelopes } = await findStepProblems(preflightConfig, options.cwd);
  if (stepProblems.length > 0) {
    throw new UsageError(stepProblems.map(formatProblem).join('\n') + '\n(run `keelhaul check` for suggestions)');
  }
  // A shard: the same selection, narrowed to this shard's scenarios by `file:line` (cucumber's own filter).
  const shard = options.shard ? planShard(envelopes, options.shard, options.durationsFile) : undefined;
  if (shard) {
    log(`keelhaul: shard ${shard.spec.index}/${shard.spec.total}: ${shard.ids.length} of ${shard.selectionSize} scenario(s), balanced by ${shard.balancedBy}`);
    if (shard.paths.length === 0) return emptyShard(shard, await connecting, { runId, startedAt, reportsDir, log, profileName: options.profile });
    selection = { ...selection, paths: shard.paths };
  }

  // 2. The platform: reach it, negotiate, fingerprint, profile, probe image (exit 4 on failure).
  const platform = await connecting;
  interrupt.client = platform.client;
  await interrupt.unlessInterrupted();
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
  // The reaper, before the first object exists (locateRunner's helper container is the first when
  // one is needed): if this process dies without sweeping, it sweeps. A serial run starts it with its
  // process's first create (a run that creates nothing needs none); parallel workers create in
  // processes of their own, so a parallel run starts it now.
  await interrupt.unlessInterrupted();
  const reaper = onDemandReaper(() => startReaper({ runId, target: options.target ?? '', apiVersion: platform.negotiation.version, logPath: join(reportsDir, 'reaper.log'), log }));
  if (options.parallel > 0) reaper.start();
  else onFirstCreation(() => reaper.start());
  interrupt.reaper = reaper;
  // Where keelhaul runs is measured (a helper container, ~0.3 s) only when a selected step can reach a published port.
  const measureRunner = [...ourStepFilesUsed(envelopes, options.cwd)].some((f) => STEP_FILES_REACHING_PUBLISHED_PORTS.includes(f));
  const [others, runner] = await Promise.all([
    otherRuns(platform.client, runId).catch(() => new Map<string, number>()),
    measureRunner
      ? locateRunner(platform.client, options.image, profile)
      : inferRunner(platform.client, profile, 'not measured: no selected scenario reaches a published port'),
  ]);
  if (others.size > 0) {
    const list = [...others].map(([id, n]) => `${id} (${n})`).join(', ');
    log(`keelhaul: warning: containers of other keelhaul runs are on this platform: ${list}; if those runs are dead, \`keelhaul clean\` removes them`);
  }

  // The probe plan: the selected scenarios' probes run ahead, a bounded number at a time
  // (support/probe-plan.ts). Parallel workers are their own concurrency: each would run it all.
  const probePlan = options.parallel > 0 ? undefined : planOfRun(envelopes, (support as unknown as { stepDefinitions: MatchableStep[] }).stepDefinitions, {
    concurrency: options.probeConcurrency ?? defaultProbeConcurrency(platform.info), shardIds: shard?.ids, leftOutTags: leftOut,
  });

  // 3. The run. Interruption sweeps this run's label and exits 130/143 (DESIGN.md safety rules).
  const messagesPath = join(reportsDir, 'messages.ndjson');
  const parameters: KeelhaulParameters = {
    runId, target: options.target ?? '', apiVersion: platform.negotiation.version, image: options.image,
    profile, fingerprint: platform.fingerprint, containerTimeoutMs: options.containerTimeoutMs ?? 60_000, timeouts,
    peer: peer && options.peerTarget ? { target: options.peerTarget, certPath: options.peerCertPath, apiVersion: peer.negotiation.version } : undefined,
    runner: { where: runner.where, detail: runner.detail, measured: runner.measured },
    defines: options.defines,
    probePlan,
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
  const summaryBase = { runId, startedAt, reportsDir, profile, platform, skipped, runner, shard, probePlan };
  interrupt.finish = (signal) => {
    const tracker = trackerFrom(messagesPath);
    const exitCode = exitCodeOnSignal(signal);
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

  // 4. Verdict, reports, sweep (the second tenant's objects carry the same run label). A create still
  // on the wire (a probe run ahead when the last scenario ended) is answered first: what it makes
  // appears after a sweep that did not wait for it.
  await settleCreations(timeouts.provisioningMs);
  if (peer) {
    await sweep(peer.client, runId).catch((error) => log(`keelhaul: warning: end-of-run sweep of the peer tenant failed: ${oneLine(error)}`));
  }
  const swept = await sweep(platform.client, runId).catch((error) => {
    log(`keelhaul: warning: end-of-run sweep failed: ${oneLine(error)}`);
    return undefined;
  });
  onFirstCreation(undefined);
  // Swept: the reaper may go. (A sweep that failed leaves it to try once more when this process ends.)
  if (swept && swept.failures.length === 0) await reaper.release();
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

function buildSummary(base: { runId: string; startedAt: Date; profile: any; platform: ConnectedPlatform; skipped: RunSummary['skipped']; runner?: RunnerReport; shard?: ShardPlan; probePlan?: ProbePlan }, tracker: OutcomeTracker, exitCode: number): RunSummary {
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
    // How many scenarios had probes run ahead, and how many at a time (support/probe-plan.ts).
    // The counts are this process's: a serial run's (a parallel run plans nothing).
    probePlan: base.probePlan ? { concurrency: base.probePlan.concurrency, scenarios: base.probePlan.scenarios.length, ...planReport } : { concurrency: 0, scenarios: 0 },
    ...(base.shard ? { shard: { index: base.shard.spec.index, total: base.shard.spec.total, selectionSize: base.shard.selectionSize, scenarios: base.shard.ids.length, balancedBy: base.shard.balancedBy } } : {}),
  };
}

/**
 * A shard the split left empty (more shards than groups of scenarios): exit 0 with a note, and a
 * summary.json all the same, so that `keelhaul merge` sees the shard ran rather than missing.
 */
function emptyShard(shard: ShardPlan, platform: ConnectedPlatform, base: { runId: string; startedAt: Date; reportsDir: string; log: (line: string) => void; profileName: string }): number {
  base.log(`keelhaul: shard ${shard.spec.index}/${shard.spec.total} is empty: the other shards hold the selection's ${shard.selectionSize} scenario(s); nothing to run here (exit 0)`);
  const summary = buildSummary({ ...base, profile: { name: base.profileName }, platform, skipped: [], shard }, new OutcomeTracker(), EXIT.ok);
  writeSummary(summary, base.reportsDir);
  return EXIT.ok;
}

/**
 * SIGINT/SIGTERM during a run (or the parent's death, which support/orphan-watch.ts turns into a
 * SIGTERM): refuse new objects in this process, stop the parallel workers (each waits for its own
 * creates on the wire to be answered, then leaves), wait until they are gone and this process's own
 * creates have been answered, so that everything the run made exists and carries its label; then
 * sweep the label until a look finds nothing, write the summary, release the reaper and exit
 * 130/143. Armed before the platform is contacted (a connection in progress is waited for: what it
 * connects to is swept too); a second signal exits at once and the whole clean-up is bounded by a
 * deadline: in both cases the reaper, not told "done", sweeps after this process is gone.
 */
interface InterruptHandler {
  client?: PlatformClient;
  connecting?: Promise<ConnectedPlatform>;
  reaper?: Reaper;
  finish?: (signal: InterruptSignal) => number;
  /** Set once a signal is being handled: never resolves (the handler exits the process). */
  exiting?: Promise<never>;
  /** Resolves at once, or never once interrupted: the run starts nothing new after a signal. */
  unlessInterrupted(): Promise<void>;
  disarm(): void;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function installInterruptHandlers(runId: string, log: (l: string) => void): InterruptHandler {
  const state: InterruptHandler = { disarm, unlessInterrupted: async () => { if (state.exiting) await state.exiting; } };
  const codeFor = exitCodeOnSignal;
  // The signals are this run's from here (support/signals.ts): the CLI's early exit stands aside.
  const claim = claimInterrupts(`run ${runId}`, (signal, first) => {
    if (!first) process.exit(codeFor(signal));
    state.exiting = new Promise<never>(() => undefined);
    closeCreationGate();
    // A worker cucumber forks from now on (the signal came while the run was starting) inherits this
    // and leaves before it creates anything (support/hooks.ts).
    markInterruptedForChildren(signal);
    // From here the one job is the clean-up: cucumber's coordinator handing work to a worker that has
    // just left (EPIPE, ERR_IPC_CHANNEL_CLOSED, with no listener of its own) must not end it.
    process.on('uncaughtException', (error: NodeJS.ErrnoException) => {
      if (error?.code !== 'EPIPE' && error?.code !== 'ERR_IPC_CHANNEL_CLOSED') log(`keelhaul: warning: while cleaning up: ${oneLine(error)}`);
    });
    const deadline = setTimeout(() => process.exit(codeFor(signal)), 30_000);
    const notWorkers = () => new Set([state.reaper?.pid].filter((pid): pid is number => pid !== undefined));
    // Parallel workers are our children and do not see a signal sent to this process alone: pass it on.
    signalChildren(signal, notWorkers());
    void (async () => {
      const client = state.client ?? (state.connecting ? await Promise.race([state.connecting.then((p) => p.client, () => undefined), pause(10_000).then(() => undefined)]) : undefined);
      log(client ? `keelhaul: ${signal}: cleaning up run ${runId}` : `keelhaul: ${signal}: run ${runId} had not reached the platform: nothing to clean up`);
      let clean = !client;
      const removed = { containers: 0, networks: 0, volumes: 0 };
      // Until no worker is left and a look at the label finds nothing; again if a worker appeared
      // meanwhile (cucumber was starting them when the signal came).
      for (let round = 0; round < 3; round++) {
        await workersGone(signal, notWorkers);
        await settleCreations(10_000);
        if (!client) break;
        clean = false;
        // A create the platform answered after its client went lands a moment later: look until a look finds nothing.
        for (let look = 0; look < 5 && !clean; look++) {
          if (look > 0) await pause(300);
          const swept = await sweep(client, runId).catch(() => undefined);
          for (const kind of ['containers', 'networks', 'volumes'] as const) removed[kind] += swept?.removed[kind] ?? 0;
          clean = look > 0 && swept !== undefined && swept.removed.containers + swept.removed.networks + swept.removed.volumes + swept.failures.length === 0;
        }
        if (signalChildren(signal, notWorkers(), false) === 0) break;
      }
      if (removed.containers + removed.networks + removed.volumes > 0) {
        log(`keelhaul: ${signal}: removed ${removed.containers} container(s), ${removed.networks} network(s), ${removed.volumes} volume(s) of run ${runId}`);
      }
      let code: number = codeFor(signal);
      try {
        code = state.finish ? state.finish(signal) : code;
      } catch (error) {
        log(`keelhaul: warning: could not write the interrupted run's summary: ${oneLine(error)}`);
      }
      // Not clean (the platform kept failing the sweep): the reaper, not released, tries once more.
      if (clean) await state.reaper?.release();
      clearTimeout(deadline);
      process.exit(code);
    })();
  });
  function disarm() {
    // Once a signal is being handled, the handler keeps the signals (a second one exits at once).
    if (claim.interruptedBy) return;
    claim.release();
  }
  return state;
}

/** Signal the workers (again every second: one may have missed it while starting) until none is left, bounded. */
async function workersGone(signal: NodeJS.Signals, except: () => Set<number>, timeoutMs = 15_000): Promise<void> {
  for (let tick = 1, until = Date.now() + timeoutMs; Date.now() < until && signalChildren(signal, except(), false) > 0; tick++) {
    await pause(100);
    if (tick % 10 === 0) signalChildren(signal, except());
  }
}

/**
 * This process's children (cucumber's parallel workers), found in /proc, except `except` (the
 * reaper); with `send`, `signal` is sent to each. Returns how many there are.
 */
function signalChildren(signal: NodeJS.Signals, except: Set<number>, send = true): number {
  let count = 0;
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e) && !except.has(Number(e)));
  } catch {
    return 0; // no /proc: nothing to do
  }
  for (const pid of entries) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) !== process.pid || state === 'Z' || state === 'X') continue;
      if (send) process.kill(Number(pid), signal);
      count++;
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return count;
}

export { KeelhaulError, nullStream, DEFAULT_PROBE_IMAGE };
