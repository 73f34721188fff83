/**
 * Writes the build records of images that another runner built and pushed, so
 * that a single-image job can run `nx run <project>:build-<stream>
 * --excludeTaskDependencies` on a fresh runner: the executor reads the
 * parent's record (dist/images/<parent>/<stream>.json) as usual, and finds one
 * that names the parent in the registry, pinned by digest.
 *
 *   node -r @swc-node/register tools/ci/materialise.ts --tasks "<project>:build-<stream> ..."
 *
 * How: plan mode's computation (lib/planned-records.ts, the build executor's
 * own prepareBuild) gives each image's content tag exactly as the build
 * computes it, from the checkout and build_settings.env, without any engine;
 * the registry is then asked for that content tag's digest (HEAD request,
 * nothing pulled). An image that is not there is an error naming it, and no
 * registry record is written: nothing is ever built here, so a failed parent
 * job cannot be papered over by a child runner.
 *
 * Outputs: `images` (JSON map task → pinned reference) and, for one task, `image`.
 */
import { parseArgs } from 'node:util';
import { workspaceRoot } from '@nx/devkit';
import { writeRecord } from '@kubeflow-images/plugin-lib/records/build-record';
import { RegistryClient } from '@kubeflow-images/plugin-lib/registry/registry-client';
import { loadBuildSettings, optionalSetting } from '@kubeflow-images/plugin-lib/settings/build-settings';
import { CiError, runCli } from './lib/ci-error';
import { writeStepOutputs } from './lib/github-output';
import { parseBuildTask, splitTaskList } from './lib/image-levels';
import { plannedRecords } from './lib/planned-records';
import { recordsFromRegistry } from './lib/registry-records';

runCli('materialise', async () => {
  const { values, positionals } = parseArgs({ options: { tasks: { type: 'string' } }, allowPositionals: true });
  const tasks = [...splitTaskList(values.tasks), ...positionals.flatMap(splitTaskList)];
  if (tasks.length === 0) throw new CiError('no task given: pass --tasks "<project>:build-<stream> ..."');
  const builds = tasks.map((task) => ({ task, ...parseBuildTask(task) }));
  const settings = loadBuildSettings(workspaceRoot);
  if (!optionalSetting(settings, 'IMAGE_REGISTRY')) {
    throw new CiError(`IMAGE_REGISTRY is empty (${settings.file} and environment): records can only come from a registry`);
  }

  const client = new RegistryClient();
  const { found, missing } = await recordsFromRegistry(await plannedRecords(workspaceRoot, builds), (reference) => client.manifestDigest(reference));
  if (missing.length > 0) {
    throw new CiError(
      `not in the registry under their content tag: ${missing.join(', ')}. Their own jobs must build and push them first ` +
        '(did a job of an earlier level fail?); to rebuild every image run the workflow by hand with "all"',
    );
  }
  const images: Record<string, string> = {};
  for (const { task, record } of found) {
    writeRecord(workspaceRoot, record);
    images[task] = record.image;
    console.log(`${task}: ${record.image} (content tag ${record.contentTag}, from the registry)`);
  }
  const outputs: Record<string, string> = { images: JSON.stringify(images) };
  if (builds.length === 1) outputs.image = images[builds[0].task];
  writeStepOutputs(outputs);
});
