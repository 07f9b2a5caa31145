// Networks and volumes: create (through the creation gate) and remove (an object already gone is
// not an error). Every dockerode call goes through platformCall (calls.ts).
import { currentCallTimeouts, platformCall } from './calls.js';
import type { EngineContext } from './engine-api.js';
import { isInterfaceListRace, statusOf } from './errors.js';

export async function createNetwork(ctx: EngineContext, name: string, labels: Record<string, string>, options: Record<string, unknown> = {}): Promise<string> {
  const network = await platformCall(
    {
      what: 'create network', url: ctx.endpoint.url, timeoutMs: currentCallTimeouts().callMs, creates: 'networks',
      again: { when: isInterfaceListRace, attempts: 4, pauseMs: 100 },
    },
    (abortSignal) => ctx.engine().createNetwork({ Name: name, Labels: labels, ...options, abortSignal }),
  );
  return network.id;
}

export async function removeNetwork(ctx: EngineContext, id: string): Promise<void> {
  await platformCall(
    { what: 'remove network', url: ctx.endpoint.url, timeoutMs: 20_000, refusals: false, doneDespite: (error) => statusOf(error) === 404 },
    (abortSignal) => ctx.engine().getNetwork(id).remove({ abortSignal }),
  );
}

/** `driver` and `driverOpts` as POST /volumes/create takes them (e.g. local with type=none,o=bind,device=...). */
export async function createVolume(ctx: EngineContext, name: string, labels: Record<string, string>, options: { driver?: string; driverOpts?: Record<string, string> } = {}): Promise<string> {
  const driver = options.driver ? { Driver: options.driver, DriverOpts: options.driverOpts ?? {} } : {};
  const volume = await platformCall(
    { what: 'create volume', url: ctx.endpoint.url, timeoutMs: currentCallTimeouts().callMs, creates: 'volumes' },
    (abortSignal) => ctx.engine().createVolume({ Name: name, Labels: labels, ...driver, abortSignal }),
  );
  // The platform's answer names the volume (it may differ from the name asked for).
  const answered = volume && typeof volume === 'object' ? (volume as { Name?: unknown }).Name : undefined;
  return answered === undefined || answered === null ? name : String(answered);
}

export async function removeVolume(ctx: EngineContext, name: string): Promise<void> {
  await platformCall(
    {
      what: 'remove volume', url: ctx.endpoint.url, timeoutMs: 20_000, refusals: false,
      // Gone; or sdc-docker without NFS volumes, which answers every /volumes route so (its
      // lib/endpoints/volumes.js:277): nothing can exist.
      doneDespite: (error) => statusOf(error) === 404 || /Volumes are not supported/.test(String((error as Error)?.message)),
    },
    (abortSignal) => ctx.engine().getVolume(name).remove({ abortSignal }),
  );
}
