import { createHash } from 'node:crypto';
import type { Stream } from '../hierarchy/image-graph';
import { isValidTag } from '../registry/image-reference';

/** The published repository of an image: `<registry>/<image-name>-<stream>`, registry optional. */
export function imageRepository(registry: string, imageName: string, stream: Stream): string {
  const prefix = registry.replace(/\/+$/, '');
  return prefix ? `${prefix}/${imageName}-${stream}` : `${imageName}-${stream}`;
}

/**
 * Turns a branch name into a valid tag. A branch that already is a valid tag
 * is kept as is; any other gets what sanitising made of it plus 8 hex of the
 * sha-256 of the real name, so two branches never share a tag
 * (`feature/a b` → `feature-a-b-1a2b3c4d`, `feature/a-b` → `feature-a-b-5e6f7a8b`).
 */
export function tagFromBranch(branch: string): string {
  if (branch === '') return 'detached';
  if (isValidTag(branch)) return branch;
  const hash = createHash('sha256').update(branch).digest('hex').slice(0, 8);
  const readable = branch.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[.-]+/, '').replace(/-+$/, '').slice(0, 128 - 9);
  return readable ? `${readable}-${hash}` : hash;
}

export interface GitState {
  sha: string;
  branch: string | null;
}
