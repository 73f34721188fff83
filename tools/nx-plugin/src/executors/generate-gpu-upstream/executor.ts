import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { logger } from '../../lib/logger';
import { generateAndRecord, generationWorkDir } from '../../lib/gpu-upstream/generated-context';
import { generationRecordPath, removeGenerationRecord } from '../../lib/gpu-upstream/generation-record';
import { readUpstreamLock } from '../../lib/upstream-lock/lock-file';
import { runExecutorTask } from '../../lib/executor-task';
import type { GenerateGpuUpstreamExecutorOptions } from './schema';

export default async function generateGpuUpstreamExecutor(
  options: GenerateGpuUpstreamExecutorOptions,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  const outputDir = join(context.root, options.outputPath);
  // Beside the context, not in it (that would change the image's content tag); stream parity reads it.
  const recordPath = generationRecordPath(outputDir);
  return runExecutorTask(context, { executor: 'generate-gpu-upstream', target: 'generate' }, ({ settings: taskSettings }) => {
    removeGenerationRecord(recordPath);
    const settings = taskSettings();
    const record = generateAndRecord({
      workspaceRoot: context.root,
      settings,
      lock: readUpstreamLock(context.root),
      outputDir,
      workDir: options.workDir ? join(context.root, options.workDir) : generationWorkDir(context.root),
      log: (line) => logger.info(line),
    });
    logger.info(`wrote ${record.context} (gpu-jupyter ${record.gpuJupyter.commit}, docker-stacks ${record.dockerStacks.commit}, fragments in ${record.layout}, FROM ${record.cudaBase})`);
    return { success: true };
  });
}
