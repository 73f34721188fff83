import type { ExecutorContext } from '@nx/devkit';
import { BuildConfigurationError } from '../errors';
import { localImageId, type EngineName } from '../engine/container-engine';
import { humanTags, type GitState } from '../images/image-names';
import { builtRecord, type BuildRecord } from '../records/build-record';
import { toNxContainerOptions, type ImageBuildPlan } from './image-build-plan';

/** The registry operations a build needs; implemented over the registry HTTP API. */
export interface RegistryOperations {
  manifestDigest(reference: string): Promise<string | null>;
  retag(reference: string, tags: string[]): Promise<string>;
}

export type NxContainerRun = (options: Record<string, unknown>, context: ExecutorContext) => Promise<{ success: boolean }>;

export interface RealizeOptions {
  push: boolean;
  tagLatest: boolean;
  cacheFrom: string[];
  git: GitState | null;
}

export interface RealizeDependencies {
  engine: EngineName;
  /** null when no registry is configured. */
  registry: RegistryOperations | null;
  runNxContainer: NxContainerRun;
  log: (line: string) => void;
  /** Makes the parent image present in the engine before it builds on it (a cache hit may have restored only its record). */
  prepareParent?: () => Promise<void>;
}

/**
 * Makes the planned image exist, doing as little as possible: a content tag
 * already in the registry is reused (human tags added registry-side, no pull);
 * one already in the engine's storage is reused when not pushing; only
 * otherwise does the engine build.
 */
export async function realizeBuild(
  plan: ImageBuildPlan,
  options: RealizeOptions,
  deps: RealizeDependencies,
  context: ExecutorContext,
): Promise<BuildRecord> {
  if (options.push && !deps.registry) {
    throw new BuildConfigurationError(
      `${plan.project}: push needs a registry: set IMAGE_REGISTRY (build_settings.env or environment) or the target's "registry" option`,
    );
  }
  if (options.push && !options.git) throw new Error('pushing needs the git state for the human tags');
  const humanReferences = options.push && options.git
    ? humanTags(options.git, options.tagLatest).map((tag) => `${plan.repository}:${tag}`)
    : [];

  if (deps.registry) {
    const digest = await deps.registry.manifestDigest(plan.image);
    if (digest) {
      if (humanReferences.length > 0) await deps.registry.retag(plan.image, humanReferences.map((ref) => ref.split(':').pop()!));
      deps.log(`${plan.image} is already in the registry (${digest}): not rebuilt${humanReferences.length ? ', human tags added registry-side' : ''}`);
      return builtRecord(plan, {
        tags: [plan.image, ...humanReferences],
        imageId: localImageId(deps.engine, plan.image),
        digest,
        source: 'registry',
      });
    }
  }
  if (!options.push) {
    const imageId = localImageId(deps.engine, plan.image);
    if (imageId) {
      deps.log(`${plan.image} is already in ${deps.engine}'s storage: not rebuilt`);
      return builtRecord(plan, { tags: [plan.image], imageId, digest: null, source: 'local' });
    }
  }

  await deps.prepareParent?.();
  const tags = [plan.image, ...humanReferences];
  const nxContainerOptions = toNxContainerOptions(plan, deps.engine, tags, options.push, options.cacheFrom);
  try {
    const result = await deps.runNxContainer(nxContainerOptions, context);
    if (!result.success) throw new Error('nx-container reported failure');
  } catch (error) {
    const cause = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new BuildConfigurationError(
      `${plan.project}:build-${plan.stream} failed in ${deps.engine} (${cause}): see the engine output above; fix ${plan.dockerfile} or its context and rerun`,
    );
  }
  const imageId = localImageId(deps.engine, plan.image);
  if (!imageId) {
    throw new BuildConfigurationError(`${plan.project}: ${deps.engine} reported success but has no image ${plan.image}: check the engine's storage`);
  }
  const digest = options.push && deps.registry ? await deps.registry.manifestDigest(plan.image) : null;
  if (options.push && !digest) {
    throw new BuildConfigurationError(`${plan.project}: pushed ${plan.image} but the registry does not list it: check the registry's storage`);
  }
  return builtRecord(plan, { tags, imageId, digest, source: 'built' });
}
