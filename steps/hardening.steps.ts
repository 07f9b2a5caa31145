// Hardening family (HARD-01..19): request each dangerous option through the API and classify what
// the platform did with it: rejected (the API refused it at create, start or exec), neutralised
// (accepted, but the probe from inside shows no effect) or effective (the container really got it).
// The options and their effect judgements are a catalogue (judges/hardening-options.ts); the
// verdict comes from the profile (judges/hardening.ts): multi-tenant -> effective is a finding;
// otherwise it passes as an exposure. Plus the daemon posture a client can read from /info and
// /version. docs/hardening.md says how each is judged.
import { Then, When } from '@cucumber/cucumber';
import { isRefusal } from '../adapters/platform/docker-client.js';
import { componentsFromVersion, evaluateCves } from '../judges/cve-table.js';
import { evaluateKernelCves } from '../judges/kernel-cve-table.js';
import { resolveConnection } from '../adapters/platform/connection.js';
import { unauthenticatedGet, type UnauthenticatedAnswer } from '../adapters/platform/unauthenticated.js';
import { Finding } from '../judges/errors.js';
import {
  classify, defaultLimits, execRuntimeRefusal, judgePosture, judgePrivilegedExec, refusalStage, verdictFor, wildcardBindings,
} from '../judges/hardening.js';
import { OPTIONS, optionFor, type HardeningContext } from '../judges/hardening-options.js';
import { doc, type ArgumentCheck } from '../support/step-docs.js';
import type { KeelhaulWorld } from '../support/world.js';
import { probeContainer } from '../support/default-probe.js';
import { bindVolume, daemon, engineSocketPath, getJson, optionSpec, prefetchOption, record, refusalMessage, slot } from '../support/hardening-driver.js';
import { planProbes } from '../support/probe-plan.js';
import { OBSERVATION } from '../judges/observation-keys.js';

When('a container is requested with {string}', doc(
  'Asks the API for a container with one dangerous option (see the feature files for the list: privileged mode, "the SYS_ADMIN capability added", host binds, "the host\'s /dev mounted read-only through Mounts", "the host\'s /etc through a local volume bound to it" (created first, removed at the end), host namespaces, disabled seccomp/LSM, devices, cgroup parent, a host sysctl, OOM opt-outs, shared propagation) and, if it starts, probes it from the inside. A refusal at create or start is recorded with its raw message.',
  'When a container is requested with "the SYS_ADMIN capability added"',
  90_000,
  ((args) => {
    try {
      optionFor(String(args[0]));
      return undefined;
    } catch (error) {
      // An unknown capability says so; an unknown option gets the list of those the step knows.
      return /capability added$/.test(String(args[0]))
        ? `this step judges "the <CAP> capability added" for a known capability: ${(error as Error).message}`
        : `this step judges these options: the <CAP> capability added, ${Object.keys(OPTIONS).join(', ')}; not "${args[0]}"`;
    }
  }) satisfies ArgumentCheck,
), async function (this: KeelhaulWorld, name: string) {
  const option = optionFor(name);
  const baseline = await probeContainer(this);
  const ctx: HardeningContext = { baseline, socketPath: engineSocketPath(this) };
  const reason = option.notApplicable?.(ctx);
  if (reason) this.notApplicable(reason);
  if (option.prepareVolume) {
    const volume = await bindVolume(this, option.prepareVolume.device);
    if (typeof volume !== 'string') return record(this, { option: name, refusal: { stage: 'create', message: refusalMessage(volume) } });
    ctx.volume = volume;
  }
  const request = option.request(ctx);
  if (typeof request === 'string') this.inconclusive(request);
  try {
    const probed = await probeContainer(this, optionSpec(baseline, request));
    record(this, { option: name, request: request.hostConfig, effect: option.effect(probed, ctx) }, { baseline: baseline.report, probed: probed.report });
  } catch (error) {
    if (!isRefusal(error)) throw error;
    if (option.absentWhen?.test(error.rawMessage)) this.notApplicable(`${name}: the host has no such path (${error.rawMessage.slice(0, 200)})`);
    record(this, { option: name, request: request.hostConfig, refusal: { stage: refusalStage(error.message), message: refusalMessage(error) } }, { baseline: baseline.report });
  }
});
planProbes('a container is requested with {string}', prefetchOption);

