/**
 * Registry retention, pure: which manifests of an image repository may go.
 *
 * - A digest that `latest` or a branch tag points at (any tag that is not a
 *   content tag, a sha tag or a referrers tag) is kept, whatever its age.
 * - A digest that sha tags point at (promoted once, no longer the branch's)
 *   goes when its newest date is older than the sha-tag period (default 90 days).
 * - A digest that only content tags point at (never promoted: a failed
 *   commit, a superseded rebuild) goes when its newest date is older than the
 *   content period (default 30 days).
 *
 * A digest's newest date is the latest of: its build (the image config's
 * `created`), its test mark (a marked digest is one a running promotion may
 * be about to tag: the mark restarts its clock, so prune never deletes it
 * under a promotion), and the commit dates of its sha tags. Deleting a
 * manifest deletes every tag on it, and its test marks go with it.
 */
import { CONTENT_TAG_PREFIX } from '@kubeflow-images/plugin-lib/content-tag/content-tag';
import { CiError } from './ci-error';
import { isReferrersTag } from './test-mark';

export const DEFAULT_RETENTION_DAYS = 30;
export const DEFAULT_SHA_RETENTION_DAYS = 90;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface RetentionPeriods {
  /** Days an unpromoted (content tag only) digest is kept. */
  days: number;
  /** Days a digest that only sha tags (and content tags) point at is kept. */
  shaDays: number;
}

export interface ManifestFacts {
  digest: string;
  tags: string[];
  /** When the image was built (its config's `created`); null when unknown. */
  created: Date | null;
  /** When its tests passed (its test mark's date); null when it has no mark. */
  marked?: Date | null;
  /** The commit dates of its full sha tags that git knows. */
  commitDates?: Date[];
}

export type TagKind = 'content' | 'sha' | 'referrers' | 'branch';

export type Verdict =
  | { action: 'delete'; ageDays: number }
  | { action: 'keep'; reason: 'branch tag' | 'recent' | 'age unknown' };

export const isContentTag = (tag: string) => tag.startsWith(CONTENT_TAG_PREFIX);
const FULL_SHA = /^[0-9a-f]{40}$/;
export const isFullShaTag = (tag: string) => FULL_SHA.test(tag);

export function tagKind(tag: string): TagKind {
  if (isContentTag(tag)) return 'content';
  if (isReferrersTag(tag)) return 'referrers';
  if (FULL_SHA.test(tag) || /^[0-9a-f]{7}$/.test(tag)) return 'sha';
  return 'branch';
}

/** Groups a repository's tag → digest map by digest, tags sorted; referrers tags (test marks' listings) are not images and stay out. */
export function manifestsByDigest(tags: ReadonlyMap<string, string>): Map<string, string[]> {
  const byDigest = new Map<string, string[]>();
  for (const [tag, digest] of [...tags].sort(([a], [b]) => a.localeCompare(b))) {
    if (tagKind(tag) === 'referrers') continue;
    byDigest.set(digest, [...(byDigest.get(digest) ?? []), tag]);
  }
  return byDigest;
}

/** Digests no branch tag or `latest` points at: the only ones whose dates are worth asking for. */
export function unpinnedDigests(tags: ReadonlyMap<string, string>): string[] {
  return [...manifestsByDigest(tags)].filter(([, names]) => !names.some((tag) => tagKind(tag) === 'branch')).map(([digest]) => digest);
}

const valid = (date: Date | null | undefined): date is Date => !!date && !Number.isNaN(date.getTime());

export function verdict(manifest: ManifestFacts, now: Date, periods: RetentionPeriods): Verdict {
  if (manifest.tags.some((tag) => tagKind(tag) === 'branch')) return { action: 'keep', reason: 'branch tag' };
  const dates = [manifest.created, manifest.marked, ...(manifest.commitDates ?? [])].filter(valid);
  if (dates.length === 0) return { action: 'keep', reason: 'age unknown' };
  const newest = Math.max(...dates.map((date) => date.getTime()));
  const ageDays = Math.floor((now.getTime() - newest) / DAY_MS);
  const period = manifest.tags.some((tag) => tagKind(tag) === 'sha') ? periods.shaDays : periods.days;
  return ageDays >= period ? { action: 'delete', ageDays } : { action: 'keep', reason: 'recent' };
}

/** The manifests to delete, oldest first. */
export function manifestsToDelete(manifests: ManifestFacts[], now: Date, periods: RetentionPeriods): Array<ManifestFacts & { ageDays: number }> {
  return manifests
    .map((manifest) => ({ manifest, verdict: verdict(manifest, now, periods) }))
    .flatMap(({ manifest, verdict: v }) => (v.action === 'delete' ? [{ ...manifest, ageDays: v.ageDays }] : []))
    .sort((a, b) => b.ageDays - a.ageDays || a.digest.localeCompare(b.digest));
}

/** `--days N` / `--sha-days N`: a whole number of days, at least 1 (0 would race a running main build). */
export function parseRetentionDays(value: string | undefined, option = '--days', fallback = DEFAULT_RETENTION_DAYS): number {
  if (value === undefined) return fallback;
  const days = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(days) || days < 1) {
    throw new CiError(`${option} ${value}: give a whole number of days, at least 1 (default ${fallback})`);
  }
  return days;
}
