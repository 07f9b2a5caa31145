// Conformance classification and the divergence ledger (DESIGN.md "Platform profiles";
// reference/conformance.md sections 5 and 6). Pure: no I/O, unit-tested in test/unit/conformance.test.ts.

export const CONFORMANCE_CLASSES = ['conformant', 'unimplemented', 'rejected', 'ignored', 'divergent', 'error-format'] as const;
export type ConformanceClass = (typeof CONFORMANCE_CLASSES)[number];

/** What one conformance check saw: its class, a one-line why, and the raw evidence. */
export interface ConformanceObservation {
  check: string;
  classification: ConformanceClass;
  detail: string;
  evidence?: Record<string, unknown>;
}

/**
 * How the observation compares with the profile:
 * conformant: like stock Docker and nothing declared; known: the declared divergence was observed;
 * undeclared: a divergence the profile does not declare (or declares with another class);
 * out-of-date: the profile declares a divergence the platform no longer shows.
 */
export type LedgerVerdict = 'conformant' | 'known' | 'undeclared' | 'out-of-date';

export interface LedgerEntry extends ConformanceObservation {
  declared?: ConformanceClass;
  declaredNote?: string;
  verdict: LedgerVerdict;
  pass: boolean;
  message: string;
}

export type Divergences = Record<string, { class: string; note?: string; source?: string }> | undefined;

export function judgeLedger(observation: ConformanceObservation, divergences: Divergences, profileName: string): LedgerEntry {
  const declaredEntry = divergences?.[observation.check];
  const declared = declaredEntry?.class as ConformanceClass | undefined;
  const base = { ...observation, declared, declaredNote: declaredEntry?.note };
  const observed = observation.classification;
  if (observed === 'conformant' && !declared) {
    return { ...base, verdict: 'conformant', pass: true, message: `${observation.check}: conformant (${observation.detail})` };
  }
  if (observed === 'conformant' && declared) {
    return {
      ...base, verdict: 'out-of-date', pass: false,
      message: `profile out of date: profile ${profileName} declares ${observation.check} as ${declared}, but the platform behaves like stock Docker (${observation.detail})`,
    };
  }
  if (declared === observed) {
    return { ...base, verdict: 'known', pass: true, message: `${observation.check}: known divergence (${observed}) declared by profile ${profileName}: ${observation.detail}` };
  }
  const also = declared ? ` (profile ${profileName} declares ${declared})` : ` (not declared in profile ${profileName})`;
  return { ...base, verdict: 'undeclared', pass: false, message: `undeclared divergence: ${observation.check} is ${observed}: ${observation.detail}${also}` };
}

// ---- route existence (conformance.md 6.1, 6.2) ------------------------------------------------

/**
 * Is this answer "the route is missing" (as opposed to "the resource is missing" or "the route
 * exists but refuses")? Docker's 503 "not a swarm manager" means the route exists.
 */
export function routeMissing(status: number, body: string): boolean {
  const text = body.trim();
  if (status === 405 || status === 501) return true;
  if (status === 404 && /page not found|^not found$|does not exist|is not supported/i.test(text)) return true;
  if (status === 400 && /NotImplemented|not implemented/i.test(text)) return true;
  if (status === 503 && /does not support/i.test(text)) return true;
  return false;
}

// ---- error shapes (E1-E6) ------------------------------------------------------------------------

export type ErrorBodyShape = 'json-message' | 'json-message-extra' | 'json-other' | 'text';

/** Docker (API >= 1.24) answers errors as JSON {"message": "..."}; anything else is its own finding. */
export function errorBodyShape(contentType: string | undefined, text: string): ErrorBodyShape {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'text';
  }
  if (!/json/i.test(contentType ?? '') && parsed === undefined) return 'text';
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && typeof (parsed as { message?: unknown }).message === 'string') {
    return Object.keys(parsed).length === 1 ? 'json-message' : 'json-message-extra';
  }
  return 'json-other';
}

/**
 * An error answer compared with Docker's: expected status(es) and a JSON message body.
 * A wrong status is divergent; the right status with another body shape is error-format.
 */
