import type { ExecutorContext } from '@nx/devkit';
import { logger } from '../logger';

/** The context Nx gives an image executor running `<project>:<target>`; `projectGraph: false` leaves the graph out. */
export function imageExecutorContext(project: string, target: string, { projectGraph = true } = {}): ExecutorContext {
  return {
    root: '/workspace',
    cwd: '/workspace',
    isVerbose: false,
    projectName: project,
    targetName: target,
    projectGraph: projectGraph ? { nodes: {}, dependencies: {} } : undefined,
  } as unknown as ExecutorContext;
}

/** Silences the executor logger for one spec case; returns what it has logged so far, one entry per line. */
export function captureLogger(): { info: () => string[]; errors: () => string[] } {
  const lines = (spy: jest.SpyInstance) => () => spy.mock.calls.map((call) => String(call[0]));
  return {
    info: lines(jest.spyOn(logger, 'info').mockImplementation(() => undefined)),
    errors: lines(jest.spyOn(logger, 'error').mockImplementation(() => undefined)),
  };
}
