// The shipped profiles are not validated at run time (the schema compile costs ~100 ms of every
// start-up), so they are validated here; users' profile files are validated on every load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHIPPED_PROFILES, loadProfile, loadProfileFile, shippedProfilePath } from '../../run/profiles.js';

test('every shipped profile is valid against profiles/schema.json', () => {
  for (const name of SHIPPED_PROFILES) {
    const profile = loadProfileFile(shippedProfilePath(name), false);
    assert.equal(profile.name, name);
  }
});

test('every divergence of a shipped profile names its source (platform file, doc or seed)', () => {
  for (const name of SHIPPED_PROFILES) {
    const profile = loadProfileFile(shippedProfilePath(name), false);
    for (const [id, entry] of Object.entries(profile.divergences ?? {})) {
      assert.ok(entry.source && entry.source.trim().length > 0, `${name}: ${id} has no source`);
    }
  }
  // the two Triton profiles differ where the preview differed, and only there
  const now = loadProfileFile(shippedProfilePath('triton'), false).divergences!;
  const then = loadProfileFile(shippedProfilePath('triton-2015'), false).divergences!;
  assert.deepEqual(Object.keys(then).filter((k) => !(k in now)).sort(), ['CONF-C9', 'CONF-L10', 'CONF-R22', 'CONF-R23', 'CONF-R24', 'CONF-R25', 'CONF-R26', 'CONF-R27', 'CONF-R28']);
  assert.deepEqual(Object.keys(now).filter((k) => !(k in then)), []);
});

test('--profile auto picks the profile whose match names the engine', () => {
  const fp = (engine: string) => ({ engine } as any);
  assert.equal(loadProfile('auto', fp('podman')).name, 'podman');
  assert.equal(loadProfile('auto', fp('sdc')).name, 'triton');
  assert.equal(loadProfile('auto', fp('docker')).name, 'docker');
  assert.equal(loadProfile('auto', fp('unknown')).name, 'docker');
});

test('a user\'s profile file is validated, with the key named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keelhaul-profile-'));
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'name: mine\nmultiTenant: true\ncolour: blue\n');
  assert.throws(() => loadProfileFile(bad), (e: Error) => e.name === 'UsageError' && /unknown key "colour"/.test(e.message));
  const missing = join(dir, 'missing.yaml');
  writeFileSync(missing, 'name: mine\n');
  assert.throws(() => loadProfile(missing), (e: Error) => e.name === 'UsageError' && /multiTenant/.test(e.message));
});
