/**
 * The test mark, pure: what a passed container test leaves on the image
 * digest it ran on, so any later run (promotion, retention) can tell tested
 * content from untested content by asking the registry alone.
 *
 * The mark is an OCI 1.1 referrer: a small artifact manifest whose `subject`
 * is the image manifest and whose annotations say when, for which commit and
 * which task the tests passed. It carries no blob (an empty image index), so
 * writing it needs no upload. Registries with the referrers API (Azure
 * Container Registry, distribution 3) index it by its subject; registries
 * without it (distribution 2.8) are served by the OCI tag-schema fallback:
 * an image index tagged `sha256-<hex of the subject digest>` that lists the
 * referrers. The same two requests work on both, need no registry feature
 * beyond manifests and tags, and tools such as `oras discover` list the mark.
 * A tag or label on the image itself could not carry the date and commit
 * without changing the image's digest.
 */
import { CiError } from './ci-error';

export const TEST_MARK_ARTIFACT_TYPE = 'application/vnd.notebook-images.container-test.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

const ANNOTATION = {
  created: 'org.opencontainers.image.created',
  revision: 'org.opencontainers.image.revision',
  url: 'org.opencontainers.image.url',
  task: 'vnd.notebook-images.test.task',
  contentTag: 'vnd.notebook-images.content-tag',
} as const;

const DIGEST = /^sha256:[0-9a-f]{64}$/;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface TestMarkFacts {
  /** When the tests passed. */
  date: Date;
  /** The commit whose run tested the digest. */
  commit: string;
  /** The container-test task that passed (`<project>:test-<stream>`), or the build task when the image has no tests. */
  task: string;
  contentTag: string;
  /** The run that tested it (a link), or ''. */
  run: string;
}

export interface TestMark extends TestMarkFacts {
  /** The mark's own manifest digest. */
  digest: string;
}

/** The OCI tag-schema fallback tag that lists the referrers of `digest`. */
export function referrersTag(digest: string): string {
  if (!DIGEST.test(digest)) throw new CiError(`"${digest}" is not a sha256 digest: a test mark is attached to a manifest digest`);
  return digest.replace(':', '-');
}

/** Whether a tag is a referrers fallback tag (never a human or content tag). */
export const isReferrersTag = (tag: string) => /^sha256-[0-9a-f]{64}$/.test(tag);

/** The mark's manifest: an empty image index whose subject is the tested image. */
export function testMarkManifest(subject: Descriptor, facts: TestMarkFacts): Buffer {
  const annotations: Record<string, string> = {
    [ANNOTATION.created]: facts.date.toISOString(),
    [ANNOTATION.revision]: facts.commit,
    [ANNOTATION.task]: facts.task,
    [ANNOTATION.contentTag]: facts.contentTag,
  };
  if (facts.run) annotations[ANNOTATION.url] = facts.run;
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      artifactType: TEST_MARK_ARTIFACT_TYPE,
      manifests: [],
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
      annotations,
    }),
  );
}

interface IndexJson {
  schemaVersion?: number;
  mediaType?: string;
  manifests?: Descriptor[];
  subject?: { digest?: string };
  artifactType?: string;
  annotations?: Record<string, string>;
}

function parseJson(bytes: Buffer | string, what: string): IndexJson {
  try {
    const value = JSON.parse(bytes.toString()) as unknown;
    if (value && typeof value === 'object') return value as IndexJson;
  } catch {
    // reported below
  }
  throw new CiError(`${what} is not a JSON manifest: delete it from the registry and mark the image again`);
}

/**
 * The fallback index with `referrer` added (an existing index keeps every
 * other referrer, e.g. signatures; the same mark is listed once).
 */
export function withReferrer(existing: Buffer | null, referrer: Descriptor, what: string): Buffer {
  const index = existing ? parseJson(existing, what) : {};
  const manifests = (index.manifests ?? []).filter((descriptor) => descriptor.digest !== referrer.digest);
  return Buffer.from(JSON.stringify({ ...index, schemaVersion: 2, mediaType: OCI_INDEX, manifests: [...manifests, referrer] }));
}

/** The descriptors of test marks in a referrers list (fallback index or referrers API answer). */
export function markDescriptors(index: Buffer, what: string): Descriptor[] {
  return (parseJson(index, what).manifests ?? []).filter((descriptor) => descriptor.artifactType === TEST_MARK_ARTIFACT_TYPE && DIGEST.test(descriptor.digest));
}

/**
 * Reads a mark manifest; null when it is not a test mark of `subjectDigest`
 * (a listing can be stale or wrong: only the manifest itself counts).
 */
export function parseTestMark(bytes: Buffer, digest: string, subjectDigest: string): TestMark | null {
  const manifest = parseJson(bytes, `test mark ${digest}`);
  if (manifest.artifactType !== TEST_MARK_ARTIFACT_TYPE || manifest.subject?.digest !== subjectDigest) return null;
  const annotations = manifest.annotations ?? {};
  const date = new Date(annotations[ANNOTATION.created] ?? '');
  if (Number.isNaN(date.getTime())) return null;
  return {
    digest,
    date,
    commit: annotations[ANNOTATION.revision] ?? '',
    task: annotations[ANNOTATION.task] ?? '',
    contentTag: annotations[ANNOTATION.contentTag] ?? '',
    run: annotations[ANNOTATION.url] ?? '',
  };
}

/** The newest of several marks (re-runs can mark a digest more than once). */
export function newestMark(marks: TestMark[]): TestMark | null {
  return marks.reduce<TestMark | null>((newest, mark) => (!newest || mark.date > newest.date ? mark : newest), null);
}
