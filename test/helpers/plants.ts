// The weak fixture daemon's plants, read from the one table that defines them (test/fixtures/plants.json;
// daemons.sh and the plant runtime read the same file).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './keelhaul.js';

export interface PlantFinding {
  /** The scenario ID that must report the plant as a finding. */
  id: string;
  /** A regular expression the finding's reason must match (it names the planted weakness). */
  reason: string;
  /** Only when these plants are planted as well (e.g. a capability that seccomp would otherwise block). */
  with?: string[];
}

export interface Plant {
  name: string;
  what: string;
  caps?: string[] | 'bounding';
  spec: string;
  requires?: 'apparmor';
  selftest: Array<{ key: string; op: string; want: string }>;
  findings: PlantFinding[];
}

export const PLANTS_TABLE = join(ROOT, 'test', 'fixtures', 'plants.json');

export function plants(): Plant[] {
  return (JSON.parse(readFileSync(PLANTS_TABLE, 'utf8')) as { plants: Plant[] }).plants;
}

export function plant(name: string): Plant {
  const found = plants().find((p) => p.name === name);
  if (!found) throw new Error(`no plant "${name}" in ${PLANTS_TABLE}`);
  return found;
}

/** The findings one plant must cause on its own (with an ID prefix: only that family's). */
export function soloFindings(name: string, idPrefix = ''): Array<PlantFinding & { plant: string }> {
  return plant(name).findings.filter((f) => !f.with && f.id.startsWith(idPrefix)).map((f) => ({ ...f, plant: name }));
}

/** The findings that need several plants at once, one entry per plant set. */
export function combinedFindings(idPrefix = ''): Array<{ plants: string[]; findings: Array<PlantFinding & { plant: string }> }> {
  const sets = new Map<string, { plants: string[]; findings: Array<PlantFinding & { plant: string }> }>();
  for (const p of plants()) {
    for (const f of p.findings) {
      if (!f.with || !f.id.startsWith(idPrefix)) continue;
      const names = [p.name, ...f.with];
      const key = names.join(',');
      if (!sets.has(key)) sets.set(key, { plants: names, findings: [] });
      sets.get(key)!.findings.push({ ...f, plant: p.name });
    }
  }
  return [...sets.values()];
}
