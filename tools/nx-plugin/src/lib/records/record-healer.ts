import type { ExecutorContext } from '@nx/devkit';
import { BuildConfigurationError } from '../errors';
import type { Stream } from '../hierarchy/image-graph';
import { sharedHealer, type RecordHealer } from './heal-records';

/** The build executor, run in this process for another project. */
export type BuildRun<Options> = (options: Options, context: ExecutorContext) => Promise<{ success: boolean }>;

/** The options Nx would give `project`'s `target` under `configuration`. */
export function targetOptions(context: ExecutorContext, project: string, target: string, configuration: string | undefined): Record<string, unknown> | null {
  const config = context.projectsConfigurations?.projects?.[project]?.targets?.[target];
  if (!config) return null;
  return { ...config.options, ...(configuration ? config.configurations?.[configuration] : undefined) };
}

// Per process, so sibling tasks of one batch share a heal.
const healing = new Map<string, RecordHealer>();

/**
 * Heals a record by running the project's own build once more, here: its
 * plan gives the content tag, and the build finds the image in the engine's
 * storage or the registry (or, when both lost it, builds it), then writes the
 * record as the cached task would have. The configuration is the current
 * task's, so a plan heals with a planned record.
 */
export function recordHealer<Options>(context: ExecutorContext, runBuild: BuildRun<Options>): RecordHealer {
  const key = `${context.root}\0${context.configurationName ?? ''}`;
  let healer = healing.get(key);
  if (!healer) {
    healer = sharedHealer(async (project: string, stream: Stream) => {
      const targetName = `build-${stream}`;
      const options = targetOptions(context, project, targetName, context.configurationName);
      if (!options) throw new BuildConfigurationError(`${project} has no ${targetName} target to re-derive its build record from`);
      const result = await runBuild(options as Options, {
        ...context,
        projectName: project,
        targetName,
        target: context.projectsConfigurations?.projects?.[project]?.targets?.[targetName],
      });
      if (!result.success) {
        throw new BuildConfigurationError(`the build record of ${project} (${stream}) could not be re-derived (the line above says why): fix that, then run the build again`);
      }
    });
    healing.set(key, healer);
  }
  return healer;
}
