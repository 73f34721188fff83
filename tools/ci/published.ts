/**
 * The published reference of one image, pinned by digest: what the nightly
 * scans. The repository comes from plan mode's computation (as the build
 * computes it), the digest from the registry's `<tag>` (default latest);
 * nothing is pulled.
 *
 *   node -r @swc-node/register tools/ci/published.ts --task <project>:build-<stream> [--tag latest]
 *
 * Outputs: `image` (repository@digest) and `reference` (repository:tag).
 */
import { parseArgs } from 'node:util';
import { workspaceRoot } from '@nx/devkit';
import { RegistryClient } from '@kubeflow-images/plugin-lib/registry/registry-client';
import { CiError, runCli } from './lib/ci-error';
import { writeStepOutputs } from './lib/github-output';
import { parseBuildTask } from './lib/image-levels';
import { plannedRecords } from './lib/planned-records';
import { repositoryOfRecord } from './lib/registry-records';

runCli('published', async () => {
  const { values } = parseArgs({ options: { task: { type: 'string', default: '' }, tag: { type: 'string', default: 'latest' } } });
  const build = { task: values.task ?? '', ...parseBuildTask(values.task ?? '') };
  const [{ planned }] = await plannedRecords(workspaceRoot, [build]);
  const repository = repositoryOfRecord(planned);
  const reference = `${repository}:${values.tag}`;
  const digest = await new RegistryClient().manifestDigest(reference);
  if (!digest) throw new CiError(`${reference} is not in the registry: ${build.task} was never promoted (run Main by hand with "all")`);
  console.log(`${build.task}: ${reference} is ${digest}`);
  writeStepOutputs({ image: `${repository}@${digest}`, reference });
});
