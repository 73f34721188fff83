type NxContainerRun = (options: Record<string, unknown>, context: unknown) => Promise<{ success: boolean }>;

/**
 * nx-container's build executor, through the package's public entry point
 * (its `run` export), resolved from the workspace so the workspace's pinned
 * version is the one that runs. Loaded once per process: the engine child
 * (`nx-container-child.ts`) loads it while the build before it still runs.
 */
export function loadNxContainerRun(workspaceRoot: string): NxContainerRun {
  const entry = require.resolve('@nx-tools/nx-container', { paths: [workspaceRoot] });
  return (require(entry) as { run: NxContainerRun }).run;
}
