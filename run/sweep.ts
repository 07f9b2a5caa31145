// Removal by label: the end-of-run sweep, the sweep on SIGINT/SIGTERM, and `keelhaul clean`.
// Only objects carrying keelhaul.run are ever listed, so nothing unlabelled can be touched.
import { LABEL_RUN, type PlatformClient } from '../adapters/platform/docker-client.js';
import { oneLine } from '../judges/errors.js';

export interface SweepResult {
  removed: { containers: number; networks: number; volumes: number };
  failures: string[];
  runs: string[];
}

/** Remove everything labelled with this run id, or with any run id when runId is undefined. */
export async function sweep(client: PlatformClient, runId?: string): Promise<SweepResult> {
  const label = runId ? `${LABEL_RUN}=${runId}` : LABEL_RUN;
  const result: SweepResult = { removed: { containers: 0, networks: 0, volumes: 0 }, failures: [], runs: [] };
  const runs = new Set<string>();
  // Belt and braces: the platform's filter is trusted only as far as the labels it returns.
  const ours = <T extends { labels: Record<string, string> }>(items: T[]): T[] => items.filter((item) => {
    const run = item.labels[LABEL_RUN];
    if (!run || (runId && run !== runId)) return false;
    runs.add(run);
    return true;
  });
  const remove = async (kind: keyof SweepResult['removed'], id: string, removal: () => Promise<void>) => {
    try {
      await removal();
      result.removed[kind]++;
    } catch (error) {
      result.failures.push(`${kind.replace(/s$/, '')} ${id.slice(0, 12)}: ${oneLine(error)}`);
    }
  };
  const containers = ours(await client.listContainersByLabel(label));
  await Promise.all(containers.map((c) => remove('containers', c.id, () => client.removeContainer(c.id))));
  // A container whose removal is already in progress (a scenario's own clean-up racing the sweep,
  // answered 409) still holds its volumes and networks: wait, bounded, until the label lists none.
  await containersGone(client, label, runId);
  // Networks and volumes one at a time: each may be "in use" for a moment after its container went.
  for (const n of ours(await client.listNetworksByLabel(label).catch(() => []))) {
    await remove('networks', n.id, () => retryInUse(() => client.removeNetwork(n.id)));
  }
  for (const v of ours(await client.listVolumesByLabel(label).catch(() => []))) {
    await remove('volumes', v.id, () => retryInUse(() => client.removeVolume(v.id)));
  }
  result.runs = [...runs];
  return result;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function containersGone(client: PlatformClient, label: string, runId: string | undefined, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const still = (await client.listContainersByLabel(label).catch(() => []))
      .filter((c) => c.labels[LABEL_RUN] && (!runId || c.labels[LABEL_RUN] === runId));
    if (still.length === 0) return;
    await Promise.all(still.map((c) => client.removeContainer(c.id).catch(() => undefined)));
    await pause(250);
  }
}

/** A network or volume still "in use" for a moment after its container went: a few bounded retries. */
async function retryInUse(remove: () => Promise<void>, attempts = 4): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      return await remove();
    } catch (error) {
      if (i >= attempts || !/in use|active endpoints|409/i.test(oneLine(error))) throw error;
      await pause(500 * i);
    }
  }
}

/** Run ids other than ours that still have labelled containers (dead runs, or runs in progress). */
export async function otherRuns(client: PlatformClient, ownRunId: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const c of await client.listContainersByLabel(LABEL_RUN)) {
    const run = c.labels[LABEL_RUN];
    if (run && run !== ownRunId) counts.set(run, (counts.get(run) ?? 0) + 1);
  }
  return counts;
}
