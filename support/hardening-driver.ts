// What the hardening steps (steps/hardening.steps.ts) do besides judging: the scenario's typed slot,
// recording what a request did (and KEELHAUL_RECORD_HARDENING recordings), the engine socket path, a
// bind volume tracked for cleanup, and reading the daemon's JSON documents. The judgements are pure, in
// judges/hardening.ts and judges/hardening-options.ts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRefusal, type ContainerSpec, type PlatformRefusal } from '../adapters/platform/docker-client.js';
import { oneLine } from '../judges/errors.js';
import type { Effect, RefusalStage } from '../judges/hardening.js';
import { optionFor, type HardeningContext, type OptionRequest } from '../judges/hardening-options.js';
import { probeContainer, type Probed } from './default-probe.js';
import type { KeelhaulWorld } from './world.js';

export interface Outcome {
  option: string;
  request?: unknown;
  refusal?: { stage: RefusalStage; message: string };
  effect?: Effect;
}

export interface HardeningSlot {
  outcome?: Outcome;
  bindings?: Array<{ HostIp?: string; HostPort?: string }>;
}
declare module './world.js' {
  interface ScenarioContext { hardening?: HardeningSlot }
}
export const slot = (world: KeelhaulWorld): HardeningSlot => (world.ctx.hardening ??= {});
export const daemon = (world: KeelhaulWorld) => (world.ctx.daemon ??= {});

export function record(world: KeelhaulWorld, outcome: Outcome, probes?: Record<string, unknown>): void {
  slot(world).outcome = outcome;
  world.observe('hardeningRequest', { option: outcome.option, request: outcome.request });
  if (outcome.refusal) {
    world.observe('refusedAt', outcome.refusal.stage);
    world.observe('rawMessage', outcome.refusal.message);
  }
  if (outcome.effect) world.observe('evidence', outcome.effect.evidence);
  // KEELHAUL_RECORD_HARDENING=<dir>: what the probes saw, as test/unit/recordings/hardening/ was recorded.
  const dir = process.env.KEELHAUL_RECORD_HARDENING;
  if (dir && probes) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${world.scenarioId}.json`), `${JSON.stringify({ id: world.scenarioId, engine: world.fingerprint.engine, ...outcome, ...probes }, null, 1)}\n`);
  }
}

export const refusalMessage = (refusal: PlatformRefusal): string => refusal.rawMessage || oneLine(refusal);

export function engineSocketPath(world: KeelhaulWorld): string {
  const url = world.platform.url;
  return url.startsWith('unix://') ? url.slice('unix://'.length) : '/var/run/docker.sock';
}

/** A local volume bound to a host path (HARD-03-VOLUME), labelled and tracked; its name, or the refusal. */
export async function bindVolume(world: KeelhaulWorld, device: string): Promise<string | PlatformRefusal> {
  const wanted = `keelhaul-bind-${world.parameters.runId.slice(0, 12)}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    const name = await world.platform.createVolume(wanted, world.scenarioId, { driver: 'local', driverOpts: { type: 'none', o: 'bind', device } });
    world.resources.track('volume', name);
    return name;
  } catch (error) {
    if (isRefusal(error)) return error;
    throw error;
  }
}

/** GET a JSON document of the daemon (/info, /version); inconclusive when it does not answer one. */
export async function getJson(world: KeelhaulWorld, path: string): Promise<any> {
  const response = await world.platform.raw({ method: 'GET', path, signal: world.signal });
  if (response.status !== 200) world.inconclusive(`GET ${path} answered ${response.status}: ${response.text.slice(0, 200)}`);
  try {
    return response.json();
  } catch {
    world.inconclusive(`GET ${path} did not answer JSON`);
  }
}

/** The option's container: on the baseline probe's network, so that only the dangerous option differs between the two. */
export function optionSpec(baseline: Pick<Probed, 'networkMode'>, request: OptionRequest): Partial<ContainerSpec> {
  return { hostConfig: { NetworkMode: baseline.networkMode, ...request.hostConfig }, env: request.env };
}

/**
 * The probe plan's share of "a container is requested with ..." (support/probe-plan.ts): the
 * baseline and the option's container, exactly as the step asks for them. Nothing where the step
 * would first make a volume or end the scenario before asking.
 */
export async function prefetchOption(world: KeelhaulWorld, name: unknown): Promise<void> {
  const option = optionFor(String(name));
  const baseline = await probeContainer(world);
  const ctx: HardeningContext = { baseline, socketPath: engineSocketPath(world) };
  if (option.prepareVolume || option.notApplicable?.(ctx)) return;
  const request = option.request(ctx);
  if (typeof request !== 'string') await probeContainer(world, optionSpec(baseline, request));
}
