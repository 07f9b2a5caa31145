// The Allure formatter keelhaul registers for every run (run/run.ts): allure-cucumberjs's reporter
// with keelhaul's outcome model. Left alone, Allure would guess from cucumber's step statuses:
//   - "failed" vs "broken" from the error's name (/assert/), so a `throw new Finding(...)` looked
//     like a crashed check;
//   - a scenario ended as not-applicable (a passed Given, then a skipped step) as "passed".
// Here the verdict the exit code is computed from decides: the outcome record support/hooks.ts
// attaches to every scenario (the same one run/outcome-tracker.ts reads).
//   pass -> passed · finding -> failed (Allure: product defect) · error -> broken (test defect)
//   not-applicable -> skipped · inconclusive -> unknown; the reason becomes the status message.
// Failed steps use the same classification (judges/classify.ts), so the step icons agree.
import { createRequire } from 'node:module';
import type AllureCucumberReporterType from 'allure-cucumberjs/reporter';
import { classifyFailure } from '../judges/classify.js';
import { OUTCOME_MEDIA_TYPE } from '../support/parameters.js';

type StepResult = { status: string; message?: string; exception?: { type: string; message?: string; stackTrace?: string } };
type Envelope = { attachment?: { mediaType: string; body: string; testCaseStartedId?: string }; testCaseFinished?: { testCaseStartedId: string } };
type TestResult = { status?: string; statusDetails?: Record<string, unknown> };
interface Runtime {
  updateTest(uuid: string, update: (result: TestResult) => void): void;
  stopTest(uuid: string, options?: unknown): void;
}
interface ReporterInternals {
  allureRuntime: Runtime;
  testResultUuids: Map<string, string>;
  parseEnvelope(envelope: Envelope): void;
  parseStatus(result: StepResult): string | undefined;
  onTestCaseFinished(data: { testCaseStartedId: string }): void;
}
// Its CommonJS build, on purpose: the ES module build imports @cucumber/messages and allure-js-commons
// as ES modules, a second copy of each (and of class-transformer) beside the CommonJS ones cucumber
// has loaded, ~45 ms against ~13 ms of every run's start-up (bench/README.md). Same code either way.
// (Its module.exports is the class itself.)
const AllureCucumberReporter = createRequire(import.meta.url)('allure-cucumberjs/reporter') as typeof AllureCucumberReporterType;
// These members are private in allure-cucumberjs's types; they are where statuses are decided.
const Base = AllureCucumberReporter as unknown as new (options: unknown) => ReporterInternals;

const ALLURE_STATUS: Record<string, string> = {
  pass: 'passed', finding: 'failed', error: 'broken', 'not-applicable': 'skipped', inconclusive: 'unknown',
};

export default class KeelhaulAllureReporter extends Base {
  private readonly outcomes = new Map<string, { outcome: string; reason?: string }>();

  override parseEnvelope(envelope: Envelope): void {
    const attachment = envelope.attachment;
    if (attachment?.mediaType === OUTCOME_MEDIA_TYPE && attachment.testCaseStartedId) {
      try {
        const record = JSON.parse(attachment.body);
        this.outcomes.set(attachment.testCaseStartedId, { outcome: String(record.outcome), reason: record.reason });
      } catch {
        // A malformed record leaves Allure's own status in place.
      }
      return; // keelhaul's bookkeeping, not an attachment for readers
    }
    super.parseEnvelope(envelope);
  }

  override parseStatus(result: StepResult): string | undefined {
    const status = super.parseStatus(result);
    if (result.status !== 'FAILED') return status;
    const failure = classifyFailure(result.exception ?? result.message ?? 'failed without an error');
    return failure.outcome === 'finding' ? 'failed' : 'broken';
  }

  override onTestCaseFinished(data: { testCaseStartedId: string }): void {
    const record = this.outcomes.get(data.testCaseStartedId);
    const uuid = this.testResultUuids.get(data.testCaseStartedId);
    const status = record && ALLURE_STATUS[record.outcome];
    if (!uuid || !status) {
      super.onTestCaseFinished(data);
      return;
    }
    // The base class computes the status from the steps, then stops and writes the result: apply
    // keelhaul's verdict between the two.
    const runtime = this.allureRuntime;
    const stopTest = runtime.stopTest;
    runtime.stopTest = (id: string, options?: unknown) => {
      if (id === uuid) {
        runtime.updateTest(id, (result) => {
          result.status = status;
          if (record.reason && (status === 'skipped' || status === 'unknown' || !result.statusDetails?.message)) {
            result.statusDetails = { ...result.statusDetails, message: `${record.outcome}: ${record.reason}` };
          }
        });
      }
      stopTest.call(runtime, id, options);
    };
    try {
      super.onTestCaseFinished(data);
    } finally {
      runtime.stopTest = stopTest;
      this.outcomes.delete(data.testCaseStartedId);
    }
  }
}
