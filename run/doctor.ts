// `keelhaul doctor`: can this platform be tested? Reach the API, negotiate, fingerprint, check the
// probe image, say where keelhaul runs relative to the engine and how published ports are reached,
// and run a container with and without networking (Docker's docker0 bridge can vanish
// while the daemon runs, and then every networked container fails to start).
import type { Writable } from 'node:stream';
import { ensureProbeImage } from '../adapters/platform/probe-image.js';
import { PlatformRefusal } from '../adapters/platform/docker-client.js';
import { oneLine } from '../judges/errors.js';
import { EXIT } from '../judges/outcome.js';
import { connectPlatform, newRunId } from './run.js';
import { loadProfile } from './profiles.js';
import { sweep } from './sweep.js';
import { locateRunner } from './runner.js';
import { startReaper } from './reaper.js';

export async function doctor(options: { target?: string; image: string; profile: string; stdout: Writable }): Promise<number> {
  const out = (line: string) => options.stdout.write(line + '\n');
  const runId = `doctor-${newRunId()}`;
  const platform = await connectPlatform(options.target, runId);
  const fp = platform.fingerprint;
  const profile = loadProfile(options.profile, fp);
  out(`target:      ${platform.client.url} (${platform.client.connection.source})`);
  out(`engine:      ${fp.engine} ${fp.version}, API ${fp.apiVersion} (platform max ${platform.negotiation.daemonMax}${fp.minApiVersion ? `, min ${fp.minApiVersion}` : ''})`);
  if (platform.negotiation.note) out(`note:        ${platform.negotiation.note}`);
  out(`os:          ${fp.os}, kernel ${fp.kernel}, ${fp.arch}, cgroup v${fp.cgroupVersion} (${fp.cgroupDriver})`);
  out(`host:        ${fp.name}${fp.serverId ? ` (${fp.serverId})` : ''}`);
  out(`security:    ${fp.securityOptions.join(', ') || 'none reported'}`);
  out(`profile:     ${profile.name}${options.profile === 'auto' ? ' (auto)' : ''}`);
  const exposed = exposure(platform.client.connection);
  if (exposed) out(`WARNING:     ${exposed}`);
  for (const w of fp.warnings) out(`platform warning: ${w}`);
  let healthy = true;
  try {
    const source = await ensureProbeImage(platform.client, options.image);
    out(`probe image: ${options.image} (${source})`);
  } catch (error) {
    out(`probe image: UNUSABLE: ${oneLine(error)}`);
    return EXIT.platform;
  }
  // Its two containers are a run's like any other: a doctor stopped by a signal (no clean-up of its
  // own: the CLI's early handler exits at once) or killed leaves them to the reaper.
  process.env.KEELHAUL_RUN = runId;
  const reaper = startReaper({ runId, target: options.target ?? '', apiVersion: platform.negotiation.version, logPath: '', log: (line) => process.stderr.write(`${line}\n`) });
  for (const mode of ['none', 'default'] as const) {
    const hostConfig = mode === 'none' ? { NetworkMode: 'none' } : {};
    let id: string | undefined;
    try {
      id = await platform.client.createContainer({ image: options.image, cmd: ['sh', '-c', 'echo ok'], hostConfig }, 'doctor');
      await platform.client.startContainer(id);
      const { exitCode, timedOut } = await platform.client.waitContainer(id, 20_000);
      const ok = exitCode === 0 && !timedOut;
      healthy &&= ok;
      out(`container:   ${mode === 'none' ? 'no network' : 'default network'}: ${ok ? 'ok' : `FAILED (exit ${exitCode}${timedOut ? ', timed out' : ''})`}`);
    } catch (error) {
      healthy = false;
      const raw = error instanceof PlatformRefusal ? error.rawMessage : oneLine(error);
      const hint = /docker0|bridge|no such (network|interface)|link not found/i.test(raw)
        ? ' (the engine\'s default bridge is missing: restart the engine, e.g. `scripts/engines.sh down docker && scripts/engines.sh up docker`)'
        : '';
      out(`container:   ${mode === 'none' ? 'no network' : 'default network'}: FAILED: ${raw}${hint}`);
    } finally {
      if (id) await platform.client.removeContainer(id).catch(() => undefined);
    }
  }
  // Where keelhaul runs, and how the ports family reaches published ports from there.
  const runner = await locateRunner(platform.client, options.image, profile);
  out(`runner:      ${runner.where}: ${runner.detail}`);
  out(`ports:       published ports reached ${runner.publishedPorts.detail}${runner.publishedPorts.via === 'helper-container' && !runner.measured ? ' (host networking looks unavailable: the ports family will be not-applicable)' : ''}`);
  const swept = await sweep(platform.client, runId).catch(() => undefined);
  if (swept && swept.failures.length === 0) await reaper.release();
  out(healthy ? 'doctor: the platform is usable' : 'doctor: the platform is NOT fully usable');
  return healthy ? EXIT.ok : EXIT.platform;
}

/** A plain-TCP API is unauthenticated and unencrypted: anyone who reaches it is root on the host. */
export function exposure(connection: { transport: string; tls?: unknown; url: string }): string | undefined {
  if (connection.transport === 'tcp' && !connection.tls) {
    return `the API at ${connection.url} is plain TCP without TLS: exposed and unauthenticated`;
  }
  return undefined;
}
