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

/** What a scenario's After hook records: an outcome, why, and for errors the kind. */
export interface OutcomeRecord {
  outcome: string;
  reason?: string;
  errorKind?: ErrorKind;
  [key: string]: unknown;
}

/**
 * Should the platform be asked whether it is still there before this outcome is believed? A pass
 * or a finding stands on what was seen (an attack that takes the daemon down is a finding); an
 * authoring mistake is not about the platform; the rest (a broken check, an inconclusive or a
 * not-applicable one) may be nothing but a platform going away under the scenario.
 */
export function needsPlatformRecheck(record: OutcomeRecord): boolean {
  if (record.outcome === 'inconclusive' || record.outcome === 'not-applicable') return true;
  return record.outcome === 'error' && record.errorKind !== 'authoring' && record.errorKind !== 'platform-unreachable';
}

/** The platform stopped answering during the scenario: what it saw cannot be trusted (exit 4). */
export function platformGone(record: OutcomeRecord, why: string): OutcomeRecord {
  const saw = record.reason ? `; the scenario had ended ${record.outcome}: ${record.reason}` : '';
  return { ...record, outcome: 'error', errorKind: 'platform-unreachable', reason: `the platform stopped answering during this scenario (${why})${saw}` };
}
