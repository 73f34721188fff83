/**
 * What plan mode (`nx run <project>:build-<stream> -c plan`) computes, called
 * in this process: each build's planned record (reference, content tag,
 * parent) from the checkout and build_settings.env, with no engine and no
 * spawned Nx. The build executor's own prepareBuild does the work, on the
 * target's options for the `plan` configuration, so a record is exactly what
 * the build itself would compute.
 */
import { join } from 'node:path';
import {
  createProjectGraphAsync,
  readJsonFile,
  readProjectsConfigurationFromProjectGraph,
  readTargetOptions,
  type ExecutorContext,
  type NxJsonConfiguration,
} from '@nx/devkit';
import { prepareBuild, type PrepareOptions } from '@kubeflow-images/plugin-lib/build-plan/prepare-build';
import { BuildConfigurationError, forTask } from '@kubeflow-images/plugin-lib/errors';
import { buildTarget, toImageGraph, type ImageGraph, type Stream } from '@kubeflow-images/plugin-lib/hierarchy/image-graph';
import { parentChain } from '@kubeflow-images/plugin-lib/hierarchy/resolve-parent';
import { plannedRecord, recipeOf, writeRecord, type BuildRecord } from '@kubeflow-images/plugin-lib/records/build-record';
import { loadBuildSettings, type BuildSettings } from '@kubeflow-images/plugin-lib/settings/build-settings';
import { CiError } from './ci-error';

export interface ImageBuild {
  project: string;
  stream: Stream;
}

const PLAN_CONFIGURATION = 'plan';

/** The builds to plan for `builds`: each with its ancestors before it, every build once. */
export function planningOrder(images: ImageGraph, builds: readonly ImageBuild[], settings: BuildSettings): ImageBuild[] {
  const order: ImageBuild[] = [];
  const seen = new Set<string>();
  for (const { project, stream } of builds) {
    for (const ancestor of parentChain(images, project, stream, settings).reverse()) {
      const key = `${ancestor}:${buildTarget(stream)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      order.push({ project: ancestor, stream });
    }
  }
  return order;
}

/**
 * Each of `builds` with its planned record, in their order. Every planned build
 * (ancestors too) leaves its record in dist/images, as plan mode does: that
 * record is what prepareBuild reads for the parent of the next one.
 */
export async function plannedRecords<T extends ImageBuild>(workspaceRoot: string, builds: readonly T[]): Promise<(T & { planned: BuildRecord })[]> {
  const projectGraph = await createProjectGraphAsync({ exitOnError: false });
  const projectsConfigurations = readProjectsConfigurationFromProjectGraph(projectGraph);
  const nxJsonConfiguration = readJsonFile<NxJsonConfiguration>(join(workspaceRoot, 'nx.json'));
  const settings = loadBuildSettings(workspaceRoot);
  const planned = new Map<string, BuildRecord>();
  for (const { project, stream } of planningOrder(toImageGraph(projectGraph), builds, settings)) {
    const task = `${project}:${buildTarget(stream)}`;
    const context: ExecutorContext = {
      root: workspaceRoot,
      cwd: workspaceRoot,
      isVerbose: false,
      projectName: project,
      targetName: buildTarget(stream),
      configurationName: PLAN_CONFIGURATION,
      projectGraph,
      projectsConfigurations,
      nxJsonConfiguration,
    };
    try {
      const options = readTargetOptions({ project, target: buildTarget(stream), configuration: PLAN_CONFIGURATION }, context) as PrepareOptions;
      const { plan, warnings } = prepareBuild(options, context);
      for (const warning of warnings) console.warn(`warning: ${warning}`);
      const record = { ...plannedRecord(plan), recipe: recipeOf(plan, workspaceRoot) };
      writeRecord(workspaceRoot, record);
      planned.set(task, record);
    } catch (error) {
      if (!(error instanceof BuildConfigurationError)) throw error;
      throw new CiError(forTask(task, error.message));
    }
  }
  return builds.map((build) => ({ ...build, planned: planned.get(`${build.project}:${buildTarget(build.stream)}`)! }));
}
