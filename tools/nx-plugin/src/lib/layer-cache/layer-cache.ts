import type { EngineName } from '../engine/engine-cli';

/**
 * The registry layer cache of one image and stream: a repository of its own
 * beside the image's, so its entries are never promoted, never human-tagged
 * and never mixed with another stream's.
 */
export const layerCacheRepository = (imageRepository: string): string => `${imageRepository}-layer-cache`;

/** buildx keeps the whole cache of an image under one tag (buildah: one tag per build step, named by its cache key). */
export const BUILDKIT_CACHE_TAG = 'buildkit';

/** What a build does with its layer cache. */
export interface LayerCache {
  repository: string;
  read: boolean;
  write: boolean;
}

export interface LayerCacheFacts {
  /** IMAGE_LAYER_CACHE (default on). */
  enabled: boolean;
  /** The image repository, null without a registry. */
  imageRepository: string | null;
  push: boolean;
  /** Whether this checkout may write the cache: a clean tree on the default branch. */
  onCleanDefaultBranch: () => boolean;
}

/**
 * Every build with a registry reads the cache; only builds that push, from a
 * clean tree on the default branch, write it: a pull request's or a dirty
 * laptop's layers never become what main builds on.
 */
export function layerCacheFor(facts: LayerCacheFacts): LayerCache | null {
  if (!facts.enabled || !facts.imageRepository) return null;
  return { repository: layerCacheRepository(facts.imageRepository), read: true, write: facts.push && facts.onCleanDefaultBranch() };
}

/**
 * nx-container's cache-from / cache-to for the engine. buildx needs a
 * registry cache with mode=max to export intermediate layers too, and
 * ignore-error so a failed export leaves the build standing; buildah takes a
 * bare repository and pushes each step's layer as it builds it.
 */
export function layerCacheOptions(engine: EngineName, cache: { repository: string; read: boolean; write: boolean }): { 'cache-from': string[]; 'cache-to': string[] } {
  if (engine === 'docker') {
    const ref = `type=registry,ref=${cache.repository}:${BUILDKIT_CACHE_TAG}`;
    return { 'cache-from': cache.read ? [ref] : [], 'cache-to': cache.write ? [`${ref},mode=max,ignore-error=true`] : [] };
  }
  return { 'cache-from': cache.read ? [cache.repository] : [], 'cache-to': cache.write ? [cache.repository] : [] };
}

/**
 * A build that failed only for its cache export: buildah fails the whole
 * build when pushing a step's cache fails, and buildx refuses any export on
 * its plain docker driver (ignore-error covers only the export itself).
 */
const CACHE_EXPORT_FAILURE = /(?:failed pushing cache to|cache export is not supported for the \S+ driver).*$/im;

export const isCacheExportFailure = (engineOutput: string): boolean => CACHE_EXPORT_FAILURE.test(engineOutput);

/** The engine's line saying why, for the warning. */
export const cacheExportFailureLine = (engineOutput: string): string | null => CACHE_EXPORT_FAILURE.exec(engineOutput)?.[0].trim() ?? null;

/** What the registry holds for a cache before the build: buildah logs a failed cache pull at debug level only, so it is asked here. */
export type CacheState = { state: 'present' } | { state: 'absent' } | { state: 'unreadable'; reason: string };

/** Present when the cache has the entries the engine reads: any step's tag (buildah), the one cache tag (buildx). */
export function cacheStateOf(engine: EngineName, tags: string[]): CacheState {
  const present = engine === 'docker' ? tags.includes(BUILDKIT_CACHE_TAG) : tags.length > 0;
  return present ? { state: 'present' } : { state: 'absent' };
}

/** The one warning line for a cache the build goes without. */
export function cacheWarning(cache: LayerCache, state: CacheState): string | null {
  if (state.state === 'present') return null;
  if (state.state === 'absent') {
    return `no layer cache at ${cache.repository} yet (first build, or pruned): building without it${cache.write ? '; this build writes it' : ''}`;
  }
  return `layer cache ${cache.repository} is unreadable (${state.reason}): building without it${cache.write ? ' and not writing it' : ''}`;
}
