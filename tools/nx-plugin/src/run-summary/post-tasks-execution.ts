import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PostTasksExecution } from '@nx/devkit';
import { BUILD_TARGET, countBuilds, formatBuildCounts, type BuildTaskOutcome } from './count-builds';

function recordSource(workspaceRoot: string, project: string, stream: string): string | null {
  // The record path of lib/records, read without importing it: this hook is loaded on every nx command.
  const path = join(workspaceRoot, 'dist', 'images', project, `${stream}.json`);
  try {
    return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')).source ?? null) : null;
  } catch {
    return null;
  }
}

/** Ends every Nx run that had build-<stream> tasks with one line saying what really happened to the images. */
export const postTasksExecution: PostTasksExecution = async (_options, context) => {
  const outcomes: BuildTaskOutcome[] = [];
  for (const result of Object.values(context.taskResults)) {
    const { project, target } = result.task.target;
    const stream = BUILD_TARGET.exec(target)?.[1];
    if (!stream) continue;
    outcomes.push({ status: result.status, source: recordSource(context.workspaceRoot, project, stream) });
  }
  if (outcomes.length === 0) return;
  const line = formatBuildCounts(countBuilds(outcomes));
  // With the daemon on, Nx runs this hook inside the daemon, whose output goes to its log: the file is where to look then.
  mkdirSync(join(context.workspaceRoot, 'dist'), { recursive: true });
  writeFileSync(join(context.workspaceRoot, 'dist', 'run-summary.txt'), `${line}\n`);
  process.stdout.write(`\n${line}\n`);
};
