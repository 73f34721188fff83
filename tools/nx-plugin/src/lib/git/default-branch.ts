import { git } from './run-git';

/** The settings that name branches where git cannot: IMAGE_BRANCH and IMAGE_DEFAULT_BRANCH ('' when unset). */
export interface BranchSettings {
  imageBranch: string;
  imageDefaultBranch: string;
}

/**
 * The repository's default branch: IMAGE_DEFAULT_BRANCH (CI sets it from the
 * repository's settings; its checkouts have no origin/HEAD), else what the
 * clone's origin/HEAD names, else `main`.
 */
export function defaultBranch(workspaceRoot: string, imageDefaultBranch: string): string {
  if (imageDefaultBranch) return imageDefaultBranch;
  try {
    return git(workspaceRoot, ['symbolic-ref', '--short', 'refs/remotes/origin/HEAD']).replace(/^origin\//, '');
  } catch {
    return 'main';
  }
}

/** The branch a build is for: IMAGE_BRANCH, then CI's own variables (its checkouts are detached), else git's. */
export function currentBranch(workspaceRoot: string, imageBranch: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const fromCi = imageBranch || env.GITHUB_HEAD_REF || env.GITHUB_REF_NAME;
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
export function onCleanDefaultBranch(workspaceRoot: string, branches: BranchSettings, env: NodeJS.ProcessEnv = process.env): boolean {
  const branch = currentBranch(workspaceRoot, branches.imageBranch, env);
  return branch !== null && branch === defaultBranch(workspaceRoot, branches.imageDefaultBranch) && isCleanTree(workspaceRoot);
}
