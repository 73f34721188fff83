/**
 * Pure helpers for the jobs that meet the registry without building: turning
 * a planned record into the record a real build would have left (from the
 * registry, pinned by digest), and the retag operations of a commit.
 */
import { humanTags, type GitState } from '../../nx-plugin/src/lib/images/image-names';
import type { BuildRecord } from '../../nx-plugin/src/lib/records/build-record';
import { CiError } from './ci-error';

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** The repository of a record's content-tag reference (`host:5000/a/b:content-x` → `host:5000/a/b`). */
export function repositoryOfRecord(record: Pick<BuildRecord, 'image' | 'contentTag' | 'project' | 'stream'>): string {
  const suffix = `:${record.contentTag}`;
  if (!record.contentTag || !record.image.endsWith(suffix)) {
    throw new CiError(
      `the record of ${record.project} (${record.stream}) names ${record.image}, which is not tagged with its content tag ${record.contentTag}: delete dist/images/${record.project} and plan again`,
    );
  }
  return record.image.slice(0, -suffix.length);
}

/**
 * The record a child build reads for a parent that another runner built and
 * pushed: same content tag (so the child's own content tag is what a
 * single-machine build computes), but the reference pins the digest the
 * registry has now, so the child builds FROM exactly that manifest.
 */
export function recordFromRegistry(planned: BuildRecord, digest: string): BuildRecord {
  if (!DIGEST.test(digest)) throw new CiError(`registry returned "${digest}" for ${planned.image}, which is not a sha256 digest`);
  const repository = repositoryOfRecord(planned);
  return {
    project: planned.project,
    stream: planned.stream,
    image: `${repository}@${digest}`,
    contentTag: planned.contentTag,
    parent: planned.parent,
    tags: [planned.image],
    imageId: null,
    digest,
    planned: false,
    source: 'registry',
  };
}

export interface RetagOperation {
  /** The content-tag reference to copy. */
  source: string;
  /** Tags to add in the same repository. */
  tags: string[];
}

/** What gives an unchanged image the commit's tags: its content tag copied to sha, short sha, branch (and latest). */
export function retagOperations(records: BuildRecord[], git: GitState, tagLatest: boolean): RetagOperation[] {
  const tags = humanTags(git, tagLatest);
  return records.map((record) => {
    repositoryOfRecord(record);
    return { source: record.image, tags };
  });
}
