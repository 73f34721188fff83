/**
 * Nx 23 ends a run with 130, the exit code of Ctrl-C, whenever a task has no
 * result: and it keeps no result for a task it skipped because a dependency
 * failed. So a failed parent made a run look cancelled to CI. The exit code
 * this hook gives such a run instead: 1 when a task failed and none was
 * stopped (a stopped task means the run really was interrupted); null to
 * leave Nx's own code.
 */
export function failedRunExitCode(statuses: string[]): 1 | null {
  if (statuses.includes('stopped')) return null;
  return statuses.includes('failure') ? 1 : null;
}
