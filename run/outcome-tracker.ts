// The one place that turns a run into outcomes and an exit code (Playwright's failure tracker is
// the model). It reads cucumber's message envelopes, so it sees serial and parallel runs alike.
import { OUTCOME_MEDIA_TYPE } from '../support/parameters.js';
import { OUTCOMES, emptyCounts, exitCodeFor, type ErrorKind, type Outcome, type OutcomeCounts } from '../judges/outcome.js';
import { classifyFailure } from '../judges/classify.js';
import { scenarioIdOf } from '../judges/scenario-id.js';

export interface ScenarioRecord {
  id: string;
  name: string;
  feature: string;
  uri: string;
  line: number;
  tags: string[];
  outcome: Outcome;
  reason: string;
  errorKind?: ErrorKind;
  durationMs: number;
  observations: Record<string, unknown>;
  exposures: string[];
}

interface Envelope { [key: string]: any }

const STATUS_RANK: Record<string, number> = { PASSED: 0, SKIPPED: 1, PENDING: 2, UNDEFINED: 3, AMBIGUOUS: 4, FAILED: 5, UNKNOWN: 1 };

export class OutcomeTracker {
  private readonly features = new Map<string, string>();
  private readonly documents = new Map<string, any>();
  private readonly pickles = new Map<string, Envelope>();
  private readonly testCases = new Map<string, Envelope>();
  private readonly started = new Map<string, { testCaseId: string; at: number; worst: Envelope | undefined; record?: Envelope }>();
  readonly scenarios: ScenarioRecord[] = [];

  consume(envelope: Envelope): void {
    if (envelope.gherkinDocument?.feature) {
      this.features.set(envelope.gherkinDocument.uri, envelope.gherkinDocument.feature.name);
      this.documents.set(envelope.gherkinDocument.uri, envelope.gherkinDocument);
    } else if (envelope.pickle) {
      this.pickles.set(envelope.pickle.id, envelope.pickle);
    } else if (envelope.testCase) {
      this.testCases.set(envelope.testCase.id, envelope.testCase);
    } else if (envelope.testCaseStarted) {
      const s = envelope.testCaseStarted;
      this.started.set(s.id, { testCaseId: s.testCaseId, at: toMs(s.timestamp), worst: undefined });
    } else if (envelope.testStepFinished) {
      const f = envelope.testStepFinished;
      const entry = this.started.get(f.testCaseStartedId);
      if (entry && (STATUS_RANK[f.testStepResult.status] ?? 0) > (STATUS_RANK[entry.worst?.status] ?? -1)) entry.worst = f.testStepResult;
    } else if (envelope.attachment?.mediaType === OUTCOME_MEDIA_TYPE) {
      const entry = this.started.get(envelope.attachment.testCaseStartedId);
      if (entry) {
        try {
          entry.record = JSON.parse(envelope.attachment.body);
        } catch {
          // A malformed outcome record falls back to cucumber's own status below.
        }
      }
    } else if (envelope.testCaseFinished) {
      this.finish(envelope.testCaseFinished);
    }
  }

  consumeNdjson(text: string): void {
    for (const line of text.split('\n')) {
      if (line.trim()) this.consume(JSON.parse(line));
    }
  }

  private finish(finished: Envelope): void {
    const entry = this.started.get(finished.testCaseStartedId);
    if (!entry || finished.willBeRetried) return;
    const testCase = this.testCases.get(entry.testCaseId);
    const pickle = testCase ? this.pickles.get(testCase.pickleId) : undefined;
    if (!pickle) return;
    const tags: string[] = pickle.tags.map((t: { name: string }) => t.name);
    const record = entry.record ?? fallbackRecord(entry.worst);
    const outcome: Outcome = OUTCOMES.includes(record.outcome) ? record.outcome : 'error';
    this.scenarios.push({
      // The hook's ID (unique per outline row) when it ran, else the same rule from the documents.
      id: record.scenarioId ?? scenarioIdOf(pickle as any, this.documents.get(pickle.uri)),
      name: pickle.name,
      feature: this.features.get(pickle.uri) ?? pickle.uri,
      uri: pickle.uri,
      line: pickle.location?.line ?? 0,
      tags,
      outcome,
      reason: String(record.reason ?? (outcome === 'pass' ? '' : 'no reason given')),
      errorKind: record.errorKind,
      durationMs: Math.max(0, toMs(finished.timestamp) - entry.at),
      observations: record.observations ?? {},
      exposures: record.exposures ?? [],
    });
  }

  counts(): OutcomeCounts {
    const counts = emptyCounts();
    for (const s of this.scenarios) counts[s.outcome]++;
    return counts;
  }

  errorKinds(): ErrorKind[] {
    return this.scenarios.filter((s) => s.outcome === 'error' && s.errorKind).map((s) => s.errorKind!);
  }

  exitCode(advisory: boolean, interrupted?: 'SIGINT' | 'SIGTERM'): number {
    return exitCodeFor({ counts: this.counts(), errorKinds: this.errorKinds(), advisory, interrupted });
  }
}

/** Without keelhaul's own outcome record (a hook crashed before writing it), judge by cucumber's status. */
function fallbackRecord(worst: Envelope | undefined): Envelope {
  switch (worst?.status) {
    case undefined:
    case 'PASSED': return { outcome: 'pass' };
    case 'SKIPPED': return { outcome: 'not-applicable', reason: 'skipped' };
    case 'UNDEFINED':
    case 'AMBIGUOUS':
    case 'PENDING': return { outcome: 'error', errorKind: 'authoring', reason: `a step is ${String(worst.status).toLowerCase()}` };
    default: {
      const failure = classifyFailure(worst?.exception ?? worst?.message);
      return { ...failure };
    }
  }
}

function toMs(timestamp: { seconds: number; nanos: number } | undefined): number {
  return timestamp ? timestamp.seconds * 1000 + Math.floor(timestamp.nanos / 1e6) : 0;
}
