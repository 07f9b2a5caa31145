// Gauntlt's step vocabulary (gauntlt lib/gauntlt/attack_adapters/*.rb, and the aruba assertions its
// attack files use), so a Gauntlt .attack file runs as it is: thin definitions over support/gauntlt.ts
// (tools, profile, launch, files) and judges/gauntlt.ts (tables, expressions, cookies). Arguments that
// cannot work (an unsupported adapter, a bad expression or table) are refused by the authoring
// preflight, before the platform is touched (exit 2). docs/gauntlt.md lists every phrase.
import { Given, Then, When } from '@cucumber/cucumber';
import { arubaUnescape, adapterFor, NMAP_ALIASES, regexProblem, tableProblem, UNSUPPORTED_ADAPTERS } from '../judges/gauntlt.js';
import { selectorProblem, selectorRows } from '../support/xml-query.js';
import { LAUNCH_STEP_TIMEOUT_MS, filled } from '../support/attack-session.js';
import {
  addProfile, addProfileFromEnvironment, ensureInstalled, expression, judgeContains, judgeCookies,
  judgeExit, judgeFileContains, judgeMatches, judgeXml, launchGauntlt, launchNmapAlias, type Stream,
} from '../support/gauntlt.js';
import { doc, type ArgumentCheck } from '../support/step-docs.js';
import type { KeelhaulWorld } from '../support/world.js';

// ---- argument checks for the authoring preflight ------------------------------------------------

const rowsArg = (args: unknown[]) => args[args.length - 1] as string[][];
const supportedTool: ArgumentCheck = (args) => {
  const why = UNSUPPORTED_ADAPTERS[String(args[0]).toLowerCase()];
  return why ? `Gauntlt's "${args[0]}" is not supported: ${why}` : undefined;
};
const supportedAdapter: ArgumentCheck = (args) => {
  try {
    adapterFor(String(args[0]));
  } catch (error) {
    return (error as Error).message;
  }
  return String(args[1] ?? '').trim() ? undefined : 'the attack command (doc string) is empty';
};
const table = (column: string): ArgumentCheck => (args) => tableProblem(rowsArg(args), column);
const inlineRegex: ArgumentCheck = (args) => regexProblem(String(args[1]), true);
const docRegex = (index: number): ArgumentCheck => (args) => regexProblem(String(args[index]), false);
const selectors: ArgumentCheck = (args) => {
  try {
    const { kind, selectors: list } = selectorRows(rowsArg(args));
    return list.map((s) => selectorProblem(kind, s)).find(Boolean);
  } catch (error) {
    return (error as Error).message;
  }
};

// ---- tools -------------------------------------------------------------------------------------

Given('{string} is installed', doc(
  'Gauntlt\'s `"nmap" is installed` (and curl, dirb, sqlmap, sslyze): the tool\'s image (`keelhaul-tool/NAME`, from `keelhaul tools build NAME`) is on the target; else an authoring error (exit 2) naming the build command. Another name passes when the probe image (busybox) has that binary. arachni, garmr and Heartbleed are refused (docs/gauntlt.md says why).',
  'Given "nmap" is installed',
  undefined, supportedTool,
), async function (this: KeelhaulWorld, name: string) {
  await ensureInstalled(this, name);
});

Given('the {string} command line binary is installed', doc(
  'Gauntlt\'s generic adapter precondition: a keelhaul tool image of that name is on the target, or the probe image (busybox: ping, wget, nc ...) has the binary; else exit 2 naming `keelhaul tools build`. A generic attack after it runs in that tool image.',
  'Given the "ping" command line binary is installed',
  undefined, supportedTool,
), async function (this: KeelhaulWorld, name: string) {
  await ensureInstalled(this, name);
});

Given('{string} is installed in my path', doc(
  'The same as `the "X" command line binary is installed`.',
  'Given "wget" is installed in my path',
  undefined, supportedTool,
), async function (this: KeelhaulWorld, name: string) {
  await ensureInstalled(this, name);
});

Given('the DIRB_WORDLISTS environment variable is set', doc(
  'Gauntlt\'s dirb precondition: here the wordlists come with the dirb tool image (/usr/share/dirb/wordlists, as <dirb_wordlists_path>), so this checks that the image is on the target (exit 2 naming `keelhaul tools build dirb` otherwise).',
  'Given the DIRB_WORDLISTS environment variable is set',
), async function (this: KeelhaulWorld) {
  await ensureInstalled(this, 'dirb');
});

// ---- the profile -------------------------------------------------------------------------------

