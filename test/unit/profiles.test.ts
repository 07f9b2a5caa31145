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
