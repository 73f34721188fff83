import { FakeRegistry } from '@kubeflow-images/plugin-lib/registry/fake-registry.test-helper';
import { RegistryClient } from '@kubeflow-images/plugin-lib/registry/registry-client';
import { findLatestCommit } from './latest-commit';

/** A manifest per build: the config digest tells builds apart. */
const build = (n: number) => ({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${String(n).repeat(64).slice(0, 64)}`, size: 1 }, layers: [] });

describe('findLatestCommit', () => {
  let registry: FakeRegistry;
  let repository: string;
  const client = () => new RegistryClient({ authFiles: [] });
  beforeEach(async () => {
    registry = await new FakeRegistry({ auth: 'none' }).start();
    repository = `${registry.host}/jupyter/datascience-notebook`;
  });
  afterEach(() => registry.stop());

  /** docker-stacks' tag set: commit tags, date tags, architecture tags, and latest on the newest build. */
  function publish(): { latestDigest: string } {
    registry.put('jupyter/datascience-notebook', '0dd81e2dd718', build(1));
    registry.put('jupyter/datascience-notebook', '2026-11-01', build(1));
    registry.put('jupyter/datascience-notebook', 'f3e2d1c0b9a8', build(2)); // lexically highest commit tag, an older build
    const latestDigest = registry.put('jupyter/datascience-notebook', '5a9d6ed0e4b1', build(3));
    registry.put('jupyter/datascience-notebook', '2026-12-01', build(3));
    registry.put('jupyter/datascience-notebook', 'x86_64-5a9d6ed0e4b1', build(4));
    registry.put('jupyter/datascience-notebook', 'latest', build(3));
    return { latestDigest };
  }

  it("finds latest's commit by digest, not the highest-looking tag", async () => {
    const { latestDigest } = publish();
    expect(await findLatestCommit(client(), repository, '0dd81e2dd718')).toEqual({ commit: '5a9d6ed0e4b1', digest: latestDigest, sameImage: [] });
  });

  it('asks only for latest and the pin when the pin is latest', async () => {
    publish();
    registry.requests.length = 0;
    expect((await findLatestCommit(client(), repository, '5a9d6ed0e4b1')).commit).toBe('5a9d6ed0e4b1');
    expect(registry.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'HEAD /v2/jupyter/datascience-notebook/manifests/latest',
      'HEAD /v2/jupyter/datascience-notebook/manifests/5a9d6ed0e4b1',
    ]);
  });

  it('lists other commit tags of the same image, picking one deterministically', async () => {
    publish();
    registry.put('jupyter/datascience-notebook', '1111aaaa2222', build(3));
    expect(await findLatestCommit(client(), repository, '0dd81e2dd718')).toMatchObject({ commit: '1111aaaa2222', sameImage: ['5a9d6ed0e4b1'] });
  });

  it('says so when latest is missing, or no commit tag carries its digest', async () => {
    registry.put('jupyter/datascience-notebook', '0dd81e2dd718', build(1));
    await expect(findLatestCommit(client(), repository, '0dd81e2dd718')).rejects.toThrow(`${repository} has no tag latest`);
    registry.put('jupyter/datascience-notebook', 'latest', build(9));
    await expect(findLatestCommit(client(), repository, '0dd81e2dd718')).rejects.toThrow(/none of the 0 commit tags .* has latest's digest sha256:/);
  });
});
