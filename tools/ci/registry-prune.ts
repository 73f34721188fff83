/**
 * Registry retention: deletes the manifests of every image repository (from
 * the Nx graph) that only content tags point at and that are older than N
 * days, through the registry HTTP API. A digest that a human tag (sha, short
 * sha, branch, latest) points at is never deleted. Dry run unless --apply.
 *
 *   npm run registry:prune -- [--days 30] [--apply]
 *
 * Age is the image config's `created` (when it was built): the registry API
 * keeps no upload dates. An image whose age cannot be read is kept.
 * Deleting a manifest frees its blobs only at the registry's garbage
 * collection (ACR does it by itself; distribution: `registry garbage-collect`).
 *
 * Each image's layer cache (`<repository>-layer-cache`) keeps the entries
 * the newest build of that image needs and ages out the rest after the same
 * period (lib/layer-cache-retention.ts).
 */
import { parseArgs } from 'node:util';
import { createProjectGraphAsync, workspaceRoot } from '@nx/devkit';
import { hasStream, isImageProject, STREAMS, toImageGraph } from '../nx-plugin/src/lib/hierarchy/image-graph';
import { imageRepository } from '../nx-plugin/src/lib/images/image-names';
import { RegistryClient } from '../nx-plugin/src/lib/registry/registry-client';
import { loadBuildSettings, optionalSetting } from '../nx-plugin/src/lib/settings/build-settings';
import { CiError, runCli } from './lib/ci-error';
import { writeStepSummary } from './lib/github-output';
import { BUILDKIT_CACHE_TAG, layerCacheRepository } from '../nx-plugin/src/lib/layer-cache/layer-cache';
import { cacheEntriesToDelete, newestLayers, type CacheEntryFacts } from './lib/layer-cache-retention';
import { manifestsByDigest, manifestsToDelete, parseRetentionDays, unpromotedDigests, type ManifestFacts } from './lib/retention';

runCli('registry-prune', async () => {
  const { values } = parseArgs({ options: { days: { type: 'string' }, apply: { type: 'boolean', default: false } } });
  const days = parseRetentionDays(values.days);
  const settings = loadBuildSettings(workspaceRoot);
  const registry = optionalSetting(settings, 'IMAGE_REGISTRY');
  if (!registry) throw new CiError(`IMAGE_REGISTRY is empty (${settings.file} and environment): nothing to prune`);

  const images = toImageGraph(await createProjectGraphAsync({ exitOnError: true }));
  const repositories = Object.values(images)
    .filter(isImageProject)
    .flatMap((node) => STREAMS.filter((stream) => hasStream(node, stream)).map((stream) => imageRepository(registry, node.imageName ?? node.name, stream)))
    .sort();

  const client = new RegistryClient();
  const now = new Date();
  const rows: string[] = [];
  let count = 0;
  /** Each manifest of a repository (by digest): its tags, build date and layers. */
  const manifestsOf = async (repository: string, skipTags: string[] = []) => {
    const tags = new Map<string, string>();
    for (const tag of await client.listTags(repository)) {
      if (skipTags.includes(tag)) continue;
      const digest = await client.manifestDigest(`${repository}:${tag}`);
      if (digest) tags.set(tag, digest);
    }
    const facts: CacheEntryFacts[] = [];
    for (const [digest, names] of manifestsByDigest(tags)) {
      const config = await client.imageConfig(`${repository}@${digest}`);
      facts.push({ digest, tags: names, created: config?.created ? new Date(config.created) : null, diffIds: config?.rootfs?.diff_ids ?? null });
    }
    return { tags, facts };
  };
  const remove = async (repository: string, manifest: { digest: string; tags: string[]; ageDays: number }) => {
    count++;
    if (values.apply) await client.deleteManifest(repository, manifest.digest);
    console.log(`${values.apply ? 'deleted' : 'would delete'} ${repository}@${manifest.digest} (${manifest.tags.join(', ')}; ${manifest.ageDays} days old)`);
    rows.push(`| \`${repository}\` | \`${manifest.tags.join(', ')}\` | ${manifest.ageDays} |`);
  };
  for (const repository of repositories) {
    const images = await manifestsOf(repository);
    const unpromoted = new Set(unpromotedDigests(images.tags));
    const candidates: ManifestFacts[] = images.facts.filter((manifest) => unpromoted.has(manifest.digest));
    for (const manifest of manifestsToDelete(candidates, now, days)) await remove(repository, manifest);
    // buildx's one cache tag is rewritten by every build that exports: always the newest build's.
    const cache = layerCacheRepository(repository);
    const entries = await manifestsOf(cache, [BUILDKIT_CACHE_TAG]);
    for (const entry of cacheEntriesToDelete(entries.facts, newestLayers(images.facts), now, days)) await remove(cache, entry);
  }
  const verb = values.apply ? 'deleted' : 'would delete (dry run; --apply to delete)';
  console.log(`registry-prune: ${verb} ${count} manifest(s) older than ${days} days that no human tag points at and no newest build needs, in ${repositories.length} image repositories and their layer caches`);
  writeStepSummary([`### Registry retention: ${verb} ${count} manifest(s) older than ${days} days`, '', '| repository | tags | days |', '| --- | --- | --- |', ...rows].join('\n'));
});
