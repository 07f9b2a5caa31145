// Evaluated before any other keelhaul module (cli/main.ts), with nothing to load first.
// - A signal before a command has armed its own clean-up (run/run.ts) finds nothing to clean:
//   exit 130/143 as DESIGN.md says, rather than dying by the signal.
// - The process is named "keelhaul" from here on (ps, /proc/<pid>/comm): the tests read it to tell a
//   signal that landed in node's own start-up, before any code of ours ran, from one that did not.
// - Output that cannot be written (the terminal or the pipe of a parent that died) must never stop
//   a clean-up: write errors on stdout and stderr are dropped.
// - A keelhaul whose parent goes away stops as on SIGTERM (support/orphan-watch.ts).
import { stopWhenOrphaned } from '../support/orphan-watch.js';

export const INTERRUPT_OWNER = Symbol.for('keelhaul.interrupt-owner');

function earlyInterrupt(signal: NodeJS.Signals): void {
  if ((globalThis as Record<symbol, unknown>)[INTERRUPT_OWNER]) return;
  process.exit(signal === 'SIGINT' ? 130 : 143);
}

process.on('SIGINT', earlyInterrupt);
process.on('SIGTERM', earlyInterrupt);
process.title = ['keelhaul', ...process.argv.slice(2)].join(' ');
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);
stopWhenOrphaned();
