import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { BuildConfigurationError } from '../errors';
import { describeEngineFailure } from '../engine/classify-engine-failure';
import { engineTempDir, type EngineName } from '../engine/engine-cli';
import { inspectLocalImage, type LocalImage } from '../engine/local-images';
import { writtenName } from '../registry/image-reference';
import { builtRecord, type BuildRecord } from '../records/build-record';
import type { LayerCache } from '../layer-cache/layer-cache';
import { runWithLayerCache } from '../layer-cache/run-with-layer-cache';
import { sleep } from '../registry/retry';
import { dockerfileWithLabels, imageLabels, toNxContainerOptions, type ImageBuildPlan } from './image-build-plan';

/** The registry operations a build needs; implemented over the registry HTTP API. */
export interface RegistryOperations {
  manifestDigest(reference: string): Promise<string | null>;
  retag(reference: string, tags: string[]): Promise<string>;
  listTags(repository: string): Promise<string[]>;
}

export type NxContainerRun = (options: Record<string, unknown>, context: ExecutorContext) => Promise<{ success: boolean }>;

export interface RealizeOptions {
  /** Push the content tag (the only tag a build ever gives: human tags move only in promotion, onto tested digests). */
  push: boolean;
  cacheFrom: string[];
  /** The registry layer cache to read and write (asked only when the engine builds: it may ask git); null or absent: none. */
  layerCache?: () => LayerCache | null;
}

