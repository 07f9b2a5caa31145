// Collects what a recording run wrote (KEELHAUL_RECORD_CONFORMANCE / KEELHAUL_RECORD_HARDENING, see
// docs/conformance.md and docs/hardening.md) into one file per engine that the unit tests replay,
// with the outcome each scenario had in a summary.json (the expectation: take it from a run of the
// code you trust, not from the run being recorded, so the replay compares two implementations).
//   node test/unit/recordings/collect.mjs conformance|hardening <recording dir> <summary.json> <out.json> <label>
// Run from the repository root after `npx tsc` (it reads the catalogues from dist/).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const [family, dir, summaryPath, out, label] = process.argv.slice(2);
const summary = JSON.parse(readFileSync(summaryPath, 'utf8'));
const byId = new Map(summary.scenarios.map((s) => [s.id, s]));
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
const recordings = files.map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));

/** One line per check or scenario: a reviewer's diff shows which changed. */
function lines(head, key, entries) {
  const inner = Object.entries(entries).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(',\n');
  return `{\n${Object.entries(head).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)},`).join('\n')}\n${JSON.stringify(key)}: {\n${inner}\n}}\n`;
}

function body(answer, keepBytes) {
  const { body: bytes, ...rest } = answer;
  if (keepBytes && bytes) rest.body = bytes;
  if (typeof rest.text === 'string' && rest.text.length > 16_384) rest.text = rest.text.slice(0, 4096);
  return rest;
}

if (family === 'conformance') {
  const { PROBES } = await import(resolve('dist/judges/conformance-probes.js'));
  const checks = {};
  for (const r of recordings) {
    const s = byId.get(r.check);
    if (!s) continue;
    const c = s.observations?.conformance;
    const expected = { outcome: s.outcome, classification: c?.classification ?? null };
    if (Array.isArray(r.answers) && r.answers.length > 0 && 'request' in r.answers[0]) {
      checks[r.check] = { kind: 'routes', answers: r.answers, expected };
    } else if (Array.isArray(r.answers)) {
      const name = Object.entries(PROBES).find(([, p]) => p.check === r.check)?.[0];
      const bytes = r.check === 'CONF-L11' || r.check === 'CONF-L13';
      checks[r.check] = { kind: 'probe', probe: name, answers: r.answers.map((a) => body(a, bytes)), expected };
    } else {
      checks[r.check] = { kind: 'option', option: c.evidence.option, ...r.answers, value: r.answers.value ?? c.evidence.value, expected };
    }
  }
  writeFileSync(out, lines({ label, engine: recordings[0]?.engine, target: summary.target }, 'checks', checks));
} else {
  const scenarios = {};
  let baseline;
  for (const r of recordings) {
    const s = byId.get(r.id);
    if (!s) continue;
    const expected = { outcome: s.outcome, hardening: s.observations?.hardening ?? null };
    const { id, engine, baseline: own, ...rest } = r;
    baseline ??= own;
    // One shared baseline; a scenario whose own differs keeps it (the judges compare with it).
    const entry = { ...rest, expected };
    if (own && JSON.stringify(own.values) !== JSON.stringify(baseline?.values)) entry.baseline = own;
    // Parts of the option's probe equal to the baseline's are not repeated (sameAsBaseline names them).
    if (entry.probed) {
      const base = entry.baseline ?? baseline;
      const same = Object.keys(entry.probed).filter((k) => JSON.stringify(entry.probed[k]) === JSON.stringify(base[k]));
      for (const k of same) delete entry.probed[k];
      if (same.length) entry.probed.sameAsBaseline = same;
    }
    scenarios[id] = entry;
  }
  writeFileSync(out, lines({ label, engine: recordings[0]?.engine, target: summary.target, baseline }, 'scenarios', scenarios));
}
console.log(`${out}: ${recordings.length} recordings`);
