// Generic attack steps (Gauntlt's `When I launch an "nmap" attack with:`, containerised): thin
// definitions over support/attack-session.ts (target, network, launch, output), which owns the
// safety rules (labelled, tracked, bounded containers on an internal network).
import { Given, Then, When, type DataTable } from '@cucumber/cucumber';
import { expect } from 'chai';
import { Finding, UsageError } from '../judges/errors.js';
import { doc } from '../support/step-docs.js';
import type { KeelhaulWorld } from '../support/world.js';
import {
  LAUNCH_STEP_TIMEOUT_MS, READY_SECONDS, attackState, excerpt, fillPlaceholders, filled, lastAttack, launch,
  matchingLines, output, regex, setValue, startTarget, waitForPort,
} from '../support/attack-session.js';

export { fillPlaceholders } from '../support/attack-session.js';

// ---- values and the target ------------------------------------------------------------------

Given('the attack values:', doc(
  'Names and values (a two-column table) for <placeholders> in later target and attack commands. A value may itself be <env:NAME>, read from the environment keelhaul runs in, so targets and secrets are passed in without editing the feature.',
  'Given the attack values:\n  | path  | /index.html    |\n  | token | <env:API_TOKEN> |',
), function (this: KeelhaulWorld, table: DataTable) {
  for (const [name, value] of Object.entries(table.rowsHash())) setValue(this, name, fillPlaceholders(value, attackState(this).values));
});

Given('a target container running:', doc(
  'Starts the target: a container of the probe image running the doc string with `sh -c`, on a network keelhaul creates for the scenario (internal, no route out, except on Podman; the platform\'s default network where networks cannot be created). Its address becomes <target_ip>. Labelled, bounded (256 MiB, 256 pids) and removed when the scenario ends.',
  'Given a target container running:\n  """\n  mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 8080 -h /www\n  """',
), async function (this: KeelhaulWorld, script: string) {
  await startTarget(this, this.image, script);
});

Given('a target container from {string} running:', doc(
  'The same as "a target container running:" with an image of the scenario\'s choice (it must be present on the platform and have `sh`).',
  'Given a target container from "busybox:latest" running:\n  """\n  exec nc -ll -p 7000 -e cat\n  """',
), async function (this: KeelhaulWorld, image: string, script: string) {
  await startTarget(this, image, script);
});

Given('the target listens on port {int}', doc(
  'Sets <target_port> and waits (up to 30 s) until the target listens on that TCP port, read from /proc/net/tcp inside the target\'s network namespace. An error, not a finding, when it never does.',
  'Given the target listens on port 8080',
  (READY_SECONDS + 60) * 1000,
), async function (this: KeelhaulWorld, port: number) {
  await waitForPort(this, port);
});

// ---- the attack ------------------------------------------------------------------------------

When('I launch an attack with:', doc(
  'Runs the doc string with `sh -c` in a probe-image container on the scenario\'s network, after filling <placeholders>. Bounded by --container-timeout (default 60 s); on expiry the scenario ends as an error "attack timed out after N s". Output and exit status are attached to the reports.',
  'When I launch an attack with:\n  """\n  printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w 5 <target_ip> <target_port>\n  """',
  LAUNCH_STEP_TIMEOUT_MS,
), async function (this: KeelhaulWorld, script: string) {
  await launch(this, this.image, script);
});

When('I launch an attack with a timeout of {int} second(s):', doc(
  'The same as "I launch an attack with:" with its own timeout (1 to 3600 s).',
  'When I launch an attack with a timeout of 10 seconds:\n  """\n  nc -w 3 <target_ip> <target_port> </dev/null\n  """',
  LAUNCH_STEP_TIMEOUT_MS,
), async function (this: KeelhaulWorld, seconds: number, script: string) {
  await launch(this, this.image, script, seconds);
});

When('I launch an attack from {string} with:', doc(
  'Runs the doc string with `sh -c` in a container of a tool image you trust (it must be present on the platform and have `sh`), on the scenario\'s network.',
  'When I launch an attack from "busybox:latest" with:\n  """\n  printf "GET <path> HTTP/1.0\\r\\n\\r\\n" | nc -w 5 <target_ip> <target_port>\n  """',
  LAUNCH_STEP_TIMEOUT_MS,
), async function (this: KeelhaulWorld, image: string, script: string) {
  await launch(this, image, script);
});

When('I launch an attack from {string} with a timeout of {int} second(s):', doc(
  'An attack from a tool image with its own timeout (1 to 3600 s).',
  'When I launch an attack from "busybox:latest" with a timeout of 30 seconds:\n  """\n  for p in 22 80 443; do nc -w 1 <target_ip> $p </dev/null && echo open $p; done\n  """',
  LAUNCH_STEP_TIMEOUT_MS,
), async function (this: KeelhaulWorld, image: string, seconds: number, script: string) {
  await launch(this, image, script, seconds);
});

