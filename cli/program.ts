// The keelhaul command line: a thin layer that parses flags, calls run/, and owns the process's
// exit. Bad input gets one line and its documented exit code; a stack trace only with --verbose
// or DEBUG. Loaded by cli/main.ts once the signal handlers are armed.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KeelhaulError, UsageError, oneLine } from '../judges/errors.js';
import { EXIT } from '../judges/outcome.js';
import { DEFAULT_PROBE_IMAGE } from '../adapters/platform/probe-image.js';
import { packageRoot } from '../run/paths.js';
import { parseShard, type ShardSpec } from '../judges/shard.js';

const verbose = () => process.argv.includes('--verbose') || Boolean(process.env.DEBUG);

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 3600) throw new InvalidArgumentError('must be a whole number of seconds from 1 to 3600');
  return n;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 64) throw new InvalidArgumentError('must be a whole number from 0 to 64');
  return n;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || n > 32) throw new InvalidArgumentError('must be a whole number from 0 to 32');
  return n;
}

/** Timeouts: at least 1 ms, at most a day (node's timers misfire past 2^31-1 ms, firing at once). */
const MAX_TIMEOUT_MS = 86_400_000;
const MILLISECONDS = `must be a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS} (a day)`;

function isMilliseconds(value: string): boolean {
  const n = Number(value);
  return /^\s*\d+\s*$/.test(value) && Number.isInteger(n) && n >= 1 && n <= MAX_TIMEOUT_MS;
}

function milliseconds(value: string): number {
  if (!isMilliseconds(value)) throw new InvalidArgumentError(MILLISECONDS);
  return Number(value);
}

/** Environment settings read deep inside (adapters/platform/docker-client.ts): bad values are bad input here, not ignored. */
function checkEnvironment(): void {
  const callTimeout = process.env.KEELHAUL_CALL_TIMEOUT_MS;
  if (callTimeout !== undefined && callTimeout !== '' && !isMilliseconds(callTimeout)) {
    throw new UsageError(`KEELHAUL_CALL_TIMEOUT_MS: "${callTimeout}" ${MILLISECONDS}`);
  }
}

function runIdOption(value: string): string {
  // A label value and a file-name component: letters, digits, '.', '_', '-'.
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(value)) throw new InvalidArgumentError('must be 1 to 63 letters, digits, ".", "_" or "-", starting with a letter or digit');
  return value;
}

/** --define name=value (repeatable): a Gauntlt profile value; a later one for the same name wins. */
function define(value: string, previous: Record<string, string>): Record<string, string> {
  const equals = value.indexOf('=');
  const name = equals > 0 ? value.slice(0, equals) : '';
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) throw new InvalidArgumentError(`"${value}" is not name=value (a name is letters, digits, _ . -)`);
  return { ...previous, [name]: value.slice(equals + 1) };
}

function shardOption(value: string): ShardSpec {
  const parsed = parseShard(value);
  if ('error' in parsed) throw new InvalidArgumentError(parsed.error);
  return parsed;
}

