// A rule's verdict (judges/verdict.ts) as the scenario's outcome: a finding is thrown, an
// inconclusive or not-applicable signalled; a pass lets the scenario go on.
import { Finding } from '../judges/errors.js';
import type { Verdict } from '../judges/verdict.js';
import type { KeelhaulWorld } from './world.js';

export function settle(world: KeelhaulWorld, verdict: Verdict): void {
  if (verdict.outcome === 'not-applicable') world.notApplicable(verdict.reason);
  if (verdict.outcome === 'inconclusive') world.inconclusive(verdict.reason);
  if (verdict.outcome === 'finding') throw new Finding(verdict.reason);
}
