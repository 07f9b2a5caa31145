// support/signals.ts, the one owner of SIGINT/SIGTERM, in child processes (a signal to this test
// process would end the test runner): the early exit, a claim and its release, observers before the
// owner, an interruption raised or inherited.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MODULE = fileURLToPath(new URL('../../support/signals.ts', import.meta.url));

/** Run `body` (an ES module body with the signal module imported as `s`) in a child; its exit code and output. */
function child(body: string, env: NodeJS.ProcessEnv = {}): { status: number | null; signal: NodeJS.Signals | null; stdout: string } {
  const code = `import * as s from ${JSON.stringify(MODULE)};\nconst tick = () => new Promise((r) => setTimeout(r, 50));\n${body}`;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, ...env } });
  return { status: result.status, signal: result.signal, stdout: result.stdout };
}

test('armed early, a signal nothing claimed exits 130 (SIGINT) or 143 (SIGTERM); unarmed, node\'s default ends the process', () => {
  assert.equal(child('s.exitOnUnownedSignals(); process.kill(process.pid, "SIGINT"); await tick(); await tick(); console.log("survived");').status, 130);
  assert.equal(child('s.exitOnUnownedSignals(); process.kill(process.pid, "SIGTERM"); await tick(); await tick(); console.log("survived");').status, 143);
  assert.equal(child('process.kill(process.pid, "SIGTERM"); await tick(); console.log("survived");').signal, 'SIGTERM');
});

test('a claim gets every signal (first, then again) and the early exit stands aside; released, the early exit is back', () => {
  const r = child(`
    s.exitOnUnownedSignals();
    s.onEverySignal((sig) => console.log("observed " + sig));
    const claim = s.claimInterrupts("test", (sig, first) => console.log("owner " + sig + " " + first));
    process.kill(process.pid, "SIGINT"); await tick();
    process.kill(process.pid, "SIGTERM"); await tick();
    console.log("interruptedBy " + claim.interruptedBy);
    claim.release();
    process.kill(process.pid, "SIGTERM"); await tick(); await tick();
    console.log("survived");
  `);
  assert.equal(r.stdout, 'observed SIGINT\nowner SIGINT true\nobserved SIGTERM\nowner SIGTERM false\ninterruptedBy SIGINT\nobserved SIGTERM\n');
  assert.equal(r.status, 143);
});

test('an interruption raised by keelhaul itself, or inherited from an interrupted parent, is handled as the signal', () => {
  const r = child(`
    const claim = s.claimInterrupts("worker", (sig, first) => console.log("owner " + sig + " " + first));
    const inherited = s.inheritedInterrupt();
    if (inherited) s.raiseInterrupt(inherited);
    s.markInterruptedForChildren("SIGTERM");
    console.log(process.env.KEELHAUL_STOPPING + " " + claim.interruptedBy + " " + s.exitCodeOnSignal("SIGINT") + " " + s.exitCodeOnSignal("SIGTERM"));
  `, { KEELHAUL_STOPPING: 'SIGINT' });
  assert.equal(r.stdout, 'owner SIGINT true\nSIGTERM SIGINT 130 143\n');
  assert.equal(child('console.log(String(s.inheritedInterrupt()));', { KEELHAUL_STOPPING: 'yes' }).stdout, 'undefined\n');
});
