import { plannedRecord } from '../../nx-plugin/src/lib/records/build-record';
import { tagFromBranch } from '../../nx-plugin/src/lib/images/image-names';
import { recordFromRegistry, repositoryOfRecord, retagOperations } from './registry-records';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const planned = plannedRecord({
  project: 'child-parent',
  stream: 'cpu',
  image: 'localhost:5000/team/parent-notebook-cpu:content-0123456789abcdef01234567',
  contentTag: 'content-0123456789abcdef01234567',
  parent: 'localhost:5000/team/grandparent-cpu:content-fedcba9876543210fedcba98',
});

describe('recordFromRegistry', () => {
  it('keeps the content tag and pins the reference to the digest the registry has', () => {
    expect(recordFromRegistry(planned, DIGEST)).toEqual({
      project: 'child-parent',
      stream: 'cpu',
      image: `localhost:5000/team/parent-notebook-cpu@${DIGEST}`,
      contentTag: planned.contentTag,
      parent: planned.parent,
      tags: [planned.image],
      imageId: null,
      digest: DIGEST,
      planned: false,
      source: 'registry',
    });
  });

  it('refuses something that is not a sha256 digest', () => {
    expect(() => recordFromRegistry(planned, 'sha256:short')).toThrow(/not a sha256 digest/);
  });

  it('refuses a record whose reference is not its content tag', () => {
    expect(() => repositoryOfRecord({ ...planned, image: 'localhost:5000/team/parent-notebook-cpu:latest' })).toThrow(
      /not tagged with its content tag content-0123.*delete dist\/images\/child-parent/,
    );
  });
});

describe('retagOperations', () => {
  it('copies each content tag to the commit sha, short sha, branch and latest', () => {
    const git = { sha: '0123456789abcdef0123456789abcdef01234567', branch: 'main' };
    expect(retagOperations([planned], git, true)).toEqual([
      { source: planned.image, tags: [git.sha, '0123456', 'main', 'latest'] },
    ]);
    expect(retagOperations([planned], { ...git, branch: 'feature/x' }, false)[0].tags).toEqual([git.sha, '0123456', tagFromBranch('feature/x')]);
  });
});
