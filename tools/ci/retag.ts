/**
 * The `retag` job of main.yml: gives the images that the commit did not
 * affect the commit's human tags (full sha, short sha, branch, and latest with
 * --latest or IMAGE_TAG_LATEST=true), by copying the manifest of their content
 * tag registry-side. Nothing is built, pulled or pushed as layers. With the
 * affected images pushed by their own jobs, every commit then has a complete
 * set of tags.
 *
 *   node -r @swc-node/register tools/ci/retag.ts [--latest] --tasks "<project>:build-<stream> ..."
 *
 * The content tags come from plan mode, as the build computes them; an image
 * whose content tag is not in the registry cannot be retagged and is reported
 * (the fix: run the workflow by hand with "all").
 */
import { parseArgs } from 'node:util';
import { workspaceRoot } from '@nx/devkit';
import { readGitState } from '../nx-plugin/src/lib/git/git-state';
import { readRecord } from '../nx-plugin/src/lib/records/build-record';
import { ManifestNotFoundError } from '../nx-plugin/src/lib/registry/errors';
import { RegistryClient } from '../nx-plugin/src/lib/registry/registry-client';
import { loadBuildSettings, optionalSetting } from '../nx-plugin/src/lib/settings/build-settings';
import { CiError, runCli } from './lib/ci-error';
import { writeStepSummary } from './lib/github-output';
import { parseBuildTask, splitTaskList } from './lib/image-levels';
import { planBuilds } from './lib/nx-cli';
import { retagOperations } from './lib/registry-records';

runCli('retag', async () => {
  const { values, positionals } = parseArgs({
    options: { tasks: { type: 'string' }, latest: { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  const builds = [...splitTaskList(values.tasks), ...positionals.flatMap(splitTaskList)].map((task) => ({ task, ...parseBuildTask(task) }));
  if (builds.length === 0) {
    console.log('retag: every image was built by this run; nothing to retag');
    return;
  }
  const settings = loadBuildSettings(workspaceRoot);
  if (!optionalSetting(settings, 'IMAGE_REGISTRY')) {
    throw new CiError(`IMAGE_REGISTRY is empty (${settings.file} and environment): retagging happens in a registry`);
  }
  const git = readGitState(workspaceRoot);
  planBuilds(workspaceRoot, builds);
  const records = builds.map((build) => readRecord(workspaceRoot, build.project, build.stream));
  const operations = retagOperations(records, git, values.latest || process.env.IMAGE_TAG_LATEST === 'true');

  const client = new RegistryClient();
  const missing: string[] = [];
  const done: string[] = [];
  for (const operation of operations) {
    try {
      const digest = await client.retag(operation.source, operation.tags);
      done.push(`${operation.source} → ${operation.tags.join(', ')} (${digest})`);
      console.log(`retagged ${operation.source} as ${operation.tags.join(', ')} (${digest})`);
    } catch (error) {
      if (error instanceof ManifestNotFoundError) missing.push(operation.source);
      else throw error;
    }
  }
  writeStepSummary(['### Retagged (not affected)', '', ...done.map((line) => `- ${line}`)].join('\n'));
  if (missing.length > 0) {
    throw new CiError(
      `not in the registry under their content tag, so they cannot take commit ${git.sha.slice(0, 7)}'s tags: ${missing.join(', ')}. ` +
        'They were never pushed with this content (first run, or the registry was cleaned): run the workflow by hand with "all" to build them',
    );
  }
});
