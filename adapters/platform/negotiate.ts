// API version negotiation. dockerode does none: without a version prefix every request goes to the
// daemon's newest API, and with one that is too new the daemon answers 400. We do what the Go
// client's WithAPIVersionNegotiation does: the lower of the daemon's maximum and ours.

/** The newest API whose shapes keelhaul's steps understand (Docker 20.10). */
export const OUR_API_VERSION = '1.41';
/** The oldest we accept. Triton's sdc-docker speaks 1.21-era versions; below that create bodies differ. */
export const MINIMUM_API_VERSION = '1.21';

export function compareApiVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

export function isApiVersion(v: unknown): v is string {
  return typeof v === 'string' && /^\d+\.\d+$/.test(v);
}

export type Negotiation =
  | { ok: true; version: string; daemonMax: string; daemonMin?: string; note?: string }
  | { ok: false; reason: string };

export function negotiateApiVersion(daemon: { ApiVersion?: unknown; MinAPIVersion?: unknown }, ours = OUR_API_VERSION, minimum = MINIMUM_API_VERSION): Negotiation {
  if (!isApiVersion(daemon.ApiVersion)) {
    return { ok: false, reason: `the platform's /version reports no usable ApiVersion (${JSON.stringify(daemon.ApiVersion)})` };
  }
  const daemonMax = daemon.ApiVersion;
  const daemonMin = isApiVersion(daemon.MinAPIVersion) ? daemon.MinAPIVersion : undefined;
  const chosen = compareApiVersions(daemonMax, ours) < 0 ? daemonMax : ours;
  if (compareApiVersions(chosen, minimum) < 0) {
    return { ok: false, reason: `the platform speaks API ${daemonMax}, older than keelhaul's minimum ${minimum}` };
  }
  if (daemonMin && compareApiVersions(chosen, daemonMin) < 0) {
    // Docker 29 raised its minimum to 1.44. The request shapes keelhaul uses are unchanged there,
    // so speak the daemon's minimum rather than refuse a current engine, and say so.
    return { ok: true, version: daemonMin, daemonMax, daemonMin, note: `speaking API ${daemonMin}, newer than the ${ours} keelhaul is tested with, because the platform refuses older` };
  }
  return { ok: true, version: chosen, daemonMax, daemonMin };
}
