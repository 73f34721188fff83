import { join, relative } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { logger } from '../../lib/logger';
import { generateGpuUpstream } from '../../lib/gpu-upstream/generate';
import { generationRecordPath, removeGenerationRecord, sha256OfFile, writeGenerationRecord } from '../../lib/gpu-upstream/generation-record';
import { loadBuildSettings } from '../../lib/settings/build-settings';
import type { GenerateGpuUpstreamExecutorOptions } from './schema';

export default async function generateGpuUpstreamExecutor(
  options: GenerateGpuUpstreamExecutorOptions,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  const target = `${context.projectName ?? '?'}:${context.targetName ?? 'generate'}`;
  const outputDir = join(context.root, options.outputPath ?? 'dist/images/gpu-upstream/context');
  // Beside the context, not in it (that would change the image's content tag); stream parity reads it.
  const recordPath = generationRecordPath(outputDir);
  try {
    removeGenerationRecord(recordPath);
    const settings = loadBuildSettings(context.root);
    const result = generateGpuUpstream({
      workspaceRoot: context.root,
      settings,
      outputDir,
      workDir: join(context.root, options.workDir ?? 'tmp/gpu-upstream'),
      log: (line) => logger.info(line),
    });
    writeGenerationRecord(recordPath, {
      version: 1,
      context: relative(context.root, result.outputDir),
      dockerfileSha256: sha256OfFile(join(result.outputDir, 'Dockerfile')),
      gpuJupyter: { repository: settings.values.GPU_JUPYTER_REPO, commitSetting: settings.values.GPU_JUPYTER_HEAD_COMMIT, commit: result.gpuJupyterCommit },
      dockerStacks: { repository: settings.values.DOCKER_STACKS_REPO, commitSetting: settings.values.UPSTREAM_CONTAINER_CPU_HEAD_COMMIT, commit: result.dockerStacksCommit },
      layout: result.layout,
    });
    logger.info(`wrote ${relative(context.root, result.outputDir)} (gpu-jupyter ${result.gpuJupyterCommit}, docker-stacks ${result.dockerStacksCommit}, fragments in ${result.layout})`);
    return { success: true };
  } catch (error) {
    logger.error(`${target}: ${error instanceof Error ? error.message : String(error)}`);
    if (process.env.NX_VERBOSE_LOGGING === 'true' && error instanceof Error) logger.error(error.stack ?? '');
    return { success: false };
  }
}
