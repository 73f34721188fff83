/**
 * Pure helpers for the jobs that meet the registry without building: turning
 * a planned record into the record a real build would have left (from the
 * registry, pinned by digest).
 */
import type { BuildRecord } from '@kubeflow-images/plugin-lib/records/build-record';
import { parseImageReference, writtenName } from '@kubeflow-images/plugin-lib/registry/image-reference';
import { CiError } from './ci-error';

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** The repository of a record's content-tag reference (`host:5000/a/b:content-x` → `host:5000/a/b`). */
export function repositoryOfRecord(record: Pick<BuildRecord, 'image' | 'contentTag' | 'project' | 'stream'>): string {
  const ref = parseImageReference(record.image);
  if (!record.contentTag || ref.tag !== record.contentTag || ref.digest !== undefined) {
    throw new CiError(
      `the record of ${record.project} (${record.stream}) names ${record.image}, which is not tagged with its content tag ${record.contentTag}: delete dist/images/${record.project} and plan again`,
    );
  }
  return writtenName(record.image);
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

export interface PlannedBuild {
  task: string;
  planned: BuildRecord;
}

/**
 * The registry's record of each planned build, found by its content tag; a
 * build the registry lacks is listed in `missing` (`<reference> (<task>)`).
 */
export async function recordsFromRegistry(
  builds: readonly PlannedBuild[],
  manifestDigest: (reference: string) => Promise<string | null>,
): Promise<{ found: { task: string; record: BuildRecord }[]; missing: string[] }> {
  const found: { task: string; record: BuildRecord }[] = [];
  const missing: string[] = [];
  for (const { task, planned } of builds) {
    const digest = await manifestDigest(planned.image);
    if (digest) found.push({ task, record: recordFromRegistry(planned, digest) });
    else missing.push(`${planned.image} (${task})`);
  }
  return { found, missing };
}
