// Scenario life cycle: name the scenario, classify how it ended, remove what it created.
// The classification is attached to the scenario as a keelhaul outcome message, which the run's
// outcome tracker reads from cucumber's message stream (the same in serial and parallel mode).
import { After, Before, Status, setDefaultTimeout, setDefinitionFunctionWrapper } from '@cucumber/cucumber';
import { closeCreationGate, settleCreations } from '../adapters/platform/docker-client.js';
import { stopWhenOrphaned } from './orphan-watch.js';
import { claimInterrupts, exitCodeOnSignal, inheritedInterrupt, onEverySignal, raiseInterrupt } from './signals.js';
import { OutcomeSignal } from '../judges/errors.js';
import { classifyFailure, needsPlatformRecheck, platformGone, type OutcomeRecord } from '../judges/classify.js';
import { scenarioIdOf } from '../judges/scenario-id.js';
import { OUTCOME_MEDIA_TYPE } from './parameters.js';
import { KeelhaulWorld } from './world.js';

// Steps bound their own platform calls; this is the backstop for a step that forgets to.
setDefaultTimeout(120_000);

/**
 * Every step and hook (keelhaul's and a user's --require'd ones) runs inside this wrapper, so any
 * of them can end the scenario as not-applicable or inconclusive by throwing an OutcomeSignal
 * (World.notApplicable / World.inconclusive) from however deep it is.
 */
setDefinitionFunctionWrapper((fn: (...args: unknown[]) => unknown) => {
  const wrapped = async function (this: KeelhaulWorld, ...args: unknown[]) {
    try {
      return await fn.apply(this, args);
    } catch (error) {
      if (error instanceof OutcomeSignal || (error as Error)?.name === 'OutcomeSignal') {
        const signal = error as OutcomeSignal;
        this.signalled = { outcome: signal.outcome, reason: signal.reason };
        return 'skipped';
      }
      throw error;
    }
  };
  // cucumber checks a step function's arity against its pattern's parameters.
  Object.defineProperty(wrapped, 'length', { value: fn.length });
  return wrapped;
});

Before(function (this: KeelhaulWorld, { pickle, gherkinDocument }) {
  this.scenarioId = scenarioIdOf(pickle, gherkinDocument);
});

After({ timeout: 60_000 }, async function (this: KeelhaulWorld, { result, error }) {
  // Stop whatever the scenario still has in flight (a timed-out step keeps running otherwise).
  this.controller.abort();
  const leftovers = await this.resources.removeAll(this.platform);
  if (this.peerResources.size > 0 && this.peer) leftovers.push(...(await this.peerResources.removeAll(this.peer)).map((l) => `peer tenant: ${l}`));
  const status = result?.status;
  let record: OutcomeRecord;
  if (this.signalled) {
    record = { outcome: this.signalled.outcome, reason: this.signalled.reason };
  } else if (status === Status.PASSED) {
    record = { outcome: 'pass' };
  } else if (status === Status.FAILED) {
    record = { ...classifyFailure(error ?? (result as any)?.exception ?? result?.message) };
  } else if (status === Status.UNDEFINED || status === Status.AMBIGUOUS || status === Status.PENDING) {
    record = { outcome: 'error', errorKind: 'authoring', reason: `a step is ${String(status).toLowerCase()}` };
  } else {
    record = { outcome: 'not-applicable', reason: 'skipped' };
  }
  if (needsPlatformRecheck(record)) {
    const health = await this.platform.stillAnswering();
    if (!health.answering) record = platformGone(record, health.reason);
  }
  if (leftovers.length > 0) this.observe('cleanupFailures', leftovers);
  this.attach(JSON.stringify({ ...record, scenarioId: this.scenarioId, observations: this.observations, exposures: this.exposures }), OUTCOME_MEDIA_TYPE);
});

// On interruption no new object may be created; the coordinating process sweeps the run's label.
// A parallel worker first waits (bounded) for its own creates still on the wire to be answered, so
// that whatever they made exists, labelled, by the time the coordinator (which waits for its workers
// to be gone) sweeps; then it leaves (a second signal changes nothing). In serial mode the run's own
// handler owns the exit (support/signals.ts).
onEverySignal(() => closeCreationGate());
if (process.env.CUCUMBER_WORKER_ID !== undefined) {
  claimInterrupts('parallel worker', (signal, first) => {
    if (first) void settleCreations(10_000).finally(() => process.exit(exitCodeOnSignal(signal)));
  });
  // Forked after the coordinator was interrupted (it was still starting its workers): leave at once.
  const stoppedBy = inheritedInterrupt();
  if (stoppedBy) raiseInterrupt(stoppedBy);
  // A message to a coordinator that is gone fails with ERR_IPC_CHANNEL_CLOSED: stop as orphaned
  // rather than die with a stack trace.
  process.on('error', (error: NodeJS.ErrnoException) => {
    if (error?.code !== 'ERR_IPC_CHANNEL_CLOSED') throw error;
    raiseInterrupt('SIGTERM');
  });
}
// A worker whose coordinator is gone (killed outright) must not go on creating objects: it stops as
// on SIGTERM (the reaper sweeps what the coordinator could not). The main process is watched from
// cli/main.ts; this is the same watch, armed once per process.
stopWhenOrphaned();
