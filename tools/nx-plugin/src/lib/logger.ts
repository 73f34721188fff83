import { AsyncLocalStorage } from 'node:async_hooks';

/** One task of a batch: the output it produced, and the Nx variables a task process would have had. */
interface TaskScope {
  output: string;
  env: Record<string, string>;
}

const taskScope = new AsyncLocalStorage<TaskScope>();

const terminal = (stream: 'stdout' | 'stderr') => (stream === 'stdout' ? process.stdout : process.stderr);

/**
 * Where executors' text goes. Outside a batch each task has its own process,
 * whose stdout Nx captures: write there. Inside a batch several tasks share
 * the process and run at once: keep each task's text for its own
 * terminalOutput, which Nx prints (and caches) per task, so lines never
 * interleave and appear once.
 */
export function writeOutput(text: string, stream: 'stdout' | 'stderr'): void {
  const scope = taskScope.getStore();
  if (scope) scope.output += text;
  else terminal(stream).write(text);
}

/**
 * A line Nx must not fold away, like what a plan planned: the task's own
 * output as usual and, in a batch, the terminal right away too, prefixed with
 * the task as engine output is. Nx hides a successful task's output by default
 * but prints what a batch process writes to its terminal.
 */
export function announce(task: string, message: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
  writeOutput(`${message}\n`, stream);
  if (inSharedProcess()) terminal(stream).write(`${task} | ${message}\n`);
}

/** Where an engine run's output goes; `end` once the engine has exited. */
export interface EngineOutput {
  write(text: string, stream: 'stdout' | 'stderr'): void;
  end(): void;
}

/**
 * An engine's output for task `task`. Alone in its process: the task's own
 * stdout/stderr, as it comes. In a batch: the terminal as it comes, each line
 * prefixed with the task, so a long build shows its progress rather than
 * nothing until it ends; the task's terminalOutput keeps the executor's own
 * lines (the record, or the one-line cause of a failure).
 */
export function engineOutput(task: string): EngineOutput {
  if (!inSharedProcess()) return { write: (text, stream) => terminal(stream).write(text), end: () => undefined };
  const pending = { stdout: '', stderr: '' };
  const print = (stream: 'stdout' | 'stderr', lines: string[]) => {
    if (lines.length > 0) terminal(stream).write(lines.map((line) => `${task} | ${line}\n`).join(''));
  };
  return {
    write(text, stream) {
      const lines = (pending[stream] + text).split('\n');
      pending[stream] = lines.pop() ?? '';
      print(stream, lines);
    },
    end() {
      for (const stream of ['stdout', 'stderr'] as const) if (pending[stream]) print(stream, [pending[stream]]);
      pending.stdout = pending.stderr = '';
    },
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
function inSharedProcess(): boolean {
  return taskScope.getStore() !== undefined;
}

/** `line` with the time it was written (`[22:40:12 UTC] …`): for a line about what was found then, which Nx may replay later. */
export function stamped(line: string, now: Date = new Date()): string {
  return `[${now.toISOString().slice(11, 19)} UTC] ${line}`;
}
