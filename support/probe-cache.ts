// Shares read-only probe results between scenarios of one worker that ask for the same container
// configuration. A failed probe is not cached, so a transient platform error is retried once by
// the next scenario instead of spreading to all of them. One exception, for the probe plan
// (support/probe-plan.ts): a refusal (the platform's definitive answer, e.g. a dangerous option it
// will not start) that a probe run ahead met is kept for the next asker only, which is the scenario
// it ran ahead for: it sees the refusal it would have met itself a moment later, and the entry is
// gone after that, so whoever asks again asks the platform again.
import { isRefusal, type ContainerSpec, type RunResult } from '../adapters/platform/docker-client.js';
import { planReport } from './probe-plan.js';

export class ProbeCache {
  private readonly entries = new Map<string, Promise<RunResult>>();
  /** Refusals met ahead, kept for one asker. */
  private readonly refusedAhead = new Set<string>();
  /** Entries a plan world started: the first scenario to read one read a probe run ahead. */
  private readonly startedAhead = new Set<string>();
  hits = 0;

  static keyOf(spec: ContainerSpec): string {
    return JSON.stringify(spec, (_key, value) =>
      value && typeof value === 'object' && !Array.isArray(value)
        ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)))
        : value);
  }

  get(spec: ContainerSpec, run: () => Promise<RunResult>, options: { ahead?: boolean } = {}): Promise<RunResult> {
    const key = ProbeCache.keyOf(spec);
    const cached = this.entries.get(key);
    if (cached) {
      this.hits++;
      if (!options.ahead && this.startedAhead.delete(key)) planReport.readAhead++;
      if (this.refusedAhead.delete(key)) this.entries.delete(key);
      return cached;
    }
    if (options.ahead) this.startedAhead.add(key);
    else planReport.ranByScenario++;
    const pending = run();
    this.entries.set(key, pending);
    pending.catch((error: unknown) => {
      if (this.entries.get(key) !== pending) return;
      if (options.ahead && isRefusal(error)) this.refusedAhead.add(key);
      else {
        this.entries.delete(key);
        this.startedAhead.delete(key);
      }
    });
    return pending;
  }
}
