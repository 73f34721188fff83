import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { runExecutorTask, type ExecutorTask } from '../../lib/executor-task';
import { processScratchDir, removeLeftovers, withBuildScratch } from '../../lib/debris/run-scratch';
import { thisRun, withWorkspaceLock } from '../../lib/run-lock/workspace-lock';
import { announce, logger, stamped, taskProcessEnv } from '../../lib/logger';
import { realCli } from '../../lib/engine/engine-cli';
import { pushImage } from '../../lib/engine/push-image';
import { withHelperLogin } from '../../lib/registry/helper-login';
import { pullAndTag, pullWithHelperLogin } from '../../lib/engine/local-images';
import { prepareBuild } from '../../lib/build-plan/prepare-build';
import { ensureGeneratedContext, generationWorkDir } from '../../lib/gpu-upstream/generated-context';
import { realizeBuild, type NxContainerRun } from '../../lib/build-plan/realize-build';
import { assertEngineReady } from '../../lib/engine/engine-ready';
import { endedWithoutEngineBuild, runNxContainerCapturingOutput, startNxContainerChild } from '../../lib/engine/engine-output';
import { onCleanDefaultBranch } from '../../lib/git/default-branch';
import { recordedImages } from '../../lib/image-availability/recorded-images';
import { layerCacheFor } from '../../lib/layer-cache/layer-cache';
import { assertCompiledPluginFresh } from '../../lib/plugin-build/compiled-plugin';
import { plannedRecord, recipeOf, removeRecord, writeRecord, type BuildRecord } from '../../lib/records/build-record';
import { withHealedRecords } from '../../lib/records/heal-records';
import { recordHealer } from '../../lib/records/record-healer';
import { RegistryClient } from '../../lib/registry/registry-client';
import { booleanSetting, branchSettings } from '../../lib/settings/build-settings';
import { checkKnownOptions } from '../../lib/nx-command/known-options';
import { nxCommandArgs } from '../../lib/nx-command/requested-configuration';
import type { BuildExecutorOptions } from './schema';
import schema from './schema.json';

const PROVENANCE: Record<BuildRecord['source'], string> = {
  planned: 'planned, nothing built',
  built: 'made by an engine build',
  local: "found in the engine's storage",
  registry: 'found in the registry',
};

export default async function buildExecutor(options: BuildExecutorOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  let engineRan = false;
  try {
    return await runExecutorTask(context, { executor: 'build', target: `build-${options.stream}` }, async (task) => {
      assertCompiledPluginFresh(context.root, __dirname);
      checkKnownOptions(options, schema, {
        task: task.name,
        executor: 'build',
        commandArgs: nxCommandArgs(),
        projectFile: `${context.projectsConfigurations?.projects[task.project]?.root ?? task.project}/project.json`,
        target: context.targetName ?? `build-${options.stream}`,
      });
      return withWorkspaceLock(context.root, thisRun((line) => logger.info(line)), () => build(task, options, context, () => (engineRan = true)));
    });
  } finally {
    // In a batch, a build that needed no engine lets the batch load no child ahead for it.
    if (!options.plan && !engineRan) endedWithoutEngineBuild();
  }
}

