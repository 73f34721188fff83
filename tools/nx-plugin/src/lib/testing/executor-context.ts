import type { ExecutorContext } from '@nx/devkit';

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
