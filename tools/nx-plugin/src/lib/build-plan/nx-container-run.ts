import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { NxContainerRun } from './realize-build';

/**
 * nx-container's run, loaded only when an engine must build (reusing an image
 * from the registry or the engine needs none of it).
 *
 * nx-container makes one temp folder per process and deletes it after each
 * build, so a second build in the same process (a missing parent rebuilt
 * before its child) would write into a folder that is gone: make it again
 * first. Its context module is not exported; this is the file its index loads.
 */
export const runNxContainer: NxContainerRun = async (options, context) => {
  const nxContainer = await import('@nx-tools/nx-container');
  const internals = require(join(dirname(require.resolve('@nx-tools/nx-container/package.json')), 'dist', 'executors', 'build', 'context.js')) as {
    tmpDir?: () => string;
  };
  if (typeof internals.tmpDir === 'function') mkdirSync(internals.tmpDir(), { recursive: true });
  return nxContainer.run(options as never, context);
};
