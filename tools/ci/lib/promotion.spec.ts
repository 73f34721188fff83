import { builtRecord, plannedRecord } from '../../nx-plugin/src/lib/records/build-record';
import { assertEveryBuildTested, promotionOperations, promotionSummary, promotionTags, testedRecords } from './promotion';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const DIGEST = `sha256:${'cd'.repeat(32)}`;
const planned = (project: string, tag = 'content-0123456789abcdef01234567') =>
  plannedRecord({ project, stream: 'cpu', image: `localhost:5000/t/${project}-cpu:${tag}`, contentTag: tag, parent: null });
const tested = (project: string, tag = 'content-0123456789abcdef01234567') => ({
  ...planned(project, tag),
  image: `localhost:5000/t/${project}-cpu@${DIGEST}`,
  planned: false,
  source: 'registry' as const,
  digest: DIGEST,
});

describe('promotionTags', () => {
  it('moves sha, short sha, branch and latest from the default branch', () => {
    expect(promotionTags({ sha: SHA, branch: 'main' }, { ref: 'refs/heads/main', defaultBranch: 'main' })).toEqual({
      tags: [SHA, '0123456', 'main', 'latest'],
      moving: true,
    });
  });

  it('from any other ref (a dispatch from feature/x, a tag) moves the sha tags only', () => {
    for (const ref of ['refs/heads/feature/x', 'refs/tags/v1', 'refs/heads/main-old']) {
      expect(promotionTags({ sha: SHA, branch: 'feature/x' }, { ref, defaultBranch: 'main' })).toEqual({ tags: [SHA, '0123456'], moving: false });
    }
  });

  it('names the branch tag after the default branch, whatever git says', () => {
    expect(promotionTags({ sha: SHA, branch: null }, { ref: 'refs/heads/trunk', defaultBranch: 'trunk' }).tags).toContain('trunk');
  });

  it('refuses an empty default branch', () => {
    expect(() => promotionTags({ sha: SHA, branch: 'main' }, { ref: 'refs/heads/main', defaultBranch: '' })).toThrow(/--default-branch/);
  });
});

describe('promotionOperations', () => {
  const tags = [SHA, '0123456'];

  it('points a rebuilt image at its tested digest and an unchanged one at its content tag', () => {
    const ops = promotionOperations(
      [
        { task: 'a:build-cpu', planned: planned('a'), tested: tested('a') },
        { task: 'b:build-cpu', planned: planned('b') },
      ],
      new Set(['a:build-cpu']),
      tags,
    );
    expect(ops).toEqual([
      { task: 'a:build-cpu', source: `localhost:5000/t/a-cpu@${DIGEST}`, tags, kind: 'tested' },
      { task: 'b:build-cpu', source: planned('b').image, tags, kind: 'unchanged' },
    ]);
  });

  it('promotes nothing when a built image has no passed test', () => {
    expect(() =>
      promotionOperations([{ task: 'a:build-cpu', planned: planned('a') }, { task: 'b:build-cpu', planned: planned('b') }], new Set(['a:build-cpu']), tags),
    ).toThrow(/no passed container test recorded for a:build-cpu.*nothing is promoted/);
  });

  it('assertEveryBuildTested: the check alone, for refusing before plan mode runs', () => {
    expect(() => assertEveryBuildTested(['a:build-cpu', 'b:build-cpu'], new Set(['a:build-cpu']))).toThrow(
      'no passed container test recorded for b:build-cpu: their jobs did not finish; nothing is promoted',
    );
    expect(() => assertEveryBuildTested(['a:build-cpu'], new Map([['a:build-cpu', tested('a')]]))).not.toThrow();
  });

  it('refuses a tested image of another content tag', () => {
    expect(() =>
      promotionOperations([{ task: 'a:build-cpu', planned: planned('a'), tested: tested('a', 'content-ffffffffffffffffffffffff') }], new Set(['a:build-cpu']), tags),
    ).toThrow(/a:build-cpu: the tested image .* is not what this commit builds/);
  });
});

describe('testedRecords', () => {
  it('keys records by build task', () => {
    const record = builtRecord(planned('a'), { tags: [], imageId: null, digest: DIGEST, source: 'built' });
    expect([...testedRecords([{ name: 'a-cpu.json', text: JSON.stringify(record) }]).keys()]).toEqual(['a:build-cpu']);
  });

  it('names a damaged file', () => {
    expect(() => testedRecords([{ name: 'x.json', text: '{' }])).toThrow(/x\.json is not a build record/);
    expect(() => testedRecords([{ name: 'y.json', text: '{}' }])).toThrow(/y\.json is not a build record \(needs/);
  });
});

describe('promotionSummary', () => {
  it('says when latest did not move', () => {
    const text = promotionSummary([{ task: 'a:build-cpu', source: 'x', tags: [SHA], kind: 'tested' }], { tags: [SHA], moving: false }, new Map([['a:build-cpu', DIGEST]]));
    expect(text).toMatch(/did not move/);
    expect(text).toMatch(new RegExp(`\\| \`a:build-cpu\` \\| rebuilt, tested \\| \`${DIGEST}\` \\|`));
  });
});