When('a privileged exec as root is requested in a running container', doc(
  'Starts a default container, then asks POST /containers/{id}/exec for `Privileged: true, User: "0"` and reads CapEff inside the exec. A runtime error inside the exec (exit 126, "unable to apply caps") counts as a refusal at exec.',
  'When a privileged exec as root is requested in a running container',
  90_000,
), async function (this: KeelhaulWorld) {
  const [name, request] = ['a privileged exec as root', { Privileged: true, User: '0' }];
  const { networkMode } = await probeContainer(this);
  const id = await this.startContainer({ cmd: ['sleep', '60'], hostConfig: { NetworkMode: networkMode } });
  const readCaps = 'sed -n "s/^CapEff:[[:space:]]*//p" /proc/self/status';
  const base = await this.platform.exec(id, ['sh', '-c', readCaps], { timeoutMs: 20_000, signal: this.signal });
  let result;
  try {
    result = await this.platform.exec(id, ['sh', '-c', `${readCaps}; cat /proc/sys/kernel/cap_last_cap`], { privileged: true, user: '0', timeoutMs: 20_000, signal: this.signal });
  } catch (error) {
    if (!isRefusal(error)) throw error;
    return record(this, { option: name, request, refusal: { stage: 'exec', message: refusalMessage(error) } });
  }
  const runtime = execRuntimeRefusal(result.exitCode, `${result.stdout}\n${result.stderr}`);
  if (runtime) return record(this, { option: name, request, refusal: { stage: 'exec', message: runtime } });
  const [capEff, lastCap] = result.stdout.trim().split('\n').map((s) => s.trim());
  record(this, { option: name, request, effect: judgePrivilegedExec(capEff, lastCap, base.stdout.trim()) }, { exec: result.stdout, default: base.stdout });
});

Then('the platform rejects or neutralises it', doc(
  'Classifies the outcome as rejected (refused at create, start or exec, raw message kept), neutralised (started, no effect inside) or effective, and records it as the observation "hardening". Effective is a finding on a multi-tenant profile, and an exposure otherwise (stock Docker honours dangerous options by design). An effect that cannot be measured is inconclusive.',
  'Then the platform rejects or neutralises it',
), function (this: KeelhaulWorld) {
  const outcome = slot(this).outcome;
  if (!outcome) throw new Error('start the scenario with "When a container is requested with ..."');
  const verdict = verdictFor(classify(outcome.refusal, outcome.effect), this.profile.multiTenant === true);
  if (verdict.verdict === 'inconclusive') {
    this.observe(OBSERVATION.hardening, 'unknown');
    this.observe(OBSERVATION.hardeningDetail, `${outcome.option}: ${outcome.effect?.evidence ?? 'no probe'}`);
    this.inconclusive(`${outcome.option}: accepted, but its effect cannot be measured: ${outcome.effect?.evidence ?? 'no probe'}`);
  }
  this.observe(OBSERVATION.hardening, verdict.classification);
  this.observe(OBSERVATION.hardeningDetail, outcome.refusal
    ? `${outcome.option}: refused at ${outcome.refusal.stage}: ${outcome.refusal.message}`
    : `${outcome.option}: ${outcome.effect!.evidence}`);
  if (verdict.verdict === 'finding') {
    throw new Finding(`${outcome.option} is effective on a multi-tenant platform (profile ${this.profile.name}): ${outcome.effect!.evidence}`);
  }
  if (verdict.verdict === 'exposure') this.expose(`${outcome.option} is effective: ${outcome.effect!.evidence}`);
});

// ---- daemon posture (HARD-14..17, 19) -----------------------------------------------------------

When('the daemon\'s posture is read from {string} and {string}', doc(
  'Reads GET /info and GET /version as any API client can.',
  'When the daemon\'s posture is read from "/info" and "/version"',
), async function (this: KeelhaulWorld, infoPath: string, versionPath: string) {
  daemon(this).info = await getJson(this, infoPath);
  daemon(this).version = await getJson(this, versionPath);
});

