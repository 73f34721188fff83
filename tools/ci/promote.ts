/**
 * The `promote` job of main.yml, the only place human tags move. Every image
 * of the graph, rebuilt by this run or unchanged, gets the commit's tags
 * registry-side (manifest copies, no layer is pulled or pushed) on the digest
 * its content tag names, and only when that digest carries a test mark
 * (tools/ci/mark-tested.ts): every source and its mark are checked before the
 * first tag moves, so one untested image leaves every tag where it was.
 *
 *   node -r @swc-node/register tools/ci/promote.ts --default-branch main \
 *     --built "<tasks this run built>" --unchanged "<tasks it did not>" [--rollback] [--out release]
 *
 * The sha tags always move. The branch tag and `latest` move only for the
 * default branch and never backwards: only when the commit is the branch's tip
 * now (`git ls-remote origin`), or descends from the commit they point at.
 * `--rollback` moves them back to this (earlier) commit on purpose.
 * Writes <out>/release-manifest.json and <out>/spawner-images.yaml, and the
 * manifest as the step summary.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { workspaceRoot } from '@nx/devkit';
import { git } from '@kubeflow-images/plugin-lib/git/run-git';
import { tagFromBranch } from '@kubeflow-images/plugin-lib/images/image-names';
import { RegistryClient } from '@kubeflow-images/plugin-lib/registry/registry-client';
import { loadBuildSettings, optionalSetting } from '@kubeflow-images/plugin-lib/settings/build-settings';
import { CiError, runCli } from './lib/ci-error';
import { writeStepSummary } from './lib/github-output';
import { parseBuildTask, splitTaskList } from './lib/image-levels';
import { plannedRecords } from './lib/planned-records';
import {
  assertPromotable,
  branchPosition,
  partialPromotionError,
  promotionTags,
  releaseManifest,
  releaseSummary,
  spawnerSnippet,
  type BranchPosition,
  type PromotionSource,
} from './lib/promotion';
import { repositoryOfRecord } from './lib/registry-records';
import { TestMarkStore } from './lib/test-mark-store';

/** How far back to look for the commit the branch tag points at. */
const ANCESTORS_SEARCHED = 200;

function defaultBranchTip(defaultBranch: string): string {
  let line: string;
  try {
    line = git(workspaceRoot, ['ls-remote', '--exit-code', 'origin', `refs/heads/${defaultBranch}`]);
  } catch (error) {
    throw new CiError(`cannot read the tip of ${defaultBranch} from origin (git ls-remote): ${error instanceof Error ? error.message : error}; nothing was moved`);
  }
  return line.split(/\s+/)[0];
}

runCli('promote', async () => {
  const { values } = parseArgs({
    options: {
      built: { type: 'string', default: '' },
      unchanged: { type: 'string', default: '' },
      'default-branch': { type: 'string', default: '' },
      rollback: { type: 'boolean', default: false },
      out: { type: 'string', default: 'release' },
    },
  });
  const built = new Set(splitTaskList(values.built));
  const builds = [...built, ...splitTaskList(values.unchanged)].map((task) => ({ task, ...parseBuildTask(task) }));
  if (builds.length === 0) throw new CiError('no task given: pass --built and --unchanged as tools/ci/plan.ts wrote them');
  const settings = loadBuildSettings(workspaceRoot);
  if (!optionalSetting(settings, 'IMAGE_REGISTRY')) {
    throw new CiError(`IMAGE_REGISTRY is empty (${settings.file} and environment): promotion happens in a registry`);
  }
  const defaultBranch = values['default-branch'] ?? '';
  const ref = process.env.GITHUB_REF ?? '';
  const commit = git(workspaceRoot, ['rev-parse', 'HEAD']);

  // 1. Every source and its mark, before anything moves.
  const client = new RegistryClient();
  const marks = new TestMarkStore();
  const sources: PromotionSource[] = [];
  for (const { task, planned } of await plannedRecords(workspaceRoot, builds)) {
    const repository = repositoryOfRecord(planned);
    const digest = await client.manifestDigest(planned.image);
    const mark = digest ? await marks.read(repository, digest) : null;
    sources.push({ task, repository, contentTag: planned.contentTag, kind: built.has(task) ? 'built' : 'unchanged', digest, mark });
  }
  const promotable = assertPromotable(sources);

  // 2. Which tags move.
  const branchTag = tagFromBranch(defaultBranch || 'main');
  const repositories = promotable.map((source) => source.repository);
  let position: BranchPosition = { kind: 'absent' };
  if (defaultBranch && ref === `refs/heads/${defaultBranch}`) {
    const tip = defaultBranchTip(defaultBranch);
    if (values.rollback && tip !== commit) {
      try {
        git(workspaceRoot, ['merge-base', '--is-ancestor', commit, tip]);
      } catch {
        throw new CiError(`--rollback: ${commit} is not an earlier commit of ${defaultBranch} (tip ${tip}): roll back only to a commit that was on it; nothing was moved`);
      }
    }
    const ancestors = git(workspaceRoot, ['rev-list', `--max-count=${ANCESTORS_SEARCHED}`, commit]).split('\n').filter(Boolean);
    position = await branchPosition({ commit, tip, ancestors, repositories, branchTag, digestOf: (reference) => client.manifestDigest(reference) });
  }
  const tags = promotionTags(commit, { ref, defaultBranch, rollback: values.rollback ?? false }, position);
  const previous: Record<string, string | null> = {};
  if (tags.rollback) for (const source of promotable) previous[source.task] = await client.manifestDigest(`${source.repository}:${branchTag}`);

  // 3. Move, image by image; a failure says what moved, and a re-run converges.
  const moving = [...tags.shaTags, ...tags.branchTags];
  for (const [i, source] of promotable.entries()) {
    try {
      await client.retag(`${source.repository}@${source.digest}`, moving);
    } catch (error) {
      throw partialPromotionError(promotable.slice(0, i), source, promotable.slice(i + 1), moving, error instanceof Error ? error.message : String(error));
    }
    console.log(`${source.task}: ${source.repository}@${source.digest} → ${moving.join(', ')}`);
  }

  // 4. The release manifest and the spawner's image options.
  const manifest = releaseManifest(commit, ref, tags, promotable, previous);
  const out = values.out ?? 'release';
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'release-manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(out, 'spawner-images.yaml'), spawnerSnippet(manifest));
  writeStepSummary(releaseSummary(manifest));
  console.log(`promote: ${tags.reason}`);
});