export function classifyErrorAnswer(
  status: number, contentType: string | undefined, text: string, expected: number[],
): { classification: ConformanceClass; detail: string } {
  const shape = errorBodyShape(contentType, text);
  const body = text.trim().slice(0, 160);
  if (!expected.includes(status)) {
    if (status >= 200 && status < 300) return { classification: 'divergent', detail: `accepted with ${status} where Docker refuses with ${expected.join('/')}` };
    return { classification: 'divergent', detail: `answered ${status} where Docker answers ${expected.join('/')} (${body})` };
  }
  if (shape === 'json-message') return { classification: 'conformant', detail: `${status} with a JSON message` };
  if (shape === 'json-message-extra') return { classification: 'conformant', detail: `${status} with a JSON message (and extra keys: ${extraKeys(text)})` };
  return { classification: 'error-format', detail: `${status} as expected, but the body is ${shape === 'text' ? `plain text "${body}"` : 'JSON without a "message"'}, not {"message": ...}` };
}

function extraKeys(text: string): string {
  try {
    return Object.keys(JSON.parse(text)).filter((k) => k !== 'message').join(', ');
  } catch {
    return '';
  }
}

// ---- create options (C rows): read-back and in-container look -----------------------------------

export interface OptionEvidence {
  /** The create (or start) was refused: HTTP status and raw message. */
  refused?: { status: number; message: string };
  /** Does inspect's read-back equal the request? 'differs' carries what it says instead. */
  readBack: 'echoed' | 'absent' | { differs: string };
  /** What the container itself shows: applied, not applied (with what it saw), or no look possible. */
  effect: 'applied' | { notApplied: string } | 'not-observable';
}

/**
 * conformance.md 6.3: refused = rejected; echoed and applied = conformant; not applied (whatever
 * inspect says) = ignored, since inspect can lie; applied differently (read-back and effect agree
 * on another value) = divergent.
 */
export function classifyOption(e: OptionEvidence, divergentWhenDiffersButApplied = true): { classification: ConformanceClass; detail: string } {
  if (e.refused) return { classification: 'rejected', detail: `refused with ${e.refused.status}: ${e.refused.message.slice(0, 200)}` };
  const rb = e.readBack;
  const effect = e.effect;
  if (effect !== 'applied' && effect !== 'not-observable') {
    const says = rb === 'echoed' ? 'inspect echoes the option back' : rb === 'absent' ? 'inspect does not show it' : `inspect says ${rb.differs}`;
    return { classification: 'ignored', detail: `accepted but without effect inside the container (${effect.notApplied}); ${says}` };
  }
  if (rb === 'echoed') return { classification: 'conformant', detail: effect === 'applied' ? 'echoed by inspect and in effect inside the container' : 'echoed by inspect' };
  if (rb === 'absent') {
    return effect === 'applied'
      ? { classification: 'divergent', detail: 'in effect inside the container, but inspect does not report it' }
      : { classification: 'ignored', detail: 'accepted, and inspect does not report it (no in-container look for this option)' };
  }
  if (divergentWhenDiffersButApplied && effect === 'applied') return { classification: 'divergent', detail: `applied differently: inspect says ${rb.differs}` };
  return { classification: 'ignored', detail: `accepted, but inspect says ${rb.differs}` };
}

// ---- matrix helpers ---------------------------------------------------------------------------------

/** Sort check IDs by family letter order V, E, R, C, L, S, then number, then suffix. */
export function compareCheckIds(a: string, b: string): number {
  const order = 'VERCLS';
  const parse = (id: string) => {
    const m = /^CONF-([A-Z])(\d+)(.*)$/.exec(id);
    return m ? { f: order.indexOf(m[1]!) < 0 ? 99 : order.indexOf(m[1]!), n: Number(m[2]), rest: m[3] ?? '' } : { f: 100, n: 0, rest: id };
  };
  const pa = parse(a);
  const pb = parse(b);
  return pa.f - pb.f || pa.n - pb.n || pa.rest.localeCompare(pb.rest);
}

/** Parse a "--memory"-style size: 100m, 1g, 512k, or bytes (the one parser is judges/formats.ts's). */
export { parseSize } from './formats.js';
