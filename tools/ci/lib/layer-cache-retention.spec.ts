import { cacheEntriesToDelete, cacheVerdict, isLayerPrefix, newestLayers, type CacheEntryFacts } from './layer-cache-retention';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const NOW = new Date('2026-12-01T00:00:00Z');
const daysAgo = (n: number) => new Date(NOW.getTime() - n * 24 * 60 * 60 * 1000);
const entry = (digest: string, diffIds: string[] | null, created: Date | null): CacheEntryFacts => ({ digest, tags: [digest.slice(7, 15)], created, diffIds });

/** The newest image: busybox, install, expensive step, last line. */
const NEWEST = [D('1'), D('2'), D('3'), D('4')];

describe('isLayerPrefix', () => {
  it('holds for every step of the image, the whole image and a step without layers of its own', () => {
    expect(isLayerPrefix([], NEWEST)).toBe(true);
    expect(isLayerPrefix([D('1'), D('2')], NEWEST)).toBe(true);
    expect(isLayerPrefix(NEWEST, NEWEST)).toBe(true);
  });

  it('fails for a changed step, and for a longer chain', () => {
    expect(isLayerPrefix([D('1'), D('2'), D('9')], NEWEST)).toBe(false);
    expect(isLayerPrefix([...NEWEST, D('5')], NEWEST)).toBe(false);
  });
});

describe('cacheVerdict', () => {
  it('keeps what the newest build needs, however old', () => {
    expect(cacheVerdict(entry(D('a'), [D('1'), D('2'), D('3')], daysAgo(400)), NEWEST, NOW, 30)).toEqual({ action: 'keep', reason: 'needed by the newest build' });
  });

  it('ages out a step the newest build no longer has', () => {
    const superseded = [D('1'), D('2'), D('3'), D('8')];
    expect(cacheVerdict(entry(D('b'), superseded, daysAgo(31)), NEWEST, NOW, 30)).toEqual({ action: 'delete', ageDays: 31 });
    expect(cacheVerdict(entry(D('b'), superseded, daysAgo(3)), NEWEST, NOW, 30)).toEqual({ action: 'keep', reason: 'recent' });
  });

  it('keeps an entry whose age is unknown, and ages out everything when the image has no build left', () => {
    expect(cacheVerdict(entry(D('c'), [D('7')], null), NEWEST, NOW, 30)).toEqual({ action: 'keep', reason: 'age unknown' });
    expect(cacheVerdict(entry(D('c'), [D('1')], daysAgo(40)), null, NOW, 30)).toEqual({ action: 'delete', ageDays: 40 });
  });
});

describe('cacheEntriesToDelete', () => {
  it('lists only the unneeded old entries, oldest first', () => {
    const entries = [
      entry(D('a'), [D('1')], daysAgo(90)),
      entry(D('b'), [D('1'), D('9')], daysAgo(35)),
      entry(D('c'), [D('1'), D('8')], daysAgo(60)),
      entry(D('d'), [D('1'), D('7')], daysAgo(5)),
    ];
    expect(cacheEntriesToDelete(entries, NEWEST, NOW, 30).map((e) => [e.digest, e.ageDays])).toEqual([
      [D('c'), 60],
      [D('b'), 35],
    ]);
  });
});

describe('newestLayers', () => {
  it('takes the most recently built image, ignoring undated ones', () => {
    expect(
      newestLayers([
        { created: daysAgo(10), diffIds: [D('1')] },
        { created: daysAgo(1), diffIds: NEWEST },
        { created: null, diffIds: [D('9')] },
      ]),
    ).toEqual(NEWEST);
    expect(newestLayers([])).toBeNull();
  });
});
