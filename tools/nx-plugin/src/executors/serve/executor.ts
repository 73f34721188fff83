import { spawn } from 'node:child_process';
import { userInfo } from 'node:os';
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
import { containerName } from '../../lib/image-runtime/container-args';
import { describeAnswer, waitForHttp } from '../../lib/image-runtime/http-wait';
import { otherRuntime, placeImage } from '../../lib/image-runtime/image-placement';
import { chooseRuntime } from '../../lib/engine/choose-engine';
import { guardContainer } from '../../lib/engine/container-guard';
import { failureReason, realCli, type Cli } from '../../lib/engine/engine-cli';
import { assertRuntimeReady } from '../../lib/engine/engine-ready';
import { portInUse, portInUseMessage, serveRunArgs, serveSettings, serveUrl } from '../../lib/serve/serve-plan';
import type { ServeExecutorOptions } from './schema';

/** Seconds a stopping notebook gets before it is killed (docker's default). */
const STOP_SECONDS = 10;

function localUser(): string {
  try {
    return process.env.USER || userInfo().username || 'user';
  } catch {
    return 'user';
  }
}

async function state(runtime: Cli, name: string): Promise<{ running: boolean; exitCode: number | null }> {
  const result = await runtime.run(['inspect', '--format', '{{.State.Running}} {{.State.ExitCode}}', name], { timeoutMs: 30_000 });
  if (result.code !== 0) return { running: false, exitCode: null };
  const [running, exitCode] = result.stdout.trim().split(/\s+/);
  return { running: running === 'true', exitCode: Number(exitCode) };
}

/** Streams the container's log until the container stops. */
function followLog(runtime: Cli, name: string): Promise<void> {
  // Its own process group: Ctrl-C is for nx and this executor, not for the log follower.
  const follower = spawn(runtime.name, ['logs', '--follow', name], { stdio: ['ignore', 'inherit', 'inherit'], detached: true });
  return new Promise((resolve) => {
    follower.on('exit', () => resolve());
    follower.on('error', () => resolve());
  });
}

export default async function serveExecutor(options: ServeExecutorOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  const { stream } = options;
  return runExecutorTask(context, { executor: 'serve', target: `serve-${stream}` }, async ({ project, name: task, settings: taskSettings, graph }) => {
    const target = context.targetName ?? `serve-${stream}`;
    const heal = recordHealer(context, buildExecutor);
    const { image } = await withHealedRecords(() => builtImage(context.root, graph(), project, stream, target), heal, (line) => logger.info(line));
    const settings = serveSettings(options, localUser(), project);
    const runtimeName = chooseRuntime(options.runtime, optionalSetting(taskSettings(), 'IMAGE_RUNTIME'));
    const runtime = realCli(runtimeName);
    const other = realCli(otherRuntime(runtimeName));
    await assertRuntimeReady(runtime);
    const log = (line: string) => logger.info(line);
    await placeImage(image, runtime, other, runtimeName === 'podman' ? runtime : other, log, restoreRecordedImage(context, taskSettings(), project, stream, log, heal));

    const name = containerName('serve', project, stream, String(process.pid));
    // From here on, Ctrl-C (or SIGTERM, or this process dying) stops and removes the container.
    const unguard = guardContainer(runtime, name, {
      stopSeconds: STOP_SECONDS,
      onSignal: (signal) => logger.info(`${signal}: stopping and removing ${name}`),
    });
    try {
      const started = await runtime.run(serveRunArgs({ image, name, task, settings, gpus: options.gpus }), { timeoutMs: 30 * 60_000 });
      if (started.code !== 0) {
        await runtime.run(['rm', '--force', name], { timeoutMs: 60_000 });
        throw new BuildConfigurationError(
          portInUse(started.stderr)
            ? portInUseMessage(settings, stream)
            : `cannot start ${image} with ${runtimeName} (${failureReason(started)})`,
        );
      }
      const url = serveUrl(settings);
      logger.info(`serving ${image} in container ${name}`);
      logger.info(`open ${url}   (Ctrl-C stops and removes the container)`);
      const timeoutMs = options.startTimeout * 1000;
      void waitForHttp(url, { timeoutMs, containerState: () => state(runtime, name) }).then((waited) => {
        if (waited.ok) logger.info(`ready: ${url} answers (HTTP ${waited.status})`);
        else if (waited.reason === 'timeout') logger.warn(`${url} does not answer after ${timeoutMs / 1000}s (${describeAnswer(waited.last)}): see the container log`);
      });

      await followLog(runtime, name);
      // The log ends when the container stops by itself (a signal ends this process before).
      const stopped = await state(runtime, name);
      if (stopped.running) await runtime.run(['stop', '--time', String(STOP_SECONDS), name], { timeoutMs: 60_000 });
      const removed = await runtime.run(['rm', '--force', '--volumes', name], { timeoutMs: 60_000 });
      if (removed.code !== 0) {
        logger.error(`${task}: could not remove container ${name} (${failureReason(removed)}): remove it with ${runtimeName} rm -f ${name}`);
        return { success: false };
      }
      const line = `${task}: the container stopped with exit code ${stopped.exitCode ?? 'unknown'}; removed ${name}`;
      if (stopped.exitCode === 0) logger.info(line);
      else logger.error(line);
      return { success: stopped.exitCode === 0 };
    } finally {
      unguard();
    }
  });
}
