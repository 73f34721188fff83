import type { ExecutorContext } from '@nx/devkit';
import { relative } from 'node:path';
import { runExecutorTask } from '../../lib/executor-task';
import { logger } from '../../lib/logger';
import { ownershipOf, streamSettings, streamSettingsPath, writeStreamSettings, type UpstreamOwnership } from '../../lib/settings/stream-settings';
import { readUpstreamLock } from '../../lib/upstream-lock/lock-file';
import type { StreamSettingsExecutorOptions } from './schema';

export default async function streamSettingsExecutor(options: StreamSettingsExecutorOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  return runExecutorTask(context, { executor: 'stream-settings', target: 'settings' }, ({ project, settings }) => {
    const owners = Object.entries(context.projectsConfigurations?.projects ?? {})
      .map(([name, config]) => ownershipOf(name, config.metadata))
      .filter((owner): owner is UpstreamOwnership => !!owner);
    const resolved = streamSettings(options.stream, settings(), readUpstreamLock(context.root), owners);
    const path = streamSettingsPath(context.root, project, options.stream);
    writeStreamSettings(path, resolved);
    logger.info(`${options.stream} settings: ${Object.keys(resolved.settings).length} settings, ${Object.keys(resolved.lock).length} lock entries in ${relative(context.root, path)}`);
    return { success: true };
  });
}
