/**
 * Promotion, pure: the one step that moves human tags. Which images may be
 * promoted (every one must be in the registry under its content tag, and that
 * digest must carry a test mark), which tags move (the sha tags always; the
 * branch tag and `latest` only forwards, or by a deliberate rollback), what
 * to say when a move fails midway, and the release manifest.
 */
import { tagFromBranch } from '@kubeflow-images/plugin-lib/images/image-names';
import { assertValidTag } from '@kubeflow-images/plugin-lib/registry/image-reference';
import { CiError } from './ci-error';
import type { TestMark } from './test-mark';

/** One image of the graph, as the registry has it now. */
export interface PromotionSource {
  task: string;
  repository: string;
  contentTag: string;
  /** Whether this run built (and tested) it, or it is unchanged since an earlier commit. */
  kind: 'built' | 'unchanged';
  /** The content tag's digest, null when the registry lacks it. */
  digest: string | null;
  /** The digest's test mark, null when its tests never passed. */
  mark: TestMark | null;
}

export type MarkedSource = PromotionSource & { digest: string; mark: TestMark };

/**
 * Every image must be in the registry and marked as tested before any tag
 * moves; otherwise one error names every image that is not, and why.
 */
export function assertPromotable(sources: PromotionSource[]): MarkedSource[] {
  const missing = sources.filter((source) => !source.digest).map((source) => `${source.task} (${source.repository}:${source.contentTag} is not in the registry)`);
  const untested = sources
    .filter((source) => source.digest && !source.mark)
    .map((source) => `${source.task} (${source.repository}@${source.digest} has no test mark: its container tests never passed)`);
  if (missing.length + untested.length > 0) {
    throw new CiError(
      `cannot promote ${[...missing, ...untested].join('; ')}. No tag was moved. ` +
        'An image is promoted only onto the digest its tests passed on: re-run the workflow by hand with "all" to build and test every image of this commit',
    );
  }
  return sources as MarkedSource[];
}

export interface PromotionRef {
  /** The ref the run is for (GITHUB_REF, e.g. refs/heads/main). */
  ref: string;
  /** The repository's default branch (github.event.repository.default_branch). */
  defaultBranch: string;
  /** A deliberate rollback of the branch tag and `latest` to this (earlier) commit. */
  rollback: boolean;
}

/**
 * Where the branch tag stands relative to the commit being promoted:
 * `tip` the commit is the default branch's tip now; `absent` no image has the
 * branch tag yet; `descends` the branch tag points at `from`'s images, an
 * ancestor of the commit (or the commit itself); `elsewhere` none of these
 * (it points at a newer commit, or at content no ancestor had).
 */
export type BranchPosition =
  | { kind: 'tip' }
  | { kind: 'absent' }
  | { kind: 'descends'; from: string }
  | { kind: 'elsewhere'; tip: string };

export interface PromotionTags {
  /** Full and short sha: they always move. */
  shaTags: string[];
  /** The branch tag and `latest`, when they move; [] otherwise. */
  branchTags: string[];
  /** Why the branch tag and `latest` move or stay, in one sentence. */
  reason: string;
  rollback: boolean;
}

/**
 * Which tags move. The branch tag and `latest` only for the default branch,
 * and only forwards: the commit is the branch's tip, or descends from what
 * they point at now (or nothing has them yet); a rollback moves them back on
 * purpose, and only to a commit of the default branch.
 */
export function promotionTags(sha: string, where: PromotionRef, position: BranchPosition): PromotionTags {
  if (!where.defaultBranch) throw new CiError('--default-branch is empty: pass ${{ github.event.repository.default_branch }}');
  const shaTags = [sha, sha.slice(0, 7)];
  for (const tag of shaTags) assertValidTag(tag);
  const branch = tagFromBranch(where.defaultBranch);
  const branchTags = [...new Set([branch, 'latest'])];
  const onDefault = where.ref === `refs/heads/${where.defaultBranch}`;
  if (where.rollback) {
    if (!onDefault) throw new CiError(`a rollback moves ${branch} and latest, so it runs only for ${where.defaultBranch} (this run is for ${where.ref || 'no ref'})`);
    return { shaTags, branchTags, reason: `rollback: ${branch} and latest are moved back to ${sha} on purpose`, rollback: true };
  }
  if (!onDefault) return { shaTags, branchTags: [], reason: `${where.ref || 'this ref'} is not ${where.defaultBranch}: only the sha tags move`, rollback: false };
  switch (position.kind) {
    case 'tip':
      return { shaTags, branchTags, reason: `${sha} is the tip of ${where.defaultBranch}`, rollback: false };
    case 'absent':
      return { shaTags, branchTags, reason: `no image has ${branch} yet`, rollback: false };
    case 'descends':
      return { shaTags, branchTags, reason: `${sha} descends from ${position.from}, which ${branch} points at now`, rollback: false };
    case 'elsewhere':
      return {
        shaTags,
        branchTags: [],
        reason:
          `${sha} is no longer the tip of ${where.defaultBranch} (${position.tip}) and ${branch} points at images no ancestor of it had: ` +
          `only the sha tags move, so ${branch} and latest never go backwards (to move them back on purpose, run Main by hand with "rollback-to")`,
        rollback: false,
      };
  }
}

