/**
 * The `promote` job of main.yml, the only place human tags move: after every
 * image this commit rebuilt passed its container tests, gives every image of
 * the graph the commit's tags registry-side (manifest copies, no layer is
 * pulled or pushed): a rebuilt image by the digest its tests ran on, an
 * unchanged one by its content tag. Every source is checked before the first
 * tag moves, so a missing image leaves every tag where it was.
 *
 *   node -r @swc-node/register tools/ci/promote.ts --default-branch main \
 *     --built "<tasks this run built>" --unchanged "<tasks it did not>" [--tested <dir of tested records>]
 *
 * The branch tag and `latest` move only when GITHUB_REF is the default branch
 * (see lib/promotion.ts); the sha tags always do.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { workspaceRoot } from '@nx/devkit';
import { readGitState } from '../nx-plugin/src/lib/git/git-state';
import { RegistryClient } from '../nx-plugin/src/lib/registry/registry-client';
import { loadBuildSettings, optionalSetting } from '../nx-plugin/src/lib/settings/build-settings';
import { CiError, runCli } from './lib/ci-error';
import { writeStepSummary } from './lib/github-output';
import { parseBuildTask, splitTaskList } from './lib/image-levels';
import { plannedRecords } from './lib/planned-records';
import { assertEveryBuildTested, promotionOperations, promotionSummary, promotionTags, testedRecords } from './lib/promotion';

runCli('promote', async () => {
  const { values } = parseArgs({
    options: {
      built: { type: 'string', default: '' },
      unchanged: { type: 'string', default: '' },
      tested: { type: 'string', default: 'tested' },
      'default-branch': { type: 'string', default: '' },
    },
  });
  const built = splitTaskList(values.built);
  const builds = [...built, ...splitTaskList(values.unchanged)].map((task) => ({ task, ...parseBuildTask(task) }));
  if (builds.length === 0) throw new CiError('no task given: pass --built and --unchanged as tools/ci/plan.ts wrote them');
  const settings = loadBuildSettings(workspaceRoot);
  if (!optionalSetting(settings, 'IMAGE_REGISTRY')) {
    throw new CiError(`IMAGE_REGISTRY is empty (${settings.file} and environment): promotion happens in a registry`);
  }
  const git = readGitState(workspaceRoot);
  const tags = promotionTags(git, { ref: process.env.GITHUB_REF ?? '', defaultBranch: values['default-branch'] ?? '' });

  const dir = values.tested ?? 'tested';
  const files = existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.json')) : [];
  const tested = testedRecords(files.map((name) => ({ name: join(dir, name), text: readFileSync(join(dir, name), 'utf8') })));
  // A failed commit is refused before any work (plan mode, registry requests).
  assertEveryBuildTested(built, tested);
  const operations = promotionOperations(
    (await plannedRecords(workspaceRoot, builds)).map(({ task, planned }) => ({ task, planned, tested: tested.get(task) })),
    new Set(built),
    tags.tags,
  );

  const client = new RegistryClient();
  const missing: string[] = [];
  for (const operation of operations) {
    if (!(await client.manifestDigest(operation.source))) missing.push(`${operation.source} (${operation.task})`);
  }
  if (missing.length > 0) {
    throw new CiError(
      `not in the registry: ${missing.join(', ')}; no tag was moved. An unchanged image was never pushed with this content ` +
        '(first run, or the registry was cleaned): run the workflow by hand with "all"',
    );
  }
  const digests = new Map<string, string>();
  for (const operation of operations) {
    digests.set(operation.task, await client.retag(operation.source, operation.tags));
    console.log(`${operation.task}: ${operation.source} → ${operation.tags.join(', ')}`);
  }
  writeStepSummary(promotionSummary(operations, tags, digests));
  if (!tags.moving) console.log(`promote: ${process.env.GITHUB_REF ?? '(no GITHUB_REF)'} is not the default branch: the branch tag and latest did not move`);
});
