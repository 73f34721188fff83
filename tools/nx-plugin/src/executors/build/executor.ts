import type { ExecutorContext } from '@nx/devkit';
import { logger } from '../../lib/logger';
import { prepareBuild } from '../../lib/build-plan/prepare-build';
import { realizeBuild } from '../../lib/build-plan/realize-build';
import { assertEngineReady, chooseEngine, dockerBuildxAvailable } from '../../lib/engine/container-engine';
import { readGitState } from '../../lib/git/git-state';
import { assertCompiledPluginFresh } from '../../lib/plugin-build/compiled-plugin';
import { plannedRecord, removeRecord, writeRecord } from '../../lib/records/build-record';
import { RegistryClient } from '../../lib/registry/registry-client';
import { optionalSetting } from '../../lib/settings/build-settings';
import type { BuildExecutorOptions } from './schema';

export default async function buildExecutor(options: BuildExecutorOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  const project = context.projectName ?? '?';
  try {
    assertCompiledPluginFresh(__dirname);
    // A failed or interrupted build must leave no record for a child to build on.
    removeRecord(context.root, project, options.stream);
    const { plan, settings, registry } = prepareBuild(options, context);
    if (options.plan) {
      writeRecord(context.root, plannedRecord(plan));
      logger.info(`[plan] ${plan.image} FROM ${plan.parent ?? '(its own Dockerfile)'}`);
      return { success: true };
    }
    const engine = chooseEngine(options.engine ?? optionalSetting(settings, 'IMAGE_ENGINE'), dockerBuildxAvailable);
    const push = options.push ?? process.env.IMAGE_PUSH === 'true';
    const record = await realizeBuild(
      plan,
      { push, tagLatest: options.tagLatest ?? process.env.IMAGE_TAG_LATEST === 'true', cacheFrom: options.cacheFrom ?? [], git: push ? readGitState(context.root) : null },
      {
        engine,
        registry: registry ? new RegistryClient() : null,
        ensureEngineReady: (engineAnswered) => assertEngineReady(engine, engineAnswered),
        // Loaded only when the engine must build: reusing an image from the registry or the engine needs none of it.
        runNxContainer: async (nxOptions, ctx) => (await import('@nx-tools/nx-container')).run(nxOptions as never, ctx),
        log: (line) => logger.info(line),
      },
      context,
    );
    writeRecord(context.root, record);
    logger.info(`${record.source === 'built' ? 'built' : 'reused'} ${record.image}${record.digest ? ` (${record.digest})` : ''}`);
    return { success: true };
  } catch (error) {
    logger.error(`${project}:build-${options.stream}: ${error instanceof Error ? error.message : String(error)}`);
    if (process.env.NX_VERBOSE_LOGGING === 'true' && error instanceof Error) logger.error(error.stack ?? '');
    return { success: false };
  }
}
