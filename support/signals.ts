// The one owner of SIGINT and SIGTERM in a keelhaul process: it arms the handlers, keeps the
// interrupt state, and says what a signal's exit code is (DESIGN.md: 130 and 143). Everything else
// asks it:
// - cli/main.ts arms it at its first line: a signal before any command owns the exit finds nothing
//   to clean and exits 130/143 at once (exitOnUnownedSignals);
// - `keelhaul run` (run/run.ts) and `run --target A --target B` (run/multi-target.ts) claim the
//   signals while they run: theirs is the clean-up and the exit (claimInterrupts);
// - support code (support/hooks.ts) closes the creation gate on every signal (onEverySignal), and a
//   parallel worker claims the signals to leave once its creates in flight are answered;
// - a worker forked after its coordinator was interrupted inherits the interruption
//   (markInterruptedForChildren, inheritedInterrupt).
// The state lives on globalThis, not in this module: one process may load this module twice (the
// executable's copy and cucumber's support code loaded by another path), and it must still have ONE
// pair of process listeners and one owner. Only judges/outcome.ts is imported: cli/main.ts loads
// this before anything else, and that must stay fast.
import { EXIT } from '../judges/outcome.js';

export type InterruptSignal = 'SIGINT' | 'SIGTERM';

/** The exit code of a process ended by `signal` (DESIGN.md "Exit codes"). */
export function exitCodeOnSignal(signal: InterruptSignal): number {
  return signal === 'SIGINT' ? EXIT.sigint : EXIT.sigterm;
}

/** A claim on the process's signals, held by what owns the clean-up and the exit while it runs. */
export interface InterruptClaim {
  /** The first signal that came while the claim was held, if any. */
  readonly interruptedBy: InterruptSignal | undefined;
  /** Hand the signals back (to the next claim down, else to the early exit where it is armed). */
  release(): void;
}

interface Owner {
  name: string;
  onSignal: (signal: InterruptSignal, first: boolean) => void;
  interruptedBy?: InterruptSignal;
}

interface SignalState {
  listening: boolean;
  exitWhenUnowned: boolean;
  owners: Owner[];
  observers: Array<(signal: InterruptSignal) => void>;
}

const STATE = Symbol.for('keelhaul.signals');

function state(): SignalState {
  const g = globalThis as Record<symbol, SignalState | undefined>;
  g[STATE] ??= { listening: false, exitWhenUnowned: false, owners: [], observers: [] };
  return g[STATE];
}

/** A signal, or one raised by keelhaul itself (an inherited interruption, a coordinator gone): observers, then the owner. */
function deliver(signal: InterruptSignal): void {
  const s = state();
  for (const observe of s.observers) observe(signal);
  const owner = s.owners.at(-1);
  if (owner) {
    const first = owner.interruptedBy === undefined;
    owner.interruptedBy ??= signal;
    owner.onSignal(signal, first);
    return;
  }
  if (s.exitWhenUnowned) process.exit(exitCodeOnSignal(signal));
}

function listen(): SignalState {
  const s = state();
  if (!s.listening) {
    s.listening = true;
    process.on('SIGINT', () => deliver('SIGINT'));
    process.on('SIGTERM', () => deliver('SIGTERM'));
  }
  return s;
}

/** cli/main.ts, first thing: a signal that nothing has claimed ends the process 130/143. */
export function exitOnUnownedSignals(): void {
  listen().exitWhenUnowned = true;
}

/**
 * From now until release, every SIGINT/SIGTERM goes to `onSignal` (`first`: none came before while
 * this claim was held); the early exit stands aside. The owner decides what a second signal does.
 */
export function claimInterrupts(name: string, onSignal: (signal: InterruptSignal, first: boolean) => void): InterruptClaim {
  const s = listen();
  const owner: Owner = { name, onSignal };
  s.owners.push(owner);
  return {
    get interruptedBy() { return owner.interruptedBy; },
    release() {
      const i = s.owners.indexOf(owner);
      if (i >= 0) s.owners.splice(i, 1);
    },
  };
}

/** `observe` runs on every signal, before the owner's handler (support code: close the creation gate). */
export function onEverySignal(observe: (signal: InterruptSignal) => void): void {
  listen().observers.push(observe);
}

/** Handle `signal` as if it had been received (an interruption inherited or implied by a coordinator gone). */
export function raiseInterrupt(signal: InterruptSignal): void {
  listen();
  deliver(signal);
}

const STOPPING_ENV = 'KEELHAUL_STOPPING';

/** Processes started from now on (cucumber's workers, forked while the run was starting) inherit the interruption. */
export function markInterruptedForChildren(signal: InterruptSignal): void {
  process.env[STOPPING_ENV] = signal;
}

/** The interruption this process was started under (its parent had been interrupted), if any. */
export function inheritedInterrupt(env: NodeJS.ProcessEnv = process.env): InterruptSignal | undefined {
  const value = env[STOPPING_ENV];
  return value === 'SIGINT' || value === 'SIGTERM' ? value : undefined;
}
