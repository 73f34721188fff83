import { assertPromotable, branchPosition, partialPromotionError, promotionTags, releaseManifest, releaseSummary, spawnerSnippet, type MarkedSource, type PromotionSource } from './promotion';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const OLDER = 'fedcba9876543210fedcba9876543210fedcba98';
const NEWER = '1111111111111111111111111111111111111111';
const digest = (n: number) => `sha256:${n.toString(16).padStart(2, '0').repeat(32)}`;
const MAIN = { ref: 'refs/heads/main', defaultBranch: 'main', rollback: false };
const mark = { digest: digest(99), date: new Date('2026-01-02T03:04:05Z'), commit: OLDER, task: 'base:test-cpu', contentTag: 'content-a', run: '' };
const source = (task: string, fields: Partial<PromotionSource> = {}): PromotionSource => ({
  task,
  repository: `localhost:5000/t/${task.split(':')[0]}-cpu`,
  contentTag: 'content-a',
  kind: 'unchanged',
  digest: digest(1),
  mark,
  ...fields,
});

describe('assertPromotable', () => {
  it('passes when every image is in the registry with a test mark', () => {
    const sources = [source('base:build-cpu', { kind: 'built' }), source('minimal:build-cpu')];
    expect(assertPromotable(sources)).toEqual(sources);
  });

  it('refuses, naming every image that lacks its content tag or its mark, built or unchanged', () => {
    const sources = [source('base:build-cpu'), source('minimal:build-cpu', { mark: null }), source('r-studio:build-cpu', { kind: 'built', digest: null, mark: null })];
    expect(() => assertPromotable(sources)).toThrow(
      /cannot promote r-studio:build-cpu \(.*r-studio-cpu:content-a is not in the registry\); minimal:build-cpu \(.*minimal-cpu@sha256:0101.* has no test mark.*No tag was moved/,
    );
  });
});

describe('promotionTags', () => {
  it('moves the branch tag and latest with the sha tags when the commit is the tip, the first, or descends from them', () => {
    for (const position of [{ kind: 'tip' as const }, { kind: 'absent' as const }, { kind: 'descends' as const, from: OLDER }]) {
      const tags = promotionTags(SHA, MAIN, position);
      expect(tags.shaTags).toEqual([SHA, '0123456']);
      expect(tags.branchTags).toEqual(['main', 'latest']);
    }
  });

  it('never backwards: a commit that is no longer the tip, whose branch tag is elsewhere, moves sha tags only and says so', () => {
    const tags = promotionTags(SHA, MAIN, { kind: 'elsewhere', tip: NEWER });
    expect(tags.branchTags).toEqual([]);
    expect(tags.shaTags).toEqual([SHA, '0123456']);
    expect(tags.reason).toMatch(new RegExp(`${SHA} is no longer the tip of main \\(${NEWER}\\).*only the sha tags move`));
  });

  it('from any other ref (a dispatch from feature/x, a tag) moves the sha tags only', () => {
    for (const ref of ['refs/heads/feature/x', 'refs/tags/v1', 'refs/heads/main-old']) {
      expect(promotionTags(SHA, { ...MAIN, ref }, { kind: 'tip' }).branchTags).toEqual([]);
    }
  });

  it('a rollback moves them back on purpose, from the default branch only', () => {
    expect(promotionTags(SHA, { ...MAIN, rollback: true }, { kind: 'elsewhere', tip: NEWER })).toMatchObject({ branchTags: ['main', 'latest'], rollback: true });
    expect(() => promotionTags(SHA, { ...MAIN, ref: 'refs/heads/x', rollback: true }, { kind: 'tip' })).toThrow(/rollback .* runs only for main/);
  });

  it('names the branch tag after the default branch and refuses an empty one', () => {
    expect(promotionTags(SHA, { ...MAIN, ref: 'refs/heads/trunk', defaultBranch: 'trunk' }, { kind: 'tip' }).branchTags).toEqual(['trunk', 'latest']);
    expect(() => promotionTags(SHA, { ...MAIN, defaultBranch: '' }, { kind: 'tip' })).toThrow(/--default-branch/);
  });
});

describe('branchPosition', () => {
  const registry = (tags: Record<string, string>) => async (reference: string) => tags[reference] ?? null;
  const lookup = { commit: SHA, tip: NEWER, ancestors: [SHA, OLDER], repositories: ['r/a', 'r/b'], branchTag: 'main' };

  it('is the tip when the commit is the branch tip, whatever the registry says', async () => {
    expect(await branchPosition({ ...lookup, tip: SHA, digestOf: registry({}) })).toEqual({ kind: 'tip' });
  });

  it('is absent when no repository has the branch tag', async () => {
    expect(await branchPosition({ ...lookup, digestOf: registry({}) })).toEqual({ kind: 'absent' });
  });

  it('descends when an ancestor’s sha tags name the branch tag’s digests in every repository', async () => {
    const tags = { 'r/a:main': digest(1), 'r/b:main': digest(2), [`r/a:${OLDER}`]: digest(1), [`r/b:${OLDER}`]: digest(2) };
    expect(await branchPosition({ ...lookup, digestOf: registry(tags) })).toEqual({ kind: 'descends', from: OLDER });
  });

  it('is elsewhere when the branch tag names a newer commit’s images (one repository differing is enough)', async () => {
    const tags = { 'r/a:main': digest(1), 'r/b:main': digest(3), [`r/a:${OLDER}`]: digest(1), [`r/b:${OLDER}`]: digest(2) };
    expect(await branchPosition({ ...lookup, digestOf: registry(tags) })).toEqual({ kind: 'elsewhere', tip: NEWER });
  });
});

describe('partialPromotionError', () => {
  it('lists what moved and what did not, and says a re-run converges', () => {
    const [a, b, c] = ['a:build-cpu', 'b:build-cpu', 'c:build-cpu'].map((task) => source(task) as MarkedSource);
    expect(partialPromotionError([a], b, [c], [SHA], 'registry unreachable').message).toMatch(
      /failed at b:build-cpu \(registry unreachable\)\. Moved: a:build-cpu\. Not moved: b:build-cpu, c:build-cpu\..*re-run.*converges/,
    );
  });
});

describe('release manifest and spawner snippet', () => {
  const sources = [source('base:build-cpu', { kind: 'built' }), source('minimal:build-cpu', { digest: digest(2) })] as MarkedSource[];

  it('records per image the digest, content tag, commit and test mark; a rollback records what the branch tag pointed at', () => {
    const manifest = releaseManifest(SHA, 'refs/heads/main', promotionTags(SHA, { ...MAIN, rollback: true }, { kind: 'tip' }), sources, { 'base:build-cpu': digest(7), 'minimal:build-cpu': null });
    expect(manifest).toMatchObject({ commit: SHA, tags: [SHA, '0123456', 'main', 'latest'], branchTagsMoved: true, rollback: { to: SHA, previous: { 'base:build-cpu': digest(7) } } });
    expect(manifest.images[1]).toEqual({
      task: 'minimal:build-cpu',
      kind: 'unchanged',
      image: `localhost:5000/t/minimal-cpu@${digest(2)}`,
      digest: digest(2),
      contentTag: 'content-a',
      testMark: { digest: digest(99), date: '2026-01-02T03:04:05.000Z', commit: OLDER, task: 'base:test-cpu', run: '' },
    });
    expect(releaseSummary(manifest)).toContain(`| \`minimal:build-cpu\` | unchanged | \`${digest(2)}\` |`);
  });

  it('gives the spawner every image by digest', () => {
    const snippet = spawnerSnippet(releaseManifest(SHA, 'refs/heads/main', promotionTags(SHA, MAIN, { kind: 'tip' }), sources));
    expect(snippet).toContain(`    value: localhost:5000/t/base-cpu@${digest(1)}\n    options:\n      - localhost:5000/t/base-cpu@${digest(1)}\n      - localhost:5000/t/minimal-cpu@${digest(2)}\n`);
  });
});
