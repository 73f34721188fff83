import { AsyncLocalStorage } from 'node:async_hooks';

/** One task of a batch: the output it produced, and the Nx variables a task process would have had. */
interface TaskScope {
  output: string;
  env: Record<string, string>;
}

const taskScope = new AsyncLocalStorage<TaskScope>();

/**
 * Where executors' and engines' text goes. Outside a batch each task has its
 * own process, whose stdout Nx captures: write there. Inside a batch several
 * tasks share the process and run at once: keep each task's text for its own
 * terminalOutput, which Nx prints (and caches) per task, so lines never
 * interleave and appear once.
 */
export function writeOutput(text: string, stream: 'stdout' | 'stderr'): void {
  outputOfCurrentTask()(text, stream);
}

/**
 * `writeOutput` bound to the task running now, for callbacks that run later:
 * a stream's events run in the async context of whoever created the stream,
 * which for a child process started ahead of time is another task.
 */
export function outputOfCurrentTask(): (text: string, stream: 'stdout' | 'stderr') => void {
  const scope = taskScope.getStore();
  return (text, stream) => {
    if (scope) scope.output += text;
    else (stream === 'stdout' ? process.stdout : process.stderr).write(text);
  };
}

/**
 * What executors print, through the console as @nx/devkit's logger does.
 * Importing @nx/devkit for its logger alone costs about half a second per
 * task (it loads most of Nx).
 */
export const logger = {
  info: (message: string) => writeOutput(`${message}\n`, 'stdout'),
  warn: (message: string) => writeOutput(`${message}\n`, 'stderr'),
  error: (message: string) => writeOutput(`${message}\n`, 'stderr'),
};

/**
 * Runs one task of a batch with its output kept apart; `env` (NX_TASK_TARGET_PROJECT…)
 * reaches the processes it starts through `taskProcessEnv`, as it would in a task process.
 */
export async function runInTaskScope<T>(env: Record<string, string>, run: () => Promise<T>): Promise<{ result: T; output: string }> {
  const scope: TaskScope = { output: '', env };
  const result = await taskScope.run(scope, run);
  return { result, output: scope.output };
}

/** The environment for a child process of the current task. */
export function taskProcessEnv(): NodeJS.ProcessEnv {
  const scope = taskScope.getStore();
  return scope ? { ...process.env, ...scope.env } : process.env;
}

/** Whether this process runs several tasks (an Nx batch) rather than one. */
export function inSharedProcess(): boolean {
  return taskScope.getStore() !== undefined;
}

/** Runs `start` outside any task, for what serves a later task (a spare process). */
export function outsideTasks<T>(start: () => T): T {
  return taskScope.exit(start);
}
