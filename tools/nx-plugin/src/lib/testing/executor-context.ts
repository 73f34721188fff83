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

/** Silences the Nx logger for one spec case; returns what the executor has logged as errors so far, one line each. */
export function captureLoggedErrors(): () => string {
  jest.spyOn(logger, 'info').mockImplementation(() => undefined);
  const errors = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
  return () => errors.mock.calls.map((call) => String(call[0])).join('\n');
}
