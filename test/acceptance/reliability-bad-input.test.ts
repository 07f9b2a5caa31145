// Bad input: every kind gives its documented exit code (docs/troubleshooting.md, the same table) and
// ONE line naming the cause, never a stack trace. The table below is the single source for both.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
  /** What `files` cannot express (symlinks, bytes that are not UTF-8, a large file), made in the project folder. */
  setup?: (cwd: string) => void;
  /** Upper bound on the run (ms): bad input is answered before any scenario runs. */
  withinMs?: number;
}

/** A feature file of about `bytes` bytes: the same small scenario over and over. */
function bigFeature(bytes: number): string {
  const scenario = '  Scenario: s\n    Given a container started with no options\n    Then "/proc/kcore" are masked or absent\n';
  return `Feature: big\n${scenario.repeat(Math.ceil(bytes / scenario.length))}`;
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
  // ---- second round (issue 13 item 5; issue 14 vacuous pass 3) ----
  // Gauntlt's .attack files are read like .feature (issue 18): one with no scenario runs nothing.
  { kind: 'a Gauntlt .attack file with no scenario', files: { 'x.attack': 'Feature: gauntlt\n' }, args: ['run', 'x.attack', '--target', UNREACHABLE], exit: 3,
    message: /^keelhaul: nothing ran: the paths hold no scenario$/ },
  { kind: 'a Gauntlt .audit file given as a path', files: { 'x.audit': 'Feature: gauntlt\n' }, args: ['run', 'x.audit', '--target', UNREACHABLE], exit: 2,
    message: /^keelhaul: features path x\.audit: Gauntlt \.audit files are not read \(rename it to \.attack\) \(keelhaul reads \.feature, \.attack files, or folders of them\)$/ },
  { kind: 'a path of a kind keelhaul does not read', files: { 'x.txt': 'hello\n' }, args: ['check', 'x.txt'], exit: 2,
    message: /^keelhaul: features path x\.txt: not a kind of file keelhaul reads \(keelhaul reads \.feature, \.attack files, or folders of them\)$/ },
  { kind: 'run over a folder that holds no feature file', files: { 'attacks/x.audit': 'Feature: gauntlt\n' }, args: ['run', 'attacks', '--target', UNREACHABLE], exit: 3,
    message: /^keelhaul: nothing ran: attacks holds no feature file$/ },
  { kind: 'check over a folder that holds no feature file', files: { 'attacks/x.audit': 'Feature: gauntlt\n' }, args: ['check', 'attacks'], exit: 2,
    message: /^keelhaul: no feature files in attacks \(keelhaul reads \.feature, \.attack files\)$/ },
  { kind: 'run over feature files that hold no scenario', files: { 'features/empty.feature': 'Feature: nothing yet\n' }, args: ['run', 'features', '--target', UNREACHABLE], exit: 3,
    message: /^keelhaul: nothing ran: the paths hold no scenario$/ },
  { kind: '--shard past its count', files: features, args: ['run', 'features', '--shard', '3/2'], exit: 2, message: /^keelhaul: option '--shard <i\/n>' argument '3\/2' is invalid\. "3\/2": i must be from 1 to n \(2\)$/ },
  { kind: '--parallel negative', args: ['run', '--parallel', '-1'], exit: 2, message: /^keelhaul: option '--parallel <n>' argument '-1' is invalid\. must be a whole number from 0 to 64$/ },
  { kind: '--parallel not a number', args: ['run', '--parallel', 'abc'], exit: 2, message: /^keelhaul: option '--parallel <n>' argument 'abc' is invalid\. must be a whole number from 0 to 64$/ },
  { kind: '--parallel huge', args: ['run', '--parallel', '99999999999'], exit: 2, message: /^keelhaul: option '--parallel <n>' argument '99999999999' is invalid\. must be a whole number from 0 to 64$/ },
  { kind: '--probe-concurrency negative', args: ['run', '--probe-concurrency', '-1'], exit: 2, message: /^keelhaul: option '--probe-concurrency <n>' argument '-1' is invalid\. must be a whole number from 0 to 32$/ },
  { kind: '--probe-concurrency too many', args: ['run', '--probe-concurrency', '33'], exit: 2, message: /^keelhaul: option '--probe-concurrency <n>' argument '33' is invalid\. must be a whole number from 0 to 32$/ },
  // 0 is the documented default (serial), not out of range: the run goes on to the platform.
  { kind: '--parallel 0 means serial', files: features, args: ['run', 'features', '--parallel', '0', '--target', UNREACHABLE], exit: 4,
    message: /^keelhaul: GET \/version: cannot reach tcp:\/\/127\.0\.0\.1:1: / },
  { kind: '--container-timeout 0', args: ['run', '--container-timeout', '0'], exit: 2,
    message: /^keelhaul: option '--container-timeout <ms>' argument '0' is invalid\. must be a whole number of milliseconds from 1 to 86400000 \(a day\)$/ },
  { kind: '--container-timeout negative', args: ['run', '--container-timeout', '-5'], exit: 2, message: /^keelhaul: option '--container-timeout <ms>' argument '-5' is invalid\. / },
  { kind: '--container-timeout beyond a day (node would fire it at once)', args: ['run', '--container-timeout', '1e99'], exit: 2, message: /^keelhaul: option '--container-timeout <ms>' argument '1e99' is invalid\. / },
  { kind: 'KEELHAUL_CALL_TIMEOUT_MS garbage', files: features, args: ['run', 'features', '--target', UNREACHABLE], env: { KEELHAUL_CALL_TIMEOUT_MS: 'soon' }, exit: 2,
    message: /^keelhaul: KEELHAUL_CALL_TIMEOUT_MS: "soon" must be a whole number of milliseconds from 1 to 86400000 \(a day\)$/ },
  { kind: 'profile file of the wrong shape at depth', files: { ...features, 'deep.yaml': 'name: deep\nmultiTenant: false\npromises:\n  seccomp: "yes"\nsemantics:\n  memoryPackagesMiB: [1, "two"]\n' },
    args: ['run', 'features', '--profile', 'deep.yaml', '--target', UNREACHABLE], exit: 2,
    message: /^keelhaul: profile deep\.yaml: invalid: .*\/promises\/seccomp must be boolean.*|^keelhaul: profile deep\.yaml: invalid: .*\/semantics\/memoryPackagesMiB\/1 must be integer/ },
  { kind: 'a features folder that is a symlink loop', setup: (cwd) => symlinkSync('loop', join(cwd, 'loop')), args: ['run', 'loop', '--target', UNREACHABLE], exit: 2,
    message: /^keelhaul: features path loop is a symlink loop \(it never reaches a file or folder\)$/ },
  { kind: 'a features folder holding a symlink back to itself', files: features,
    setup: (cwd) => { mkdirSync(join(cwd, 'features', 'sub')); symlinkSync('..', join(cwd, 'features', 'sub', 'up')); },
    args: ['run', 'features', '--target', UNREACHABLE], exit: 2, message: /^keelhaul: features path features: features\/sub\/up is a symlink loop \(it leads back to features\)$/ },
  { kind: 'a feature file that is not UTF-8', setup: (cwd) => { mkdirSync(join(cwd, 'features')); writeFileSync(join(cwd, 'features', 'latin1.feature'), Buffer.from('Feature: caf\xe9\n  Scenario: s\xe9\n', 'latin1')); },
    args: ['run', 'features', '--target', UNREACHABLE], exit: 2, message: /^keelhaul: features\/latin1\.feature:1: not UTF-8 text \(Gherkin files are UTF-8; / },
  { kind: 'a 5 MB feature file', setup: (cwd) => { mkdirSync(join(cwd, 'features')); writeFileSync(join(cwd, 'features', 'big.feature'), bigFeature(5 * 1024 * 1024)); },
    args: ['run', 'features', '--target', UNREACHABLE], exit: 2, withinMs: 10_000,
    message: /^keelhaul: features\/big\.feature is 5\.0 MB: a feature file may be at most 1 MB \(split it into several files\)$/ },
  { kind: 'an ssh:// target', files: features, args: ['run', 'features', '--target', 'ssh://user@host'], exit: 2,
    message: /^keelhaul: --target: ssh:\/\/ is not supported \("ssh:\/\/user@host"\): the Docker CLI's ssh transport runs `docker system dial-stdio` on the remote host over ssh, .*ssh -NL .*tcp:\/\/ with TLS$/ },
  { kind: 'platform refusing connections', files: features, args: ['run', 'features', '--target', UNREACHABLE], exit: 4,
    message: /^keelhaul: GET \/version: cannot reach tcp:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/ },
];

describe('bad input: documented exit code, one line, no stack trace', () => {
  for (const c of CASES) {
    test(`${c.exit}: ${c.kind}`, async () => {
      const cwd = project(c.files ?? {});
      c.setup?.(cwd);
      const started = Date.now();
      const env = c.env?.DOCKER_CERT_PATH && !c.env.DOCKER_CERT_PATH.startsWith('/')
        ? { ...c.env, DOCKER_CERT_PATH: `${cwd}/${c.env.DOCKER_CERT_PATH}` } : c.env;
      const r = await runKeelhaul([...c.args, ...(c.args.includes('--reports') || c.args[0] !== 'run' || c.args.length < 2 || c.args[1]!.startsWith('--') ? [] : ['--reports', `${cwd}/reports`])], { cwd, env, timeoutMs: 60_000 });
      const stderr = r.stderr.replaceAll(`${cwd}/`, '').trim();
      assert.equal(r.exitCode, c.exit, `${c.kind}: ${r.stdout}\n${r.stderr}`);
      assert.match(stderr, c.message);
      assert.equal(stderr.split('\n').length, c.lines ?? 1, `${c.kind}: ${c.lines ?? 1} line(s) expected:\n${stderr}`);
      assert.ok(!hasStackTrace(r.stderr + r.stdout), `${c.kind}: a stack trace was printed:\n${r.stderr}`);
      assert.doesNotMatch(stderr, /internal error/);
      if (c.withinMs) assert.ok(Date.now() - started < c.withinMs, `${c.kind}: answered in ${Date.now() - started} ms, more than ${c.withinMs}`);
    });
  }

});