Then('its security options and warnings are reported, and fail only where the profile promises more', doc(
  'Records SecurityOptions (seccomp, AppArmor/SELinux, userns/rootless, no-new-privileges), live restore, logging driver, authorization plugins, experimental build, insecure registries, storage driver, debug mode, Swarm state and daemon warnings. A finding when the profile promises seccomp or user namespaces and the daemon does not report them, when seccomp is unconfined, or when a multi-tenant platform warns of a plain-TCP API; otherwise a warning is an exposure.',
  'Then its security options and warnings are reported, and fail only where the profile promises more',
), function (this: KeelhaulWorld) {
  const { posture, findings, exposures, note } = judgePosture(daemon(this).info, this.profile);
  this.observe('posture', posture);
  for (const what of exposures) this.expose(what);
  if (note) this.observe('securityOptionsNote', note);
  if (findings.length > 0) throw new Finding(findings.join('; '));
});

Then('the default resource limits of a container are reported, and required on a multi-tenant platform', doc(
  'Reads the memory, pids and CPU limits of a container started with no options from its own cgroup files. Missing defaults are an exposure on single-tenant profiles (Docker sets none) and a finding on a multi-tenant one.',
  'Then the default resource limits of a container are reported, and required on a multi-tenant platform',
), async function (this: KeelhaulWorld) {
  const { limits, missing, visible } = defaultLimits((await probeContainer(this)).report.values);
  this.observe('defaultLimits', limits);
  if (!visible) this.inconclusive('no cgroup limit file is visible from inside the container');
  if (missing.length === 0) return;
  if (this.profile.multiTenant) throw new Finding(`a container started with no options has no ${missing.join(', ')} limit on a multi-tenant platform`);
  this.expose(`no default ${missing.join(', ')} limit: a careless container can take the host's ${missing.join(', ')}`);
});
planProbes('the default resource limits of a container are reported, and required on a multi-tenant platform', (world) => probeContainer(world));

Then('the engine and runtime versions are compared with known container-escape CVEs', doc(
  'Compares the engine, containerd and runc versions from /version with a small table of container-escape CVEs (judges/cve-table.ts; CVE-2024-41110 only where /info lists an authorization plugin). A finding when an upstream version is below the fix; a distribution build (e.g. Debian\'s +deb12u1) whose backports are unknown is reported, not failed; inconclusive when no version is reported.',
  'Then the engine and runtime versions are compared with known container-escape CVEs',
), function (this: KeelhaulWorld) {
  const components = componentsFromVersion(daemon(this).version);
  this.observe('components', components);
  if (components.length === 0) this.inconclusive('the platform reports no engine or runtime versions in /version');
  const plugins = daemon(this).info?.Plugins?.Authorization;
  const authorizationPlugins: string[] = Array.isArray(plugins) ? plugins.map(String) : [];
  const results = evaluateCves(components, undefined, { authorizationPlugins });
  this.observe('cves', results);
  const vulnerable = results.filter((r) => r.status === 'vulnerable');
  const undetermined = results.filter((r) => r.status === 'undetermined');
  for (const r of undetermined) this.expose(`${r.cve} (${r.component} ${r.build}): ${r.why}`);
  if (!components.some((c) => c.component === 'runc')) this.observe('runcNote', 'the runtime version is not reported: runc CVEs cannot be checked');
  if (vulnerable.length > 0) throw new Finding(vulnerable.map((r) => `${r.cve} (${r.component} ${r.build}): ${r.why}`).join('; '));
});

Then('the kernel release is compared with known container-escape kernel CVEs', doc(
  'Compares the kernel release from /info (KernelVersion; containers share the host\'s kernel) with a table of container-escape kernel CVEs (judges/kernel-cve-table.ts: Dirty Pipe, CVE-2022-0185, CVE-2022-0492, CVE-2023-0386, CVE-2024-1086). A finding when an upstream release is below the fix of its stable branch; inconclusive, with the reason, when a distribution kernel (Debian 6.1.0-18-amd64, Ubuntu -generic, RHEL .el9) is below an upstream fix, because its number hides the backports; inconclusive when no release is reported.',
  'Then the kernel release is compared with known container-escape kernel CVEs',
), function (this: KeelhaulWorld) {
  const release = String(daemon(this).info?.KernelVersion ?? daemon(this).version?.KernelVersion ?? '').trim();
  if (!release) this.inconclusive('the platform reports no kernel release in /info or /version');
  this.observe('kernel', release);
  const results = evaluateKernelCves(release);
  this.observe('kernelCves', results);
  const vulnerable = results.filter((r) => r.status === 'vulnerable');
  if (vulnerable.length > 0) throw new Finding(vulnerable.map((r) => `${r.cve}: ${r.why}`).join('; '));
  const undetermined = results.filter((r) => r.status === 'undetermined');
  if (undetermined.length > 0) this.inconclusive(`kernel ${release}: ${undetermined.map((r) => `${r.cve} undetermined (${r.why})`).join('; ')}`);
});

