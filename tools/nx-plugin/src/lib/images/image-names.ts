import type { Stream } from '../hierarchy/image-graph';

/** The published repository of an image: `<registry>/<image-name>-<stream>`, registry optional. */
export function imageRepository(registry: string, imageName: string, stream: Stream): string {
  const prefix = registry.replace(/\/+$/, '');
  return prefix ? `${prefix}/${imageName}-${stream}` : `${imageName}-${stream}`;
}

/** Turns a branch name into a valid tag (feature/x → feature-x). */
export function tagFromBranch(branch: string): string {
  const tag = branch.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[.-]+/, '').slice(0, 128);
  return tag || 'detached';
}

export interface GitState {
  sha: string;
  branch: string | null;
}

/** The human tags a pushed image carries: full sha, short sha, branch, and latest when asked. */
export function humanTags(git: GitState, tagLatest: boolean): string[] {
  const tags = [git.sha, git.sha.slice(0, 7)];
  if (git.branch) tags.push(tagFromBranch(git.branch));
  if (tagLatest) tags.push('latest');
  return [...new Set(tags)];
}

