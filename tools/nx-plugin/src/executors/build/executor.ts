import { logger, type ExecutorContext } from '@nx/devkit';
import { runNxContainer } from '../../lib/build-plan/nx-container-run';
import { prepareBuild } from '../../lib/build-plan/prepare-build';
import { realizeBuild } from '../../lib/build-plan/realize-build';
import { assertEngineReady, chooseEngine, dockerBuildxAvailable } from '../../lib/engine/container-engine';
import { readGitState } from '../../lib/git/git-state';
import { recordedImages } from '../../lib/image-availability/recorded-images';
import { plannedRecord, recipeOf, removeRecord, writeRecord, type BuildRecord } from '../../lib/records/build-record';
import { RegistryClient } from '../../lib/registry/registry-client';
import { optionalSetting } from '../../lib/settings/build-settings';
import type { BuildExecutorOptions } from './schema';

const PROVENANCE: Record<BuildRecord['source'], string> = {
  planned: 'planned, nothing built',
  built: 'made by an engine build',
  local: "found in the engine's storage",
  registry: 'found in the registry',
};

export default async function buildExecutor(options: BuildExecutorOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  const project = context.projectName ?? '?';
  try {
    // A failed or interrupted build must leave no record for a child to build on.
    removeRecord(context.root, project, options.stream);
    const { plan, settings, registry, parentSource } = prepareBuild(options, context);
    const recipe = recipeOf(plan, context.root);
    if (options.plan) {
      writeRecord(context.root, { ...plannedRecord(plan), recipe });
      logger.info(`[plan] ${plan.image} FROM ${plan.parent ?? '(its own Dockerfile)'}`);
      return { success: true };
    }
    const engine = chooseEngine(options.engine ?? optionalSetting(settings, 'IMAGE_ENGINE'), dockerBuildxAvailable);
    assertEngineReady(engine);
    const push = options.push ?? process.env.IMAGE_PUSH === 'true';
    const registryClient = registry ? new RegistryClient() : null;
    const log = (line: string) => logger.info(line);
    const images = recordedImages(context, { engine, registryPrefix: registry, registry: registryClient, runNxContainer, log });
    const record = await realizeBuild(
      plan,
      { push, tagLatest: options.tagLatest ?? process.env.IMAGE_TAG_LATEST === 'true', cacheFrom: options.cacheFrom ?? [], git: push ? readGitState(context.root) : null },
      {
        engine,
        registry: registryClient,
        runNxContainer,
        log,
        prepareParent: parentSource.kind === 'project' ? async () => void (await images.ensure(parentSource.project, options.stream)) : undefined,
      },
      context,
    );
    writeRecord(context.root, { ...record, recipe });
    // Nx replays this line on a cache hit, so it describes the record, never "built" as if it happened now.
    logger.info(`record: ${record.image}${record.digest ? ` (${record.digest})` : ''}, ${PROVENANCE[record.source]}`);
    return { success: true };
  } catch (error) {
    logger.error(`${project}:build-${options.stream}: ${error instanceof Error ? error.message : String(error)}`);
    if (process.env.NX_VERBOSE_LOGGING === 'true' && error instanceof Error) logger.error(error.stack ?? '');
    return { success: false };
  }
}