Then('the API refuses clients that show no credentials', doc(
  'Against a TCP target only: repeats GET /_ping and GET /containers/json without the client certificate (TLS, the server verified as usual) and as plain HTTP. A handshake failure, a refused connection, or 400/401/403 passes; a 200 means anyone who reaches the port drives the engine: a finding on a multi-tenant profile, an exposure otherwise. Not applicable on a unix socket, whose access is the file\'s permissions.',
  'Then the API refuses clients that show no credentials',
  60_000,
), async function (this: KeelhaulWorld) {
  const conn = resolveConnection({ target: this.parameters.target || undefined });
  if (conn.transport !== 'tcp') this.notApplicable(`the target is a unix socket (${conn.url}): who may use it is decided by the socket file's permissions, not by the API`);
  const answers: UnauthenticatedAnswer[] = [];
  for (const how of ['tls-without-client-certificate', 'plain-http'] as const) {
    for (const path of ['/_ping', '/containers/json']) answers.push(await unauthenticatedGet(conn, path, how));
  }
  this.observe('unauthenticated', answers.map((a) => `${a.how} GET ${a.path}: ${a.status ?? a.failure}`));
  // A plain-HTTP request to a TLS port gets 400 ("Client sent an HTTP request to an HTTPS server"); a
  // TLS request to a plain port fails its handshake: neither is an answer to an unauthenticated client.
  const answered = answers.filter((a) => a.status !== undefined && a.status >= 200 && a.status < 300);
  if (answered.length === 0) {
    if (answers.every((a) => a.status === undefined && /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|no answer/.test(a.failure ?? ''))) {
      this.inconclusive(`the API could not be reached without credentials at all: ${answers.map((a) => a.failure).join('; ')}`);
    }
    return;
  }
  const what = `the API at ${conn.host}:${conn.port} answers clients without credentials: ${answered.map((a) => `${a.how} GET ${a.path} ${a.status}`).join(', ')}`;
  if (this.profile.multiTenant) throw new Finding(what);
  this.expose(what);
});

When('a container publishes a port without naming a host address', doc(
  'Starts a container with ExposedPorts 8080/tcp and PortBindings {HostPort: ""} and no HostIp, on the platform\'s default network, and reads the binding the engine chose from inspect.',
  'When a container publishes a port without naming a host address',
  60_000,
), async function (this: KeelhaulWorld) {
  if (this.profile.semantics?.perContainerIp) this.notApplicable(`profile ${this.profile.name}: every container has its own address; there is no host interface to bind`);
  let id: string;
  try {
    id = await this.startContainer({ cmd: ['sleep', '30'], exposedPorts: { '8080/tcp': {} }, hostConfig: { PortBindings: { '8080/tcp': [{ HostPort: '' }] } } });
  } catch (error) {
    if (isRefusal(error)) this.notApplicable(`the platform cannot publish ports on its default network: ${error.rawMessage}`);
    throw error;
  }
  const inspect = await this.platform.inspectContainer(id, this.signal);
  slot(this).bindings = inspect?.NetworkSettings?.Ports?.['8080/tcp'] ?? [];
});

Then('the binding address is reported', doc(
  'Records the host address the engine bound. An unspecified address (0.0.0.0 or ::) is an exposure (CIS 5.14): the port is reachable from every network the host is on.',
  'Then the binding address is reported',
), function (this: KeelhaulWorld) {
  const bindings = slot(this).bindings ?? [];
  this.observe('portBindings', bindings);
  if (bindings.length === 0) this.inconclusive('the engine reported no binding for the published port');
  const wildcard = wildcardBindings(bindings);
  if (wildcard.length > 0) this.expose(`published ports bind to every interface by default (${wildcard.join(', ')})`);
});
