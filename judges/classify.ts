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
  const name = (error as Error)?.name;
  const message = oneLine(error ?? 'failed without an error');
  if (name === 'AssertionError' || name === 'Finding') return { outcome: 'finding', reason: message };
  if (/function timed out/i.test(message) || name === 'PlatformTimeout') {
    return { outcome: 'error', errorKind: 'timeout', reason: message };
  }
  if (name === 'PlatformError' || isConnectionFailure(error)) return { outcome: 'error', errorKind: 'platform-unreachable', reason: message };
  if (name === 'PlatformRefusal') return { outcome: 'error', errorKind: 'attack', reason: message };
  if (name === 'UsageError') return { outcome: 'error', errorKind: 'authoring', reason: message };
  return { outcome: 'error', errorKind: 'internal', reason: message };
}
