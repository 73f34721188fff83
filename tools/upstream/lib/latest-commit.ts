import { BuildConfigurationError } from '@kubeflow-images/plugin-lib/errors';

/** docker-stacks tags each published build with the 12-hex short sha of the commit it was built from. */
export const COMMIT_TAG = /^[0-9a-f]{12}$/;

/** What the update asks of a registry (RegistryClient has both). */
export interface TagRegistry {
  listTags(repository: string): Promise<string[]>;
  manifestDigest(reference: string): Promise<string | null>;
}

export interface LatestCommit {
  /** The commit tag whose digest is latest's. */
  commit: string;
  digest: string;
  /** Other commit tags on the same digest (a commit that changed no image): the same image, listed for the report. */
  sameImage: string[];
}

async function inBatches<T, R>(items: T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += size) {
    results.push(...(await Promise.all(items.slice(start, start + size).map(work))));
  }
  return results;
}

/**
 * The docker-stacks commit `latest` of `repository` points at now: the commit
 * tag with latest's digest. Tags are compared by digest, never by name or by
 * order: date tags, architecture tags and lexically higher commit tags are
 * other images. The current pin is asked first, so an unchanged upstream
 * costs two requests.
 */
export async function findLatestCommit(registry: TagRegistry, repository: string, currentCommit: string, batchSize = 8): Promise<LatestCommit> {
  const digest = await registry.manifestDigest(`${repository}:latest`);
  if (!digest) throw new BuildConfigurationError(`${repository} has no tag latest: check UPSTREAM_CONTAINER_CPU_UNTAGGED in build_settings.env`);
  if (COMMIT_TAG.test(currentCommit) && (await registry.manifestDigest(`${repository}:${currentCommit}`)) === digest) {
    return { commit: currentCommit, digest, sameImage: [] };
  }
  const candidates = (await registry.listTags(repository)).filter((tag) => COMMIT_TAG.test(tag) && tag !== currentCommit);
  const digests = await inBatches(candidates, batchSize, (tag) => registry.manifestDigest(`${repository}:${tag}`));
  const matching = candidates.filter((_, index) => digests[index] === digest).sort();
  if (matching.length === 0) {
    throw new BuildConfigurationError(
      `none of the ${candidates.length} commit tags of ${repository} has latest's digest ${digest} (latest was re-pushed without its commit tag, or the push is still under way): run the update again later`,
    );
  }
  return { commit: matching[0], digest, sameImage: matching.slice(1) };
}
