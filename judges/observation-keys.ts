// Observation keys (summary.json scenarios[].observations) that code other than the step writing them reads
// back by name: run/summary.ts and run/report-html.ts (hardening table), run/matrix.ts and report-html.ts
// (conformance matrix), report-html.ts's charts and scripts/verdict-stability.sh (noisy-neighbour numbers).
// Declared once, here: readers import these names, and so should the writers (`this.observe(OBSERVATION.x,
// ...)`), so renaming one side cannot silently empty the other. Every other observation key is free-form
// evidence for the reader of summary.json. test/unit/observation-keys.test.ts checks each key has a writer.
export const OBSERVATION = {
  /** hardening.steps.ts: 'rejected' | 'neutralised' | 'effective' | 'unknown' (the three-way classification). */
  hardening: 'hardening',
  /** hardening.steps.ts: one line of what the option did (the hardening table's detail column). */
  hardeningDetail: 'hardeningDetail',
  /** conformance.steps.ts: the check's observation, with declared and verdict once judged against the profile. */
  conformance: 'conformance',
  /** noisy-neighbours.steps.ts: the verdict line a chart shows when the scenario has no reason. */
  verdict: 'verdict',
  // noisy-neighbours.steps.ts: the measurements the report charts and the stability script tabulate.
  cpuQuota: 'cpuQuota',
  throughputRatio: 'throughputRatio',
  cpuRates: 'cpuRates',
  fairShare: 'fairShare',
  sharesRatio: 'sharesRatio',
  pinnedCpuRate: 'pinnedCpuRate',
  forkFlood: 'forkFlood',
  victimForks: 'victimForks',
  nprocUlimit: 'nprocUlimit',
  directWrite: 'directWrite',
  bufferedWrite: 'bufferedWrite',
  offender: 'offender',
  shm: 'shm',
  heartbeat: 'heartbeat',
} as const;

export type ObservationKey = (typeof OBSERVATION)[keyof typeof OBSERVATION];

/**
 * The one number scripts/verdict-stability.sh shows per scenario and run: the first of these present
 * (observation key, then the field inside it).
 */
export const STABILITY_NUMBERS: ReadonlyArray<{ key: ObservationKey; field: string }> = [
  { key: OBSERVATION.cpuQuota, field: 'medianRate' },
  { key: OBSERVATION.fairShare, field: 'median' },
  { key: OBSERVATION.sharesRatio, field: 'median' },
  { key: OBSERVATION.directWrite, field: 'bytesPerSecond' },
  { key: OBSERVATION.heartbeat, field: 'maxGapS' },
  { key: OBSERVATION.forkFlood, field: 'started' },
  { key: OBSERVATION.pinnedCpuRate, field: 'rate' },
];

/** The number STABILITY_NUMBERS picks from one scenario's observations: `a ?? b ?? ...` over the list. */
export function stabilityNumber(observations: Record<string, unknown> | undefined): unknown {
  let picked: unknown;
  for (const { key, field } of STABILITY_NUMBERS) {
    picked = (observations?.[key] as Record<string, unknown> | null | undefined)?.[field];
    if (picked !== undefined && picked !== null) return picked;
  }
  return picked;
}
