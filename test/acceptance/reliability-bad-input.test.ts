// Bad input: every kind gives its documented exit code (docs/troubleshooting.md, the same table) and
// ONE line naming the cause, never a stack trace. The table below is the single source for both.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DOCKER, project, runKeelhaul } from '../helpers/keelhaul.js';
import { BASELINE, hasStackTrace } from './reliability-helpers.js';

const AMBIGUOUS_STEPS = `
import { Given } from '@cucumber/cucumber';
Given('an ambiguous thing', function () {});
Given(/^an ambiguous .*$/, function () {});
`;

interface Case {
  kind: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  files?: Record<string, string>;
  exit: number;
  /** The one line keelhaul prints (stderr), as a pattern. */
  message: RegExp;
  /** Lines allowed (a hint line after the cause). */
  lines?: number;
}

const features = { 'features/baseline.feature': BASELINE };
const UNREACHABLE = 'tcp://127.0.0.1:1'; // never contacted: these fail before the platform

const CASES: Case[] = [
  { kind: 'malformed Gherkin', files: { 'features/broken.feature': 'Feature: b\n  Scenario: x\n    Given a\n  Oops\n' },
    args: ['run', 'features', '--target', UNREACHABLE], exit: 2, message: /^keelhaul: parse error: features\/broken\.feature:4:3: expected: .*got 'Oops'$/ },
  { kind: 'undefined step', files: { 'features/u.feature': 'Feature: u\n  Scenario: x\n    Given a step nobody wrote\n' },
    args: ['run', 'features', '--target', UNREACHABLE], exit: 2, lines: 2,
    message: /^keelhaul: features\/u\.feature:3:5: undefined step "a step nobody wrote"\n\(run `keelhaul check` for suggestions\)$/ },
  { kind: 'ambiguous step', files: { 'features/a.feature': 'Feature: a\n  Scenario: x\n    Given an ambiguous thing\n', 'steps/amb.mjs': AMBIGUOUS_STEPS },
    args: ['run', 'features', '--require', 'steps/amb.mjs', '--target', UNREACHABLE], exit: 2, lines: 2,
    message: /^keelhaul: features\/a\.feature:3:5: ambiguous step "an ambiguous thing": .*steps\/amb\.mjs:3; .*steps\/amb\.mjs:4\n\(run `keelhaul check` for suggestions\)$/ },
  { kind: 'invalid profile file', files: { ...features, 'bad.yaml': 'name: 12\npromises: nope\n' },
    args: ['run', 'features', '--profile', 'bad.yaml', '--target', UNREACHABLE], exit: 2,
    message: /^keelhaul: profile bad\.yaml: invalid: .*multiTenant.*\/name must be string/ },
  { kind: 'profile file that is not YAML', files: { ...features, 'bad.yaml': 'name: [\n' },
    args: ['run', 'features', '--profile', 'bad.yaml', '--target', UNREACHABLE], exit: 2, message: /^keelhaul: profile bad\.yaml: not valid YAML: / },
  { kind: 'unknown profile', files: features,
    args: ['run', 'features', '--profile', 'nonesuch', '--target', UNREACHABLE], exit: 2, message: /^keelhaul: --profile: unknown profile "nonesuch"/ },
  { kind: 'bad flag', args: ['run', '--bogus'], exit: 2, message: /^keelhaul: unknown option '--bogus'$/ },
  { kind: 'bad flag value', args: ['run', '--container-timeout', 'soon'], exit: 2,
    message: /^keelhaul: option '--container-timeout <ms>' argument 'soon' is invalid\. must be a whole number of milliseconds/ },
  { kind: 'bad tag expression', files: features, args: ['run', 'features', '--tags', '@a and (', '--target', UNREACHABLE], exit: 2,
    message: /^keelhaul: --tags: "@a and \(" is not a valid tag expression: \w/ },
  { kind: 'tags selecting nothing', files: features, args: ['run', 'features', '--tags', '@no-such-tag', '--target', UNREACHABLE], exit: 3,
    message: /^keelhaul: nothing ran: --tags '@no-such-tag' selected no scenario$/ },
  { kind: 'unusable probe image', files: features, args: ['run', 'features', '--tags', '@ISO-02', '--image', 'nosuch:tag', '--target', DOCKER], exit: 4,
    message: /^keelhaul: probe image nosuch:tag is not on the platform and cannot be pulled \(/ },
  { kind: 'unknown URL scheme', files: features, args: ['run', 'features', '--target', 'ftp://example'], exit: 2,
    message: /^keelhaul: --target: unsupported scheme "ftp" in "ftp:\/\/example" \(use unix:\/\/, tcp:\/\/ or https:\/\/\)$/ },
  { kind: 'malformed DOCKER_HOST', files: features, args: ['run', 'features'], env: { DOCKER_HOST: 'tcp://' }, exit: 2,
    message: /^keelhaul: DOCKER_HOST: "tcp:\/\/" names no host$/ },
  { kind: 'missing certificate folder', files: features, args: ['run', 'features', '--target', 'tcp://127.0.0.1:2376'],
    env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/nonexistent/certs' }, exit: 2, message: /^keelhaul: --target: TLS needs \/nonexistent\/certs\/ca\.pem, which cannot be read \(set DOCKER_CERT_PATH/ },
  { kind: 'missing CA certificate', files: { ...features, 'certs/cert.pem': 'x', 'certs/key.pem': 'x' }, args: ['run', 'features', '--target', 'tcp://127.0.0.1:2376'],
    env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: 'certs' }, exit: 2, message: /^keelhaul: --target: TLS needs certs\/ca\.pem, which cannot be read/ },
  { kind: 'unreadable features path', args: ['run', 'no/such/features', '--target', UNREACHABLE], exit: 2,
    message: /^keelhaul: features path no\/such\/features does not exist$/ },
  { kind: 'reports folder that cannot be written', files: { ...features, 'afile': '' }, args: ['run', 'features', '--reports', 'afile/reports', '--target', UNREACHABLE], exit: 2,
    message: /^keelhaul: reports folder afile\/reports cannot be written \(ENOTDIR\)$/ },
  { kind: 'platform refusing connections', files: features, args: ['run', 'features', '--target', UNREACHABLE], exit: 4,
    message: /^keelhaul: GET \/version: cannot reach tcp:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/ },
];

describe('bad input: documented exit code, one line, no stack trace', () => {
  for (const c of CASES) {
    test(`${c.exit}: ${c.kind}`, async () => {
      const cwd = project(c.files ?? {});
      const env = c.env?.DOCKER_CERT_PATH && !c.env.DOCKER_CERT_PATH.startsWith('/')
        ? { ...c.env, DOCKER_CERT_PATH: `${cwd}/${c.env.DOCKER_CERT_PATH}` } : c.env;
      const r = await runKeelhaul([...c.args, ...(c.args.includes('--reports') || c.args.length < 2 || c.args[1]!.startsWith('--') ? [] : ['--reports', `${cwd}/reports`])], { cwd, env, timeoutMs: 60_000 });
      const stderr = r.stderr.replaceAll(`${cwd}/`, '').trim();
      assert.equal(r.exitCode, c.exit, `${c.kind}: ${r.stdout}\n${r.stderr}`);
      assert.match(stderr, c.message);
      assert.equal(stderr.split('\n').length, c.lines ?? 1, `${c.kind}: ${c.lines ?? 1} line(s) expected:\n${stderr}`);
      assert.ok(!hasStackTrace(r.stderr + r.stdout), `${c.kind}: a stack trace was printed:\n${r.stderr}`);
      assert.doesNotMatch(stderr, /internal error/);
    });
  }

});
