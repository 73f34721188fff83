import { didYouMean } from '../did-you-mean';
import { BuildConfigurationError } from '../errors';
import { parseImageReference } from '../registry/image-reference';

/**
 * The committed lock of every external base: which digest each upstream tag
 * stood for when it was last refreshed. Builds use `name:tag@digest`, so a
 * re-pushed tag changes nothing until the lock is refreshed (`npm run pins`).
 */
export const UPSTREAM_LOCK_FILE = 'upstream-lock.json';
/** The cpu stream's root: the pin UPSTREAM_CONTAINER_CPU of build_settings.env. */
export const CPU_UPSTREAM_KEY = 'UPSTREAM_CONTAINER_CPU';
/** The `FROM nvidia/cuda:…` of the Dockerfile gpu-jupyter's generator writes for gpu-upstream. */
export const CUDA_UPSTREAM_KEY = 'gpu-upstream/nvidia-cuda';
export const REFRESH_COMMAND = 'npm run pins';
/** Every upstream a build or `npm run pins` looks up: any other entry would be kept and never read. */
export const UPSTREAM_KEYS: readonly string[] = [CPU_UPSTREAM_KEY, CUDA_UPSTREAM_KEY];

export interface LockEntry {
  /** name:tag, as the pin or the generator writes it. */
  reference: string;
  digest: string | null;
  /** When this digest was taken from the registry (ISO date); unchanged while the digest is. */
  checkedAt: string;
}

export interface UpstreamLock {
  version: 1;
  upstreams: Record<string, LockEntry>;
}

export const emptyLock = (): UpstreamLock => ({ version: 1, upstreams: {} });

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Parses and checks the lock; any defect is one line naming the file, the key and the fix. */
export function parseUpstreamLock(text: string, file: string = UPSTREAM_LOCK_FILE): UpstreamLock {
  const fix = `restore it from git or run \`${REFRESH_COMMAND}\``;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new BuildConfigurationError(`${file} is not valid JSON (${(error as Error).message}): ${fix}`);
  }
  const lock = data as Partial<UpstreamLock> | null;
  if (!lock || typeof lock !== 'object' || lock.version !== 1 || !lock.upstreams || typeof lock.upstreams !== 'object' || Array.isArray(lock.upstreams)) {
    throw new BuildConfigurationError(`${file} is not an upstream lock of version 1 ({ "version": 1, "upstreams": { … } }): ${fix}`);
  }
  for (const [key, entry] of Object.entries(lock.upstreams)) {
    const where = `${file}: upstreams["${key}"]`;
    if (!UPSTREAM_KEYS.includes(key)) {
      throw new BuildConfigurationError(
        `${where} is no upstream of this workspace${didYouMean(key, UPSTREAM_KEYS)}, so nothing would read it: fix its name or remove the entry (the upstreams are ${UPSTREAM_KEYS.join(', ')})`,
      );
    }
    if (!entry || typeof entry !== 'object' || typeof entry.reference !== 'string' || typeof entry.checkedAt !== 'string') {
      throw new BuildConfigurationError(`${where} needs "reference" (name:tag), "digest" (sha256:… or null) and "checkedAt": ${fix}`);
    }
    const ref = parseImageReference(entry.reference);
    if (ref.digest !== undefined || ref.tag === undefined) {
      throw new BuildConfigurationError(`${where}.reference "${entry.reference}" must be name:tag (the digest goes in "digest"): ${fix}`);
    }
    if (entry.digest !== null && (typeof entry.digest !== 'string' || !DIGEST.test(entry.digest))) {
      throw new BuildConfigurationError(`${where}.digest "${String(entry.digest)}" is neither sha256:<64 hex> nor null: ${fix}`);
    }
  }
  return { version: 1, upstreams: lock.upstreams };
}

/** Stable text: keys sorted, two-space JSON, final newline, so an unchanged lock is byte-identical. */
export function formatUpstreamLock(lock: UpstreamLock): string {
  const upstreams: Record<string, LockEntry> = {};
  for (const key of Object.keys(lock.upstreams).sort()) {
    const { reference, digest, checkedAt } = lock.upstreams[key];
    upstreams[key] = { reference, digest, checkedAt };
  }
  return `${JSON.stringify({ version: 1, upstreams }, null, 2)}\n`;
}

/** What the lock says about one upstream the workspace uses. */
export type LockedUpstream =
  | { locked: true; key: string; reference: string; digest: string; /** name:tag@digest */ pinned: string }
  | { locked: false; key: string; reference: string; /** Why it is not locked, as a sentence part. */ why: string };

