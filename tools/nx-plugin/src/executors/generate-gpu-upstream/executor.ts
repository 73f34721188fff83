import { join, relative } from 'node:path';
import { logger, type ExecutorContext } from '@nx/devkit';
import { generateGpuUpstream } from '../../lib/gpu-upstream/generate';
import { loadBuildSettings } from '../../lib/settings/build-settings';
import type { GenerateGpuUpstreamExecutorOptions } from './schema';

export default async function generateGpuUpstreamExecutor(
  options: GenerateGpuUpstreamExecutorOptions,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  const target = `${context.projectName ?? '?'}:${context.targetName ?? 'generate'}`;
  try {
    const result = generateGpuUpstream({
      workspaceRoot: context.root,
      settings: loadBuildSettings(context.root),
      outputDir: join(context.root, options.outputPath ?? 'dist/images/gpu-upstream/context'),
      workDir: join(context.root, options.workDir ?? 'tmp/gpu-upstream'),
      log: (line) => logger.info(line),
    });
    logger.info(`wrote ${relative(context.root, result.outputDir)} (gpu-jupyter ${result.gpuJupyterCommit}, docker-stacks ${result.dockerStacksCommit}, fragments in ${result.layout})`);
    return { success: true };
  } catch (error) {
    logger.error(`${target}: ${error instanceof Error ? error.message : String(error)}`);
    if (process.env.NX_VERBOSE_LOGGING === 'true' && error instanceof Error) logger.error(error.stack ?? '');
    return { success: false };
  }
}
