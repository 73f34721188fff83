/**
 * The PR job summary of image insight: for every image this run inspected
 * (dist/images/<project>/<stream>.inspect.json, written by
 * `nx affected -t inspect-cpu inspect-gpu`), its size, size change and waste,
 * and its packages added, removed and changed against the image published as
 * `latest` in the registry. The latest image is pulled with docker, its
 * layers streamed (docker save) for its size and run once for its packages.
 *
 *   node -r @swc-node/register tools/ci/inspect-summary.ts
 *
 * Writes the markdown to $GITHUB_STEP_SUMMARY (when set) and to stdout.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { workspaceRoot } from '@nx/devkit';
import { realCli } from '@kubeflow-images/plugin-lib/engine/engine-cli';
import { listPackages, readSavedImage } from '@kubeflow-images/plugin-lib/inspect/engine-image';
import { readInspectReport, type InspectReport } from '@kubeflow-images/plugin-lib/inspect/report';
import { formatImageReference, parseImageReference } from '@kubeflow-images/plugin-lib/registry/image-reference';
import { RegistryClient } from '@kubeflow-images/plugin-lib/registry/registry-client';
import { CiError, runCli } from './lib/ci-error';
import { writeStepSummary } from './lib/github-output';
import { inspectSummaryMarkdown, type PublishedImage } from './lib/inspect-summary';

function inspectedReports(root: string): InspectReport[] {
  const images = join(root, 'dist', 'images');
  if (!existsSync(images)) return [];
  return readdirSync(images).flatMap((project) =>
    readdirSync(join(images, project))
      .filter((file) => file.endsWith('.inspect.json'))
      .map((file) => readInspectReport(join(images, project, file))),
  );
}

async function publishedLatest(report: InspectReport, registry: RegistryClient): Promise<PublishedImage | null> {
  const { tag: _tag, digest: _digest, ...repository } = parseImageReference(report.image);
  const image = formatImageReference({ ...repository, tag: 'latest' });
  if (!(await registry.manifestDigest(image))) return null;
  const docker = realCli('docker');
  const pulled = await docker.run(['pull', '--quiet', image], { timeoutMs: 60 * 60_000 });
  if (pulled.code !== 0) throw new CiError(`cannot pull ${image} with docker: ${pulled.stderr.trim().split('\n')[0]}: log docker in to the registry first`);
  const archive = await readSavedImage('docker', image);
  return {
    image,
    sizeBytes: archive.layers.reduce((sum, layer) => sum + layer.sizeBytes, 0),
    packages: await listPackages(docker, image, `kf-inspect-latest-${process.pid}-${report.project}-${report.stream}`),
  };
}

runCli('inspect-summary', async () => {
  const reports = inspectedReports(workspaceRoot);
  const registry = new RegistryClient();
  const comparisons = [];
  for (const current of reports) {
    // Without a registry in the name there is no published latest to compare with.
    const hasRegistry = current.image.split('/')[0].match(/[.:]|^localhost$/);
    comparisons.push({ current, latest: hasRegistry ? await publishedLatest(current, registry) : null });
  }
  const markdown = inspectSummaryMarkdown(comparisons);
  writeStepSummary(markdown);
  process.stdout.write(markdown);
});
