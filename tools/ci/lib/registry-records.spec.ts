import { plannedRecord } from '@kubeflow-images/plugin-lib/records/build-record';
import { recordFromRegistry, recordsFromRegistry, repositoryOfRecord } from './registry-records';

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

describe('recordsFromRegistry', () => {
  const other = { ...planned, project: 'other', image: 'localhost:5000/team/other-notebook-cpu:content-0123456789abcdef01234567' };

  it('pins each build the registry has under its content tag, in order', async () => {
    const asked: string[] = [];
    const result = await recordsFromRegistry(
      [
        { task: 'child-parent:build-cpu', planned },
        { task: 'other:build-cpu', planned: other },
      ],
      async (reference) => (asked.push(reference), DIGEST),
    );
    expect(asked).toEqual([planned.image, other.image]);
    expect(result.missing).toEqual([]);
    expect(result.found).toEqual([
      { task: 'child-parent:build-cpu', record: recordFromRegistry(planned, DIGEST) },
      { task: 'other:build-cpu', record: recordFromRegistry(other, DIGEST) },
    ]);
  });

  it('names every build the registry lacks, with its reference', async () => {
    const result = await recordsFromRegistry(
      [
        { task: 'child-parent:build-cpu', planned },
        { task: 'other:build-cpu', planned: other },
      ],
      async (reference) => (reference === other.image ? DIGEST : null),
    );
    expect(result.missing).toEqual([`${planned.image} (child-parent:build-cpu)`]);
    expect(result.found.map(({ task }) => task)).toEqual(['other:build-cpu']);
  });
});
