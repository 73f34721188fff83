/**
 * Promotion: the one step of main.yml that moves human tags, after every
 * affected image passed its container tests. Pure: which tags move, and which
 * manifest each image's tags point at (the tested digest for a rebuilt image,
 * the content tag for an unchanged one).
 */
import { humanTags, type GitState } from '../../nx-plugin/src/lib/images/image-names';
import type { BuildRecord } from '../../nx-plugin/src/lib/records/build-record';
import { CiError } from './ci-error';
import { repositoryOfRecord } from './registry-records';

export interface PromotionRef {
  /** The ref the run is for (GITHUB_REF, e.g. refs/heads/main). */
  ref: string;
  /** The repository's default branch (github.event.repository.default_branch). */
  defaultBranch: string;
}

export interface PromotionTags {
  tags: string[];
  /** Whether the branch tag and latest move (only from the default branch). */
  moving: boolean;
}

/**
 * Full and short sha always; the branch tag and `latest` only when the run is
 * for the default branch itself, so a workflow_dispatch from another branch
 * can never move what deployments pull.
 */
export function promotionTags(git: GitState, where: PromotionRef): PromotionTags {
  if (!where.defaultBranch) throw new CiError('--default-branch is empty: pass ${{ github.event.repository.default_branch }}');
  const moving = where.ref === `refs/heads/${where.defaultBranch}`;
  const tags = moving ? humanTags({ sha: git.sha, branch: where.defaultBranch }, true) : humanTags({ sha: git.sha, branch: null }, false);
  return { tags, moving };
}

export interface PromotionOperation {
  task: string;
  /** What the tags will point at: `repo@digest` (tested) or `repo:content-…` (unchanged). */
  source: string;
  tags: string[];
  kind: 'tested' | 'unchanged';
}

export interface PromotionInput {
  task: string;
  /** The record plan mode wrote for this commit (content tag as the build computes it). */
  planned: BuildRecord;
  /** The record the image's job left after its tests passed, when this run built it. */
  tested?: BuildRecord;
}

/** Every task this run built must have a passed test record, or nothing is promoted. */
export function assertEveryBuildTested(built: Iterable<string>, tested: { has(task: string): boolean }): void {
  const untested = [...built].filter((task) => !tested.has(task));
  if (untested.length > 0) {
    throw new CiError(`no passed container test recorded for ${untested.join(', ')}: their jobs did not finish; nothing is promoted`);
  }
}

/**
 * One operation per image. A task this run built must have a tested record of
 * the same content tag, or nothing is promoted: promotion never points a
 * human tag at an image whose tests did not pass.
 */
export function promotionOperations(inputs: PromotionInput[], built: ReadonlySet<string>, tags: string[]): PromotionOperation[] {
  assertEveryBuildTested(built, new Set(inputs.filter((input) => input.tested).map((input) => input.task)));
  return inputs.map(({ task, planned, tested }) => {
    const repository = repositoryOfRecord(planned);
    if (!tested) return { task, source: planned.image, tags, kind: 'unchanged' };
    if (tested.contentTag !== planned.contentTag || !tested.digest) {
      throw new CiError(
        `${task}: the tested image (${tested.image}, ${tested.contentTag}) is not what this commit builds (${planned.contentTag}): re-run the workflow`,
      );
    }
    return { task, source: `${repository}@${tested.digest}`, tags, kind: 'tested' };
  });
}

/** The tested records a promote job downloaded (one JSON build record per file), keyed by task. */
export function testedRecords(files: { name: string; text: string }[]): Map<string, BuildRecord> {
  const records = new Map<string, BuildRecord>();
  for (const file of files) {
    let record: BuildRecord;
    try {
      record = JSON.parse(file.text) as BuildRecord;
    } catch {
      throw new CiError(`${file.name} is not a build record (not JSON): the tested-records artifact is damaged; re-run the workflow`);
    }
    if (!record.project || !record.stream || !record.contentTag) {
      throw new CiError(`${file.name} is not a build record (needs project, stream, contentTag): re-run the workflow`);
    }
    records.set(`${record.project}:build-${record.stream}`, record);
  }
  return records;
}

/** The job summary table of a promotion. */
export function promotionSummary(operations: PromotionOperation[], tags: PromotionTags, digests: Map<string, string>): string {
  const lines = [
    `### Promoted: ${tags.tags.map((tag) => `\`${tag}\``).join(', ')}`,
    '',
    tags.moving ? '' : '_Not the default branch: the branch tag and `latest` did not move._',
    '',
    '| image | how | digest |',
    '| --- | --- | --- |',
    ...operations.map((op) => `| \`${op.task}\` | ${op.kind === 'tested' ? 'rebuilt, tested' : 'unchanged'} | \`${digests.get(op.task) ?? '?'}\` |`),
  ];
  return lines.filter((line, i) => line !== '' || lines[i - 1] !== '').join('\n');
}