export interface RealizeDependencies {
  engine: EngineName;
  /** Looks an image up in the engine's storage; by default asks `engine` (a spec gives a fake storage). */
  inspectLocalImage?: (reference: string) => Promise<LocalImage>;
  /** null when no registry is configured. */
  registry: RegistryOperations | null;
  /**
   * Throws the fix when the engine cannot build; asked only when a build is
   * needed (reuse needs no probe), told whether the engine already answered.
   */
  ensureEngineReady: (engineAnswered: boolean) => void;
  runNxContainer: NxContainerRun;
  /** Pushes the built image (retrying what may pass), returning the digest it pushed when the engine says; throws an EngineRunError with the engine's output when it cannot. */
  pushImage?: (image: string) => Promise<string | null | void>;
  /** Pulls repository@digest into the engine under `image`: another runner's push of the same content tag won. */
  pullByDigest?: (repositoryAtDigest: string, image: string) => Promise<void>;
  /** Told as soon as the engine is ready and certain to build, before the parent and context are made ready, so nx-container can load meanwhile. */
  buildIsCertain?: () => void;
  log: (line: string) => void;
  /** Where a build that goes on without something says so (default: log). */
  warn?: (line: string) => void;
  /** Where the build's own temp files go (default: the system's temp folder); an interrupted build's are removed with it. */
  tempDir?: () => string;
  /** Makes the build context exist (a generated one) when, and only when, the engine must build. */
  prepareContext?: () => void | Promise<void>;
  /** Makes the parent image present in the engine before it builds on it (a cache hit may have restored only its record). */
  prepareParent?: () => Promise<void>;
  /** The wait before the tag is read back after a push (default: a timer); a spec lets another runner's push land meanwhile. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/**
 * Makes the planned image exist, doing as little as possible: a content tag
 * already in the registry is reused (no pull);
 * one already in the engine's storage is reused when not pushing; only
 * otherwise does the engine build.
 */
export function pushNeedsRegistry(project: string): BuildConfigurationError {
  return new BuildConfigurationError(
    `${project}: push needs a registry: set IMAGE_REGISTRY (build_settings.env or environment) or the target's "registry" option, or set IMAGE_PUSH=false`,
  );
}

export async function realizeBuild(
  plan: ImageBuildPlan,
  options: RealizeOptions,
  deps: RealizeDependencies,
  context: ExecutorContext,
): Promise<BuildRecord> {
  if (options.push && !deps.registry) throw pushNeedsRegistry(plan.project);
  const inspectLocal = deps.inspectLocalImage ?? ((reference: string) => inspectLocalImage(deps.engine, reference));

  if (deps.registry) {
    const digest = await deps.registry.manifestDigest(plan.image);
    if (digest) {
      deps.log(`${plan.image} was in the registry (${digest}): not rebuilt`);
      return builtRecord(plan, {
        tags: [plan.image],
        imageId: (await inspectLocal(plan.image)).id,
        digest,
        source: 'registry',
      });
    }
  }
  let engineAnswered = false;
  if (!options.push) {
    const local = await inspectLocal(plan.image);
    if (local.id) {
      deps.log(`${plan.image} was in ${deps.engine}'s storage: not rebuilt`);
      return builtRecord(plan, { tags: [plan.image], imageId: local.id, digest: null, source: 'local' });
    }
    engineAnswered = local.engineAnswered;
  }

  deps.ensureEngineReady(engineAnswered);
  deps.buildIsCertain?.();
  await deps.prepareParent?.();
  await deps.prepareContext?.();
  // The content tag only: a commit's tags (sha, branch, latest) never name content a build made, which may come from a
  // working tree that differs from the commit; promotion gives them to tested digests.
  const registry = deps.registry;
  const layerCache = registry ? (options.layerCache?.() ?? null) : null;
  let pushedMeanwhile: string | null = null;
  let pushedDigest: string | null = null;
  /** How long this runner's push took, from asking the registry for the tag until the push landed; null when it did not push. */
  let pushTook: number | null = null;
  const now = deps.now ?? Date.now;
  const labelled = deps.engine === 'podman' ? labelledDockerfile(plan, deps.tempDir?.() ?? tmpdir()) : null;
  try {
    await runWithLayerCache(
      layerCache,
      { engine: deps.engine, listTags: (repository) => registry!.listTags(repository), warn: deps.warn ?? deps.log },
      async (cache) => {
        const nxContainerOptions = toNxContainerOptions(plan, deps.engine, [plan.image], false, [...options.cacheFrom, ...cache['cache-from']], cache['cache-to'], labelled?.file);
        const result = await deps.runNxContainer(nxContainerOptions, context);
        if (!result.success) throw new Error('nx-container reported failure');
      },
    );
    // A push of its own (not nx-container's): it can be tried again without building again, and given a login.
    if (options.push) {
      if (!deps.pushImage) throw new Error('realizeBuild: pushing needs pushImage');
      // Another runner may have pushed the same content tag while this one built: then the tag already names its image.
      const asked = now();
      pushedMeanwhile = await registry!.manifestDigest(plan.image);
      if (!pushedMeanwhile) {
        pushedDigest = (await deps.pushImage(plan.image)) || null;
        pushTook = now() - asked;
      }
    }
  } catch (error) {
    // Our own refusal (a credential helper that is not installed, ...) already says what is wrong: not the engine's failure.
    if (error instanceof BuildConfigurationError) throw error;
    const dockerfileText = existsSync(plan.dockerfile) ? readFileSync(plan.dockerfile, 'utf8') : '';
    const where = { task: `${plan.project}:build-${plan.stream}`, engine: deps.engine, parent: plan.parent, dockerfile: relative(context.root, plan.dockerfile), image: plan.image };
    throw new BuildConfigurationError(describeEngineFailure(error, where, dockerfileText, { tmpDir: engineTempDir(deps.engine) }));
  } finally {
    labelled?.remove();
  }
  let imageId = (await inspectLocal(plan.image)).id;
  if (!imageId) {
    throw new BuildConfigurationError(`${plan.project}: ${deps.engine} reported success but has no image ${plan.image}: check the engine's storage`);
  }
  // Read back: the tag is what children and tests get, whoever pushed last. A runner that found the tag absent before this
  // push landed pushes an image built from the same inputs to the same registry, so its push lands within about as long
  // as this one took: read the tag only then, or this record would name this push while the tag names the later one.
  if (pushTook !== null) {
    const seconds = (pushTook / 1000).toFixed(1);
    deps.log(`${plan.image}: pushed in ${seconds} s; reading the tag back in ${seconds} s, once a push of the same content tag that another runner had under way has landed`);
    await (deps.sleep ?? sleep)(pushTook);
  }
  const digest = options.push && deps.registry ? await deps.registry.manifestDigest(plan.image) : null;
  if (options.push && !digest) {
    throw new BuildConfigurationError(`${plan.project}: pushed ${plan.image} but the registry does not list it: check the registry's storage`);
  }
  const won = pushedMeanwhile ?? (digest && pushedDigest && digest !== pushedDigest ? digest : null);
  if (won) {
    const when = pushedMeanwhile ? 'while this one built' : `at the same time, and its push won (this one pushed ${pushedDigest})`;
    deps.log(`${plan.image}: another runner pushed the same content tag ${when}: recording the tag's digest ${won} and using its image`);
    await deps.pullByDigest?.(`${writtenName(plan.image)}@${won}`, plan.image);
    imageId = (await inspectLocal(plan.image)).id;
  }
  return builtRecord(plan, { tags: [plan.image], imageId, digest, source: 'built' });
}

/** The Dockerfile with the image's labels in one last line, in a folder of its own (see dockerfileWithLabels); null when it cannot take them. */
function labelledDockerfile(plan: ImageBuildPlan, tempDir: string): { file: string; remove: () => void } | null {
  if (!existsSync(plan.dockerfile)) return null;
  const text = dockerfileWithLabels(readFileSync(plan.dockerfile, 'utf8'), imageLabels(plan));
  if (text === null) return null;
  const dir = mkdtempSync(join(tempDir, 'kf-labelled-dockerfile-'));
  const file = join(dir, 'Dockerfile');
  writeFileSync(file, text);
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
