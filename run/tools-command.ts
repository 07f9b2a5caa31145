// `keelhaul tools build NAME... [--from IMAGE]` and `keelhaul tools list`: attack-tool images on a
// target without a registry (issue 18). Building is adapters/tools/tool-build.ts (debootstrap + apt
// in a chroot, cached); this module imports the result through the API, tags and labels it, and
// says what it does as it goes.
import { readFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { LABEL_RUN, LABEL_SCENARIO, type PlatformClient } from '../adapters/platform/docker-client.js';
import { DEFAULT_CACHE_DIR, buildPreconditions, importChanges, toolRootfs, withCacheLock } from '../adapters/tools/tool-build.js';
import {
  LABEL_TOOL, LABEL_TOOL_PACKAGES, LABEL_TOOL_VERSION, TOOL_CATALOGUE, catalogueEntry, findToolImage, listToolImages,
  toolRepository, toolTag, versionTag, type ToolEntry,
} from '../adapters/tools/tool-images.js';
import { UsageError, oneLine } from '../judges/errors.js';
import { EXIT } from '../judges/outcome.js';
import { connectPlatform, newRunId } from './run.js';

export interface ToolsBuildOptions {
  names: string[];
  target?: string;
  from?: string;
  rebuild: boolean;
  update: boolean;
  cacheDir?: string;
  stdout: Writable;
  stderr: Writable;
}

function knownTools(): string {
  return Object.keys(TOOL_CATALOGUE).join(', ');
}

function checkNames(names: string[], from?: string): Array<[string, ToolEntry]> {
  if (names.length === 0) throw new UsageError(`tools build: name at least one tool (${knownTools()})`);
  return [...new Set(names)].map((name) => {
    const entry = catalogueEntry(name);
    if (entry) return [name, entry];
    // A tool Debian does not package (sslyze, for Gauntlt's adapter) can still come from the user's own
    // image: its binary, of the tool's name, must run there (checked by fromImage).
    if (from && /^[a-z0-9][a-z0-9._-]{0,63}$/.test(name)) {
      return [name, { packages: [], command: name, describe: `brought by the user (${from})`, probe: `command -v ${name} >/dev/null` }];
    }
    throw new UsageError(`tools build: unknown tool "${name}" (known: ${knownTools()}; any other only with --from IMAGE)`);
  });
}

export async function toolsBuild(options: ToolsBuildOptions): Promise<number> {
  const tools = checkNames(options.names, options.from);
  if (options.from && tools.length !== 1) throw new UsageError('tools build --from IMAGE: name exactly one tool (the image is tagged as that tool)');
  const log = (line: string) => options.stderr.write(`keelhaul tools: ${line}\n`);
  const runId = `tools-${newRunId()}`;
  // Bad input before anything slow: the target must answer, and a build must be possible here.
  const { client } = await connectPlatform(options.target, runId);
  if (options.from) return fromImage(client, tools[0]![0], tools[0]![1], options.from, log, options.stdout);
  const missing: Array<[string, ToolEntry]> = [];
  for (const [name, entry] of tools) {
    const existing = options.rebuild ? undefined : await findToolImage(client, name);
    if (existing) {
      options.stdout.write(`${name} ${existing.version} ${existing.ref} (already built on ${client.url}; --rebuild to build again)\n`);
    } else {
      missing.push([name, entry]);
    }
  }
  if (missing.length === 0) return EXIT.ok;
  await buildPreconditions(log);
  const cacheDir = options.cacheDir ?? DEFAULT_CACHE_DIR;
  return withCacheLock(cacheDir, log, async () => {
    for (const [name, entry] of missing) {
      // Another build may have made it while this one waited for the lock.
      const meanwhile = options.rebuild ? undefined : await findToolImage(client, name);
      if (meanwhile) {
        options.stdout.write(`${name} ${meanwhile.version} ${meanwhile.ref} (built meanwhile on ${client.url})\n`);
        continue;
      }
      const started = Date.now();
      const previous = options.rebuild ? await findToolImage(client, name) : undefined;
      const rootfs = await toolRootfs(name, entry, { cacheDir, rebuild: options.rebuild, update: options.update, log });
      if (!rootfs.built) log(`${name}: reusing the cached root filesystem ${rootfs.tarball} (${rootfs.pinned.join(' ')})`);
      const tag = toolTag(name, rootfs.version);
      log(`${name}: importing ${Math.round(rootfs.bytes / 1e6)} MB as ${tag} on ${client.url}`);
      await client.importImage(readFileSync(rootfs.tarball), toolRepository(name), versionTag(rootfs.version),
        importChanges(name, rootfs.version, rootfs.pinned, { tool: LABEL_TOOL, version: LABEL_TOOL_VERSION, packages: LABEL_TOOL_PACKAGES }));
      let image = await findToolImage(client, name);
      if (!image) throw new Error(`${name}: the import reported success but no ${tag} is on ${client.url}`);
      if (image.id !== previous?.id && !image.ref.endsWith(tag)) {
        // Podman's compatible import leaves the new image with :latest only while an older image
        // still holds the version tag (a rebuild): move the tag to the newest.
        const tagged = await client.raw({ method: 'POST', path: `/images/${encodeURIComponent(image.id!)}/tag?${new URLSearchParams({ repo: toolRepository(name), tag: versionTag(rootfs.version) })}` });
        if (tagged.status >= 300) throw new Error(`${name}: tag ${image.id} as ${tag}: ${tagged.status} ${tagged.text.slice(0, 200)}`);
        image = (await findToolImage(client, name)) ?? image;
      }
      await checkBinary(client, name, entry, image.ref, log);
      // A rebuild moves the tag: the images it replaced, now untagged, go (only tool images of this name).
      if (previous) {
        for (const old of (await listToolImages(client)).filter((i) => i.name === name && i.id && i.id !== image!.id)) await removeIfUntagged(client, old.id!, log);
      }
      log(`${name}: done in ${Math.round((Date.now() - started) / 1000)} s`);
      options.stdout.write(`${name} ${rootfs.version} ${image.ref}\n`);
    }
    return EXIT.ok;
  });
}

async function removeIfUntagged(client: PlatformClient, id: string, log: (line: string) => void): Promise<void> {
  const inspect = await client.raw({ method: 'GET', path: `/images/${encodeURIComponent(id)}/json` });
  if (inspect.status !== 200) return;
  const image = JSON.parse(inspect.text || '{}');
  const tags = (image.RepoTags ?? []).filter((t: string) => t && t !== '<none>:<none>' && !t.endsWith(':latest'));
  if (tags.length > 0 || !image.Config?.Labels?.[LABEL_TOOL]) return;
  const removed = await client.raw({ method: 'DELETE', path: `/images/${encodeURIComponent(id)}?force=1` });
  log(removed.status < 300 ? `removed the replaced image ${id.replace(/^sha256:/, '').slice(0, 12)}` : `could not remove the replaced image ${id.slice(0, 19)}: ${removed.status} ${removed.text.slice(0, 120)}`);
}

/** Run the tool's probe line in a container of the image (no network); its output, or an error naming what failed. */
async function probeImage(client: PlatformClient, image: string, script: string): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  const created: string[] = [];
  try {
    const result = await client.runToCompletion({ image, cmd: ['sh', '-c', script], hostConfig: { NetworkMode: 'none' } }, 'tools', 60_000, (id) => created.push(id));
    return result;
  } finally {
    for (const id of created) await client.removeContainer(id).catch(() => undefined);
  }
}

