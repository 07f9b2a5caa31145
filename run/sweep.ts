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
  const containers = await client.listContainersByLabel(label);
  await Promise.all(containers.map(async (c) => {
    // Belt and braces: the platform's filter is trusted only as far as the labels it returns.
    if (!c.labels[LABEL_RUN] || (runId && c.labels[LABEL_RUN] !== runId)) return;
    runs.add(c.labels[LABEL_RUN]);
    try {
      await client.removeContainer(c.id);
      result.removed.containers++;
    } catch (error) {
      result.failures.push(`container ${c.id.slice(0, 12)}: ${oneLine(error)}`);
    }
  }));
  const networks = await client.listNetworksByLabel(label).catch(() => []);
  for (const n of networks) {
    if (!n.labels[LABEL_RUN] || (runId && n.labels[LABEL_RUN] !== runId)) continue;
    runs.add(n.labels[LABEL_RUN]);
    try {
      await client.removeNetwork(n.id);
      result.removed.networks++;
    } catch (error) {
      result.failures.push(`network ${n.id.slice(0, 12)}: ${oneLine(error)}`);
    }
  }
  const volumes = await client.listVolumesByLabel(label).catch(() => []);
  for (const v of volumes) {
    if (!v.labels[LABEL_RUN] || (runId && v.labels[LABEL_RUN] !== runId)) continue;
    runs.add(v.labels[LABEL_RUN]);
    try {
      await client.removeVolume(v.id);
      result.removed.volumes++;
    } catch (error) {
      result.failures.push(`volume ${v.id}: ${oneLine(error)}`);
    }
  }
  result.runs = [...runs];
  return result;
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
