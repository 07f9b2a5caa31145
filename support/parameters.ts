// What the run hands every worker through cucumber's worldParameters (JSON only).
import type { Fingerprint } from '../adapters/platform/fingerprint.js';
import type { Profile } from '../judges/profile.js';
import type { RunnerLocation } from '../adapters/tools/runner-location.js';

import type { ProbePlan } from './probe-plan.js';

export interface KeelhaulParameters {
  runId: string;
  /** As given by the user (or empty for the environment/local socket); each worker resolves it again. */
  target: string;
  apiVersion: string;
  image: string;
  profile: Profile;
  fingerprint: Fingerprint;
  /** Upper bound for one container's life in a scenario, unless a step says otherwise. */
  containerTimeoutMs: number;
  /** A second tenant (--peer-target, --peer-cert-path): tenant-to-tenant scenarios need it. */
  peer?: { target: string; certPath?: string; apiVersion: string };
  /** Per-call bounds (run/run.ts callTimeoutsFor); absent in worlds built by hand (tests). */
  timeouts?: { callMs: number; provisioningMs: number };
  /** Where keelhaul runs relative to the engine (run/runner.ts); absent in older callers. */
  runner?: RunnerLocation;
  /** --define name=value: Gauntlt profile (and attack) values set on the command line; they win over the file's. */
  defines?: Record<string, string>;
  /** The probes the selected scenarios will read, run ahead (support/probe-plan.ts); absent: none ahead. */
  probePlan?: ProbePlan;
}

export const OUTCOME_MEDIA_TYPE = 'application/vnd.keelhaul.outcome+json';
