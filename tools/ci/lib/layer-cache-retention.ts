/**
 * Layer-cache retention, pure. A cache entry (one build step's layers, as
 * buildah pushes it) is kept while the newest build of its image and stream
 * can use it: its layers are the first layers of that image, so a rebuild
 * after a change further down pulls it. Any other entry (a step that has
 * since changed, a superseded base) ages out like an unpromoted image: it
 * goes once older than the retention period.
 */
import { verdict as imageVerdict } from './retention';

export interface CacheEntryFacts {
  digest: string;
  tags: string[];
  /** When the step was built (its config's `created`); null when unknown. */
  created: Date | null;
  /** The entry's layers (config rootfs.diff_ids); null when unreadable. */
  diffIds: string[] | null;
}

export type CacheVerdict = { action: 'delete'; ageDays: number } | { action: 'keep'; reason: 'needed by the newest build' | 'recent' | 'age unknown' };

/** Whether `layers` are the first layers of `image`'s (a step of it). */
export const isLayerPrefix = (layers: string[], image: string[]): boolean => layers.length <= image.length && layers.every((layer, i) => image[i] === layer);

/**
 * `newestImageLayers`: the layers of the newest image of the same image and
 * stream (null when its repository holds none: nothing is needed then).
 */
export function cacheVerdict(entry: CacheEntryFacts, newestImageLayers: string[] | null, now: Date, days: number): CacheVerdict {
  if (newestImageLayers && entry.diffIds && isLayerPrefix(entry.diffIds, newestImageLayers)) return { action: 'keep', reason: 'needed by the newest build' };
  // Cache tags are never human tags: only age decides the rest.
  const byAge = imageVerdict({ digest: entry.digest, tags: [], created: entry.created }, now, { days, shaDays: days });
  return byAge.action === 'delete' ? byAge : { action: 'keep', reason: byAge.reason === 'age unknown' ? 'age unknown' : 'recent' };
}

/** The cache entries to delete, oldest first. */
export function cacheEntriesToDelete(entries: CacheEntryFacts[], newestImageLayers: string[] | null, now: Date, days: number): Array<CacheEntryFacts & { ageDays: number }> {
  return entries
    .flatMap((entry) => {
      const v = cacheVerdict(entry, newestImageLayers, now, days);
      return v.action === 'delete' ? [{ ...entry, ageDays: v.ageDays }] : [];
    })
    .sort((a, b) => b.ageDays - a.ageDays || a.digest.localeCompare(b.digest));
}

/** The layers of the most recently built of `images` (null when there is none, or none has a date). */
export function newestLayers(images: Array<{ created: Date | null; diffIds: string[] | null }>): string[] | null {
  const dated = images.filter((image) => image.created && !Number.isNaN(image.created.getTime()) && image.diffIds);
  if (dated.length === 0) return null;
  return dated.reduce((newest, image) => (image.created!.getTime() > newest.created!.getTime() ? image : newest)).diffIds;
}