function concurrencyOption(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('must be a whole number from 1 to 64');
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function version(): string {
  return JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')).version;
}

export function buildProgram(exit: (code: number) => void): Command {
  const program = new Command('keelhaul')
    .description('Gherkin-driven security and conformance tests for Docker-API container platforms')
    .version(version())
    .option('--verbose', 'show stack traces for errors')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`keelhaul: ${text.replace(/^error: /, '').trim()}\n`) })
    .showSuggestionAfterError(true)
    .hook('preAction', checkEnvironment);

  program.command('run')
    .description('run scenarios against a platform (default: the shipped features)')
    .argument('[paths...]', 'feature files or folders')
    .option('--target <url>', 'platform API: unix:///path, tcp://host:port, https://host:port (default: DOCKER_HOST, then the local socket)', collect, [])
    .option('--profile <name|file>', 'auto, docker, podman, triton, or a profile file', 'auto')
    .option('--tags <expr>', 'cucumber tag expression selecting scenarios')
    .option('--parallel <n>', 'worker processes', positiveInt, 0)
    .addOption(new Option('--probe-concurrency <n>', 'probes run ahead of the scenarios that read them, at most n at a time; 0: none ahead (default: 2 per CPU the platform reports, 2 to 8; none with --parallel)').argParser(nonNegativeInt))
    .option('--reports <dir>', 'where reports are written', 'reports')
    .option('--image <ref>', 'probe image', DEFAULT_PROBE_IMAGE)
    .option('--require <path>', 'extra step or support file or folder (JS or TS); repeatable', collect, [])
    .option('--advisory', 'report everything, exit 0 unless the exit code would be 2, 4 or 5')
    .option('--run-id <id>', 'use this run id (the keelhaul.run label) instead of a new one, e.g. to know it before the run starts', runIdOption)
    .addOption(new Option('--container-timeout <ms>', 'upper bound on one probe container').argParser(milliseconds).default(60_000))
    .option('--peer-target <url>', 'a second tenant (another account) of the same platform, for tenant-to-tenant scenarios')
    .option('--peer-cert-path <dir>', 'the second tenant\'s certificate folder (as DOCKER_CERT_PATH is for the first)')
    .addOption(new Option('--call-timeout <seconds>', 'upper bound on one API call (default: DOCKER_CLIENT_TIMEOUT, else the profile\'s, else 30)').argParser(seconds))
    .option('--define <name=value>', 'a profile value for <name> placeholders (Gauntlt\'s profile), winning over the file\'s; repeatable', define, {})
    .option('--shard <i/n>', 'run only shard i of n of the selection (the same split on every agent)', shardOption)
    .option('--durations <file>', 'with --shard: balance the shards by the durations in this summary.json (one run\'s or a merged one)')
    .option('--targets <file>', 'run against every target in this file (one a line, or YAML), reports merged')
    .addOption(new Option('--concurrency <n>', 'with --targets or several --target: targets at a time').argParser(concurrencyOption))
    .action(async (paths: string[], opts) => {
      const { runSuite } = await import('../run/run.js');
      if (opts.durations && !opts.shard) throw new UsageError('--durations balances shards: use it with --shard i/n');
      if (opts.targets || opts.concurrency !== undefined) {
        if (opts.runId) throw new UsageError('--run-id names one run: use it with one --target (each target is a run of its own)');
        const { runFleet, readTargetsFile } = await import('../run/fleet.js');
        const targets = [...(opts.targets ? readTargetsFile(opts.targets) : []), ...opts.target.map((url: string) => ({ url }))];
        exit(await runFleet({ ...common(paths, opts), targets, concurrency: opts.concurrency ?? 1 }));
        return;
      }
      if (opts.target.length > 1) {
        if (opts.runId) throw new UsageError('--run-id names one run: use it with one --target (each target is a run of its own)');
        const { runAgainstTargets } = await import('../run/multi-target.js');
        exit(await runAgainstTargets({ ...common(paths, opts), targets: opts.target }));
        return;
      }
      exit(await runSuite({ ...common(paths, opts), target: opts.target[0] }));
    });

  program.command('merge')
    .description('one verdict and one set of reports from the reports folders of shards and targets')
    .argument('<dirs...>', 'reports folders (each with a summary.json, or holding one folder per target)')
    .option('--reports <dir>', 'where the merged reports are written', 'reports')
    .action(async (dirs: string[], opts) => {
      const { mergeCommand } = await import('../run/merge.js');
      exit(await mergeCommand({ dirs, reportsDir: opts.reports, cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr }));
    });

  program.command('check')
    .description('parse features, find undefined and ambiguous steps, validate profiles; no platform needed')
    .argument('[paths...]', 'feature files or folders')
    .option('--require <path>', 'extra step or support file or folder; repeatable', collect, [])
    .option('--profile <name|file>', 'also validate this profile', undefined)
    .option('--tags <expr>', 'only these scenarios')
    .option('--define <name=value>', 'accepted (and its form checked) so that one command line checks and runs; repeatable', define, {})
    .action(async (paths: string[], opts) => {
      const { check } = await import('../run/check.js');
      exit(await check({ paths, requires: opts.require, profile: opts.profile, tags: opts.tags, cwd: process.cwd(), stdout: process.stdout }));
    });

  program.command('doctor')
    .description('preflight: reach the API, negotiate the version, fingerprint, check the probe image')
    .option('--target <url>', 'platform API (default: DOCKER_HOST, then the local socket)')
    .option('--image <ref>', 'probe image', DEFAULT_PROBE_IMAGE)
    .option('--profile <name|file>', 'profile to report', 'auto')
    .action(async (opts) => {
      const { doctor } = await import('../run/doctor.js');
      exit(await doctor({ target: opts.target, image: opts.image, profile: opts.profile, stdout: process.stdout }));
    });

  program.command('clean')
    .description('remove leftovers that keelhaul labelled (keelhaul.run), nothing else')
    .option('--target <url>', 'platform API (default: DOCKER_HOST, then the local socket)')
    .option('--run <id>', 'only this run\'s objects')
    .action(async (opts) => {
      const { clean } = await import('../run/clean.js');
      exit(await clean({ target: opts.target, runId: opts.run, stdout: process.stdout }));
    });

  program.command('report')
    .description('(re)write report.html from the last run\'s summary.json; also Allure HTML when Java is here')
    .option('--reports <dir>', 'the reports folder of the run', 'reports')
    .option('--allure', 'build the Allure HTML report or fail (it needs Java and allure-commandline)')
    .option('--no-allure', 'only report.html')
    .action(async (opts) => {
      const { reportCommand } = await import('../run/report-command.js');
      exit(await reportCommand({ reportsDir: opts.reports, allure: opts.allure, stdout: process.stdout }));
    });

  program.command('steps')
    .description('the step catalogue, generated from the step definitions')
    .addOption(new Option('--format <format>', 'output format').choices(['md', 'json']).default('md'))
    .option('--require <path>', 'include a user\'s step files; repeatable', collect, [])
    .action(async (opts) => {
      const { printStepCatalogue } = await import('../run/steps-catalogue.js');
      exit(await printStepCatalogue({ format: opts.format, requires: opts.require, cwd: process.cwd(), stdout: process.stdout }));
    });

  const tools = program.command('tools').description('attack-tool images (nmap, curl, sslscan ...) built on the target without a registry');
  tools.command('build')
    .description('build tool images from Debian packages (debootstrap + apt, cached) and import them, or tag an image you have (--from)')
    .argument('<names...>', 'tools: nmap, curl, sslscan, testssl.sh, sqlmap, dirb')
    .option('--target <url>', 'platform API (default: DOCKER_HOST, then the local socket)')
    .option('--from <image>', 'use this image (already on the target) as the tool, once its binary runs in it')
    .option('--rebuild', 'build again even if the tool image exists (the versions recorded last time)')
    .option('--update', 'with --rebuild: the mirror\'s current package versions instead of the recorded ones')
    .option('--cache <dir>', 'where the debootstrap base and tool root filesystems are kept (default /var/cache/keelhaul/tools)')
    .action(async (names: string[], opts) => {
      const { toolsBuild } = await import('../run/tools-command.js');
      exit(await toolsBuild({ names, target: opts.target, from: opts.from, rebuild: Boolean(opts.rebuild), update: Boolean(opts.update), cacheDir: opts.cache, stdout: process.stdout, stderr: process.stderr }));
    });
  tools.command('list')
    .description('the tool images on a target')
    .option('--target <url>', 'platform API (default: DOCKER_HOST, then the local socket)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (opts) => {
      const { toolsList } = await import('../run/tools-command.js');
      exit(await toolsList({ target: opts.target, format: opts.format, stdout: process.stdout }));
    });

  return program;
}