// ---- judging the attack ------------------------------------------------------------------------
// Known <placeholders> are filled in the texts and expressions below too (escaped in expressions).

Then('the attack exits with status {int}', doc(
  'A finding unless the attack command exited with exactly this status.',
  'Then the attack exits with status 0',
), function (this: KeelhaulWorld, status: number) {
  const last = lastAttack(this);
  expect(last.exitCode, `the attack exited with status ${last.exitCode}, not ${status}: ${excerpt(last.stderr || last.stdout)}`).to.equal(status);
});

Then('the attack exits with a non-zero status', doc(
  'A finding if the attack command succeeded (exit 0): use it when success means a breach.',
  'Then the attack exits with a non-zero status',
), function (this: KeelhaulWorld) {
  const last = lastAttack(this);
  expect(last.exitCode, `the attack succeeded (exit 0): ${excerpt(last.stdout)}`).to.not.equal(0);
});

Then('the attack output contains {string}', doc(
  'A finding unless the attack\'s output (stdout then stderr) contains this text.',
  'Then the attack output contains "hello"',
), function (this: KeelhaulWorld, raw: string) {
  const text = filled(this, raw);
  const out = output(this);
  if (!out.includes(text)) throw new Finding(`the attack output does not contain "${text}": ${excerpt(out)}`);
});

Then('the attack output does not contain {string}', doc(
  'A finding if the attack\'s output (stdout then stderr) contains this text.',
  'Then the attack output does not contain "root:x:0:0"',
), function (this: KeelhaulWorld, raw: string) {
  const text = filled(this, raw);
  const out = output(this);
  if (out.includes(text)) throw new Finding(`the attack output contains "${text}": ${excerpt(out)}`);
});

Then('the attack output matches {string}', doc(
  'A finding unless the attack\'s output matches this regular expression (JavaScript syntax, multiline: ^ and $ match at line ends). An invalid expression is an authoring error.',
  'Then the attack output matches "^HTTP/1\\.[01] 200"',
), function (this: KeelhaulWorld, raw: string) {
  const source = filled(this, raw, true);
  const out = output(this);
  if (!regex(source).test(out)) throw new Finding(`the attack output does not match /${source}/: ${excerpt(out)}`);
});

Then('the attack output does not match {string}', doc(
  'A finding if the attack\'s output matches this regular expression.',
  'Then the attack output does not match "uid=0\\("',
), function (this: KeelhaulWorld, raw: string) {
  const source = filled(this, raw, true);
  const out = output(this);
  const found = out.match(regex(source));
  if (found) throw new Finding(`the attack output matches /${source}/ ("${found[0]}")`);
});

Then('the attack output has {int} line(s) matching {string}', doc(
  'A finding unless exactly this many lines of the attack\'s output match the regular expression.',
  'Then the attack output has 1 line matching "^open "',
), function (this: KeelhaulWorld, count: number, raw: string) {
  const source = filled(this, raw, true);
  const lines = matchingLines(this, source);
  this.observe('matchingLines', lines.length);
  expect(lines.length, `${lines.length} line(s) match /${source}/, not ${count}: ${excerpt(lines.join('\n'))}`).to.equal(count);
});

Then('the attack output has at least {int} line(s) matching {string}', doc(
  'A finding unless at least this many lines of the attack\'s output match the regular expression.',
  'Then the attack output has at least 2 lines matching "^open "',
), function (this: KeelhaulWorld, count: number, raw: string) {
  const source = filled(this, raw, true);
  const lines = matchingLines(this, source);
  this.observe('matchingLines', lines.length);
  expect(lines.length, `only ${lines.length} line(s) match /${source}/, fewer than ${count}`).to.be.at.least(count);
});

Then('the attack output has at most {int} line(s) matching {string}', doc(
  'A finding if more than this many lines of the attack\'s output match the regular expression.',
  'Then the attack output has at most 0 lines matching "^open "',
), function (this: KeelhaulWorld, count: number, raw: string) {
  const source = filled(this, raw, true);
  const lines = matchingLines(this, source);
  this.observe('matchingLines', lines.length);
  expect(lines.length, `${lines.length} line(s) match /${source}/, more than ${count}: ${excerpt(lines.join('\n'))}`).to.be.at.most(count);
});

Then('the target is still running', doc(
  'A finding if the target container has exited (an attack that crashes or kills its target), with its exit status and last output.',
  'Then the target is still running',
), async function (this: KeelhaulWorld) {
  const target = attackState(this).target;
  if (!target) throw new UsageError('no target container: start one with "Given a target container running:" first');
  const inspect = await this.platform.inspectContainer(target.id, this.signal);
  const running = inspect?.State?.Running === true;
  if (!running) {
    const logs = await this.platform.logs(target.id, false, this.signal).catch(() => ({ stdout: '', stderr: '' }));
    expect.fail(`the target exited with status ${inspect?.State?.ExitCode}: ${excerpt(logs.stderr || logs.stdout)}`);
  }
});
