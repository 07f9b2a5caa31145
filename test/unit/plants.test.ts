// The plant table (test/fixtures/plants.json) is the one definition of the weak fixture's plants: the
// daemon script, the planting runtime and the acceptance tests read it. Checked here without an engine:
// every plant is complete, its findings name scenarios that exist, its selftest reads a key the selftest
// probe prints, and its spec (the jq edit of the OCI config.json) changes a recorded config, through the
// runtime script itself with a stand-in for runc.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/keelhaul.js';
import { plants } from '../helpers/plants.js';

const table = plants();
const OPS = new Set(['eq', 'ne', 'bit', 'nobit', 'ge']);
const MEASURED = new Set(['@host_caps', '@host_net', '@host_name', '@stock_cap']); // daemons.sh selftest_weak

function scenarioIds(): Set<string> {
  const ids = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else if (entry.name.endsWith('.feature')) for (const m of readFileSync(join(dir, entry.name), 'utf8').matchAll(/@([A-Z]+-[A-Z0-9-]+)/g)) ids.add(m[1]!);
    }
  };
  walk(join(ROOT, 'features'));
  return ids;
}

test('every plant is complete: a unique name, what it plants, a spec, selftest rows, findings on existing scenarios', () => {
  const names = table.map((p) => p.name);
  assert.deepEqual(names.filter((n, i) => names.indexOf(n) !== i), [], 'plant names are unique');
  const ids = scenarioIds();
  const probe = readFileSync(join(ROOT, 'test', 'fixtures', 'daemons.sh'), 'utf8');
  for (const p of table) {
    assert.match(p.name, /^[a-z][a-z0-9-]*$/, `${p.name}: a plant name is lower-case with dashes (the plant file is comma-separated)`);
    assert.ok(p.what.length > 10, `${p.name}: say what it plants`);
    assert.ok(p.spec.trim().length > 0, `${p.name}: no spec`);
    assert.ok(p.caps === undefined || p.caps === 'bounding' || (Array.isArray(p.caps) && p.caps.every((c) => /^CAP_[A-Z_]+$/.test(c))), `${p.name}: caps is a list of CAP_ names or "bounding"`);
    assert.ok(p.selftest.length > 0, `${p.name}: no selftest row (daemons.sh selftest weak could not show it takes effect)`);
    for (const row of p.selftest) {
      assert.ok(OPS.has(row.op), `${p.name}: selftest op ${row.op} is not one of ${[...OPS].join(', ')}`);
      // ns_<type> lines come from one loop over the namespace types.
      const printed = row.key.startsWith('ns_')
        ? probe.includes('echo "ns_$n ') && new RegExp(`for n in [a-z ]*\\b${row.key.slice(3)}\\b`).test(probe)
        : probe.includes(`echo "${row.key} `);
      assert.ok(printed, `${p.name}: the selftest probe in daemons.sh prints no "${row.key}" line`);
      if (row.want.startsWith('@')) assert.ok(MEASURED.has(row.want), `${p.name}: ${row.want} is not a value daemons.sh measures`);
    }
    for (const f of p.findings) {
      assert.ok(ids.has(f.id), `${p.name}: finding ${f.id} is no scenario tag in features/`);
      assert.doesNotThrow(() => new RegExp(f.reason), `${p.name}: ${f.id}'s reason is not a regular expression`);
      for (const other of f.with ?? []) assert.ok(names.includes(other), `${p.name}: ${f.id} is with an unknown plant ${other}`);
    }
  }
  assert.ok(table.filter((p) => p.findings.length > 0).length >= 20, 'most plants must cause a finding somewhere');
});

test('the planting runtime applies each spec from the table to a container config, and refuses an unknown plant', () => {
  try {
    execFileSync('jq', ['--version'], { stdio: 'ignore' });
  } catch {
    assert.fail('jq is not installed: the planting runtime needs it (bash scripts/test-tools.sh installs it)');
  }
  const dir = mkdtempSync(join(tmpdir(), 'keelhaul-plants-'));
  // A copy of the runtime beside a copy of the table (it finds the table next to its own folder), with the
  // fixture folder in the temporary directory and `exec runc` replaced by a stop: nothing reaches runc.
  mkdirSync(join(dir, 'fixtures', 'runtime'), { recursive: true });
  mkdirSync(join(dir, 'state'));
  const script = readFileSync(join(ROOT, 'test', 'fixtures', 'runtime', 'plant-runtime.sh'), 'utf8')
    .replace(/^FIXTURE_DIR=.*$/m, `FIXTURE_DIR=${join(dir, 'state')}`)
    .replace(/^exec "\$RUNC" "\$@"$/gm, 'exit 0');
  assert.ok(!/^exec "\$RUNC" "\$@"$/m.test(script) && script.includes(`FIXTURE_DIR=${join(dir, 'state')}`), 'the runtime\'s layout changed: update this test');
  writeFileSync(join(dir, 'fixtures', 'runtime', 'plant-runtime.sh'), script);
  writeFileSync(join(dir, 'fixtures', 'plants.json'), readFileSync(join(ROOT, 'test', 'fixtures', 'plants.json')));
  const stock = readFileSync(join(ROOT, 'test', 'fixtures', 'runtime', 'config.sample.json'), 'utf8');
  const plantWith = (list: string): { changed: boolean; config: any } => {
    const bundle = mkdtempSync(join(dir, 'bundle-'));
    writeFileSync(join(bundle, 'config.json'), stock);
    writeFileSync(join(dir, 'state', 'plant'), `${list}\n`);
    execFileSync('bash', [join(dir, 'fixtures', 'runtime', 'plant-runtime.sh'), '--root', '/nowhere', 'create', '--bundle', bundle, 'test-id'], { stdio: 'pipe' });
    const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
    return { changed: JSON.stringify(config) !== JSON.stringify(JSON.parse(stock)), config };
  };
  for (const p of table) {
    if (p.requires === 'apparmor') continue; // the recorded config comes from a host without AppArmor
    assert.ok(plantWith(p.name).changed, `${p.name}: its spec leaves the config unchanged`);
  }
  assert.equal(plantWith('none').changed, false);
  const both = plantWith('cap-sys-admin,no-seccomp').config;
  assert.ok(both.process.capabilities.effective.includes('CAP_SYS_ADMIN') && both.linux.seccomp === undefined, 'two plants combine');
  assert.throws(() => plantWith('no-such-plant'), /unknown plant: no-such-plant/);
});
