// Errors that carry their own exit code and a one-line cause for the user.
import { EXIT, type ExitCode } from './outcome.js';

export class KeelhaulError extends Error {
  constructor(message: string, readonly exitCode: ExitCode, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeelhaulError';
  }
}

/** Bad flag, bad path, invalid profile, malformed feature: exit 2. */
export class UsageError extends KeelhaulError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, EXIT.usage, options);
    this.name = 'UsageError';
  }
}

/** The platform cannot be reached or used: exit 4. */
export class PlatformError extends KeelhaulError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, EXIT.platform, options);
    this.name = 'PlatformError';
  }
}

/** A security or conformance check failed. Steps throw it (or a chai AssertionError) to report a finding. */
export class Finding extends Error {
  constructor(message: string, readonly observations: Record<string, unknown> = {}) {
    super(message);
    this.name = 'Finding';
  }
}

/** Thrown from deep inside a step to end the scenario as not-applicable or inconclusive. */
export class OutcomeSignal extends Error {
  constructor(readonly outcome: 'not-applicable' | 'inconclusive', readonly reason: string) {
    super(reason);
    this.name = 'OutcomeSignal';
  }
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EACCES']);

// OpenSSL's certificate verdicts (node's error.code) and its handshake failures (ERR_SSL_*).
const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE', 'CERT_REVOKED', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID', 'EPROTO', 'ERR_SSL_WRONG_VERSION_NUMBER',
]);

/** A TLS handshake or certificate failure talking to the platform (wrong CA, no client certificate ...). */
export function isTlsFailure(error: unknown): boolean {
  const e = error as { code?: unknown; cause?: { code?: unknown } } | null;
  if (!e || typeof e !== 'object') return false;
  const code = String(e.code ?? e.cause?.code ?? '');
  return TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || /\b(SSL|TLS) alert|ssl3_|tls_process|certificate (required|unknown)/i.test(oneLine(error));
}

/** A connection-level failure talking to the platform (as opposed to an HTTP error answer). */
export function isConnectionFailure(error: unknown): boolean {
  if (error instanceof PlatformError) return true;
  const e = error as { code?: string; cause?: { code?: string }; errno?: unknown; statusCode?: number } | null;
  if (!e || typeof e !== 'object') return false;
  if (typeof e.statusCode === 'number') return false;
  return UNREACHABLE_CODES.has(e.code ?? '') || UNREACHABLE_CODES.has(e.cause?.code ?? '') || isTlsFailure(error);
}

export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message
    : error && typeof error === 'object' && 'message' in error ? String((error as { message: unknown }).message)
      : String(error);
  return text.replace(/\s+/g, ' ').trim();
}
