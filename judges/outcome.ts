// The outcome model (DESIGN.md "Outcomes") and the exit-code contract ("Exit codes").
// One place decides the exit code, as Playwright's failure tracker does: nothing else sets it.

export const OUTCOMES = ['pass', 'finding', 'not-applicable', 'inconclusive', 'error'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/**
 * Why a scenario ended in `error`: decides between exit 4 (the platform cannot be reached) and 5
 * (the check broke: a timeout, a refused or failed attack, a platform that dropped a call it had
 * accepted, or keelhaul itself). `authoring` (a step undefined at run time) is exit 2.
 */
export type ErrorKind = 'platform-unreachable' | 'platform-fault' | 'timeout' | 'attack' | 'authoring' | 'internal';

export type OutcomeCounts = Record<Outcome, number>;

export function emptyCounts(): OutcomeCounts {
  return { pass: 0, finding: 0, 'not-applicable': 0, inconclusive: 0, error: 0 };
}

export const EXIT = {
  ok: 0,
  finding: 1,
  usage: 2,
  nothingRan: 3,
  platform: 4,
  internal: 5,
  sigint: 130,
  sigterm: 143,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export interface RunVerdictInput {
  counts: OutcomeCounts;
  errorKinds: ErrorKind[];
  advisory: boolean;
  interrupted?: 'SIGINT' | 'SIGTERM';
}

/**
 * Precedence: interruption, then an unusable platform, then an authoring mistake found at run time,
 * then findings, then scenarios whose check broke, then "nothing ran".
 * A finding outranks a broken check because exit 1 promises "at least one finding"; the broken
 * checks are still counted and listed. `--advisory` keeps only 2, 4 and 5 (and interruptions).
 */
export function exitCodeFor({ counts, errorKinds, advisory, interrupted }: RunVerdictInput): ExitCode {
  if (interrupted === 'SIGINT') return EXIT.sigint;
  if (interrupted === 'SIGTERM') return EXIT.sigterm;
  if (errorKinds.includes('platform-unreachable')) return EXIT.platform;
  if (errorKinds.includes('authoring')) return EXIT.usage;
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  if (advisory) return counts.error > 0 ? EXIT.internal : EXIT.ok;
  if (counts.finding > 0) return EXIT.finding;
  if (counts.error > 0) return EXIT.internal;
  if (total === 0) return EXIT.nothingRan;
  return EXIT.ok;
}

export function exitMeaning(code: number): string {
  switch (code) {
    case 0: return 'every scenario that ran passed';
    case 1: return 'at least one finding';
    case 2: return 'usage or authoring error';
    case 3: return 'nothing ran: the paths and tags selected no scenario';
    case 4: return 'the platform is unreachable or unusable';
    case 5: return 'a check broke (keelhaul or an attack failed to run): the verdict is incomplete';
    case 130: return 'interrupted by SIGINT';
    case 143: return 'interrupted by SIGTERM';
    default: return 'unknown';
  }
}