Given('the following profile:', doc(
  'Gauntlt\'s profile: a table with a `| name | value |` header; each <name> in later attack commands, assertion texts and doc strings is replaced by its value (values may name other values). `--define name=value` on the command line wins over the table.',
  'Given the following profile:\n  | name     | value       |\n  | hostname | <target_ip> |',
  undefined, table('value'),
), function (this: KeelhaulWorld, rows: { raw(): string[][] }) {
  addProfile(this, rows.raw());
});

Given('the following environment variables:', doc(
  'Profile values from keelhaul\'s environment: a table with a `| name | environment_variable_name |` header. An unset variable is an authoring error (exit 2) unless `--define` gives the value.',
  'Given the following environment variables:\n  | name     | environment_variable_name |\n  | hostname | TEST_HOSTNAME             |',
  undefined, table('environment_variable_name'),
), function (this: KeelhaulWorld, rows: { raw(): string[][] }) {
  addProfileFromEnvironment(this, rows.raw());
});

// ---- the attack --------------------------------------------------------------------------------

When(/^I launch (?:a|an) "([^"]*)" attack with:$/, doc(
  'Runs the doc string with `sh -c`, profile values filled in, in the adapter\'s container on the scenario\'s network (working directory /tmp/aruba, where files it writes are read back): generic in the probe image (or the image of the tool declared installed), curl, nmap, sqlmap, dirb and sslyze in their `keelhaul-tool/NAME` image (exit 2 naming `keelhaul tools build NAME` when it is not there). Bounded by --container-timeout, at least 30 s under @slow and 600 s under @reallyslow (aruba\'s).',
  'When I launch a "generic" attack with:\n  """\n  wget -q -O - http://<hostname>:<port>/\n  """',
  LAUNCH_STEP_TIMEOUT_MS, supportedAdapter,
), async function (this: KeelhaulWorld, adapter: string, command: string) {
  await launchGauntlt(this, adapter, command);
});

When(/^I launch (?:a|an) "(nmap-[^"]+)" attack$/, doc(
  `One of Gauntlt's canned nmap attacks on <host> (and <port>): ${Object.keys(NMAP_ALIASES).join(', ')}. (Gauntlt's /24 sweeps are not offered: keelhaul probes only what it can name.)`,
  'When I launch an "nmap-fast" attack',
  LAUNCH_STEP_TIMEOUT_MS, (args) => (NMAP_ALIASES[String(args[0])] ? undefined : `no nmap attack alias "${args[0]}" (known: ${Object.keys(NMAP_ALIASES).join(', ')})`),
), async function (this: KeelhaulWorld, alias: string) {
  await launchNmapAlias(this, alias);
});

// ---- aruba's assertions on the attack's output --------------------------------------------------
// "output" is stdout then stderr; placeholders are filled in (escaped in expressions).

Then(/^the (output|stdout|stderr) should contain "(.*)"$/, doc(
  'aruba: a finding unless the attack\'s output (or stdout, stderr) contains the text (`\\n`, `\\t`, `\\"` as in aruba).',
  'Then the output should contain "200 OK"',
), function (this: KeelhaulWorld, stream: Stream, text: string) {
  judgeContains(this, stream, filled(this, arubaUnescape(text)), true);
});

Then(/^the (output|stdout|stderr) should not contain "(.*)"$/, doc(
  'aruba: a finding if the attack\'s output (or stdout, stderr) contains the text.',
  'Then the output should not contain "root:x:0:0"',
), function (this: KeelhaulWorld, stream: Stream, text: string) {
  judgeContains(this, stream, filled(this, arubaUnescape(text)), false);
});

Then(/^the (output|stdout|stderr) should contain:$/, doc(
  'aruba: a finding unless the attack\'s output contains the whole doc string (several lines are one text, as in aruba).',
  'Then the output should contain:\n  """\n  FOUND: 0\n  """',
), function (this: KeelhaulWorld, stream: Stream, text: string) {
  judgeContains(this, stream, filled(this, text), true);
});

Then(/^the (output|stdout|stderr) should not contain:$/, doc(
  'aruba: a finding if the attack\'s output contains the whole doc string (several lines are one text, not one check per line).',
  'Then the output should not contain:\n  """\n  Anon\n  """',
), function (this: KeelhaulWorld, stream: Stream, text: string) {
  judgeContains(this, stream, filled(this, text), false);
});

Then(/^the (output|stdout|stderr) should match (\/.*\/[imx]*)$/, doc(
  'aruba: a finding unless the output matches /re/ (Ruby semantics: `.` matches a newline, `^` and `$` match at line ends; `/re/i` ignores case).',
  'Then the output should match /80.tcp\\s+open/',
  undefined, inlineRegex,
), function (this: KeelhaulWorld, stream: Stream, text: string) {
  judgeMatches(this, stream, expression(filled(this, text, true), true), true);
});

