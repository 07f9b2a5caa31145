// The network-mode policy: where a container that needs no network runs. NetworkMode none where the
// platform allows it; the platform's own default network (NetworkMode left unset) where it refuses
// none (Triton: sdc-docker lib/validate.js:247). Learned once per platform and worker process, from
// the profile (semantics.noneNetwork: false) or from the first create the platform refuses for it;
// every recipe that wants "no network" asks here (World.probe, the default probe and the containers
// that must differ from it in one option only, the other tenant's container).
import { isRefusal } from '../adapters/platform/docker-client.js';

export type ProbeNetworkMode = 'none' | 'default';

export interface NetworkModeChoice {
  mode: ProbeNetworkMode;
  /** Why the platform's default network is used, for summary.json (observation "probeNetwork"). */
  note?: string;
}

/** The platform's refusal of NetworkMode none, per platform client (one per target and worker). */
const refusals = new WeakMap<object, string>();

/** The mode for a container that asks for no network in particular. */
export function probeNetworkMode(platform: object, profile: { name: string; semantics?: { noneNetwork?: boolean } }): NetworkModeChoice {
  if (profile.semantics?.noneNetwork === false) {
    // The profile says so: no refused create to learn it from.
    return { mode: 'default', note: `profile ${profile.name}: the platform refuses NetworkMode none; probes use its default network` };
  }
  const refused = refusals.get(platform);
  return refused ? { mode: 'default', note: `the platform refused NetworkMode none (${refused}); probes use its default network` } : { mode: 'none' };
}

/** HostConfig for that mode: NetworkMode none, or nothing (the platform's default network). */
export function noNetworkHostConfig(mode: ProbeNetworkMode): { NetworkMode?: 'none' } {
  return mode === 'none' ? { NetworkMode: 'none' } : {};
}

/**
 * Learn from a failed create: true (and remembered for this platform) when the platform refused
 * NetworkMode none, so the caller may retry on the default network; false for anything else.
 */
export function learnNoneRefusal(platform: object, error: unknown): boolean {
  if (!isRefusal(error, /network/i) || !/none/i.test(error.rawMessage)) return false;
  refusals.set(platform, error.rawMessage);
  return true;
}