/** The build of one task, holding the workspace's build lock. */
async function build(task: ExecutorTask, options: BuildExecutorOptions, context: ExecutorContext, engineRuns: () => void): Promise<{ success: boolean }> {
  const { project } = task;
  // A failed or interrupted build must leave no record for a child to build on.
  removeRecord(context.root, project, options.stream);
  // Nx replays a task's lines on a cache hit: each says when it was checked, so a replay never claims it for now.
  const log = (line: string) => logger.info(stamped(line));
  const heal = recordHealer(context, buildExecutor);
  const { plan, settings, registry, lock, generatedIdentity, warnings, parentSource } = await withHealedRecords(
    () => prepareBuild(options, context, task.settings()),
    heal,
    log,
  );
  // A plan is read, not just run: its lines must not be folded away with the output of the tasks that succeeded.
  const say = options.plan ? (line: string, stream?: 'stderr') => announce(task.name, line, stream) : (line: string) => logger.warn(line);
  for (const warning of warnings) say(`warning: ${warning}`, 'stderr');
  const recipe = recipeOf(plan, context.root, !!options.generated);
  if (options.plan) {
    writeRecord(context.root, { ...plannedRecord(plan), recipe });
    const args = Object.entries(plan.buildArgs).filter(([name]) => name !== 'BASE_CONTAINER');
    say(`[plan] ${plan.image} FROM ${plan.parent ?? '(its own Dockerfile)'}${args.length ? ` with ${args.map(([name, value]) => `${name}=${value}`).join(' ')}` : ''}`);
    return { success: true };
  }
  const engine = task.buildEngine(options.engine);
  // Under the workspace lock: no other run of this workspace builds now, so what a dead process left is debris.
  const leftovers = await removeLeftovers(context.root, engine);
  if (leftovers) logger.info(leftovers);
  const push = options.push ?? booleanSetting(settings, 'IMAGE_PUSH');
  const registryClient = registry ? new RegistryClient() : null;
  // nx-container runs in a child process: it keeps the engine's output for the error, and gets a fresh temp folder per build.
  const runNxContainer: NxContainerRun = (nxContainerOptions, runContext) => {
    engineRuns();
    return runNxContainerCapturingOutput(nxContainerOptions, runContext);
  };
  // Where a pull's helper-only login is written: the next run removes it if this one is killed mid-pull.
  const scratchDir = () => processScratchDir(context.root, engine);
  const images = recordedImages(context, { settings, engine, registryPrefix: registry, registry: registryClient, runNxContainer, log, heal, scratchDir });
  const record = await realizeBuild(
    plan,
    {
      push,
      cacheFrom: options.cacheFrom ?? [],
      layerCache: () =>
        layerCacheFor({
          enabled: booleanSetting(settings, 'IMAGE_LAYER_CACHE'),
          imageRepository: registry ? plan.repository : null,
          push,
          onCleanDefaultBranch: () => onCleanDefaultBranch(context.root, branchSettings(settings)),
        }),
    },
    {
      engine,
      registry: registryClient,
      ensureEngineReady: (engineAnswered) => assertEngineReady(engine, engineAnswered),
      runNxContainer,
      pushImage: (image) =>
        withBuildScratch(context.root, engine, ({ tmpdir }) =>
          withHelperLogin(
            engine,
            image,
            (authFile) =>
              pushImage(image, {
                cli: realCli(engine, { ...taskProcessEnv(), TMPDIR: tmpdir }),
                authFile,
                // docker push has no digest file: its pushes are told apart by the read-back alone.
                digestFile: engine === 'podman' ? join(tmpdir, 'pushed-digest') : undefined,
                log: (line) => logger.warn(stamped(line)),
              }),
            { parentDir: tmpdir },
          ),
        ),
      buildIsCertain: () => startNxContainerChild(context.root),
      tempDir: scratchDir,
      pullByDigest: (reference, image) => pullAndTag(engine, reference, image, { loginDir: scratchDir() }),
      log,
      warn: (line) => logger.warn(`warning: ${line}`),
      prepareParent:
        parentSource.kind === 'project'
          ? async () => void (await images.ensure(parentSource.project, options.stream))
          : plan.parent
            ? () => pullWithHelperLogin(engine, plan.parent!, { loginDir: scratchDir() })
            : undefined,
      ...(generatedIdentity && {
        prepareContext: () =>
          ensureGeneratedContext({ workspaceRoot: context.root, settings, lock, outputDir: plan.context, workDir: generationWorkDir(context.root), log }, generatedIdentity),
      }),
    },
    context,
  );
  writeRecord(context.root, { ...record, recipe });
  // Nx replays this line on a cache hit, so it describes the record, never "built" as if it happened now.
  logger.info(`record: ${record.image}${record.digest ? ` (${record.digest})` : ''}, ${PROVENANCE[record.source]}`);
  return { success: true };
}
