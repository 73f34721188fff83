import { createHash } from 'node:crypto';
import { BuildConfigurationError, quoted } from '../errors';
import { hasStream, STREAMS, type ImageGraph, type Stream } from '../hierarchy/image-graph';
import { isValidTag, MAX_NAME_LENGTH } from '../registry/image-reference';

/** The published repository of an image: `<registry>/<image-name>-<stream>`, registry optional. */
export function imageRepository(registry: string, imageName: string, stream: Stream): string {
  const prefix = registry.replace(/\/+$/, '');
  return prefix ? `${prefix}/${imageName}-${stream}` : `${imageName}-${stream}`;
}

/**
 * Every image's published repository with this registry, checked at once, so
 * a run refuses an over-long name before it builds the first image rather
 * than when that image's turn comes.
 */
export function checkPublishedNames(graph: ImageGraph, registry: string): void {
  for (const name of Object.keys(graph).sort()) {
    const node = graph[name];
    if (!node.imageName) continue;
    for (const stream of STREAMS.filter((candidate) => hasStream(node, candidate))) {
      const repository = imageRepository(registry, node.imageName, stream);
      if (repository.length <= MAX_NAME_LENGTH) continue;
      const room = MAX_NAME_LENGTH - (repository.length - node.imageName.length);
      throw new BuildConfigurationError(
        `${node.root}/project.json: metadata.imageName makes ${quoted(repository)} ${repository.length} characters long, over the limit of ${MAX_NAME_LENGTH} for registry, name and -${stream} suffix together: shorten imageName to at most ${room} characters${registry ? ' or use a shorter registry' : ''}`,
      );
    }
  }
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
