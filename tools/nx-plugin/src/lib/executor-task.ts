import type { ExecutorContext } from '@nx/devkit';
import { chooseEngine } from './engine/choose-engine';
import type { EngineName } from './engine/engine-cli';
import { dockerBuildxAvailable } from './engine/engine-ready';
import { forTask } from './errors';
import { toImageGraph, type ImageGraph, type Stream } from './hierarchy/image-graph';
import { logger } from './logger';
import { checkRequestedConfiguration, nxCommandArgs, requestedConfiguration, workspaceConfigurations } from './nx-command/requested-configuration';
import { readRecord, type BuildRecord } from './records/build-record';
import { loadBuildSettings, optionalSetting, type BuildSettings } from './settings/build-settings';

/**
 * What an executor knows about the task it runs: its names, and what it
 * reads from the workspace, each resolved once (on first use) however many
 * of the task's steps ask.
 */
export interface ExecutorTask {
  context: ExecutorContext;
  project: string;
  /** `<project>:<target>`, as every message of the task starts. */
  name: string;
  settings(): BuildSettings;
  /** The image hierarchy of the Nx project graph. */
  graph(): ImageGraph;
  /** The project's build record of `stream`. */
  record(stream: Stream): BuildRecord;
  /** The engine that builds: the target's option, else IMAGE_ENGINE, else what is installed. */
  buildEngine(option?: string): EngineName;
}

function once<T>(resolve: () => T): () => T {
  let value: { resolved: T } | undefined;
  return () => (value ??= { resolved: resolve() }).resolved;
}

/** Which executor runs, and the target it runs when Nx does not name one. */
export interface ExecutorKind {
  executor: string;
  target: string;
}

export function executorTask(context: ExecutorContext, kind: ExecutorKind): ExecutorTask {
  const project = context.projectName ?? '?';
  const settings = once(() => loadBuildSettings(context.root));
  const records = new Map<Stream, BuildRecord>();
  const engines = new Map<string, EngineName>();
  return {
    context,
    project,
    name: `${project}:${context.targetName ?? kind.target}`,
    settings,
    graph: once(() => {
      if (!context.projectName || !context.projectGraph) throw new Error(`the ${kind.executor} executor needs a project and the project graph`);
      return toImageGraph(context.projectGraph);
    }),
    record(stream) {
      if (!records.has(stream)) records.set(stream, readRecord(context.root, project, stream));
      return records.get(stream)!;
    },
    buildEngine(option) {
      const setting = option ?? optionalSetting(settings(), 'IMAGE_ENGINE');
      if (!engines.has(setting)) engines.set(setting, chooseEngine(setting, dockerBuildxAvailable));
      return engines.get(setting)!;
    },
  };
}

/**
 * Runs an executor's body for its task, after refusing a configuration no
 * target defines (Nx would run the task without it). Whatever it throws becomes one line
 * naming the task (the message says what is wrong and the fix); the stack
 * only with NX_VERBOSE_LOGGING=true.
 */
export async function runExecutorTask(
  context: ExecutorContext,
  kind: ExecutorKind,
  body: (task: ExecutorTask) => Promise<{ success: boolean }> | { success: boolean },
): Promise<{ success: boolean }> {
  const task = executorTask(context, kind);
  try {
    checkRequestedConfiguration(requestedConfiguration(nxCommandArgs()), workspaceConfigurations(context));
    return await body(task);
  } catch (error) {
    // Read as a shape, not by `instanceof Error`: errors from Node's own modules may come from another realm.
    const { message, stack } = (error ?? {}) as { message?: unknown; stack?: unknown };
    logger.error(forTask(task.name, typeof message === 'string' ? message : String(error)));
    if (process.env.NX_VERBOSE_LOGGING === 'true' && typeof stack === 'string') logger.error(stack);
    return { success: false };
  }
}
