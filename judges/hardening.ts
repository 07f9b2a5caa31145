// The hardening family's three outcomes (issue 3): a dangerous option requested through the API is
// rejected (the API refused it at create, start or exec), neutralised (accepted, but a probe from
// inside shows no effect) or effective (the container really got it). Whether "effective" fails the
// run comes from the profile: a multi-tenant platform must never let it through; on stock Docker API
// access is root-equivalent by design, so it is an exposure.

import { cgroupLimit } from './formats.js';

export type HardeningClass = 'rejected' | 'neutralised' | 'effective';
export type RefusalStage = 'create' | 'start' | 'exec';

export interface Effect {
  /** true: the option took effect; false: no trace of it inside; 'unknown': could not be told. */
  effective: boolean | 'unknown';
  evidence: string;
}

export type HardeningVerdict =
  | { verdict: 'pass'; classification: HardeningClass }
  | { verdict: 'exposure'; classification: 'effective' }
  | { verdict: 'finding'; classification: 'effective' }
  | { verdict: 'inconclusive'; classification?: undefined };

export function classify(refusal: { stage: RefusalStage; message: string } | undefined, effect?: Effect): HardeningClass | 'unknown' {
  if (refusal) return 'rejected';
  if (!effect || effect.effective === 'unknown') return 'unknown';
  return effect.effective ? 'effective' : 'neutralised';
}

export function verdictFor(classification: HardeningClass | 'unknown', multiTenant: boolean): HardeningVerdict {
  if (classification === 'unknown') return { verdict: 'inconclusive' };
  if (classification !== 'effective') return { verdict: 'pass', classification };
  return multiTenant ? { verdict: 'finding', classification } : { verdict: 'exposure', classification };
}

/** Which stage a PlatformRefusal's message names ("create container: ...", "start container: ..."). */
export function refusalStage(message: string): RefusalStage {
  if (/^start container/i.test(message)) return 'start';
  if (/exec/i.test(message.split(':')[0] ?? '')) return 'exec';
  return 'create';
}

/** Runtime failures reported inside an exec's output rather than as an HTTP error. */
export function execRuntimeRefusal(exitCode: number | null, output: string): string | undefined {
  if (exitCode === 126 || exitCode === 127 || /OCI runtime exec failed|unable to apply caps|exec failed/i.test(output)) {
    return output.trim().replace(/\s+/g, ' ').slice(0, 400) || `exec exited ${exitCode}`;
  }
  return undefined;
}

/** The parent cgroup of a /proc/self/cgroup line's path ("8:pids:/docker/<id>" -> "/docker"). */
export function cgroupParent(lines: string[]): string | undefined {
  const line = lines.find((l) => /^\d+:[^:]*pids[^:]*:/.test(l)) ?? lines.find((l) => /^0::/.test(l)) ?? lines[0];
  if (!line) return undefined;
  const path = line.split(':').slice(2).join(':');
  if (!path.startsWith('/')) return undefined;
  const cut = path.lastIndexOf('/');
  return cut <= 0 ? '/' : path.slice(0, cut);
}

/** A cgroup limit file's value: unlimited ("max", -1, or the page-rounded 2^63) or a number (judges/formats.ts). */
export function limitValue(text: string | undefined): 'unlimited' | 'absent' | number {
  return cgroupLimit(text) ?? 'absent';
}
