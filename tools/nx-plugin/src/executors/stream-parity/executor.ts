import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { logger } from '../../lib/logger';
import { RegistryClient } from '../../lib/registry/registry-client';
import { runExecutorTask } from '../../lib/executor-task';
import { collectStreamRoots } from '../../lib/stream-parity/collect';
import { compareStreams, formatParityTable, parityFailure, ubuntuWarning } from '../../lib/stream-parity/parity';
import type { StreamParityExecutorOptions } from './schema';

/** Node's names for the architectures images are published for. */
const ARCHITECTURES: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };

export default async function streamParityExecutor(options: StreamParityExecutorOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  return runExecutorTask(context, { executor: 'stream-parity', target: 'parity' }, async ({ name: target, settings: taskSettings }) => {
    const settings = taskSettings();
    const registry = new RegistryClient({ timeoutMs: options.registryTimeoutMs ?? 10_000 });
    const platform = { os: 'linux', architecture: ARCHITECTURES[process.arch] ?? 'amd64' };
    const roots = await collectStreamRoots({
      workspaceRoot: context.root,
      settings,
      contextDir: join(context.root, options.context),
      env: process.env,
      readImageConfig: options.readRegistry === false ? null : (reference) => registry.imageConfig(reference, platform),
    });
    const report = compareStreams(roots);
    logger.info('stream parity: the roots of the cpu and gpu streams');
    for (const line of formatParityTable(report)) logger.info(`  ${line}`);
    const warning = ubuntuWarning(report);
    if (warning) logger.warn(`${target}: warning: ${warning}`);
    const failure = parityFailure(report);
    if (failure) {
      logger.error(`${target}: ${failure}`);
      return { success: false };
    }
    logger.info(`both streams start from docker-stacks ${roots.gpu.commit}`);
    return { success: true };
  });
}