const sameImage = (a: string, b: string): boolean => {
  const x = parseImageReference(a);
  const y = parseImageReference(b);
  return x.registry === y.registry && x.repository === y.repository && x.tag === y.tag;
};

/**
 * The locked form of `reference` under `key`. An entry for another reference
 * (the pin moved, the lock did not) counts as unlocked: its digest is of
 * another image.
 */
export function lookupUpstream(lock: UpstreamLock, key: string, reference: string, file: string = UPSTREAM_LOCK_FILE): LockedUpstream {
  const entry = lock.upstreams[key];
  if (!entry) return { locked: false, key, reference, why: `${file} has no entry "${key}" for ${reference}` };
  if (!sameImage(entry.reference, reference)) {
    return { locked: false, key, reference, why: `${file} locks "${key}" as ${entry.reference}, not ${reference}` };
  }
  if (!entry.digest) return { locked: false, key, reference, why: `${file} has no digest for "${key}" (${reference})` };
  return { locked: true, key, reference, digest: entry.digest, pinned: `${reference}@${entry.digest}` };
}

/** The one line a real build prints (after its target's name) when an upstream it needs is not locked. */
export function unlockedError(upstream: Extract<LockedUpstream, { locked: false }>): BuildConfigurationError {
  return new BuildConfigurationError(
    `${upstream.why}: builds use upstreams by digest only; run \`${REFRESH_COMMAND}\` to lock it, then commit ${UPSTREAM_LOCK_FILE}`,
  );
}

/** The plan-mode warning for the same case: the plan goes on, on the tag. */
export function unlockedWarning(target: string, upstream: Extract<LockedUpstream, { locked: false }>): string {
  return `${target}: ${upstream.why}: planned on the tag; run \`${REFRESH_COMMAND}\` before a real build`;
}

// ------------------------------------------------------------------ refresh

/** One upstream to refresh: its key and the name:tag the workspace uses now. */
export interface RefreshTarget {
  key: string;
  reference: string;
}

/** What the registry said for one target: its digest, or why it could not be asked. */
export type RefreshResult = { key: string; digest: string } | { key: string; error: string };

export interface RefreshRow {
  key: string;
  reference: string;
  old: string | null;
  /** The new digest, or null when not refreshed. */
  new: string | null;
  status: 'unchanged' | 'updated' | 'failed';
  reason?: string;
}

export interface RefreshOutcome {
  lock: UpstreamLock;
  rows: RefreshRow[];
  /** Every target got a digest. */
  allRefreshed: boolean;
  /** The lock differs from the one given: only then is it rewritten. */
  changed: boolean;
}

/**
 * Applies the registry's answers to the lock: each target that got a digest
 * is set to it (checkedAt moves only when the entry changes, so a refresh that
 * finds nothing new leaves the file byte-identical); each that failed keeps
 * its entry as it was. Entries that are not targets are kept.
 */
export function applyRefresh(lock: UpstreamLock, targets: RefreshTarget[], results: RefreshResult[], now: string): RefreshOutcome {
  const upstreams = { ...lock.upstreams };
  const rows: RefreshRow[] = [];
  for (const target of targets) {
    const previous = lock.upstreams[target.key];
    const old = previous && sameImage(previous.reference, target.reference) ? previous.digest : null;
    const result = results.find((r) => r.key === target.key);
    if (!result || 'error' in result) {
      rows.push({ ...target, old: previous?.digest ?? null, new: null, status: 'failed', reason: result && 'error' in result ? result.error : 'not asked' });
      continue;
    }
    const unchanged = previous !== undefined && previous.reference === target.reference && previous.digest === result.digest;
    if (!unchanged) upstreams[target.key] = { reference: target.reference, digest: result.digest, checkedAt: now };
    rows.push({ ...target, old, new: result.digest, status: unchanged ? 'unchanged' : 'updated' });
  }
  const next: UpstreamLock = { version: 1, upstreams };
  return {
    lock: next,
    rows,
    allRefreshed: rows.every((row) => row.status !== 'failed'),
    changed: formatUpstreamLock(next) !== formatUpstreamLock(lock),
  };
}

const shortDigest = (digest: string | null) => (digest ? `${digest.slice(0, 19)}…` : '(none)');

/** The small old → new table `npm run pins` prints. */
export function formatRefreshTable(rows: RefreshRow[]): string {
  const lines = rows.map((row) => [
    row.key,
    row.reference,
    shortDigest(row.old),
    row.status === 'failed' ? `NOT REFRESHED: ${row.reason}` : row.status === 'unchanged' ? 'unchanged' : shortDigest(row.new),
  ]);
  const header = ['upstream', 'reference', 'old', 'new'];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ');
  return [header, ...lines].map(format).join('\n');
}
