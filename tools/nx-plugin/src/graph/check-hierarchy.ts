import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CreateDependencies } from '@nx/devkit';
import { imageGraphOf, isImageProject, type ImageGraph } from '../lib/hierarchy/image-graph';
import { checkHierarchy } from '../lib/hierarchy/resolve-parent';
import { checkParallelism } from '../lib/batch/batch-concurrency';
import { isNxCommand, nxCommandArgs } from '../lib/nx-command/requested-configuration';

/**
 * Runs on every graph computation (nx graph, show projects, any target), so a
 * broken hierarchy stops Nx with the project.json to fix before any task runs.
 * It adds no dependencies: the hierarchy's edges are Nx's own implicit ones.
 */
export const createDependencies: CreateDependencies = (_options, context) => {
  const graph = imageGraphOf(Object.entries(context.projects));
  restoreUnknownDependencies(graph, context.workspaceRoot);
  checkHierarchy(graph);
  checkParallelism(nxCommandLine(), process.env);
  return [];
};

/**
 * The Nx command this graph is computed for: this process's arguments when the
 * plugin runs inside the Nx CLI, its parent's when Nx isolates plugins in a
 * worker; none in the daemon (then only the environment is checked).
 */
function nxCommandLine(): string[] {
  return isNxCommand(process.argv) ? process.argv : nxCommandArgs();
}

const PATTERN = /[*:!,]/;

/**
 * Nx drops implicit dependencies that match no project before plugins see
 * them, which would turn a misspelled parent into "no parent"; put the
 * misspelled names back from the image's project.json so the check names them.
 * Reads only image projects' project.json (a handful of small files).
 */
function restoreUnknownDependencies(graph: ImageGraph, workspaceRoot: string): void {
  for (const node of Object.values(graph)) {
    if (!isImageProject(node)) continue;
    const file = join(workspaceRoot, node.root, 'project.json');
    if (!existsSync(file)) continue;
    let declared: unknown;
    try {
      declared = JSON.parse(readFileSync(file, 'utf8')).implicitDependencies;
    } catch {
      continue; // createNodes has refused it, naming the file.
    }
    if (!Array.isArray(declared)) continue;
    const unknown = declared.filter((dep): dep is string => typeof dep === 'string' && !PATTERN.test(dep) && !graph[dep]);
    node.implicitDependencies.push(...unknown);
  }
}
