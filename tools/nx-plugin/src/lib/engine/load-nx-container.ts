import Module from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The devkit names nx-container's ES modules import (`import { names } from
 * '@nx/devkit'`): Node hands an ES module only the names the devkit object
 * owns, so any other name must be added here (the spec checks the installed
 * packages).
 */
export const DEVKIT_NAMES_ANSWERED = ['names', 'logger'] as const;

type NxContainerRun = (options: Record<string, unknown>, context: unknown) => Promise<{ success: boolean }>;

/**
 * nx-container's build executor, loaded the way Nx would (by its
 * executors.json), in the process it is meant to run in (the engine child).
 *
 * On its build path nx-container imports only `names` and `logger` from
 * `@nx/devkit`, but the devkit's index loads most of Nx first: about 0.35 s
 * of the ~0.5 s it takes to load nx-container, paid before every first build
 * of a run. So the devkit index is answered here by those two, taken from
 * the very modules the index re-exports them from (same functions, same
 * behaviour); any other name a CommonJS caller asks for loads the real index
 * on first use. Must run before anything else in the process loads the devkit.
 */
export function loadNxContainerRun(workspaceRoot: string): NxContainerRun {
  const packageDir = dirname(require.resolve('@nx-tools/nx-container/package.json', { paths: [workspaceRoot] }));
  const executorsJson = require(join(packageDir, 'executors.json')) as { executors: { build: { implementation: string } } };
  const executorPath = require.resolve(join(packageDir, executorsJson.executors.build.implementation));
  answerDevkitLightly(require.resolve('@nx/devkit', { paths: [dirname(executorPath)] }));
  return (require(executorPath) as { default: NxContainerRun }).default;
}

function answerDevkitLightly(devkitIndex: string): void {
  if (require.cache[devkitIndex]) return; // already loaded for real: nothing to save
  const devkitDir = dirname(devkitIndex);
  const { names } = require(join(devkitDir, 'src/utils/names.js')) as { names: unknown };
  const nxLogger = require.resolve('nx/src/utils/logger', { paths: [devkitDir] });
  let real: Record<string | symbol, unknown> | undefined;
  const light = new Module(devkitIndex);
  const loadReal = () => {
    if (!real) {
      delete require.cache[devkitIndex];
      try {
        real = require(devkitIndex) as Record<string | symbol, unknown>;
      } finally {
        require.cache[devkitIndex] = light;
      }
    }
    return real;
  };
  const answered: Record<(typeof DEVKIT_NAMES_ANSWERED)[number], unknown> = {
    names,
    get logger() {
      return (require(nxLogger) as { logger: unknown }).logger;
    },
  };
  light.filename = devkitIndex;
  light.loaded = true;
  // An ES module importing from the devkit gets the names the object owns (Node checks own properties); a
  // CommonJS module reads properties when it calls them, so anything else falls through to the real index.
  light.exports = new Proxy(answered, { get: (target, name) => (name in target ? target[name as keyof typeof answered] : loadReal()[name]) });
  require.cache[devkitIndex] = light;
}
