// Imported first by cli/main.ts, so its handlers exist before the heavier modules are evaluated.
// A signal before a command has armed its own clean-up (run/run.ts) finds nothing to clean: exit
// 130/143 as DESIGN.md says, rather than dying by the signal.
import { EXIT } from '../judges/outcome.js';

export const INTERRUPT_OWNER = Symbol.for('keelhaul.interrupt-owner');

function earlyInterrupt(signal: NodeJS.Signals): void {
  if ((globalThis as Record<symbol, unknown>)[INTERRUPT_OWNER]) return;
  process.exit(signal === 'SIGINT' ? EXIT.sigint : EXIT.sigterm);
}

process.on('SIGINT', earlyInterrupt);
process.on('SIGTERM', earlyInterrupt);
