// key=value lines printed by in-container probe scripts (judges/probes-isolation.ts holds the
// isolation probe; sibling containers print the same form). The parser is judges/formats.ts's.
import { keyValueRecord } from './formats.js';

export type ProbeFacts = Record<string, string>;

export function parseProbeOutput(stdout: string): ProbeFacts {
  return keyValueRecord(stdout);
}
