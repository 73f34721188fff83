import { isReferrersTag, markDescriptors, newestMark, parseTestMark, referrersTag, TEST_MARK_ARTIFACT_TYPE, testMarkManifest, withReferrer } from './test-mark';

const IMAGE = `sha256:${'ab'.repeat(32)}`;
const OTHER = `sha256:${'cd'.repeat(32)}`;
const facts = { date: new Date('2026-03-04T05:06:07Z'), commit: 'c0ffee', task: 'base:test-cpu', contentTag: 'content-1', run: 'https://ci/run/1' };
const subject = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: IMAGE, size: 123 };

describe('test mark', () => {
  it('uses the OCI tag-schema fallback tag of the subject digest', () => {
    expect(referrersTag(IMAGE)).toBe(`sha256-${'ab'.repeat(32)}`);
    expect(isReferrersTag(referrersTag(IMAGE))).toBe(true);
    expect(isReferrersTag('content-abc')).toBe(false);
    expect(() => referrersTag('latest')).toThrow(/not a sha256 digest/);
  });

  it('is an empty index with the image as subject, read back with its facts', () => {
    const bytes = testMarkManifest(subject, facts);
    const json = JSON.parse(bytes.toString());
    expect(json).toMatchObject({ mediaType: 'application/vnd.oci.image.index.v1+json', artifactType: TEST_MARK_ARTIFACT_TYPE, manifests: [], subject });
    expect(parseTestMark(bytes, OTHER, IMAGE)).toEqual({ digest: OTHER, ...facts });
  });

  it('does not count for another subject, or when it is not a test mark', () => {
    expect(parseTestMark(testMarkManifest(subject, facts), OTHER, OTHER)).toBeNull();
    expect(parseTestMark(Buffer.from(JSON.stringify({ artifactType: 'application/vnd.dev.cosign', subject: { digest: IMAGE } })), OTHER, IMAGE)).toBeNull();
  });

  it('adds itself to the fallback index once, keeping other referrers', () => {
    const signature = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: OTHER, size: 5, artifactType: 'application/vnd.dev.cosign' };
    const mark = { mediaType: 'application/vnd.oci.image.index.v1+json', digest: IMAGE, size: 9, artifactType: TEST_MARK_ARTIFACT_TYPE };
    const first = withReferrer(Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [signature] })), mark, 'x');
    const again = withReferrer(first, mark, 'x');
    expect(JSON.parse(again.toString()).manifests).toEqual([signature, mark]);
    expect(markDescriptors(again, 'x')).toEqual([mark]);
    expect(JSON.parse(withReferrer(null, mark, 'x').toString()).manifests).toEqual([mark]);
  });

  it('a damaged index is an error naming it', () => {
    expect(() => withReferrer(Buffer.from('{'), { mediaType: 'x', digest: IMAGE, size: 1 }, 'reg/repo:sha256-ab')).toThrow(/reg\/repo:sha256-ab is not a JSON manifest/);
  });

  it('the newest of several marks wins', () => {
    const older = { digest: IMAGE, ...facts };
    const newer = { ...older, digest: OTHER, date: new Date('2026-03-05T00:00:00Z') };
    expect(newestMark([older, newer])).toBe(newer);
    expect(newestMark([])).toBeNull();
  });
});