async function checkBinary(client: PlatformClient, name: string, entry: ToolEntry, ref: string, log: (line: string) => void): Promise<void> {
  const result = await probeImage(client, ref, `${entry.probe} >/dev/null`);
  if (result.exitCode !== 0) throw new Error(`${name}: "${entry.probe}" fails in ${ref} (exit ${result.exitCode}): ${(result.stderr || result.stdout).trim().slice(0, 300)}`);
  log(`${name}: "${entry.probe}" runs in ${ref}`);
}

/** --from IMAGE: the user's own image becomes the tool's image (labelled by a commit), once its binary runs in it. */
async function fromImage(client: PlatformClient, name: string, entry: ToolEntry, image: string, log: (line: string) => void, stdout: Writable): Promise<number> {
  if (!(await client.imageExists(image))) throw new UsageError(`tools build --from: no image "${image}" on ${client.url}`);
  const marker = 'keelhaul-version:';
  const script = `command -v sh >/dev/null || exit 126; ${entry.probe} >/dev/null 2>&1 || { echo "${entry.command} does not run" >&2; exit 3; }; `
    + `echo "${marker}$(dpkg-query -W -f '\${Version}' ${entry.packages[0]} 2>/dev/null)"`;
  let result: { exitCode: number | null; stdout: string; stderr: string };
  try {
    result = await probeImage(client, image, script);
  } catch (error) {
    throw new UsageError(`tools build --from: cannot run a container of ${image} (it needs /bin/sh): ${oneLine(error)}`);
  }
  if (result.exitCode !== 0) {
    throw new UsageError(`tools build --from: "${entry.probe}" does not run in ${image} (exit ${result.exitCode}${result.stderr.trim() ? `: ${result.stderr.trim().slice(0, 200)}` : ''})`);
  }
  const inspect = await client.raw({ method: 'GET', path: `/images/${encodeURIComponent(image)}/json` });
  const imageId = String(JSON.parse(inspect.text || '{}').Id ?? '').replace(/^sha256:/, '');
  const version = result.stdout.split('\n').find((l) => l.startsWith(marker))?.slice(marker.length).trim() || `from-${imageId.slice(0, 12) || 'image'}`;
  log(`${name}: "${entry.probe}" runs in ${image}; tagging it ${toolTag(name, version)}`);
  const created: string[] = [];
  try {
    const id = await client.createContainer({ image, cmd: ['sh'] }, 'tools');
    created.push(id);
    await client.commitContainer(id, toolRepository(name), versionTag(version),
      [
        ...importChanges(name, version, [`${entry.packages[0]}=${version}`], { tool: LABEL_TOOL, version: LABEL_TOOL_VERSION, packages: LABEL_TOOL_PACKAGES }).filter((c) => c.startsWith('LABEL')),
        // A commit keeps the container's labels: the image is no object of this command's run.
        `LABEL ${LABEL_RUN}=`, `LABEL ${LABEL_SCENARIO}=`,
      ]);
  } finally {
    for (const id of created) await client.removeContainer(id).catch(() => undefined);
  }
  const tool = await findToolImage(client, name);
  if (!tool) throw new Error(`${name}: the commit reported success but no ${toolTag(name, version)} is on ${client.url}`);
  stdout.write(`${name} ${tool.version} ${tool.ref} (from ${image})\n`);
  return EXIT.ok;
}

