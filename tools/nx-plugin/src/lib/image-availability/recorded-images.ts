import type { ExecutorContext } from '@nx/devkit';
import { prepareBuild } from '../build-plan/prepare-build';
import { realizeBuild, type NxContainerRun, type RegistryOperations } from '../build-plan/realize-build';
import type { EngineName } from '../engine/engine-cli';
import { assertEngineReady } from '../engine/engine-ready';
import { localImageId, pullAndTag } from '../engine/local-images';
import { BuildConfigurationError } from '../errors';
import { ensureGeneratedContext, generationWorkDir } from '../gpu-upstream/generated-context';
import type { Stream } from '../hierarchy/image-graph';
import { readRecord, type BuildRecord } from '../records/build-record';
import { withHealedRecords, type RecordHealer } from '../records/heal-records';
import { writtenName } from '../registry/image-reference';
import type { BuildSettings } from '../settings/build-settings';
import { appendRunEvent } from '../../run-summary/run-events';
import { ensureImage, rebuildCommand, type Availability } from './ensure-image';

export interface RecordedImagesDependencies {
  settings: BuildSettings;
  engine: EngineName;
  /** IMAGE_REGISTRY ('' when none): only images under it are looked up there. */
  registryPrefix: string;
  registry: RegistryOperations | null;
  runNxContainer: NxContainerRun;
  log: (line: string) => void;
  /** Re-derives a record that is missing or broken; without it such a record is an error. */
  heal?: RecordHealer;
  /** This process's scratch folder, which the next run removes if this one is killed: for a pull's private login. */
  scratchDir: () => string;
}

/**
 * The workspace's recorded images, made present on demand: the record of
 * `project` is read from dist/, and its image is found, pulled or rebuilt
 * (parents first, by the same rule) in the engine that builds.
 */
export function recordedImages(context: ExecutorContext, deps: RecordedImagesDependencies) {
  const inRegistry = (image: string) => !!deps.registry && !!deps.registryPrefix && image.startsWith(`${deps.registryPrefix}/`);

  const rebuild = async (record: BuildRecord): Promise<void> => {
    const recipe = record.recipe!;
    const projectContext: ExecutorContext = { ...context, projectName: record.project, targetName: `build-${record.stream}` };
    const { plan, parentSource, settings, lock, generatedIdentity } = await healing(() =>
      prepareBuild(
        { stream: record.stream, dockerfile: recipe.dockerfile, context: recipe.context, buildArgs: recipe.buildArgs, generated: recipe.generated },
        projectContext,
        deps.settings,
      ),
    );
    if (plan.contentTag !== record.contentTag) {
      throw new BuildConfigurationError(
        `${record.image} is missing and cannot be rebuilt from its record: ${recipe.dockerfile} and its context now give ${plan.contentTag}, not the recorded ${record.contentTag} (the record is stale): run ${rebuildCommand(record)}`,
      );
    }
    await realizeBuild(
      // Under the recorded reference: a child's record names it.
      { ...plan, image: record.image, repository: writtenName(record.image) },
      { push: false, cacheFrom: [] },
      {
        engine: deps.engine,
        // ensureImage asked the registry already.
        registry: null,
        ensureEngineReady: (engineAnswered) => assertEngineReady(deps.engine, engineAnswered),
        runNxContainer: deps.runNxContainer,
        log: deps.log,
        tempDir: deps.scratchDir,
        prepareParent: parentSource.kind === 'project' ? async () => void (await ensure(parentSource.project, record.stream)) : undefined,
        ...(generatedIdentity && {
          prepareContext: () =>
            ensureGeneratedContext(
              { workspaceRoot: context.root, settings, lock, outputDir: plan.context, workDir: generationWorkDir(context.root), log: deps.log },
              generatedIdentity,
            ),
        }),
      },
      projectContext,
    );
  };

  const healing = <T>(attempt: () => T): Promise<T> => (deps.heal ? withHealedRecords(attempt, deps.heal, deps.log) : Promise.resolve().then(attempt));
  const ensure = async (project: string, stream: Stream): Promise<Availability> => {
    const availability = await ensureImage(await healing(() => readRecord(context.root, project, stream)), {
      engine: deps.engine,
      inEngine: async (image) => (await localImageId(deps.engine, image)) !== null,
      registryDigest: async (image) => (inRegistry(image) ? deps.registry!.manifestDigest(image) : null),
      pullByDigest: (reference, image) => pullAndTag(deps.engine, reference, image, { loginDir: deps.scratchDir() }),
      rebuild,
      log: deps.log,
    });
    // The image's own task was an Nx cache hit: the run's summary counts it by what happened to it here.
    if (availability !== 'engine') appendRunEvent(context.root, { task: `${project}:build-${stream}`, kind: availability });
    return availability;
  };

  return { ensure };
}
