import { git } from './run-git';

/**
 * The repository's default branch: IMAGE_DEFAULT_BRANCH (CI sets it from the
 * repository's settings; its checkouts have no origin/HEAD), else what the
 * clone's origin/HEAD names, else `main`.
 */
export function defaultBranch(workspaceRoot: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.IMAGE_DEFAULT_BRANCH) return env.IMAGE_DEFAULT_BRANCH;
  try {
    return git(workspaceRoot, ['symbolic-ref', '--short', 'refs/remotes/origin/HEAD']).replace(/^origin\//, '');
  } catch {
    return 'main';
  }
}

/** The branch a build is for: CI's own variables first (its checkouts are detached), else git's. */
export function currentBranch(workspaceRoot: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const fromCi = env.IMAGE_BRANCH || env.GITHUB_HEAD_REF || env.GITHUB_REF_NAME;
  if (fromCi) return fromCi;
  try {
    const name = git(workspaceRoot, ['rev-parse', '--abbrev-ref', 'HEAD']);
    return name === 'HEAD' ? null : name;
  } catch {
    return null;
  }
}

/** A checkout with no change to a tracked file and no new file git would see; false outside git. */
export function isCleanTree(workspaceRoot: string): boolean {
  try {
    return git(workspaceRoot, ['status', '--porcelain', '--untracked-files=normal']) === '';
  } catch {
    return false;
  }
}

/** Whether this checkout is the default branch with nothing uncommitted. */
export function onCleanDefaultBranch(workspaceRoot: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const branch = currentBranch(workspaceRoot, env);
  return branch !== null && branch === defaultBranch(workspaceRoot, env) && isCleanTree(workspaceRoot);
}
