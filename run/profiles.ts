// Platform profiles: data files, validated against profiles/schema.json (DESIGN.md, Platform profiles).
import type { Ajv as AjvClass, ErrorObject } from 'ajv';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Fingerprint } from '../adapters/platform/fingerprint.js';
import type { Profile } from '../judges/profile.js';
import { UsageError } from '../judges/errors.js';
import { packageRoot } from './paths.js';
import { cacheDir, writeCacheFile } from './step-index.js';

// The type lives in judges/ (below every layer that reads a profile); re-exported for run/'s callers.
export type { Profile } from '../judges/profile.js';

export const SHIPPED_PROFILES = ['docker', 'podman', 'triton', 'triton-2015'] as const;

let validator: ReturnType<AjvClass['compile']> | undefined;
function validate(data: unknown): ErrorObject[] {
  if (!validator) {
    // ajv is loaded and the schema compiled only for a user's profile file (about 100 ms).
    const { Ajv } = createRequire(import.meta.url)('ajv') as { Ajv: typeof AjvClass };
    const schema = JSON.parse(readFileSync(join(packageRoot(), 'profiles', 'schema.json'), 'utf8'));
    validator = new Ajv({ allErrors: true }).compile(schema);
  }
  return validator(data) ? [] : [...(validator.errors ?? [])];
}

function describe(errors: ErrorObject[]): string {
  return errors.slice(0, 3).map((e) => {
    const where = e.instancePath || '(top level)';
    if (e.keyword === 'additionalProperties') return `${where}: unknown key "${(e.params as { additionalProperty: string }).additionalProperty}"`;
    if (e.keyword === 'enum') return `${where}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
    return `${where} ${e.message}`;
  }).join('; ');
}

/**
 * Load and validate a profile file. Any problem is a UsageError (exit 2) naming the file. The
 * shipped profiles are validated by the unit tests instead of on every run (`trusted`).
 */
export function loadProfileFile(path: string, trusted = false): Profile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`profile ${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let data: unknown;
  try {
    data = extname(path) === '.json' ? JSON.parse(text) : parseYamlCached(text);
  } catch (error) {
    throw new UsageError(`profile ${path}: not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${String((error as Error).message).split('\n')[0]}`);
  }
  const errors = trusted ? [] : validate(data);
  if (errors.length > 0) throw new UsageError(`profile ${path}: invalid: ${describe(errors)}`);
  return { ...(data as Profile), source: path };
}

/**
 * A YAML profile's data, kept as JSON in the cache folder under the hash of its text: parsing the
 * shipped docker.yaml costs ~5 ms of every run's start-up, reading its JSON ~0.2 ms. A text that
 * changed is a new key; data JSON cannot hold exactly (a YAML .inf, say) is not kept; a cache that
 * cannot be read or written is no error.
 */
function parseYamlCached(text: string): unknown {
  let file: string | undefined;
  try {
    file = join(cacheDir(), `profile-${createHash('sha256').update(`yaml profile 1\n${text}`).digest('hex').slice(0, 32)}.json`);
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    // not cached yet
  }
  // yaml is loaded on the first YAML profile not in the cache, not with every command that imports this module.
  const data: unknown = (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text);
  const json = JSON.stringify(data);
  // Not kept (no cache folder, or data JSON cannot hold): parsed again next time.
  if (file && json !== undefined && isDeepStrictEqual(JSON.parse(json), data)) writeCacheFile(file, json);
  return data;
}

function isShipped(path: string): boolean {
  return SHIPPED_PROFILES.some((name) => shippedProfilePath(name) === path);
}

export function shippedProfilePath(name: string): string {
  return join(packageRoot(), 'profiles', `${name}.yaml`);
}

/** Is the --profile value usable before the platform is known? ('auto' needs the fingerprint.) */
export function resolveProfileOption(option: string): { kind: 'auto' } | { kind: 'file'; path: string } {
  if (option === 'auto') return { kind: 'auto' };
  if ((SHIPPED_PROFILES as readonly string[]).includes(option)) return { kind: 'file', path: shippedProfilePath(option) };
  if (/[/\\.]/.test(option) || existsSync(option)) return { kind: 'file', path: option };
  throw new UsageError(`--profile: unknown profile "${option}" (use auto, ${SHIPPED_PROFILES.join(', ')}, or a path to a profile file)`);
}

export function loadProfile(option: string, fp?: Fingerprint): Profile {
  const resolved = resolveProfileOption(option);
  if (resolved.kind === 'file') return loadProfileFile(resolved.path, isShipped(resolved.path));
  const engine = fp?.engine ?? 'unknown';
  // The first that matches, parsed one at a time: the Triton ones are 15 KB of YAML each (~90 ms for all four).
  for (const name of SHIPPED_PROFILES) {
    const profile = loadProfileFile(shippedProfilePath(name), true);
    if (profile.match?.engine?.includes(engine)) return profile;
  }
  return loadProfileFile(shippedProfilePath('docker'), true);
}
