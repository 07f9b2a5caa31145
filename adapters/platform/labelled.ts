// Listing the objects that carry a label (a run's, for the sweeps and the reaper). Over raw HTTP:
// the preflight and the sweeps need no dockerode (docker-client.ts loads it on first use).
import { PlatformError } from '../../judges/errors.js';
import { PlatformRefusal } from './errors.js';
import { rawRequest, type Endpoint } from './raw-http.js';

export interface Labelled {
  id: string;
  labels: Record<string, string>;
}
export interface LabelledContainer extends Labelled {
  state: string;
  names: string[];
}

/** One listed object as the API answers it: the fields read here, whatever else it carries. */
interface Listed {
  Id?: string;
  Name?: string;
  Labels?: Record<string, string> | null;
  State?: string;
  Names?: string[] | null;
}

async function listByLabel(endpoint: Endpoint, what: 'containers' | 'networks' | 'volumes', label: string): Promise<unknown> {
  const filters = encodeURIComponent(JSON.stringify({ label: [label] }));
  const response = await rawRequest(endpoint, { method: 'GET', path: `/${what}${what === 'containers' ? '/json?all=1&' : '?'}filters=${filters}` });
  if (response.status !== 200) throw new PlatformRefusal(response.status, response.text.trim().slice(0, 300), `list ${what}`);
  try {
    return response.json();
  } catch {
    throw new PlatformError(`list ${what}: the platform answered no JSON: ${response.text.slice(0, 120)}`);
  }
}

function listed(answer: unknown): Listed[] {
  return Array.isArray(answer) ? answer : [];
}

export async function listContainersByLabel(endpoint: Endpoint, label: string): Promise<LabelledContainer[]> {
  return listed(await listByLabel(endpoint, 'containers', label)).map((c) => ({ id: c.Id!, labels: c.Labels ?? {}, state: c.State!, names: c.Names ?? [] }));
}

export async function listNetworksByLabel(endpoint: Endpoint, label: string): Promise<Labelled[]> {
  return listed(await listByLabel(endpoint, 'networks', label)).map((n) => ({ id: n.Id!, labels: n.Labels ?? {} }));
}

export async function listVolumesByLabel(endpoint: Endpoint, label: string): Promise<Labelled[]> {
  const answer = await listByLabel(endpoint, 'volumes', label) as { Volumes?: Listed[] | null } | null | undefined;
  return (answer?.Volumes ?? []).map((v) => ({ id: v.Name!, labels: v.Labels ?? {} }));
}
