/** The tasks of one batch and, per task, the tasks it depends on (ids outside the batch are already done). */
export interface BatchGraph {
  tasks: string[];
  dependencies: Record<string, string[]>;
}

export type TaskOutcome<R> =
  | { task: string; ran: true; result: R }
  /** Not run: `failed` is the task that failed, `dependency` is the one of its own dependencies that leads there. */
  | { task: string; ran: false; dependency: string; failed: string };

/**
 * Runs the tasks of a batch as Nx would run them one process each: a task
 * starts once every dependency in the batch succeeded, at most `concurrency`
 * at once; a task below a failure does not run. Yields each outcome as it
 * comes, so Nx can record (and cache) every task the moment it ends. `run`
 * must not reject: a failure is a result that `succeeded` rejects.
 */
export async function* runInDependencyOrder<R>(
  graph: BatchGraph,
  run: (task: string) => Promise<R>,
  succeeded: (result: R) => boolean,
  concurrency: number,
): AsyncGenerator<TaskOutcome<R>> {
  const inBatch = new Set(graph.tasks);
  const dependenciesOf = (task: string) => (graph.dependencies[task] ?? []).filter((dependency) => inBatch.has(dependency));
  const pending = [...graph.tasks];
  const done = new Set<string>();
  /** Per task that failed or was not run: the task that failed. */
  const failedBelow = new Map<string, string>();
  const running = new Map<string, Promise<{ task: string; result: R }>>();
  const slots = Math.max(1, Math.floor(concurrency));

  while (pending.length > 0 || running.size > 0) {
    const blocked = pending.find((task) => dependenciesOf(task).some((dependency) => failedBelow.has(dependency)));
    if (blocked !== undefined) {
      const dependency = dependenciesOf(blocked).find((candidate) => failedBelow.has(candidate)) as string;
      const failed = failedBelow.get(dependency) as string;
      pending.splice(pending.indexOf(blocked), 1);
      failedBelow.set(blocked, failed);
      yield { task: blocked, ran: false, dependency, failed };
      continue;
    }
    for (const task of pending.filter((candidate) => dependenciesOf(candidate).every((dependency) => done.has(dependency)))) {
      if (running.size >= slots) break;
      pending.splice(pending.indexOf(task), 1);
      running.set(task, run(task).then((result) => ({ task, result })));
    }
    if (running.size === 0) {
      // Only a dependency cycle, which Nx refuses before any batch, could leave tasks that can never start.
      throw new Error(`tasks wait on each other and cannot start: ${pending.join(', ')}`);
    }
    const { task, result } = await Promise.race(running.values());
    running.delete(task);
    if (succeeded(result)) done.add(task);
    else failedBelow.set(task, task);
    yield { task, ran: true, result };
  }
}
