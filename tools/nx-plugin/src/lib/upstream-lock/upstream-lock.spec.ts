import { BuildConfigurationError } from '../errors';
import { configurationErrorOf } from '../testing/configuration-error';
import {
  applyRefresh,
  CPU_UPSTREAM_KEY,
  CUDA_UPSTREAM_KEY,
  formatRefreshTable,
  formatUpstreamLock,
  lookupUpstream,
  parseUpstreamLock,
  unlockedError,
  unlockedWarning,
  type UpstreamLock,
} from './upstream-lock';
import { refreshUpstreamLock } from './refresh';
import { RegistryUnreachableError } from '../registry/errors';

const PIN = 'quay.io/jupyter/datascience-notebook:0dd81e2dd718';
const OLD = `sha256:${'a'.repeat(64)}`;
const NEW = `sha256:${'b'.repeat(64)}`;
const THEN = '2026-01-01T00:00:00.000Z';
const NOW = '2026-02-02T00:00:00.000Z';

const lockWith = (digest: string | null, reference = PIN): UpstreamLock => ({
  version: 1,
  upstreams: { [CPU_UPSTREAM_KEY]: { reference, digest, checkedAt: THEN } },
});

describe('parseUpstreamLock', () => {
  it('reads what formatUpstreamLock writes, keys sorted', () => {
    const lock: UpstreamLock = {
      version: 1,
      upstreams: {
        [CUDA_UPSTREAM_KEY]: { reference: 'nvidia/cuda:12.9.1-cudnn-runtime-ubuntu24.04', digest: null, checkedAt: THEN },
        [CPU_UPSTREAM_KEY]: { reference: PIN, digest: OLD, checkedAt: THEN },
      },
    };
    const text = formatUpstreamLock(lock);
    expect(Object.keys(JSON.parse(text).upstreams)).toEqual([CPU_UPSTREAM_KEY, CUDA_UPSTREAM_KEY]);
    expect(parseUpstreamLock(text)).toEqual(lock);
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('refuses an entry no build reads, naming it and the fix', () => {
    const text = JSON.stringify({ version: 1, upstreams: { UPSTREAM_CONTAINER_CUP: { reference: PIN, digest: OLD, checkedAt: THEN } } });
    expect(() => parseUpstreamLock(text)).toThrow(
      new BuildConfigurationError(
        'upstream-lock.json: upstreams["UPSTREAM_CONTAINER_CUP"] is no upstream of this workspace (did you mean UPSTREAM_CONTAINER_CPU?), so nothing would read it: fix its name or remove the entry (the upstreams are UPSTREAM_CONTAINER_CPU, gpu-upstream/nvidia-cuda)',
      ),
    );
  });

  it.each([
    ['not JSON', '{', /upstream-lock\.json is not valid JSON .*: restore it from git or run `npm run pins`/],
    ['another version', '{"version":2,"upstreams":{}}', /is not an upstream lock of version 1/],
    ['an entry without reference', `{"version":1,"upstreams":{"UPSTREAM_CONTAINER_CPU":{"digest":null,"checkedAt":"x"}}}`, /upstreams\["UPSTREAM_CONTAINER_CPU"\] needs "reference"/],
    ['a reference with a digest', `{"version":1,"upstreams":{"UPSTREAM_CONTAINER_CPU":{"reference":"a/b:c@${OLD}","digest":null,"checkedAt":"x"}}}`, /reference "a\/b:c@sha256:a+" must be name:tag/],
    ['a reference without a tag', `{"version":1,"upstreams":{"UPSTREAM_CONTAINER_CPU":{"reference":"a/b","digest":null,"checkedAt":"x"}}}`, /must be name:tag/],
    ['a short digest', `{"version":1,"upstreams":{"UPSTREAM_CONTAINER_CPU":{"reference":"a/b:c","digest":"sha256:abc","checkedAt":"x"}}}`, /digest "sha256:abc" is neither sha256:<64 hex> nor null/],
  ])('refuses %s with one line naming the file and the fix', (_, text, message) => {
    const error = configurationErrorOf(() => parseUpstreamLock(text));
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('\n');
  });
});

describe('lookupUpstream', () => {
  it('gives name:tag@digest for a locked pin', () => {
    expect(lookupUpstream(lockWith(OLD), CPU_UPSTREAM_KEY, PIN)).toEqual({ locked: true, key: CPU_UPSTREAM_KEY, reference: PIN, digest: OLD, pinned: `${PIN}@${OLD}` });
  });

  it('matches Docker Hub spellings of the same image', () => {
    const lock: UpstreamLock = { version: 1, upstreams: { [CUDA_UPSTREAM_KEY]: { reference: 'docker.io/nvidia/cuda:12', digest: OLD, checkedAt: THEN } } };
    expect(lookupUpstream(lock, CUDA_UPSTREAM_KEY, 'nvidia/cuda:12')).toMatchObject({ locked: true, pinned: `nvidia/cuda:12@${OLD}` });
  });

  it.each([
    ['no entry', { version: 1, upstreams: {} } as UpstreamLock, `upstream-lock.json has no entry "UPSTREAM_CONTAINER_CPU" for ${PIN}`],
    ['no digest', lockWith(null), `upstream-lock.json has no digest for "UPSTREAM_CONTAINER_CPU" (${PIN})`],
    ['an entry for another tag (the pin moved)', lockWith(OLD, 'quay.io/jupyter/datascience-notebook:111111111111'), `upstream-lock.json locks "UPSTREAM_CONTAINER_CPU" as quay.io/jupyter/datascience-notebook:111111111111, not ${PIN}`],
  ])('is unlocked with %s, and says why', (_, lock, why) => {
    const upstream = lookupUpstream(lock, CPU_UPSTREAM_KEY, PIN);
    expect(upstream).toEqual({ locked: false, key: CPU_UPSTREAM_KEY, reference: PIN, why });
    if (upstream.locked) return;
    expect(unlockedError(upstream).message).toBe(
      `${why}: builds use upstreams by digest only; run \`npm run pins\` to lock it, then commit upstream-lock.json`,
    );
    expect(unlockedWarning('base:build-cpu', upstream)).toBe(`base:build-cpu: ${why}: planned on the tag; run \`npm run pins\` before a real build`);
  });
});

describe('applyRefresh', () => {
  it('sets a new digest with the time it was taken', () => {
    const outcome = applyRefresh(lockWith(OLD), [{ key: CPU_UPSTREAM_KEY, reference: PIN }], [{ key: CPU_UPSTREAM_KEY, digest: NEW }], NOW);
    expect(outcome.lock.upstreams[CPU_UPSTREAM_KEY]).toEqual({ reference: PIN, digest: NEW, checkedAt: NOW });
    expect(outcome).toMatchObject({ allRefreshed: true, changed: true });
    expect(outcome.rows).toEqual([{ key: CPU_UPSTREAM_KEY, reference: PIN, old: OLD, new: NEW, status: 'updated' }]);
  });

  it('leaves the lock byte-identical when the digest did not move', () => {
    const lock = lockWith(OLD);
    const outcome = applyRefresh(lock, [{ key: CPU_UPSTREAM_KEY, reference: PIN }], [{ key: CPU_UPSTREAM_KEY, digest: OLD }], NOW);
    expect(formatUpstreamLock(outcome.lock)).toBe(formatUpstreamLock(lock));
    expect(outcome).toMatchObject({ allRefreshed: true, changed: false });
    expect(outcome.rows[0].status).toBe('unchanged');
  });

  it('keeps a failed entry as it was, refreshes the others, and says not all were refreshed', () => {
    const lock: UpstreamLock = { version: 1, upstreams: { ...lockWith(OLD).upstreams, [CUDA_UPSTREAM_KEY]: { reference: 'nvidia/cuda:12', digest: OLD, checkedAt: THEN } } };
    const outcome = applyRefresh(
      lock,
      [{ key: CPU_UPSTREAM_KEY, reference: PIN }, { key: CUDA_UPSTREAM_KEY, reference: 'nvidia/cuda:12' }],
      [{ key: CPU_UPSTREAM_KEY, digest: NEW }, { key: CUDA_UPSTREAM_KEY, error: 'registry docker.io is not reachable (host not found)' }],
      NOW,
    );
    expect(outcome.lock.upstreams[CUDA_UPSTREAM_KEY]).toEqual(lock.upstreams[CUDA_UPSTREAM_KEY]);
    expect(outcome.lock.upstreams[CPU_UPSTREAM_KEY].digest).toBe(NEW);
    expect(outcome).toMatchObject({ allRefreshed: false, changed: true });
    expect(outcome.rows[1]).toMatchObject({ status: 'failed', reason: 'registry docker.io is not reachable (host not found)' });
  });

  it('takes a moved pin as a new entry: the old digest is of another tag', () => {
    const moved = 'quay.io/jupyter/datascience-notebook:222222222222';
    const outcome = applyRefresh(lockWith(OLD), [{ key: CPU_UPSTREAM_KEY, reference: moved }], [{ key: CPU_UPSTREAM_KEY, digest: OLD }], NOW);
    expect(outcome.lock.upstreams[CPU_UPSTREAM_KEY]).toEqual({ reference: moved, digest: OLD, checkedAt: NOW });
    expect(outcome.rows[0]).toMatchObject({ old: null, status: 'updated' });
  });
});

describe('refreshUpstreamLock', () => {
  it('asks for every target, turns failures into named reasons, and skips targets it cannot name', async () => {
    const asked: string[] = [];
    const outcome = await refreshUpstreamLock(
      lockWith(OLD),
      [
        { key: CPU_UPSTREAM_KEY, reference: PIN },
        { key: CUDA_UPSTREAM_KEY, reference: 'nvidia/cuda:12', unavailable: 'cannot fetch gpu-jupyter' },
        { key: 'gone', reference: 'localhost:5999/x:y' },
        { key: 'missing-tag', reference: 'localhost:5000/x:y' },
      ],
      async (reference) => {
        asked.push(reference);
        if (reference.startsWith('localhost:5999')) throw new RegistryUnreachableError('localhost:5999', 'connection refused', 'ECONNREFUSED');
        return reference === PIN ? NEW : null;
      },
      NOW,
    );
    expect(asked).toEqual([PIN, 'localhost:5999/x:y', 'localhost:5000/x:y']);
    expect(outcome.rows.map((row) => [row.key, row.status, row.reason])).toEqual([
      [CPU_UPSTREAM_KEY, 'updated', undefined],
      [CUDA_UPSTREAM_KEY, 'failed', 'cannot fetch gpu-jupyter'],
      ['gone', 'failed', 'registry localhost:5999 is not reachable (connection refused)'],
      ['missing-tag', 'failed', 'the registry has no tag localhost:5000/x:y'],
    ]);
    expect(outcome.allRefreshed).toBe(false);
  });
});

describe('formatRefreshTable', () => {
  it('shows old -> new per upstream, and the reason for one not refreshed', () => {
    const table = formatRefreshTable([
      { key: CPU_UPSTREAM_KEY, reference: PIN, old: OLD, new: NEW, status: 'updated' },
      { key: CUDA_UPSTREAM_KEY, reference: 'nvidia/cuda:12', old: null, new: null, status: 'failed', reason: 'host not found' },
    ]).split('\n');
    expect(table[0]).toMatch(/^upstream\s+reference\s+old\s+new$/);
    expect(table[1]).toMatch(new RegExp(`^UPSTREAM_CONTAINER_CPU\\s+${PIN.replace(/[.]/g, '\\.')}\\s+sha256:aaaaaaaaaaaa…\\s+sha256:bbbbbbbbbbbb…$`));
    expect(table[2]).toMatch(/^gpu-upstream\/nvidia-cuda\s+nvidia\/cuda:12\s+\(none\)\s+NOT REFRESHED: host not found$/);
  });
});
