// Where keelhaul runs relative to the engine (adapters/tools/runner-location.ts), measured once per
// run with one short helper container in the host's network namespace, and how the ports family
// reaches published ports from there (support/port-vantage.ts). For summary.json, doctor and the steps.
import { PlatformRefusal, type PlatformClient } from '../adapters/platform/docker-client.js';
import { HOST_IDENTITY_SCRIPT, classifyRunner, containerMarker, localIdentity, parseHostIdentity } from '../adapters/tools/runner-location.js';
import { oneLine } from '../judges/errors.js';
import { describeRunner, type RunnerReport } from '../support/port-vantage.js';
import type { Profile } from './profiles.js';

/**
 * Where keelhaul runs, for a run whose selected steps reach no published port: inferred from the
 * connection, without the helper container (the verdicts do not depend on it; summary.json says
 * it was not measured, and why).
 */
export function inferRunner(client: PlatformClient, profile: Pick<Profile, 'semantics' | 'name'>, why: string): RunnerReport {
  return describeRunner(client.connection, profile, classifyRunner(client.connection, localIdentity(), undefined, containerMarker(), why));
}

export async function locateRunner(client: PlatformClient, image: string, profile: Pick<Profile, 'semantics' | 'name'>): Promise<RunnerReport> {
  const local = localIdentity();
  let engineHost;
  let why = '';
  let id: string | undefined;
  try {
    const result = await client.runToCompletion(
      { image, cmd: ['sh', '-c', HOST_IDENTITY_SCRIPT], hostConfig: { NetworkMode: 'host' }, labels: { 'keelhaul.role': 'runner-location' } },
      'runner-location', 20_000, (created) => { id = created; },
    );
    engineHost = parseHostIdentity(result.stdout);
    if (!engineHost) why = `a container in the host's network namespace printed ${JSON.stringify(result.stdout.slice(0, 80))}`;
  } catch (error) {
    why = error instanceof PlatformRefusal ? `the platform refused a container in the host's network namespace: ${error.rawMessage}` : oneLine(error);
  } finally {
    if (id) await client.removeContainer(id).catch(() => undefined);
  }
  return describeRunner(client.connection, profile, classifyRunner(client.connection, local, engineHost, containerMarker(), why));
}
