/**
 * Registry retention: deletes, through the registry HTTP API, the manifests
 * of every image repository (from the Nx graph) that lib/retention.ts says
 * may go: never one that `latest` or a branch tag points at; a promoted one
 * (sha tags) after --sha-days (default 90), an unpromoted one (content tags
 * only) after --days (default 30), each counted from the digest's newest
 * date: its build, its test mark, the commits of its sha tags. Its test marks
 * go with it. Dry run unless --apply.
 *
 *   npm run registry:prune -- [--days 30] [--sha-days 90] [--apply]
 *
 * Commit dates come from the checkout's git history (fetch it whole); a sha
 * tag of a commit git does not know adds no date. An image whose age cannot
 * be read is kept. Deleting a manifest frees its blobs only at the
 * registry's garbage collection (ACR does it by itself; distribution:
 * `registry garbage-collect`).
 *
 * Each image's layer cache (`<repository>-layer-cache`) keeps the entries
 * the newest build of that image needs and ages out the rest after --days
 * (lib/layer-cache-retention.ts).
 */
import { parseArgs } from 'node:util';
import { createProjectGraphAsync, workspaceRoot } from '@nx/devkit';
import { git } from '@kubeflow-images/plugin-lib/git/run-git';
import { hasStream, isImageProject, STREAMS, toImageGraph } from '@kubeflow-images/plugin-lib/hierarchy/image-graph';
import { imageRepository } from '@kubeflow-images/plugin-lib/images/image-names';
import { BUILDKIT_CACHE_TAG, layerCacheRepository } from '@kubeflow-images/plugin-lib/layer-cache/layer-cache';
import { RegistryClient } from '@kubeflow-images/plugin-lib/registry/registry-client';
import { loadBuildSettings, optionalSetting } from '@kubeflow-images/plugin-lib/settings/build-settings';
import { CiError, runCli } from './lib/ci-error';
import { writeStepSummary } from './lib/github-output';
import { cacheEntriesToDelete, newestLayers, type CacheEntryFacts } from './lib/layer-cache-retention';
import { DEFAULT_SHA_RETENTION_DAYS, isFullShaTag, manifestsByDigest, manifestsToDelete, parseRetentionDays, unpinnedDigests, type ManifestFacts } from './lib/retention';
import { isReferrersTag } from './lib/test-mark';
import { TestMarkStore } from './lib/test-mark-store';

/** The committer date of a commit git knows, or null. */
function commitDate(sha: string): Date | null {
  try {
    return new Date(git(workspaceRoot, ['show', '-s', '--format=%cI', `${sha}^{commit}`]));
  } catch {
    return null;
  }
}

runCli('registry-prune', async () => {
  const { values } = parseArgs({ options: { days: { type: 'string' }, 'sha-days': { type: 'string' }, apply: { type: 'boolean', default: false } } });
  const periods = { days: parseRetentionDays(values.days), shaDays: parseRetentionDays(values['sha-days'], '--sha-days', DEFAULT_SHA_RETENTION_DAYS) };
  const settings = loadBuildSettings(workspaceRoot);
  const registry = optionalSetting(settings, 'IMAGE_REGISTRY');
  if (!registry) throw new CiError(`IMAGE_REGISTRY is empty (${settings.file} and environment): nothing to prune`);

  const images = toImageGraph(await createProjectGraphAsync({ exitOnError: true }));
  const repositories = Object.values(images)
    .filter(isImageProject)
    .flatMap((node) => STREAMS.filter((stream) => hasStream(node, stream)).map((stream) => imageRepository(registry, node.imageName ?? node.name, stream)))
    .sort();

  const client = new RegistryClient();
  const marks = new TestMarkStore();
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
  const remove = async (repository: string, manifest: { digest: string; tags: string[]; ageDays: number }, alsoDelete: string[] = []) => {
    count++;
    if (values.apply) for (const digest of [manifest.digest, ...alsoDelete]) await client.deleteManifest(repository, digest);
    console.log(`${values.apply ? 'deleted' : 'would delete'} ${repository}@${manifest.digest} (${manifest.tags.join(', ')}; ${manifest.ageDays} days old)`);
    rows.push(`| \`${repository}\` | \`${manifest.tags.join(', ')}\` | ${manifest.ageDays} |`);
  };
  for (const repository of repositories) {
    const found = await manifestsOf(repository);
    const unpinned = new Set(unpinnedDigests(found.tags));
    const candidates: ManifestFacts[] = [];
    for (const manifest of found.facts.filter((facts) => unpinned.has(facts.digest))) {
      candidates.push({
        ...manifest,
        marked: (await marks.read(repository, manifest.digest))?.date ?? null,
        commitDates: manifest.tags.filter(isFullShaTag).flatMap((sha) => commitDate(sha) ?? []),
      });
    }
    // Its test marks go with an image (listed before the image goes, while they can still be found by it).
    for (const manifest of manifestsToDelete(candidates, now, periods)) await remove(repository, manifest, await marks.markManifests(repository, manifest.digest));
    // A referrers tag whose image is gone (deleted by hand, or by an earlier run) goes too.
    for (const tag of [...found.tags.keys()].filter((tag) => isReferrersTag(tag) && !found.facts.some((facts) => facts.digest === tag.replace('-', ':')))) {
      if (values.apply) for (const mark of await marks.markManifests(repository, tag.replace('-', ':'))) await client.deleteManifest(repository, mark);
      console.log(`${values.apply ? 'deleted' : 'would delete'} ${repository}:${tag} (test marks of an image that is gone)`);
    }
    // buildx's one cache tag is rewritten by every build that exports: always the newest build's.
    const cache = layerCacheRepository(repository);
    const entries = await manifestsOf(cache, [BUILDKIT_CACHE_TAG]);
    for (const entry of cacheEntriesToDelete(entries.facts, newestLayers(found.facts), now, periods.days)) await remove(cache, entry);
  }
  const verb = values.apply ? 'deleted' : 'would delete (dry run; --apply to delete)';
  const rule = `older than ${periods.days} days (content tags only) or ${periods.shaDays} days (sha tags) that no branch tag or latest points at and no newest build needs`;
  console.log(`registry-prune: ${verb} ${count} manifest(s) ${rule}, in ${repositories.length} image repositories and their layer caches`);
  writeStepSummary([`### Registry retention: ${verb} ${count} manifest(s) ${rule}`, '', '| repository | tags | days |', '| --- | --- | --- |', ...rows].join('\n'));
});
