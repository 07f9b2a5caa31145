// key=value lines printed by in-container probe scripts (judges/probes-isolation.ts holds the
// isolation probe; sibling containers print the same form).

export type ProbeFacts = Record<string, string>;

export function parseProbeOutput(stdout: string): ProbeFacts {
  const facts: ProbeFacts = {};
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    facts[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return facts;
}
