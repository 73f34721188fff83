import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { batchConcurrency } from '../../lib/batch/batch-concurrency';
import { runInDependencyOrder } from '../../lib/batch/run-in-dependency-order';
import { expectEngineBuilds } from '../../lib/engine/engine-output';
import { logger, runInTaskScope } from '../../lib/logger';
import { holdWorkspaceLock, thisRun } from '../../lib/run-lock/workspace-lock';
import { nxCommandArgs } from '../../lib/nx-command/requested-configuration';
import { appendRunEvent } from '../../run-summary/run-events';
import buildExecutor from './executor';
import type { BuildExecutorOptions } from './schema';

interface BatchTaskResult {
  task: string;
  result: { success: boolean; status?: 'skipped'; terminalOutput: string; startTime: number; endTime: number };
}

/**
 * Every build task of a run in one process (Nx batch mode, `preferBatch` in
 * executors.json): Nx's start-up is paid once per run instead of once per
 * image. Each task runs the same executor as alone, with its own context and
 * output; builds whose parents are done run side by side, as Nx would fork them.
 */
export default async function* buildBatch(
  taskGraph: TaskGraph,
  inputs: Record<string, BuildExecutorOptions>,
  _overrides: unknown,
  context: ExecutorContext,
): AsyncGenerator<BatchTaskResult> {
  const graph = { tasks: Object.keys(taskGraph.tasks), dependencies: taskGraph.dependencies };
  const runTask = async (id: string) => {
    const startTime = Date.now();
    const { result, output } = await runInTaskScope(taskEnv(taskGraph, id), () => buildExecutor(inputs[id], taskContext(context, taskGraph, id)));
    return { success: result.success, terminalOutput: output, startTime, endTime: Date.now() };
  };
  const concurrency = batchConcurrency(nxCommandArgs(), process.env, context.nxJsonConfiguration?.parallel);
  expectEngineBuilds(graph.tasks.filter((id) => !inputs[id].plan).length, concurrency);
  // Held for the whole batch, so another run cannot slip in between two of its tasks.
  const release = await holdWorkspaceLock(context.root, thisRun((line) => logger.info(line)));
  try {
    for await (const outcome of runInDependencyOrder(graph, runTask, (result) => result.success, concurrency)) {
      if (outcome.ran) {
        yield { task: outcome.task, result: outcome.result };
      } else {
        const now = Date.now();
        // Nx keeps no result for a skipped task: the run's summary learns of it here.
        appendRunEvent(context.root, { task: outcome.task, kind: 'not-run' }, now);
        // As Nx itself does without batches: not run, listed under "Tasks not run because their dependencies failed".
        yield { task: outcome.task, result: { success: false, status: 'skipped', terminalOutput: `${outcome.task}: not run, because ${outcome.failed} failed\n`, startTime: now, endTime: now } };
      }
    }
  } finally {
    await release();
  }
}

/** The context Nx gives the executor when the task runs alone. */
function taskContext(context: ExecutorContext, taskGraph: TaskGraph, id: string): ExecutorContext {
  const { project, target, configuration } = taskGraph.tasks[id].target;
  return {
    ...context,
    projectName: project,
    targetName: target,
    configurationName: configuration,
    target: context.projectsConfigurations?.projects?.[project]?.targets?.[target],
  };
}

/** The variables Nx sets in a task's own process, for the processes the task starts (engines, the benchmark's timing). */
function taskEnv(taskGraph: TaskGraph, id: string): Record<string, string> {
  const task = taskGraph.tasks[id];
  return {
    NX_TASK_TARGET_PROJECT: task.target.project,
    NX_TASK_TARGET_TARGET: task.target.target,
    ...(task.target.configuration && { NX_TASK_TARGET_CONFIGURATION: task.target.configuration }),
    ...(task.hash && { NX_TASK_HASH: task.hash }),
  };
}

