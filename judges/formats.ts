// One parser per format that probe scripts print or feature authors write (issue 15: "one home per
// concept"). Pure: no I/O.
//   - key=value lines, as every in-container probe prints them (parseKeyValues, keyValueRecord);
//   - a cgroup limit file's value, where "max", -1 and v1's page-rounded 2^63 mean unlimited (cgroupLimit);
//   - a size as `docker run --memory` takes it: 32m, 64 MiB, 1g, 512k, or bytes (parseSize).

/** key=value lines; a repeated key keeps every value in order (see `all`), `get` gives the last. */
export interface KeyValues {
  get(key: string): string | undefined;
  all(key: string): string[];
  raw: Record<string, string[]>;
}

/**
 * Lines "key=value": the key is what comes before the first "=" (trimmed), the value what comes
 * after it (trimmed). A line whose key is empty or holds anything outside `key` is no key=value
 * line (a mountinfo line with "lowerdir=", a shell's error message) and is skipped.
 */
export function parseKeyValues(text: string, key: RegExp = /^[A-Za-z0-9_.-]+$/): KeyValues {
  const raw: Record<string, string[]> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const name = line.slice(0, eq).trim();
    if (!key.test(name)) continue;
    (raw[name] ??= []).push(line.slice(eq + 1).trim());
  }
  return {
    raw,
    get: (name) => raw[name]?.at(-1),
    all: (name) => raw[name] ?? [],
  };
}

/** Any key without white space in it (probes whose keys carry ":" or "/", e.g. "cg:memory.max"). */
export const ANY_KEY = /^\S+$/;

/** key=value lines as a record, the last value of a repeated key winning. */
export function keyValueRecord(text: string, key: RegExp = ANY_KEY): Record<string, string> {
  const { raw } = parseKeyValues(text, key);
  return Object.fromEntries(Object.entries(raw).map(([k, values]) => [k, values.at(-1)!]));
}

/** A number a probe printed, or undefined for nothing, "NA" (the probes' "unreadable") or garbage. */
export function num(value: string | undefined): number | undefined {
  if (value === undefined || value === '' || value === 'NA') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * A cgroup limit value: 'max' (v2), -1 (v1 cfs quota) or v1's "no limit" (about 2^63,
 * page-rounded) mean unlimited; nothing, "NA" or garbage is undefined (unreadable).
 */
export function cgroupLimit(value: string | undefined): number | 'unlimited' | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (v === '' || v === 'NA') return undefined;
  if (v === 'max' || v === '-1') return 'unlimited';
  const n = Number(v);
  if (!Number.isFinite(n)) return undefined;
  if (n >= 2 ** 62) return 'unlimited';
  return n;
}

/** cgroup v2 cpu.max ("max 100000", "25000 100000") in CPUs, 'unlimited', or undefined when unreadable. */
export function cpuMaxCpus(value: string | undefined): number | 'unlimited' | undefined {
  if (!value || value === 'NA') return undefined;
  if (value.startsWith('max')) return 'unlimited';
  const [quota, period] = value.split(' ');
  return Number(quota) / Number(period);
}

export const MiB = 1024 * 1024;

/** A size as `docker run --memory` takes it: "32m", "64 MiB", "1g", "512k", "100b" or a plain byte count. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([bkmg]?)i?b?\s*$/i.exec(text);
  if (!m) throw new Error(`"${text}" is not a size (e.g. 32m, 64 MiB)`);
  const unit = { '': 1, b: 1, k: 1024, m: MiB, g: 1024 * MiB }[m[2]!.toLowerCase() as '' | 'b' | 'k' | 'm' | 'g'];
  return Math.round(Number(m[1]) * unit);
}
