import type { ExecutorContext } from '@nx/devkit';
import { relative } from 'node:path';
import { logger } from '../../lib/logger';
import { loadBuildSettings } from '../../lib/settings/build-settings';
import { ownershipOf, streamSettings, streamSettingsPath, writeStreamSettings, type UpstreamOwnership } from '../../lib/settings/stream-settings';
import { readUpstreamLock } from '../../lib/upstream-lock/lock-file';
import type { StreamSettingsExecutorOptions } from './schema';

export default async function streamSettingsExecutor(options: StreamSettingsExecutorOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  const project = context.projectName ?? '?';
  try {
    const owners = Object.entries(context.projectsConfigurations?.projects ?? {})
      .map(([name, config]) => ownershipOf(name, config.metadata))
      .filter((owner): owner is UpstreamOwnership => !!owner);
    const resolved = streamSettings(options.stream, loadBuildSettings(context.root), readUpstreamLock(context.root), owners);
    const path = streamSettingsPath(context.root, project, options.stream);
    writeStreamSettings(path, resolved);
    logger.info(`${options.stream} settings: ${Object.keys(resolved.settings).length} settings, ${Object.keys(resolved.lock).length} lock entries in ${relative(context.root, path)}`);
    return { success: true };
  } catch (error) {
    logger.error(`${project}:${context.targetName ?? 'settings'}: ${error instanceof Error ? error.message : String(error)}`);
    if (process.env.NX_VERBOSE_LOGGING === 'true' && error instanceof Error) logger.error(error.stack ?? '');
    return { success: false };
  }
}
