import { test } from 'node:test';
import assert from 'node:assert/strict';
import tar from 'tar-stream';
import { busyboxRootfs, syscallHelper, isDynamicElf } from '../../adapters/platform/probe-image.js';

async function entries(tarball: Buffer): Promise<Record<string, { mode?: number; size: number }>> {
  const extract = tar.extract();
  const found: Record<string, { mode?: number; size: number }> = {};
  await new Promise<void>((resolve, reject) => {
    extract.on('entry', (header: any, stream: any, next: () => void) => {
      let size = 0;
      stream.on('data', (c: Buffer) => { size += c.length; });
      stream.on('end', () => { found[header.name] = { mode: header.mode, size }; next(); });
      stream.resume();
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
    extract.end(tarball);
  });
  return found;
}

test('the seeded rootfs carries the syscall helper when there is one, and not otherwise', async () => {
  const helper = Buffer.from('\x7fELF-not-really');
  const withHelper = await entries(await busyboxRootfs(Buffer.from('busybox'), ['sh'], helper));
  assert.equal(withHelper['bin/keelhaul-syscalls']?.size, helper.length);
  assert.equal(withHelper['bin/keelhaul-syscalls']?.mode, 0o755);
  const without = await entries(await busyboxRootfs(Buffer.from('busybox'), ['sh']));
  assert.equal(without['bin/keelhaul-syscalls'], undefined);
});

test('the helper is built from helpers/keelhaul-syscalls.c with gcc -static where gcc is (this machine has it)', async () => {
  const built = await syscallHelper({});
  assert.ok(built, 'gcc -static built the helper');
  assert.match(built.hash, /^[0-9a-f]{16}$/);
  assert.equal(isDynamicElf(built.binary), false, 'statically linked: the busybox image has no loader');
  assert.equal(await syscallHelper({ KEELHAUL_SYSCALL_HELPER: '/nonexistent' }).then((h) => h?.hash), built.hash, 'a missing named helper falls back to building');
});
