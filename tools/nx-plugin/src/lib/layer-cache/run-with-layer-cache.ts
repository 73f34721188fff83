import type { EngineName } from '../engine/engine-cli';
import { EngineRunError } from '../engine/engine-output';
import { cacheExportFailureLine, cacheStateOf, cacheWarning, isCacheExportFailure, layerCacheOptions, type CacheState, type LayerCache } from './layer-cache';

export type CacheOptions = ReturnType<typeof layerCacheOptions>;

export interface LayerCacheDependencies {
  engine: EngineName;
  listTags: (repository: string) => Promise<string[]>;
  warn: (line: string) => void;
}

const firstLine = (text: string) => text.trim().split('\n')[0].slice(0, 300);

/** Asks the registry what the cache holds; an error (500, refused login, no network) makes it unreadable, never a failed build. */
export async function readCacheState(cache: LayerCache, deps: LayerCacheDependencies): Promise<CacheState> {
  try {
    return cacheStateOf(deps.engine, await deps.listTags(cache.repository));
  } catch (error) {
    return { state: 'unreadable', reason: firstLine(error instanceof Error ? error.message : String(error)) };
  }
}

/**
 * Runs the engine build with the layer cache: reads it only when the
 * registry has it, writes it only when allowed and the registry answered, and
 * when buildah failed the build only because exporting the cache failed,
 * builds once more without exporting. Each way of going without the cache
 * prints one warning line; the image is the same either way.
 */
export async function runWithLayerCache(cache: LayerCache | null, deps: LayerCacheDependencies, build: (cacheOptions: CacheOptions) => Promise<void>): Promise<void> {
  if (!cache) return build({ 'cache-from': [], 'cache-to': [] });
  const state = await readCacheState(cache, deps);
  const warning = cacheWarning(cache, state);
  if (warning) deps.warn(warning);
  const used = { repository: cache.repository, read: cache.read && state.state === 'present', write: cache.write && state.state !== 'unreadable' };
  try {
    await build(layerCacheOptions(deps.engine, used));
  } catch (error) {
    if (!used.write || !(error instanceof EngineRunError) || !isCacheExportFailure(error.output)) throw error;
    const cause = cacheExportFailureLine(error.output) ?? 'the engine refused it';
    deps.warn(`exporting the layer cache to ${cache.repository} failed (${firstLine(cause)}): building again without exporting it`);
    await build(layerCacheOptions(deps.engine, { ...used, write: false }));
  }
}
