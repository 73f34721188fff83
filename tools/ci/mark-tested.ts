/**
 * The last step of build-image.yml: the image's container tests passed on the
 * digest its record is pinned to (tools/ci/materialise.ts), so that digest
 * gets a test mark in the registry (lib/test-mark.ts). Promotion gives human
 * tags only to marked digests; retention reads the mark's date.
 *
 *   node -r @swc-node/register tools/ci/mark-tested.ts --task <project>:build-<stream> [--test <project>:test-<stream>]
 *
 * --test names the test task that passed; without it the image has no
 * container tests and the mark records the build task.
 */
import { parseArgs } from 'node:util';
import { workspaceRoot } from '@nx/devkit';
import { readGitState } from '@kubeflow-images/plugin-lib/git/git-state';
import { readRecord } from '@kubeflow-images/plugin-lib/records/build-record';
import { writtenName } from '@kubeflow-images/plugin-lib/registry/image-reference';
import { CiError, runCli } from './lib/ci-error';
import { writeStepOutputs } from './lib/github-output';
import { parseBuildTask } from './lib/image-levels';
import { TestMarkStore } from './lib/test-mark-store';

/** The run's page, when running in GitHub Actions. */
function runUrl(env: NodeJS.ProcessEnv): string {
  return env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}` : '';
}

runCli('mark-tested', async () => {
  const { values } = parseArgs({ options: { task: { type: 'string', default: '' }, test: { type: 'string', default: '' } } });
  const { project, stream } = parseBuildTask(values.task ?? '');
  const record = readRecord(workspaceRoot, project, stream);
  if (!record.digest || !record.image.endsWith(`@${record.digest}`)) {
    throw new CiError(`the record of ${values.task} (${record.image}) is not pinned to a pushed digest: run tools/ci/materialise.ts --tasks ${values.task} after the push, then the tests, then this`);
  }
  const repository = writtenName(record.image);
  const facts = { date: new Date(), commit: readGitState(workspaceRoot, '').sha, task: values.test || (values.task ?? ''), contentTag: record.contentTag, run: runUrl(process.env) };
  const mark = await new TestMarkStore().write(repository, record.digest, facts);
  console.log(`${values.task}: ${repository}@${record.digest} marked as tested by ${facts.task} (mark ${mark})`);
  writeStepOutputs({ mark, digest: record.digest });
});