export async function toolsList(options: { target?: string; format: 'text' | 'json'; stdout: Writable }): Promise<number> {
  const { client } = await connectPlatform(options.target, `tools-${newRunId()}`);
  const images = await listToolImages(client);
  if (options.format === 'json') {
    options.stdout.write(`${JSON.stringify({ target: client.url, images, notBuilt: Object.keys(TOOL_CATALOGUE).filter((n) => !images.some((i) => i.name === n)) }, null, 2)}\n`);
    return EXIT.ok;
  }
  const rows = images.map((i) => [i.name, i.version, i.ref, `${Math.round((i.size ?? 0) / 1e6)} MB`]);
  const widths = [0, 1, 2].map((c) => Math.max(['TOOL', 'VERSION', 'IMAGE'][c]!.length, ...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => `${r.slice(0, 3).map((v, c) => v.padEnd(widths[c]!)).join('  ')}  ${r[3]}\n`;
  options.stdout.write(`tool images on ${client.url}:\n`);
  options.stdout.write(line(['TOOL', 'VERSION', 'IMAGE', 'SIZE']));
  for (const row of rows) options.stdout.write(line(row));
  const notBuilt = Object.keys(TOOL_CATALOGUE).filter((n) => !images.some((i) => i.name === n));
  if (notBuilt.length > 0) options.stdout.write(`not built: ${notBuilt.join(', ')} (keelhaul tools build NAME)\n`);
  return EXIT.ok;
}
