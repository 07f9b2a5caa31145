// The shipped profiles are not validated at run time (the schema compile costs ~100 ms of every
// start-up), so they are validated here; users' profile files are validated on every load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
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

// A YAML profile's data is kept as JSON in the cache folder under the hash of its text (start-up):
// the kept data is what the YAML says, a changed file is parsed anew, and data JSON cannot hold
// exactly is not kept.
test('YAML profiles are cached by their text: a change is never answered from the cache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keelhaul-profile-cache-'));
  const cache = join(dir, 'cache');
  const before = process.env.KEELHAUL_CACHE_DIR;
  process.env.KEELHAUL_CACHE_DIR = cache;
  try {
    const file = join(dir, 'mine.yaml');
    const kept = () => (existsSync(cache) ? readdirSync(cache).filter((f) => f.startsWith('profile-')) : []);
    writeFileSync(file, 'name: mine\ndescription: first\nmultiTenant: false\n');
    assert.equal(loadProfileFile(file).description, 'first');
    assert.equal(kept().length, 1, 'the parsed data is kept');
    assert.equal(loadProfileFile(file).description, 'first', 'and read back');
    writeFileSync(file, 'name: mine\ndescription: second\nmultiTenant: false\n');
    assert.equal(loadProfileFile(file).description, 'second', 'a changed text is parsed again');
    assert.equal(kept().length, 2);
    // .inf is Infinity in YAML and null in JSON: not kept, and still read right.
    writeFileSync(file, 'name: mine\ndescription: third\nmultiTenant: false\ntimeouts:\n  callSeconds: .inf\n');
    assert.equal(loadProfileFile(file, true).timeouts?.callSeconds, Infinity);
    assert.equal(kept().length, 2, 'data JSON cannot hold is not kept');
    assert.equal(loadProfileFile(file, true).timeouts?.callSeconds, Infinity);
    // A shipped profile read through the cache is the same data as parsed from its YAML.
    const shipped = loadProfileFile(shippedProfilePath('triton'), true);
    assert.deepEqual(loadProfileFile(shippedProfilePath('triton'), true), shipped);
  } finally {
    if (before === undefined) delete process.env.KEELHAUL_CACHE_DIR;
    else process.env.KEELHAUL_CACHE_DIR = before;
  }
});
