import type { Stream } from '../hierarchy/image-graph';
import type { SettingKey } from './build-settings';

/*
 * What each setting touches, apart from how settings are read: the plugin's
 * createNodes derives the targets' env inputs from it on every Nx command,
 * so this module loads nothing.
 */

/** The streams a setting can change: both, or the chain of one stream only (its upstream and what it builds). */
export type SettingScope = 'both' | 'cpu' | 'gpu';

/**
 * The cached targets whose Nx cache key a setting is part of: `build`
 * (build-<stream>), `generate` (the generated gpu-upstream context), `parity`
 * (the comparison of both streams' roots), `test` (test-<stream>).
 */
export type SettingCacheKey = 'build' | 'generate' | 'parity' | 'test';

export interface SettingInfo {
  scope: SettingScope;
  /** Empty: the setting changes how a target runs, never what it produces (e.g. where it reads a cache from). */
  cacheKeys: readonly SettingCacheKey[];
  /** The value when unset or empty (boolean settings; others are empty). */
  defaultValue?: string;
}

/**
 * What each known setting touches. The Nx `env` inputs of every cached
 * target are derived from this (`settingsEnvInputs`), so a change re-runs
 * only the targets in its scope.
 */
export const SETTINGS: Readonly<Record<SettingKey, SettingInfo>> = {
  UPSTREAM_CONTAINER_CPU_UNTAGGED: { scope: 'cpu', cacheKeys: ['build', 'parity'] },
  // The docker-stacks commit both streams start from: the cpu parent's tag, and the sources gpu-upstream is generated from.
  UPSTREAM_CONTAINER_CPU_HEAD_COMMIT: { scope: 'both', cacheKeys: ['build', 'generate', 'parity'] },
  UPSTREAM_CONTAINER_CPU: { scope: 'cpu', cacheKeys: ['build', 'parity'] },
  DOCKER_STACKS_REPO: { scope: 'gpu', cacheKeys: ['generate'] },
  GPU_JUPYTER_REPO: { scope: 'gpu', cacheKeys: ['generate'] },
  // Part of gpu-upstream's content tag, besides choosing what is generated.
  GPU_JUPYTER_HEAD_COMMIT: { scope: 'gpu', cacheKeys: ['build', 'generate'] },
  IMAGE_REGISTRY: { scope: 'both', cacheKeys: ['build'] },
  IMAGE_ENGINE: { scope: 'both', cacheKeys: ['build'] },
  IMAGE_PUSH: { scope: 'both', cacheKeys: ['build'], defaultValue: 'false' },
  // A build arg of every image of ours: part of every content tag.
  IMAGE_REBUILD_DATE: { scope: 'both', cacheKeys: ['build'] },
  // The branch the human tags name where git has none (a detached CI checkout); like the commit, never part of a key.
  IMAGE_BRANCH: { scope: 'both', cacheKeys: [] },
  // The engine that runs containers (container tests, serve).
  IMAGE_RUNTIME: { scope: 'both', cacheKeys: ['test'] },
  // The layer cache makes a build faster and never changes what it builds.
  IMAGE_LAYER_CACHE: { scope: 'both', cacheKeys: [], defaultValue: 'true' },
  // Decides only whether a build writes the layer cache.
  IMAGE_DEFAULT_BRANCH: { scope: 'both', cacheKeys: [] },
};

/**
 * The Nx `env` inputs of a cached target: every setting in the stream's
 * scope (`both`: a target that compares the streams) that is part of that
 * target's key. (The file itself, and variables its values reference, are
 * inputs of their own.)
 */
export function settingsEnvInputs(stream: Stream | 'both', cacheKey: SettingCacheKey): { env: SettingKey }[] {
  return (Object.keys(SETTINGS) as SettingKey[])
    .filter((key) => {
      const { scope, cacheKeys } = SETTINGS[key];
      return (stream === 'both' || scope === 'both' || scope === stream) && cacheKeys.includes(cacheKey);
    })
    .map((key) => ({ env: key }));
}
