#!/usr/bin/env node
// The keelhaul executable. Before anything else is loaded (one static import, the small signal module
// with nothing heavy behind it: an ES module runs only once its whole static import graph is loaded,
// which would leave the first few hundred ms to node's default handlers, ending the process by the
// signal instead of exit 130/143):
// - a signal before a command has armed its own clean-up (run/run.ts) finds nothing to clean: exit
//   130/143 as DESIGN.md says (support/signals.ts owns the signals);
// - the process is named "keelhaul ..." from here on (ps, /proc/<pid>/comm): the tests read it to tell
//   a signal that landed in node's own start-up, before any code of ours ran, from one that did not;
// - output that cannot be written (the terminal or the pipe of a parent that died) must never stop a
//   clean-up: write errors on stdout and stderr are dropped;
// - a keelhaul whose parent goes away stops as on SIGTERM (support/orphan-watch.ts).
import { exitOnUnownedSignals } from '../support/signals.js';

exitOnUnownedSignals();
process.title = ['keelhaul', ...process.argv.slice(2)].join(' ');
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);

const { stopWhenOrphaned } = await import('../support/orphan-watch.js');
stopWhenOrphaned();
const { main } = await import('./program.js');
await main(process.argv);
