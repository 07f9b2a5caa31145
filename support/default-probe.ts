// The default probe: the isolation probe (judges/probes-isolation.ts) run in a container of a given
// configuration, decoded. One home for it: isolation, hardening and baseline steps all judge from it.
import type { ContainerSpec } from '../adapters/platform/docker-client.js';
import { parseMountinfo, type MountEntry } from '../judges/mountinfo.js';
import { ISOLATION_PROBE, incompleteIsolationProbe, parseIsolationProbe, type ProbeReport } from '../judges/probes-isolation.js';
import type { KeelhaulWorld } from './world.js';

export interface Probed {
  report: ProbeReport;
  mounts: MountEntry[];
  /** The NetworkMode the probe container really ran with. */
  networkMode: string;
  /** The configuration it was started with: a follow-up probe (paths it did not examine) uses the same. */
  spec: Partial<ContainerSpec>;
}

/**
 * Run the isolation probe in a container of this configuration (shared per worker between every
 * scenario asking for the identical configuration) and decode it. A probe that did not finish is an
 * error, never a verdict.
 */
export async function probeContainer(world: KeelhaulWorld, spec: Partial<ContainerSpec> = {}): Promise<Probed> {
  const result = await world.probe(ISOLATION_PROBE, spec);
  if (result.timedOut) throw new Error('the probe container did not finish in time');
  const report = parseIsolationProbe(result.stdout);
  const missing = incompleteIsolationProbe(report);
  if (missing) throw new Error(`${missing} (exit ${result.exitCode}; stderr: ${result.stderr.trim().slice(0, 200)})`);
  // The mode World.probe used (support/network-policy.ts: 'none', or 'default' where the platform
  // refuses it), so a follow-up container with the option under test differs in that option only.
  const asked = spec.hostConfig?.NetworkMode;
  return { report, mounts: parseMountinfo(report.mountLines), networkMode: asked === undefined ? world.probeNetworkMode : String(asked), spec };
}
