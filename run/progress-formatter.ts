// keelhaul's console formatter during a run (run/run.ts registers it for stdout, in place of
// cucumber's progress dots and their "Failures:" block, which printed whole reasons, attachments and
// stack traces). On a terminal: one progress line rewritten in place (scenario N of M, what runs
// now, the outcomes so far, the time), with a line of its own for each scenario that did not pass.
// Without a terminal (CI logs): one plain line per finished scenario, no carriage return and no
// escape sequence. Reasons are bounded (run/console.ts); the whole evidence is in summary.json and
// report.html. Outcomes come from the same outcome tracker the exit code does.
import { Formatter, type IFormatterOptions } from '@cucumber/cucumber';
import { scenarioIdOf } from '../judges/scenario-id.js';
import { emptyCounts, type OutcomeCounts } from '../judges/outcome.js';
import { OutcomeTracker } from './outcome-tracker.js';
import { boundReason, coloursEnabled, finishedLine, paint, progressLine, rewritesInPlace } from './console.js';

type Envelope = Record<string, any>;

const LABEL: Record<string, [string, number]> = {
  finding: ['FINDING', 31], error: ['ERROR', 35], inconclusive: ['INCONCLUSIVE', 33], 'not-applicable': ['N/A', 90],
};

export default class KeelhaulProgressFormatter extends Formatter {
  static override readonly documentation = 'keelhaul: a progress line on a terminal, plain lines in logs, bounded reasons';
  private readonly tracker = new OutcomeTracker();
  private readonly pickles = new Map<string, Envelope>();
  private readonly documents = new Map<string, Envelope>();
  private readonly testCases = new Map<string, string>(); // testCase id -> pickle id
  private readonly running = new Map<string, string>(); // testCaseStarted id -> scenario ID
  private readonly counts: OutcomeCounts = emptyCounts();
  private readonly inPlace: boolean;
  private readonly colours: boolean;
  private total = 0;
  private done = 0;
  private startedAt = 0;
  private drawn = 0; // length of the progress line on screen (0: none)
  private timer: NodeJS.Timeout | undefined;

  constructor(options: IFormatterOptions) {
    super(options);
    const isTTY = Boolean((options.stream as { isTTY?: boolean }).isTTY);
    this.inPlace = rewritesInPlace(process.env, isTTY);
    this.colours = coloursEnabled(process.env, isTTY);
    options.eventBroadcaster.on('envelope', (envelope: Envelope) => this.onEnvelope(envelope));
  }

  private onEnvelope(envelope: Envelope): void {
    this.tracker.consume(envelope);
    if (envelope.gherkinDocument) this.documents.set(envelope.gherkinDocument.uri, envelope.gherkinDocument);
    else if (envelope.pickle) this.pickles.set(envelope.pickle.id, envelope.pickle);
    else if (envelope.testCase) {
      this.testCases.set(envelope.testCase.id, envelope.testCase.pickleId);
      this.total++;
    } else if (envelope.testRunStarted) {
      this.startedAt = Date.now();
      if (this.inPlace) this.timer = setInterval(() => this.draw(), 1000).unref();
    } else if (envelope.testCaseStarted) {
      const pickle = this.pickles.get(this.testCases.get(envelope.testCaseStarted.testCaseId) ?? '');
      this.running.set(envelope.testCaseStarted.id, pickle ? scenarioIdOf(pickle as any, this.documents.get(pickle.uri)) : '?');
      this.draw();
    } else if (envelope.testCaseFinished) {
      this.running.delete(envelope.testCaseFinished.testCaseStartedId);
      if (envelope.testCaseFinished.willBeRetried) return;
      // The tracker has just turned this test case into a scenario record (or not, if it knew no pickle).
      if (this.tracker.scenarios.length <= this.done) return;
      const record = this.tracker.scenarios[this.done]!;
      this.done++;
      this.counts[record.outcome]++;
      this.report(record.id, record.name, record.outcome, record.reason, record.durationMs);
    } else if (envelope.testRunFinished) {
      this.stop();
    }
  }

  private report(id: string, name: string, outcome: keyof OutcomeCounts, reason: string, durationMs: number): void {
    const state = { done: this.done, total: this.total, counts: this.counts };
    if (this.inPlace) {
      if (outcome !== 'pass') {
        const [label, colour] = LABEL[outcome]!;
        this.clear();
        this.log(`  ${paint(label.padEnd(12), colour, this.colours)} ${id} ${name}${reason ? `: ${boundReason(reason)}` : ''}\n`);
      }
      this.draw();
      return;
    }
    const tail = outcome !== 'pass' && reason ? `: ${boundReason(reason)}` : '';
    this.log(`${finishedLine(state, id, outcome, durationMs, this.colours)}${tail}\n`);
  }

  private draw(): void {
    if (!this.inPlace || this.startedAt === 0) return;
    // A terminal that reports no size (0, as a bare pty does) gets 80 columns.
    const columns = (this.stream as { columns?: number }).columns || 80;
    const line = progressLine({
      done: this.done, total: this.total, running: [...this.running.values()], counts: this.counts, elapsedMs: Date.now() - this.startedAt,
    }, columns, this.colours);
    // Carriage return, the new line, and spaces over whatever of the old one is longer.
    const length = line.replace(/\u001b\[[0-9;]*m/g, '').length;
    this.log(`\r${line}${' '.repeat(Math.max(0, this.drawn - length))}`);
    this.drawn = length;
  }

  private clear(): void {
    if (this.drawn > 0) this.log(`\r${' '.repeat(this.drawn)}\r`);
    this.drawn = 0;
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
  }

  override async finished(): Promise<void> {
    this.stop();
    await super.finished();
  }
}