function common(paths: string[], opts: Record<string, any>) {
  return {
    paths, profile: opts.profile, tags: opts.tags, parallel: opts.parallel, reportsDir: opts.reports,
    image: opts.image, requires: opts.require, advisory: Boolean(opts.advisory), containerTimeoutMs: opts.containerTimeout, runId: opts.runId,
    callTimeoutMs: opts.callTimeout === undefined ? undefined : opts.callTimeout * 1000,
    peerTarget: opts.peerTarget, peerCertPath: opts.peerCertPath, defines: opts.define,
    shard: opts.shard, durationsFile: opts.durations, probeConcurrency: opts.probeConcurrency,
    cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr,
  };
}

export async function main(argv: string[]): Promise<void> {
  let exitCode: number | undefined;
  const program = buildProgram((code) => { exitCode = code; });
  try {
    if (argv.length <= 2) {
      program.outputHelp();
      exitCode = EXIT.usage;
    } else {
      await program.parseAsync(argv);
    }
  } catch (error) {
    exitCode = reportError(error);
  }
  process.exitCode = exitCode ?? EXIT.ok;
  // cucumber and dockerode can hold sockets open; the verdict is final, so leave now.
  await new Promise((r) => process.stdout.write('', r));
  process.exit(process.exitCode);
}

function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT.ok;
    return EXIT.usage; // commander already printed its one line
  }
  // cucumber wraps a tag expression's syntax error in a plugin error: it is bad input (exit 2).
  const cause = (error as { cause?: unknown })?.cause;
  if (cause instanceof Error && /^Tag expression .* could not be parsed/.test(cause.message)) {
    const given = process.argv.find((arg, i) => process.argv[i - 1] === '--tags') ?? process.argv.find((arg) => arg.startsWith('--tags='))?.slice(7);
    const why = /syntax error: (.*)$/.exec(oneLine(cause))?.[1] ?? oneLine(cause);
    process.stderr.write(`keelhaul: --tags: "${given ?? ''}" is not a valid tag expression: ${why}\n`);
    return EXIT.usage;
  }
  if (error instanceof KeelhaulError) {
    process.stderr.write(`keelhaul: ${error.message}\n`);
    if (verbose() && error.cause) process.stderr.write(`${(error.cause as Error).stack ?? error.cause}\n`);
    return error.exitCode;
  }
  process.stderr.write(`keelhaul: internal error: ${oneLine(error)}${verbose() ? '' : ' (--verbose for details)'}\n`);
  if (verbose()) process.stderr.write(`${(error as Error)?.stack ?? error}\n`);
  return EXIT.internal;
}