export interface BranchLookup {
  commit: string;
  /** The default branch's tip now (`git ls-remote`). */
  tip: string;
  /** The commit and its ancestors, newest first (bounded: `git rev-list --max-count`). */
  ancestors: string[];
  /** Every image repository being promoted. */
  repositories: string[];
  branchTag: string;
  digestOf: (reference: string) => Promise<string | null>;
}

/**
 * Finds the branch tag's position. The registry keeps no link from a tag to a
 * commit, but every promoted commit left sha tags on the same digests: the
 * branch tag points at an ancestor's images when that ancestor's sha tag and
 * the branch tag name the same digest in every repository that has the branch tag.
 */
export async function branchPosition(lookup: BranchLookup): Promise<BranchPosition> {
  if (lookup.commit === lookup.tip) return { kind: 'tip' };
  const current = new Map<string, string>();
  for (const repository of lookup.repositories) {
    const digest = await lookup.digestOf(`${repository}:${lookup.branchTag}`);
    if (digest) current.set(repository, digest);
  }
  if (current.size === 0) return { kind: 'absent' };
  for (const ancestor of lookup.ancestors) {
    let same = true;
    for (const [repository, digest] of current) {
      if ((await lookup.digestOf(`${repository}:${ancestor}`)) !== digest) {
        same = false;
        break;
      }
    }
    if (same) return { kind: 'descends', from: ancestor };
  }
  return { kind: 'elsewhere', tip: lookup.tip };
}

/** The error of a promotion that failed midway: what moved, what did not, and that a re-run converges. */
export function partialPromotionError(moved: MarkedSource[], failed: MarkedSource, rest: MarkedSource[], tags: string[], cause: string): CiError {
  const list = (sources: MarkedSource[]) => (sources.length ? sources.map((source) => source.task).join(', ') : 'none');
  return new CiError(
    `moving ${tags.join(', ')} failed at ${failed.task} (${cause}). Moved: ${list(moved)}. Not moved: ${list([failed, ...rest])}. ` +
      'Every tag moves onto a tested digest, so this state is safe to leave for minutes; re-run the promote job: it moves the rest and converges',
  );
}

export interface ReleaseManifest {
  commit: string;
  ref: string;
  tags: string[];
  branchTagsMoved: boolean;
  reason: string;
  /** A deliberate rollback: the digest each image's branch tag pointed at before it (null: none). */
  rollback: { to: string; previous: Record<string, string | null> } | null;
  images: Array<{
    task: string;
    kind: 'built' | 'unchanged';
    image: string;
    digest: string;
    contentTag: string;
    testMark: { digest: string; date: string; commit: string; task: string; run: string };
  }>;
}

export function releaseManifest(
  commit: string,
  ref: string,
  tags: PromotionTags,
  sources: MarkedSource[],
  previous: Record<string, string | null> = {},
): ReleaseManifest {
  return {
    commit,
    ref,
    tags: [...tags.shaTags, ...tags.branchTags],
    branchTagsMoved: tags.branchTags.length > 0,
    reason: tags.reason,
    rollback: tags.rollback ? { to: commit, previous } : null,
    images: sources.map((source) => ({
      task: source.task,
      kind: source.kind,
      image: `${source.repository}@${source.digest}`,
      digest: source.digest,
      contentTag: source.contentTag,
      testMark: { digest: source.mark.digest, date: source.mark.date.toISOString(), commit: source.mark.commit, task: source.mark.task, run: source.mark.run },
    })),
  };
}

/** The release manifest as the job summary. */
export function releaseSummary(manifest: ReleaseManifest): string {
  return [
    `### Promoted ${manifest.commit}${manifest.rollback ? ' (rollback)' : ''}: ${manifest.tags.map((tag) => `\`${tag}\``).join(', ')}`,
    '',
    `_${manifest.reason}._`,
    '',
    '| image | how | digest | content tag | tested by |',
    '| --- | --- | --- | --- | --- |',
    ...manifest.images.map(
      (image) =>
        `| \`${image.task}\` | ${image.kind === 'built' ? 'rebuilt' : 'unchanged'} | \`${image.digest}\` | \`${image.contentTag}\` | ${image.testMark.task} at ${image.testMark.commit.slice(0, 7)}, ${image.testMark.date} |`,
    ),
  ].join('\n');
}

/**
 * The image options of Kubeflow's jupyter-web-app spawner (spawner_ui_config.yaml,
 * `spawnerFormDefaults.image`), pinned by digest: platform engineers roll out
 * exactly the content that passed its tests. The default is the first image.
 */
export function spawnerSnippet(manifest: ReleaseManifest): string {
  const options = manifest.images.map((image) => image.image);
  return [
    `# Kubeflow jupyter-web-app spawner image options: commit ${manifest.commit}, every image by the digest its tests passed on.`,
    'spawnerFormDefaults:',
    '  image:',
    `    value: ${options[0] ?? ''}`,
    '    options:',
    ...options.map((option) => `      - ${option}`),
    '',
  ].join('\n');
}
