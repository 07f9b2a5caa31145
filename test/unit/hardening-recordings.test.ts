// The hardening catalogue (judges/hardening-options.ts) and posture judgements (judges/hardening.ts)
// replayed on probe outputs recorded from real engines (test/unit/recordings/hardening/; how they
// were recorded: docs/hardening.md). Each dangerous option's effect must be classified as the live
// run of the code before the catalogue moved out of the steps classified it (issue 15).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { classify, defaultLimits, judgePosture, judgePrivilegedExec, wildcardBindings } from '../../judges/hardening.js';
import { optionFor, type HardeningContext } from '../../judges/hardening-options.js';
import { parseMountinfo } from '../../judges/mountinfo.js';
import type { ProbeReport } from '../../judges/probes-isolation.js';

const DIR = join(fileURLToPath(import.meta.url), '..', 'recordings', 'hardening');
const CONF = join(fileURLToPath(import.meta.url), '..', 'recordings', 'conformance');

interface Scenario {
  option: string;
  refusal?: { stage: string; message: string };
  effect?: { effective: boolean | 'unknown'; evidence: string };
  probed?: ProbeReport;
  baseline?: ProbeReport;
  exec?: string;
  default?: string;
  expected: { outcome: string; hardening: string | null };
}
const engines = readdirSync(DIR).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(DIR, f), 'utf8')) as { label: string; baseline: ProbeReport; scenarios: Record<string, Scenario> });

/** The option's probe, with the parts the recording left out as equal to the baseline's. */
function probedOf(s: Scenario, base: ProbeReport): ProbeReport {
  const { sameAsBaseline = [], ...own } = s.probed as ProbeReport & { sameAsBaseline?: Array<keyof ProbeReport> };
  return { ...Object.fromEntries(sameAsBaseline.map((k) => [k, base[k]])), ...own } as ProbeReport;
}

const view = (report: ProbeReport) => ({ report, mounts: parseMountinfo(report.mountLines) });

function replay(e: { baseline: ProbeReport }, s: Scenario): string {
  if (s.refusal) return classify(s.refusal as never);
  if (s.exec !== undefined) {
    const [capEff, lastCap] = s.exec.trim().split('\n').map((x) => x.trim());
    return classify(undefined, judgePrivilegedExec(capEff, lastCap, s.default!.trim()));
  }
  const base = s.baseline ?? e.baseline;
  const ctx: HardeningContext = { baseline: view(base), socketPath: '/var/run/docker.sock', volume: 'recorded' };
  return classify(undefined, optionFor(s.option).effect(view(probedOf(s, base)), ctx));
}

test('recordings of several engines are here, with options judged from inside and refused ones', () => {
  assert.ok(engines.length >= 2, engines.map((e) => e.label).join(', '));
  const all = engines.flatMap((e) => Object.values(e.scenarios));
  assert.ok(all.some((s) => s.probed && s.expected.hardening === 'effective'), 'an effective option');
  assert.ok(all.some((s) => s.probed && s.expected.hardening === 'neutralised'), 'a neutralised option');
  assert.ok(all.some((s) => s.refusal), 'a refused option');
});

for (const e of engines) {
  test(`${e.label}: every recorded option is classified as the live run classified it`, () => {
    const wrong: string[] = [];
    for (const [id, s] of Object.entries(e.scenarios)) {
      const got = replay(e, s);
      const live = s.expected.hardening ?? 'unknown';
      if (got !== live) wrong.push(`${id}: ${got}, live: ${live}`);
    }
    assert.deepEqual(wrong, []);
  });
}

test('an effect judge notices a changed probe: a capability dropped from CapEff is no longer effective', () => {
  const found = engines.flatMap((e) => Object.entries(e.scenarios).map(([id, s]) => ({ e, id, s }))).find(({ id, s }) => id === 'HARD-02-SYS-ADMIN' && s.expected.hardening === 'effective');
  assert.ok(found, 'a recording where SYS_ADMIN was effective');
  const probed = probedOf(found.s, found.s.baseline ?? found.e.baseline);
  const without = { ...probed, values: { ...probed.values, CapEff: (BigInt(`0x${probed.values.CapEff}`) & ~(1n << 21n)).toString(16).padStart(16, '0') } };
  assert.equal(replay(found.e, { ...found.s, probed: without }), 'neutralised');
});

test('the posture judgement on recorded /info answers: Docker and Podman report seccomp, the Triton fixture nothing', () => {
  const info = (label: string) => {
    const rec = JSON.parse(readFileSync(join(CONF, `${label}.json`), 'utf8'));
    return JSON.parse(rec.checks['CONF-L20'].answers[0].text);
  };
  const docker = judgePosture(info('docker'), { name: 'docker' });
  assert.deepEqual(docker.findings, []);
  assert.ok((docker.posture.securityOptions as string[]).some((o) => o.startsWith('name=seccomp')));
  const triton = judgePosture(info('triton'), { name: 'triton', multiTenant: true, promises: { seccomp: true } });
  assert.equal(triton.note?.startsWith('the platform reports no SecurityOptions'), true);
  assert.deepEqual(triton.findings, []); // a promise is not judged where nothing at all is reported
  const unconfined = judgePosture({ ...info('docker'), SecurityOptions: ['name=seccomp,profile=unconfined'], Warnings: ['WARNING: API is accessible on http://0.0.0.0:2375 without encryption.'] }, { name: 'triton', multiTenant: true });
  assert.equal(unconfined.findings.length, 2, unconfined.findings.join('; '));
});

test('default limits, wildcard bindings and a privileged exec', () => {
  assert.deepEqual(defaultLimits({ mem_limit: 'max', pids_limit: '100', cpu_quota: '-1' }).missing, ['memory', 'cpuQuota']);
  assert.equal(defaultLimits({}).visible, false);
  assert.deepEqual(wildcardBindings([{ HostIp: '0.0.0.0', HostPort: '1' }, { HostIp: '127.0.0.1', HostPort: '2' }, { HostPort: '3' }]), ['0.0.0.0:1', '*:3']);
  assert.equal(judgePrivilegedExec('000001ffffffffff', '40', '00000000a80425fb').effective, true);
  assert.equal(judgePrivilegedExec('00000000a80425fb', '40', '00000000a80425fb').effective, false);
  assert.equal(judgePrivilegedExec('garbage', '40', '00000000a80425fb').effective, 'unknown');
});
