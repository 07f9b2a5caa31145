// Shares read-only probe results between scenarios of one worker that ask for the same container
// configuration. A failed probe is not cached, so a transient platform error is retried once by
// the next scenario instead of spreading to all of them.
import type { ContainerSpec, RunResult } from '../adapters/platform/docker-client.js';

export class ProbeCache {
  private readonly entries = new Map<string, Promise<RunResult>>();
  hits = 0;

  static keyOf(spec: ContainerSpec): string {
    return JSON.stringify(spec, (_key, value) =>
      value && typeof value === 'object' && !Array.isArray(value)
        ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)))
        : value);
  }

  get(spec: ContainerSpec, run: () => Promise<RunResult>): Promise<RunResult> {
    const key = ProbeCache.keyOf(spec);
    const cached = this.entries.get(key);
    if (cached) {
      this.hits++;
      return cached;
    }
    const pending = run();
    this.entries.set(key, pending);
    pending.catch(() => this.entries.delete(key));
    return pending;
  }
}
