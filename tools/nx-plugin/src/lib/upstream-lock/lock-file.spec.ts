import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { configurationErrorOf } from '../testing/configuration-error';
import { readUpstreamLock, upstreamLockPath, writeUpstreamLock } from './lock-file';
import { CPU_UPSTREAM_KEY, type UpstreamLock } from './upstream-lock';
import { withTempDir } from '../testing/temp-dir';

describe('upstream-lock.json on disk', () => {
  let root: string;
  withTempDir('kf-lock-', (dir) => (root = dir));

  it('is an empty lock when absent (every upstream unlocked)', () => {
    expect(readUpstreamLock(root)).toEqual({ version: 1, upstreams: {} });
  });

  it('round-trips, leaving no temporary file behind', () => {
    const lock: UpstreamLock = { version: 1, upstreams: { [CPU_UPSTREAM_KEY]: { reference: 'a.io/b:c', digest: `sha256:${'d'.repeat(64)}`, checkedAt: '2026-01-01T00:00:00.000Z' } } };
    writeUpstreamLock(root, lock);
    expect(readUpstreamLock(root)).toEqual(lock);
    expect(readdirSync(root)).toEqual(['upstream-lock.json']);
  });

  it('names the file when it is damaged', () => {
    writeFileSync(upstreamLockPath(root), '{"version":1');
    expect(configurationErrorOf(() => readUpstreamLock(root)).message).toMatch(/^upstream-lock\.json is not valid JSON/);
    expect(readFileSync(upstreamLockPath(root), 'utf8')).toBe('{"version":1');
  });
});
