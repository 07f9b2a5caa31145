// What a pure judge decides about one step: the outcome, why, and what to record. Steps hand it to
// World.settle, which records the observations first and then acts on the outcome, so the rule can be
// unit-tested on recorded probe output without an engine.

export interface Verdict {
  /** pass; exposure (passed only because the profile accepts it); the scenario's other endings; error: the check broke. */
  outcome: 'pass' | 'exposure' | 'finding' | 'not-applicable' | 'inconclusive' | 'error';
  /** The reason (or, for an exposure, what is exposed). */
  why?: string;
  /** For summary.json, recorded whatever the outcome. */
  observations?: Record<string, unknown>;
}

/** A pass, with the reason it passed (shown in summary.json) or the observations to record. */
export function pass(detail?: string | Record<string, unknown>): Verdict {
  return typeof detail === 'string' ? { outcome: 'pass', why: detail } : { outcome: 'pass', observations: detail };
}

export const finding = (why: string, observations?: Record<string, unknown>): Verdict => ({ outcome: 'finding', why, observations });
export const inconclusive = (why: string, observations?: Record<string, unknown>): Verdict => ({ outcome: 'inconclusive', why, observations });
export const notApplicable = (why: string, observations?: Record<string, unknown>): Verdict => ({ outcome: 'not-applicable', why, observations });

/** `outcome` with `why` when `condition` holds, else a pass; the observations either way. */
export function verdictIf(condition: unknown, outcome: Verdict['outcome'], why: string, observations?: Record<string, unknown>): Verdict {
  return condition ? { outcome, why, observations } : pass(observations);
}
