/**
 * Writes and reads test marks (lib/test-mark.ts) in a registry through its
 * HTTP API, with the engines' logins (the registry client's session).
 */
import { createHash } from 'node:crypto';
import { RegistryAuthError, RegistryError } from '@kubeflow-images/plugin-lib/registry/errors';
import { parseRepository } from '@kubeflow-images/plugin-lib/registry/image-reference';
import { MANIFEST_MEDIA_TYPES } from '@kubeflow-images/plugin-lib/registry/registry-client';
import { discard, RegistrySession, type Actions, type RegistrySessionOptions } from '@kubeflow-images/plugin-lib/registry/registry-session';
import {
  markDescriptors,
  newestMark,
  OCI_INDEX,
  parseTestMark,
  referrersTag,
  TEST_MARK_ARTIFACT_TYPE,
  testMarkManifest,
  withReferrer,
  type TestMark,
  type TestMarkFacts,
} from './test-mark';

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

interface Manifest {
  bytes: Buffer;
  mediaType: string;
  digest: string;
}

export class TestMarkStore {
  private readonly session: RegistrySession;

  constructor(options: RegistrySessionOptions = {}) {
    this.session = new RegistrySession(options);
  }

  private async get(repositoryName: string, reference: string, accept: string, actions: Actions = 'pull'): Promise<Manifest | null> {
    const { registry, repository } = parseRepository(repositoryName);
    const response = await this.session.requestIfPresent({ registry, repository, method: 'GET', path: `/v2/${repository}/manifests/${reference}`, actions, headers: { Accept: accept } });
    if (!response) return null;
    const bytes = Buffer.from(await response.arrayBuffer());
    return { bytes, mediaType: response.headers.get('content-type')?.split(';')[0].trim() ?? '', digest: sha256(bytes) };
  }

  private async put(repositoryName: string, reference: string, bytes: Buffer, mediaType: string): Promise<Response> {
    const { registry, repository } = parseRepository(repositoryName);
    const spec = { registry, repository, method: 'PUT' as const, path: `/v2/${repository}/manifests/${reference}`, actions: 'pull,push' as const, headers: { 'Content-Type': mediaType }, body: bytes };
    const response = await this.session.request(spec);
    await this.session.assertOk(response, spec);
    await discard(response);
    return response;
  }

  /** Marks `repository@digest` as tested; returns the mark's digest. */
  async write(repositoryName: string, digest: string, facts: TestMarkFacts): Promise<string> {
    const subject = await this.get(repositoryName, digest, MANIFEST_MEDIA_TYPES.join(', '), 'pull,push');
    if (!subject) throw new RegistryError(`${repositoryName}@${digest} is not in the registry: nothing to mark`, parseRepository(repositoryName).registry);
    const mark = testMarkManifest({ mediaType: subject.mediaType, digest, size: subject.bytes.length }, facts);
    const markDigest = sha256(mark);
    const stored = await this.put(repositoryName, markDigest, mark, OCI_INDEX);
    // A registry with the referrers API says so (OCI-Subject) and lists the mark by itself.
    if (stored.headers.get('oci-subject') === digest) return markDigest;
    const tag = referrersTag(digest);
    const existing = await this.get(repositoryName, tag, OCI_INDEX, 'pull,push');
    const annotations = JSON.parse(mark.toString()).annotations as Record<string, string>;
    const index = withReferrer(existing?.bytes ?? null, { mediaType: OCI_INDEX, digest: markDigest, size: mark.length, artifactType: TEST_MARK_ARTIFACT_TYPE, annotations }, `${repositoryName}:${tag}`);
    await this.put(repositoryName, tag, index, OCI_INDEX);
    return markDigest;
  }

  /** The digests of every mark listed for `digest`: the referrers API where there is one, and the fallback tag. */
  private async listed(repositoryName: string, digest: string): Promise<{ marks: string[]; fallback: Manifest | null }> {
    const { registry, repository } = parseRepository(repositoryName);
    const marks = new Set<string>();
    const spec = {
      registry,
      repository,
      method: 'GET' as const,
      path: `/v2/${repository}/referrers/${digest}?artifactType=${encodeURIComponent(TEST_MARK_ARTIFACT_TYPE)}`,
      actions: 'pull' as const,
      headers: { Accept: OCI_INDEX },
    };
    try {
      const response = await this.session.request(spec);
      // No referrers API (404 and the like): the fallback tag below is the listing.
      if (response.ok && /json/.test(response.headers.get('content-type') ?? '')) {
        for (const descriptor of markDescriptors(Buffer.from(await response.arrayBuffer()), `${repositoryName} referrers of ${digest}`)) marks.add(descriptor.digest);
      } else await discard(response);
    } catch (error) {
      if (!(error instanceof RegistryAuthError && error.failure === 'scope')) throw error;
    }
    const fallback = await this.get(repositoryName, referrersTag(digest), OCI_INDEX);
    if (fallback) for (const descriptor of markDescriptors(fallback.bytes, `${repositoryName}:${referrersTag(digest)}`)) marks.add(descriptor.digest);
    return { marks: [...marks], fallback };
  }

  /** The newest test mark on `repository@digest`, or null when its tests never passed (or it is not there). */
  async read(repositoryName: string, digest: string): Promise<TestMark | null> {
    const marks: TestMark[] = [];
    for (const markDigest of (await this.listed(repositoryName, digest)).marks) {
      const manifest = await this.get(repositoryName, markDigest, OCI_INDEX);
      const mark = manifest && manifest.digest === markDigest ? parseTestMark(manifest.bytes, markDigest, digest) : null;
      if (mark) marks.push(mark);
    }
    return newestMark(marks);
  }

  /** The manifests to delete with `digest` so no mark outlives its image: the marks and the fallback index. */
  async markManifests(repositoryName: string, digest: string): Promise<string[]> {
    const { marks, fallback } = await this.listed(repositoryName, digest);
    return [...marks, ...(fallback ? [fallback.digest] : [])];
  }
}
