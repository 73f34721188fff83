import { randomBytes } from 'node:crypto';
import type { ExecutorContext } from '@nx/devkit';
import { logger } from '../../lib/logger';
import { BuildConfigurationError } from '../../lib/errors';
import { runExecutorTask } from '../../lib/executor-task';
import { builtImage } from '../../lib/image-runtime/built-image';
import { withHealedRecords } from '../../lib/records/heal-records';
import { recordHealer } from '../../lib/records/record-healer';
import buildExecutor from '../build/executor';
import { optionalSetting } from '../../lib/settings/build-settings';
import { restoreRecordedImage } from '../../lib/image-availability/for-consumer';
import { readChecksFile } from '../../lib/container-test/checks-file';
import { containerName, defaultTestPrefix, normalizeNbPrefix } from '../../lib/image-runtime/container-args';
import { otherRuntime, placeImage } from '../../lib/image-runtime/image-placement';
import { checkSources, inheritChecks } from '../../lib/container-test/inherited-checks';
import { formatSummary } from '../../lib/container-test/results';
import { runContainerTest } from '../../lib/container-test/run-container-test';
import { chooseRuntime } from '../../lib/engine/choose-engine';
import { guardContainer } from '../../lib/engine/container-guard';
import { realCli } from '../../lib/engine/engine-cli';
import { assertRuntimeReady } from '../../lib/engine/engine-ready';
import type { ContainerTestExecutorOptions } from './schema';

function milliseconds(seconds: number, option: string): number {
  if (!(seconds > 0)) throw new BuildConfigurationError(`${option} must be a positive number of seconds, not ${seconds}`);
  return seconds * 1000;
}

export default async function containerTestExecutor(
  options: ContainerTestExecutorOptions,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  const { stream } = options;
  return runExecutorTask(context, { executor: 'container-test', target: `test-${stream}` }, async ({ project, name: task, settings: taskSettings, graph: taskGraph }) => {
    const target = context.targetName ?? `test-${stream}`;
    const graph = taskGraph();
    const heal = recordHealer(context, buildExecutor);
    const { image, dockerfile } = await withHealedRecords(() => builtImage(context.root, graph, project, stream, target), heal, (line) => logger.info(line));
    const settings = taskSettings();
    const sources = checkSources(graph, project, stream, settings, (root) => readChecksFile(context.root, root));
    const checks = inheritChecks(sources);
    const runtimeName = chooseRuntime(options.runtime, optionalSetting(settings, 'IMAGE_RUNTIME'));
    const runtime = realCli(runtimeName);
    const other = realCli(otherRuntime(runtimeName));
    await assertRuntimeReady(runtime);
    logger.info(`testing ${image} with ${runtimeName}; checks of ${sources.map((source) => source.project).join(' → ')} (${checks.length} declared)`);
    const log = (line: string) => logger.info(line);
    await placeImage(image, runtime, other, runtimeName === 'podman' ? runtime : other, log, restoreRecordedImage(context, settings, project, stream, log, heal));
    const outcome = await runContainerTest(
      {
        project,
        stream,
        task,
        dockerfile,
        image,
        containerName: containerName('test', project, stream, `${process.pid}-${randomBytes(3).toString('hex')}`),
        nbPrefix: normalizeNbPrefix(options.nbPrefix ?? defaultTestPrefix(project, stream)),
        host: options.host,
        uid: options.uid,
        startTimeoutMs: milliseconds(options.startTimeout, 'startTimeout'),
        checkTimeoutMs: milliseconds(options.checkTimeout, 'checkTimeout'),
        gpus: options.gpus,
        checks,
      },
      {
        runtime,
        info: (line) => logger.info(line),
        error: (line) => logger.error(line),
        guard: (name) =>
          guardContainer(runtime, name, { stopSeconds: 0, onSignal: (signal) => logger.warn(`${task}: ${signal}: container ${name} is removed in the background`) }),
      },
    );
    if (outcome.success) logger.info(formatSummary(task, image, outcome.results));
    else logger.error(formatSummary(task, image, outcome.results));
    return { success: outcome.success };
  });
}
