import type { ExecutorContext } from '@nx/devkit';
import { join } from 'node:path';
import { logger } from '../../lib/logger';
import { prepareBuild } from '../../lib/build-plan/prepare-build';
import { ensureGeneratedContext } from '../../lib/gpu-upstream/generated-context';
import { realizeBuild } from '../../lib/build-plan/realize-build';
import { assertEngineReady, chooseEngine, dockerBuildxAvailable } from '../../lib/engine/container-engine';
import { runNxContainerCapturingOutput } from '../../lib/engine/engine-output';
import { readGitState } from '../../lib/git/git-state';
import { assertCompiledPluginFresh } from '../../lib/plugin-build/compiled-plugin';
import { plannedRecord, removeRecord, writeRecord } from '../../lib/records/build-record';
import { RegistryClient } from '../../lib/registry/registry-client';
import { booleanSetting, optionalSetting } from '../../lib/settings/build-settings';
import type { BuildExecutorOptions } from './schema';

/** The generate target's default scratch directory: its cached clones serve the build's generation too. */
const GENERATION_WORK_DIR = 'tmp/gpu-upstream';

export default async function buildExecutor(options: BuildExecutorOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  const project = context.projectName ?? '?';
  try {
    assertCompiledPluginFresh(__dirname);
    // A failed or interrupted build must leave no record for a child to build on.
    removeRecord(context.root, project, options.stream);
    const { plan, settings, registry, lock, generatedIdentity, warnings } = prepareBuild(options, context);
    for (const warning of warnings) logger.warn(`warning: ${warning}`);
    if (options.plan) {
      writeRecord(context.root, plannedRecord(plan));
      const args = Object.entries(plan.buildArgs).filter(([name]) => name !== 'BASE_CONTAINER');
      logger.info(`[plan] ${plan.image} FROM ${plan.parent ?? '(its own Dockerfile)'}${args.length ? ` with ${args.map(([name, value]) => `${name}=${value}`).join(' ')}` : ''}`);
      return { success: true };
    }
    const engine = chooseEngine(options.engine ?? optionalSetting(settings, 'IMAGE_ENGINE'), dockerBuildxAvailable);
    const push = options.push ?? booleanSetting(settings, 'IMAGE_PUSH');
    // CI turns human tags off (IMAGE_HUMAN_TAGS=false): there they are moved by promotion, after the tests.
    const humanTags = options.humanTags ?? process.env.IMAGE_HUMAN_TAGS !== 'false';
    const record = await realizeBuild(
      plan,
      {
        push,
        tagLatest: options.tagLatest ?? booleanSetting(settings, 'IMAGE_TAG_LATEST'),
        cacheFrom: options.cacheFrom ?? [],
        git: push && humanTags ? readGitState(context.root) : null,
      },
      {
        engine,
        registry: registry ? new RegistryClient() : null,
        ensureEngineReady: (engineAnswered) => assertEngineReady(engine, engineAnswered),
        // nx-container runs (in a child process, to keep the engine's output) only when the engine must build.
        runNxContainer: runNxContainerCapturingOutput,
        log: (line) => logger.info(line),
        ...(generatedIdentity && {
          prepareContext: () =>
            ensureGeneratedContext(
              { workspaceRoot: context.root, settings, lock, outputDir: plan.context, workDir: join(context.root, GENERATION_WORK_DIR), log: (line) => logger.info(line) },
              generatedIdentity,
            ),
        }),
      },
      context,
    );
    writeRecord(context.root, record);
    logger.info(`${record.source === 'built' ? 'built' : 'reused'} ${record.image}${record.digest ? ` (${record.digest})` : ''}`);
    return { success: true };
  } catch (error) {
    const task = `${project}:build-${options.stream}`;
    const message = error instanceof Error ? error.message : String(error);
    // Engine failures already name the task; others get it here.
    logger.error(message.startsWith(task) ? message : `${task}: ${message}`);
    if (process.env.NX_VERBOSE_LOGGING === 'true' && error instanceof Error) logger.error(error.stack ?? '');
    return { success: false };
  }
}
