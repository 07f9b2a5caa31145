// The weak fixture daemon plants one weakness set at a time (a single plant file), so tests that
// plant take an exclusive lock for the whole plant-and-run. The lock is a directory (mkdir is
// atomic) holding the owner's pid; a lock whose owner is dead is taken over.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './keelhaul.js';

const LOCK = '/run/keelhaul-fixtures/weak/plant.lock';
const DAEMONS = join(ROOT, 'test', 'fixtures', 'daemons.sh');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function acquire(timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      return;
    } catch {
      let owner = 0;
      try { owner = Number(readFileSync(join(LOCK, 'pid'), 'utf8')); } catch { /* being written */ }
      if (owner && !alive(owner)) rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`could not take ${LOCK} in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Run fn while the weak daemon plants `plants` (comma-separated, or 'none'); always unplants. */
export async function withPlant<T>(plants: string, fn: () => Promise<T>): Promise<T> {
  await acquire();
  try {
    execFileSync('bash', [DAEMONS, 'plant', 'weak', plants], { stdio: 'ignore' });
    return await fn();
  } finally {
    try { execFileSync('bash', [DAEMONS, 'plant', 'weak', 'none'], { stdio: 'ignore' }); } catch { /* daemon gone */ }
    rmSync(LOCK, { recursive: true, force: true });
  }
}
