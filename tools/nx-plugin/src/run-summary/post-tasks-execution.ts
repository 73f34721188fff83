import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PostTasksExecution } from '@nx/devkit';
import { BUILD_TARGET, countBuilds, formatBuildCounts, type BuildTaskOutcome } from './count-builds';
import { failedRunExitCode } from './run-exit-code';
import { takeRunEvents } from './run-events';

function recordSource(workspaceRoot: string, project: string, stream: string): string | null {
  // The record path of lib/records, read without importing it: this hook is loaded on every nx command.
  const path = join(workspaceRoot, 'dist', 'images', project, `${stream}.json`);
  try {
    return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')).source ?? null) : null;
  } catch {
    return null;
  }
}

/**
 * Ends every Nx run that had build-<stream> tasks with one line saying what
 * really happened to the images, and makes a run whose only problem is a
 * failed task exit 1 (see run-exit-code.ts).
 */
export const postTasksExecution: PostTasksExecution = async (_options, context) => {
  const statuses = Object.values(context.taskResults).map((result) => result.status);
  const exitCode = failedRunExitCode(statuses);
  // Nx runs this hook in the process of the command (the daemon off) or in the daemon; only the former's exit code is the run's.
  const inCommandProcess = context.argv.length === process.argv.length && context.argv.every((arg, i) => arg === process.argv[i]);
  if (exitCode !== null && inCommandProcess) {
    process.once('exit', (code) => {
      if (code === 130) process.exitCode = exitCode;
    });
  }

  const outcomes: BuildTaskOutcome[] = [];
  for (const result of Object.values(context.taskResults)) {
    const { project, target } = result.task.target;
    const stream = BUILD_TARGET.exec(target)?.[1];
    if (!stream) continue;
    outcomes.push({ task: `${project}:${target}`, status: result.status, source: recordSource(context.workspaceRoot, project, stream) });
  }
  const events = takeRunEvents(context.workspaceRoot, context.startTime);
  if (outcomes.length === 0 && events.length === 0) return;
  const line = formatBuildCounts(countBuilds(outcomes, events));
  // With the daemon on, Nx runs this hook inside the daemon, whose output goes to its log: the file is where to look then.
  mkdirSync(join(context.workspaceRoot, 'dist'), { recursive: true });
  writeFileSync(join(context.workspaceRoot, 'dist', 'run-summary.txt'), `${line}\n`);
  process.stdout.write(`\n${line}\n`);
};
