#!/usr/bin/env node
// The keelhaul executable. Its one static import arms the SIGINT/SIGTERM handlers and the orphan
// watch: an ES module runs only once its whole static import graph is loaded, so importing the
// command line (commander, run/, ...) here would leave the first few hundred ms of a run to node's
// default handlers, which end the process by the signal instead of exit 130/143.
import './early-signals.js';

const { main } = await import('./program.js');
await main(process.argv);
