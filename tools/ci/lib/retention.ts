/**
 * Registry retention, pure: which manifests of a repository may go. Only a
 * manifest that nothing but content tags points at (never promoted: a failed
 * commit, a superseded rebuild) and that is older than the retention period.
 * A digest any human tag points at is kept, whatever its age: deleting a
 * manifest deletes every tag on it.
 */
import { CONTENT_TAG_PREFIX } from '../../nx-plugin/src/lib/content-tag/content-tag';
import { CiError } from './ci-error';

export const DEFAULT_RETENTION_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface ManifestFacts {
  digest: string;
  tags: string[];
  /** When the image was built (its config's `created`); null when unknown. */
  created: Date | null;
}

export type Verdict =
  | { action: 'delete'; ageDays: number }
  | { action: 'keep'; reason: 'human tag' | 'recent' | 'age unknown' };

export const isContentTag = (tag: string) => tag.startsWith(CONTENT_TAG_PREFIX);

/** Groups a repository's tag → digest map by digest, tags sorted. */
export function manifestsByDigest(tags: ReadonlyMap<string, string>): Map<string, string[]> {
  const byDigest = new Map<string, string[]>();
  for (const [tag, digest] of [...tags].sort(([a], [b]) => a.localeCompare(b))) {
    byDigest.set(digest, [...(byDigest.get(digest) ?? []), tag]);
  }
  return byDigest;
}

/** Digests that only content tags point at: the only ones whose age is worth asking for. */
export function unpromotedDigests(tags: ReadonlyMap<string, string>): string[] {
  return [...manifestsByDigest(tags)].filter(([, names]) => names.every(isContentTag)).map(([digest]) => digest);
}

export function verdict(manifest: ManifestFacts, now: Date, days: number): Verdict {
  if (!manifest.tags.every(isContentTag)) return { action: 'keep', reason: 'human tag' };
  if (!manifest.created || Number.isNaN(manifest.created.getTime())) return { action: 'keep', reason: 'age unknown' };
  const ageDays = Math.floor((now.getTime() - manifest.created.getTime()) / DAY_MS);
  return ageDays >= days ? { action: 'delete', ageDays } : { action: 'keep', reason: 'recent' };
}

/** The manifests to delete, oldest first. */
export function manifestsToDelete(manifests: ManifestFacts[], now: Date, days: number): Array<ManifestFacts & { ageDays: number }> {
  return manifests
    .map((manifest) => ({ manifest, verdict: verdict(manifest, now, days) }))
    .flatMap(({ manifest, verdict: v }) => (v.action === 'delete' ? [{ ...manifest, ageDays: v.ageDays }] : []))
    .sort((a, b) => b.ageDays - a.ageDays || a.digest.localeCompare(b.digest));
}

/** `--days N`: a whole number of days, at least 1 (0 would race a running main build). */
export function parseRetentionDays(value: string | undefined): number {
  if (value === undefined) return DEFAULT_RETENTION_DAYS;
  const days = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(days) || days < 1) {
    throw new CiError(`--days ${value}: give a whole number of days, at least 1 (default ${DEFAULT_RETENTION_DAYS})`);
  }
  return days;
}
