// How a failed scenario ended: a finding (a check's assertion failed) or an error (the check
// itself broke), and for errors why, which decides between exit 4 and exit 5.
import { isConnectionFailure, oneLine } from './errors.js';
import type { ErrorKind } from './outcome.js';

export interface ClassifiedFailure {
  outcome: 'finding' | 'error';
  errorKind?: ErrorKind;
  reason: string;
}

export function classifyFailure(error: unknown): ClassifiedFailure {
  // cucumber hands After hooks only the LAST step's error, so a failure followed by skipped steps
  // arrives as the result's message text ("Name: message\n    at ..."): recover the name, drop the stack.
  if (typeof error === 'string') {
    const text = error.split(/\n\s*\+ expected - actual|\n\s+at /)[0]!.trim();
    const named = /^([A-Za-z]*(?:Error|Finding|Timeout|Refusal)): ([\s\S]*)$/.exec(text);
    if (named) return classifyFailure(Object.assign(new Error(named[2]), { name: named[1] }));
    error = text;
  }
  // cucumber's message form of an exception: { type, message, stackTrace }.
  const exception = error as { type?: unknown; message?: unknown; name?: unknown } | null;
  if (exception && typeof exception === 'object' && !(error instanceof Error) && typeof exception.type === 'string' && exception.name === undefined) {
    return classifyFailure(Object.assign(new Error(String(exception.message ?? '').split(/\n\s*\+ expected - actual|\n\s+at /)[0]!.trim()), { name: exception.type }));
  }
  const name = (error as Error)?.name;
  const message = oneLine(error ?? 'failed without an error');
  if (name === 'AssertionError' || name === 'Finding') return { outcome: 'finding', reason: message };
  if (/function timed out/i.test(message) || name === 'PlatformTimeout') {
    return { outcome: 'error', errorKind: 'timeout', reason: message };
  }
  // A connection the platform accepted and then dropped mid-call (reset, hang-up, broken pipe) is a
  // fault that broke this check (exit 5), not an unreachable platform (exit 4: refused, no socket, TLS).
  if ((name === 'PlatformError' || isConnectionFailure(error)) && /lost mid-call|\b(ECONNRESET|EPIPE)\b|socket hang up/.test(message)) {
    return { outcome: 'error', errorKind: 'platform-fault', reason: message };
  }
  if (name === 'PlatformError' || isConnectionFailure(error)) return { outcome: 'error', errorKind: 'platform-unreachable', reason: message };
  if (name === 'PlatformRefusal') return { outcome: 'error', errorKind: 'attack', reason: message };
  if (name === 'UsageError') return { outcome: 'error', errorKind: 'authoring', reason: message };
  return { outcome: 'error', errorKind: 'internal', reason: message };
}
