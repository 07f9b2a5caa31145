// The baseline probe: one busybox `sh` script that prints key=value lines about the container's
// privileges and namespaces, decoded here. Read-only: it opens nothing for writing.

export const BASELINE_PROBE = [
  'for k in CapInh CapPrm CapEff CapBnd CapAmb Seccomp NoNewPrivs; do',
  '  echo "$k=$(sed -n "s/^$k:[[:space:]]*//p" /proc/self/status)"',
  'done',
  'echo "cap_last_cap=$(cat /proc/sys/kernel/cap_last_cap 2>/dev/null)"',
  'for n in pid net ipc uts mnt user cgroup time; do echo "ns.$n=$(readlink /proc/self/ns/$n 2>/dev/null)"; done',
  'echo "kernel=$(uname -r)"',
  'echo "uid_map=$(head -n 1 /proc/self/uid_map | tr -s " " | sed "s/^ //")"',
  'echo "lsm=$(cat /proc/self/attr/current 2>/dev/null | tr -d "\\0")"',
  'echo "probe=done"',
].join('\n');

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

/** A probe that did not reach its end proves nothing: say why instead of judging half an answer. */
export function incompleteProbe(facts: ProbeFacts): string | undefined {
  if (facts.probe !== 'done') return 'the probe did not finish';
  if (!/^[0-9a-f]{16}$/.test(facts.CapEff ?? '')) return `the probe found no readable capability set (CapEff="${facts.CapEff ?? ''}")`;
  return undefined;
}
