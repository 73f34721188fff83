import { BuildConfigurationError } from '../errors';
import type { GitState } from '../images/image-names';
import { currentBranch } from './default-branch';
import { git } from './run-git';

/**
 * The commit and branch a build is for. CI checkouts are often detached,
 * so the branch comes from IMAGE_BRANCH (`imageBranch`) or the CI's own
 * variable when git has none.
 */
export function readGitState(workspaceRoot: string, imageBranch: string, env: NodeJS.ProcessEnv = process.env): GitState {
  let sha: string;
  try {
    sha = git(workspaceRoot, ['rev-parse', 'HEAD']);
  } catch {
    throw new BuildConfigurationError(
      `cannot read the git commit of ${workspaceRoot}: pushing tags images with the commit, so push from a git checkout with at least one commit`,
    );
  }
  return { sha, branch: currentBranch(workspaceRoot, imageBranch, env) };
}
