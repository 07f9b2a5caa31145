// Images: is it there, pull (finished, with in-band errors caught: ecosystem.md 3.6), import a root
// filesystem tarball (the seeded probe image).
import { PlatformError } from '../../judges/errors.js';
import { PlatformRefusal } from './errors.js';
import { platformCall } from './calls.js';
import type { EngineContext } from './engine-api.js';
import { rawRequest, type Endpoint } from './raw-http.js';

export async function imageExists(endpoint: Endpoint, ref: string): Promise<boolean> {
  const response = await rawRequest(endpoint, { method: 'GET', path: `/images/${encodeURIComponent(ref)}/json` });
  if (response.status === 200) return true;
  if (response.status === 404) return false;
  throw new PlatformError(`GET /images/${ref}/json answered ${response.status}: ${response.text.slice(0, 200)}`);
}

/** One event of a pull's progress stream; an in-band error is one carrying `error` or `errorDetail`. */
interface PullEvent {
  error?: string;
  errorDetail?: { message?: string };
}

/** Pull; resolves only when the pull has finished, and fails on in-band errors (ecosystem.md 3.6). */
export async function pullImage(ctx: EngineContext, ref: string, timeoutMs: number): Promise<void> {
  const stream = await platformCall({ what: `pull ${ref}`, url: ctx.endpoint.url, timeoutMs }, (abortSignal) => ctx.engine().pull(ref, { abortSignal }));
  const output = await new Promise<unknown[]>((resolve, reject) => {
    ctx.engine().modem.followProgress(stream, (error, result) => (error ? reject(error) : resolve(result ?? [])));
  });
  const inBand = (output as Array<PullEvent | null | undefined>).find((event) => event?.error || event?.errorDetail);
  if (inBand) throw new Error(`pull ${ref}: ${inBand.error ?? inBand.errorDetail?.message}`);
}

/** POST /images/create?fromSrc=- with a root filesystem tarball. */
export async function importImage(endpoint: Endpoint, tarball: Buffer, repo: string, tag: string, changes: string[]): Promise<void> {
  const query = new URLSearchParams({ fromSrc: '-', repo, tag });
  for (const change of changes) query.append('changes', change);
  const response = await rawRequest(endpoint, {
    method: 'POST', path: `/images/create?${query}`, body: tarball, headers: { 'Content-Type': 'application/x-tar' }, timeoutMs: 120_000,
  });
  const failure = response.status >= 400 ? response.text : response.text.split('\n').find((line) => /"error"/.test(line));
  if (failure) throw new Error(`import ${repo}:${tag}: ${failure.slice(0, 300)}`);
  // Podman's compatible import ignores repo and tag and leaves the image untagged: tag it by the
  // image id the import reported (Docker tags it already; tagging again is harmless).
  const imageId = /"status":"(sha256:[0-9a-f]{64})"/.exec(response.text)?.[1];
  if (imageId && !(await imageExists(endpoint, `${repo}:${tag}`))) {
    const tagged = await rawRequest(endpoint, { method: 'POST', path: `/images/${imageId}/tag?${new URLSearchParams({ repo, tag })}` });
    if (tagged.status >= 300) throw new Error(`tag ${imageId.slice(0, 19)} as ${repo}:${tag}: ${tagged.status} ${tagged.text.slice(0, 200)}`);
  }
}

/** One image as GET /images/json lists it (tool images: adapters/tools/tool-images.ts). */
export interface ListedImage { id: string; repoTags: string[]; labels: Record<string, string>; size: number; created: number }

interface ImageSummary { Id?: string; RepoTags?: string[] | null; Labels?: Record<string, string> | null; Size?: number; Created?: number }

/** GET /images/json with filters (label, reference). */
export async function listImages(endpoint: Endpoint, filters: Record<string, string[]>): Promise<ListedImage[]> {
  const response = await rawRequest(endpoint, { method: 'GET', path: `/images/json?filters=${encodeURIComponent(JSON.stringify(filters))}` });
  if (response.status !== 200) throw new PlatformError(`GET /images/json answered ${response.status}: ${response.text.slice(0, 200)}`);
  const list: unknown = JSON.parse(response.text);
  return (Array.isArray(list) ? (list as ImageSummary[]) : []).map((image) => ({
    id: String(image.Id ?? ''), repoTags: (image.RepoTags ?? []).filter((t) => t && t !== '<none>:<none>'),
    labels: image.Labels ?? {}, size: Number(image.Size ?? 0), created: Number(image.Created ?? 0),
  }));
}

/** POST /commit: a new image from a container, with Dockerfile-style changes (LABEL ...); its id. */
export async function commitContainer(endpoint: Endpoint, id: string, repo: string, tag: string, changes: string[]): Promise<string> {
  const query = new URLSearchParams({ container: id, repo, tag });
  for (const change of changes) query.append('changes', change);
  // An empty config body: Podman's compatible commit refuses a request without one ("Decode(): EOF").
  const response = await rawRequest(endpoint, { method: 'POST', path: `/commit?${query}`, body: {}, timeoutMs: 120_000 });
  if (response.status >= 300) throw new PlatformRefusal(response.status, response.text.slice(0, 300), `commit ${id.slice(0, 12)} as ${repo}:${tag}`);
  return String((JSON.parse(response.text || '{}') as { Id?: unknown }).Id ?? '');
}
