import { manifestsByDigest, manifestsToDelete, parseRetentionDays, unpromotedDigests, verdict, type ManifestFacts } from './retention';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const NOW = new Date('2026-12-01T00:00:00Z');
const daysAgo = (n: number) => new Date(NOW.getTime() - n * 24 * 60 * 60 * 1000);
const manifest = (digest: string, tags: string[], created: Date | null): ManifestFacts => ({ digest, tags, created });

describe('manifestsByDigest / unpromotedDigests', () => {
  const tags = new Map([
    ['content-aaaa', D('a')],
    ['latest', D('a')],
    ['content-bbbb', D('b')],
    ['content-cccc', D('c')],
    ['content-cccd', D('c')],
    ['0123456', D('d')],
  ]);

  it('groups tags by the digest they point at', () => {
    expect(manifestsByDigest(tags).get(D('a'))).toEqual(['content-aaaa', 'latest']);
    expect(manifestsByDigest(tags).get(D('c'))).toEqual(['content-cccc', 'content-cccd']);
  });

  it('only digests that no human tag points at are candidates', () => {
    expect(unpromotedDigests(tags).sort()).toEqual([D('b'), D('c')]);
  });
});

describe('verdict', () => {
  it('deletes an unpromoted content tag older than the period', () => {
    expect(verdict(manifest(D('b'), ['content-bbbb'], daysAgo(31)), NOW, 30)).toEqual({ action: 'delete', ageDays: 31 });
    expect(verdict(manifest(D('b'), ['content-bbbb'], daysAgo(30)), NOW, 30)).toEqual({ action: 'delete', ageDays: 30 });
  });

  it('keeps anything a human tag points at, however old', () => {
    for (const human of ['latest', 'main', '0123456', 'feature-x']) {
      expect(verdict(manifest(D('a'), ['content-aaaa', human], daysAgo(400)), NOW, 30)).toEqual({ action: 'keep', reason: 'human tag' });
    }
  });

  it('keeps recent ones and those whose age is unknown', () => {
    expect(verdict(manifest(D('b'), ['content-bbbb'], daysAgo(29)), NOW, 30)).toEqual({ action: 'keep', reason: 'recent' });
    expect(verdict(manifest(D('b'), ['content-bbbb'], null), NOW, 30)).toEqual({ action: 'keep', reason: 'age unknown' });
    expect(verdict(manifest(D('b'), ['content-bbbb'], new Date('nonsense')), NOW, 30)).toEqual({ action: 'keep', reason: 'age unknown' });
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
      ],
      NOW,
      30,
    );
    expect(result.map((m) => [m.digest, m.ageDays])).toEqual([
      [D('c'), 70],
      [D('b'), 40],
    ]);
  });
});

describe('parseRetentionDays', () => {
  it('defaults to 30 and accepts whole days', () => {
    expect(parseRetentionDays(undefined)).toBe(30);
    expect(parseRetentionDays('7')).toBe(7);
  });

  it('refuses 0, negatives, fractions and words with one line', () => {
    for (const bad of ['0', '-3', '1.5', 'ten', '']) expect(() => parseRetentionDays(bad)).toThrow(/--days .*whole number of days, at least 1/);
  });
});