Then(/^the (output|stdout|stderr) should not match (\/.*\/[imx]*)$/, doc(
  'aruba: a finding if the output matches /re/.',
  'Then the output should not match /443.tcp\\s+open/',
  undefined, inlineRegex,
), function (this: KeelhaulWorld, stream: Stream, text: string) {
  judgeMatches(this, stream, expression(filled(this, text, true), true), false);
});

Then(/^the (output|stdout|stderr) should match:$/, doc(
  'aruba: a finding unless the output matches the doc string as a regular expression (surrounding blank space trimmed).',
  'Then the output should match:\n  """\n  80/tcp\\s+open\n  """',
  undefined, docRegex(1),
), function (this: KeelhaulWorld, stream: Stream, text: string) {
  judgeMatches(this, stream, expression(filled(this, text, true), false), true);
});

Then(/^the (output|stdout|stderr) should not match:$/, doc(
  'aruba: a finding if the output matches the doc string as a regular expression.',
  'Then the output should not match:\n  """\n  443/tcp\\s+open\n  """',
  undefined, docRegex(1),
), function (this: KeelhaulWorld, stream: Stream, text: string) {
  judgeMatches(this, stream, expression(filled(this, text, true), false), false);
});

Then(/^it should (pass|fail) with:$/, doc(
  'aruba: a finding unless the attack exited 0 (pass) or non-zero (fail) and its output contains the doc string.',
  'Then it should pass with:\n  """\n  1 packets received\n  """',
), function (this: KeelhaulWorld, how: string, text: string) {
  judgeExit(this, how === 'pass' ? { is: 0 } : { isNot: 0 });
  judgeContains(this, 'output', filled(this, text), true);
});

Then(/^it should (pass|fail) with regexp:$/, doc(
  'aruba: a finding unless the attack exited 0 (pass) or non-zero (fail) and its output matches the doc string as a regular expression.',
  'Then it should pass with regexp:\n  """\n  1 packets transmitted, 1 (packets )?received\n  """',
  undefined, docRegex(1),
), function (this: KeelhaulWorld, how: string, text: string) {
  judgeExit(this, how === 'pass' ? { is: 0 } : { isNot: 0 });
  judgeMatches(this, 'output', expression(filled(this, text, true), false), true);
});

Then('the exit status should be {int}', doc(
  'aruba: a finding unless the attack exited with exactly this status.',
  'Then the exit status should be 0',
), function (this: KeelhaulWorld, status: number) {
  judgeExit(this, { is: status });
});

Then('the exit status should not be {int}', doc(
  'aruba: a finding if the attack exited with this status.',
  'Then the exit status should not be 0',
), function (this: KeelhaulWorld, status: number) {
  judgeExit(this, { isNot: status });
});

// ---- files the attack wrote, and cookies -------------------------------------------------------

Then(/^the file "([^"]*)" should (contain|not contain) XML:$/, doc(
  'Gauntlt: a file the attack wrote (relative to its working directory) judged with a one-column table of CSS selectors (`| css |`, as Gauntlt/Nokogiri) or XPath expressions (`| xpath |`): "contain" is a finding unless every selector finds a node, "not contain" if any does.',
  'Then the file "foo.xml" should contain XML:\n  | css                                                         |\n  | ports port[protocol="tcp"][portid="80"] state[state="open"] |',
  undefined, selectors,
), async function (this: KeelhaulWorld, file: string, how: string, rows: { raw(): string[][] }) {
  await judgeXml(this, filled(this, file), rows.raw(), how === 'contain');
});

Then(/^the file "([^"]*)" should (contain|not contain) "(.*)"$/, doc(
  'aruba: a finding unless (or if) a file the attack wrote contains the text.',
  'Then the file "report.txt" should contain "0 issues"',
), async function (this: KeelhaulWorld, file: string, how: string, text: string) {
  await judgeFileContains(this, filled(this, file), filled(this, arubaUnescape(text)), how === 'contain');
});

Then('the following cookies should be received:', doc(
  'Gauntlt\'s curl adapter: the Set-Cookie headers of a `curl --include` response (redirects included) hold every cookie in the table (`| name | httponly | secure | path | domain | samesite |`; an empty cell is not judged).',
  'Then the following cookies should be received:\n  | name    | httponly | secure |\n  | session | true     | true   |',
  undefined, (args) => (rowsArg(args)[0]?.includes('name') ? undefined : 'the cookies table needs a header row with a "name" column'),
), function (this: KeelhaulWorld, rows: { raw(): string[][] }) {
  judgeCookies(this, rows.raw());
});
