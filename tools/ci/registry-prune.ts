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
 */
import { parseArgs } from 'node:util';
import { createProjectGraphAsync, workspaceRoot } from '@nx/devkit';
import { hasStream, isImageProject, STREAMS, toImageGraph } from '../nx-plugin/src/lib/hierarchy/image-graph';
import { imageRepository } from '../nx-plugin/src/lib/images/image-names';
import { RegistryClient } from '../nx-plugin/src/lib/registry/registry-client';
import { loadBuildSettings, optionalSetting } from '../nx-plugin/src/lib/settings/build-settings';
import { CiError, runCli } from './lib/ci-error';
import { writeStepSummary } from './lib/github-output';
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
  for (const repository of repositories) {
    const tags = new Map<string, string>();
    for (const tag of await client.listTags(repository)) {
      const digest = await client.manifestDigest(`${repository}:${tag}`);
      if (digest) tags.set(tag, digest);
    }
    const byDigest = manifestsByDigest(tags);
    const candidates: ManifestFacts[] = [];
    for (const digest of unpromotedDigests(tags)) {
      const config = await client.imageConfig(`${repository}@${digest}`);
      candidates.push({ digest, tags: byDigest.get(digest)!, created: config?.created ? new Date(config.created) : null });
    }
    for (const manifest of manifestsToDelete(candidates, now, days)) {
      count++;
      if (values.apply) await client.deleteManifest(repository, manifest.digest);
      const line = `${values.apply ? 'deleted' : 'would delete'} ${repository}@${manifest.digest} (${manifest.tags.join(', ')}; ${manifest.ageDays} days old)`;
      console.log(line);
      rows.push(`| \`${repository}\` | \`${manifest.tags.join(', ')}\` | ${manifest.ageDays} |`);
    }
  }
  const verb = values.apply ? 'deleted' : 'would delete (dry run; --apply to delete)';
  console.log(`registry-prune: ${verb} ${count} manifest(s) older than ${days} days that no human tag points at, in ${repositories.length} repositories`);
  writeStepSummary([`### Registry retention: ${verb} ${count} manifest(s) older than ${days} days`, '', '| repository | tags | days |', '| --- | --- | --- |', ...rows].join('\n'));
});
