import { manifestsByDigest, manifestsToDelete, parseRetentionDays, tagKind, unpinnedDigests, verdict, type ManifestFacts } from './retention';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const SHA = '0123456789abcdef0123456789abcdef01234567';
const NOW = new Date('2026-12-01T00:00:00Z');
const PERIODS = { days: 30, shaDays: 90 };
const daysAgo = (n: number) => new Date(NOW.getTime() - n * 24 * 60 * 60 * 1000);
const manifest = (digest: string, tags: string[], created: Date | null, more: Partial<ManifestFacts> = {}): ManifestFacts => ({ digest, tags, created, ...more });

describe('tags and digests', () => {
  const tags = new Map([
    ['content-aaaa', D('a')],
    ['latest', D('a')],
    ['content-bbbb', D('b')],
    ['content-cccc', D('c')],
    ['content-cccd', D('c')],
    ['0123456', D('d')],
    [`sha256-${'d'.repeat(64)}`, D('e')],
  ]);

  it('tells content, sha, referrers and branch tags apart', () => {
    expect(['content-ab', SHA, '0123456', `sha256-${'d'.repeat(64)}`, 'latest', 'main', 'feature-x-1a2b3c4d'].map(tagKind)).toEqual([
      'content',
      'sha',
      'sha',
      'referrers',
      'branch',
      'branch',
      'branch',
    ]);
  });

  it('groups tags by the digest they point at, leaving out the referrers tags of test marks', () => {
    expect(manifestsByDigest(tags).get(D('a'))).toEqual(['content-aaaa', 'latest']);
    expect(manifestsByDigest(tags).get(D('c'))).toEqual(['content-cccc', 'content-cccd']);
    expect(manifestsByDigest(tags).has(D('e'))).toBe(false);
  });

  it('only digests that no branch tag or latest points at are candidates', () => {
    expect(unpinnedDigests(tags).sort()).toEqual([D('b'), D('c'), D('d')]);
  });
});

describe('verdict', () => {
  it('deletes an unpromoted content tag older than the content period', () => {
    expect(verdict(manifest(D('b'), ['content-bbbb'], daysAgo(31)), NOW, PERIODS)).toEqual({ action: 'delete', ageDays: 31 });
    expect(verdict(manifest(D('b'), ['content-bbbb'], daysAgo(30)), NOW, PERIODS)).toEqual({ action: 'delete', ageDays: 30 });
  });

  it('keeps anything latest or a branch tag points at, however old', () => {
    for (const branch of ['latest', 'main', 'feature-x']) {
      expect(verdict(manifest(D('a'), ['content-aaaa', SHA, branch], daysAgo(400)), NOW, PERIODS)).toEqual({ action: 'keep', reason: 'branch tag' });
    }
  });

  it('keeps sha tags for the sha period, counted from the newest commit that promoted the digest', () => {
    const promoted = (commitDays: number[]) => manifest(D('a'), ['content-aaaa', SHA, SHA.slice(0, 7)], daysAgo(400), { commitDates: commitDays.map(daysAgo) });
    expect(verdict(promoted([200, 89]), NOW, PERIODS)).toEqual({ action: 'keep', reason: 'recent' });
    expect(verdict(promoted([200, 95]), NOW, PERIODS)).toEqual({ action: 'delete', ageDays: 95 });
  });

  it('a test mark restarts the clock: a digest marked recently (a promotion may be about to tag it) is kept', () => {
    expect(verdict(manifest(D('b'), ['content-bbbb'], daysAgo(60), { marked: daysAgo(1) }), NOW, PERIODS)).toEqual({ action: 'keep', reason: 'recent' });
    expect(verdict(manifest(D('b'), ['content-bbbb'], daysAgo(60), { marked: daysAgo(45) }), NOW, PERIODS)).toEqual({ action: 'delete', ageDays: 45 });
  });

  it('keeps recent ones and those whose age is unknown', () => {
    expect(verdict(manifest(D('b'), ['content-bbbb'], daysAgo(29)), NOW, PERIODS)).toEqual({ action: 'keep', reason: 'recent' });
    expect(verdict(manifest(D('b'), ['content-bbbb'], null), NOW, PERIODS)).toEqual({ action: 'keep', reason: 'age unknown' });
    expect(verdict(manifest(D('b'), ['content-bbbb'], new Date('nonsense')), NOW, PERIODS)).toEqual({ action: 'keep', reason: 'age unknown' });
  });
});

describe('manifestsToDelete', () => {
  it('lists only what may go, oldest first', () => {
    const result = manifestsToDelete(
      [
        manifest(D('a'), ['content-a', 'latest'], daysAgo(90)),
        manifest(D('b'), ['content-b'], daysAgo(40)),
        manifest(D('c'), ['content-c'], daysAgo(70)),
        manifest(D('e'), ['content-e'], daysAgo(3)),
        manifest(D('f'), ['content-f', SHA], daysAgo(70)),
      ],
      NOW,
      PERIODS,
    );
    expect(result.map((m) => [m.digest, m.ageDays])).toEqual([
      [D('c'), 70],
      [D('b'), 40],
    ]);
  });
});

describe('parseRetentionDays', () => {
  it('defaults and accepts whole days', () => {
    expect(parseRetentionDays(undefined)).toBe(30);
    expect(parseRetentionDays(undefined, '--sha-days', 90)).toBe(90);
    expect(parseRetentionDays('7')).toBe(7);
  });

  it('refuses 0, negatives, fractions and words with one line naming the option', () => {
    for (const bad of ['0', '-3', '1.5', 'ten', '']) expect(() => parseRetentionDays(bad)).toThrow(/--days .*whole number of days, at least 1/);
    expect(() => parseRetentionDays('0', '--sha-days', 90)).toThrow(/^--sha-days 0: .*\(default 90\)$/);
  });
});
