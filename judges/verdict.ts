// What a verdict rule returns: the outcome and the reason, in words a report reader can act on.
// Steps settle it (a finding is thrown, an inconclusive signalled); the rule itself stays pure.

export type Verdict =
  | { outcome: 'pass'; reason: string }
  | { outcome: 'finding'; reason: string }
  | { outcome: 'inconclusive'; reason: string }
  | { outcome: 'not-applicable'; reason: string };

export const pass = (reason: string): Verdict => ({ outcome: 'pass', reason });
export const finding = (reason: string): Verdict => ({ outcome: 'finding', reason });
export const inconclusive = (reason: string): Verdict => ({ outcome: 'inconclusive', reason });
export const notApplicable = (reason: string): Verdict => ({ outcome: 'not-applicable', reason });
