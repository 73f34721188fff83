import { CUDA_UPSTREAM_KEY, type UpstreamLock } from '../upstream-lock/upstream-lock';
import { pinGeneratedBase } from './cuda-base';
import { gpuUpstreamIdentity, identityDifferences, identityKey, lockedCudaBase } from './upstream-identity';
import type { BuildSettings } from '../settings/build-settings';

const CUDA = 'nvidia/cuda:12.9.1-cudnn-runtime-ubuntu24.04';
const DIGEST = `sha256:${'e'.repeat(64)}`;
const lock = (reference = CUDA, digest: string | null = DIGEST): UpstreamLock => ({
  version: 1,
  upstreams: { [CUDA_UPSTREAM_KEY]: { reference, digest, checkedAt: '2026-01-01T00:00:00.000Z' } },
});
const GENERATED = `# generated\nFROM ${CUDA}\nLABEL a=b\nRUN echo ${CUDA}\n`;

describe('pinGeneratedBase', () => {
  it('puts the locked digest into the FROM line only', () => {
    const pinned = pinGeneratedBase(GENERATED, lock(), 'gen');
    expect(pinned.text).toBe(`# generated\nFROM ${CUDA}@${DIGEST}\nLABEL a=b\nRUN echo ${CUDA}\n`);
    expect(pinned.base).toBe(`${CUDA}@${DIGEST}`);
    expect(pinned.cuda.locked).toBe(true);
  });

  it('replaces a digest the generator wrote with the locked one', () => {
    const pinned = pinGeneratedBase(`FROM ${CUDA}@sha256:${'0'.repeat(64)}\n`, lock(), 'gen');
    expect(pinned.text).toBe(`FROM ${CUDA}@${DIGEST}\n`);
  });

  it.each([
    ['no digest', lock(CUDA, null), /has no digest/],
    ['another tag locked', lock('nvidia/cuda:12.8.0-runtime-ubuntu24.04'), /locks "gpu-upstream\/nvidia-cuda" as nvidia\/cuda:12\.8\.0-runtime-ubuntu24\.04, not nvidia\/cuda:12\.9\.1/],
  ])('leaves the text as generated with %s, saying why', (_, given, why) => {
    const pinned = pinGeneratedBase(GENERATED, given, 'gen');
    expect(pinned.text).toBe(GENERATED);
    expect(pinned.base).toBe(CUDA);
    expect(pinned.cuda.locked ? '' : pinned.cuda.why).toMatch(why);
  });
});

describe("gpu-upstream's identity from its pins", () => {
  const settings: BuildSettings = { file: 'build_settings.env', values: { GPU_JUPYTER_HEAD_COMMIT: 'g'.repeat(40), UPSTREAM_CONTAINER_CPU_HEAD_COMMIT: '0dd81e2dd718' } };

  it('is made of both commits, the generator code and the locked cuda base', () => {
    const identity = gpuUpstreamIdentity(settings, lockedCudaBase(lock()), 'f'.repeat(64));
    expect(identity).toEqual({ gpuJupyterCommit: 'g'.repeat(40), dockerStacksCommit: '0dd81e2dd718', generatorSha256: 'f'.repeat(64), cudaBase: `${CUDA}@${DIGEST}` });
    const moved = gpuUpstreamIdentity(settings, lockedCudaBase(lock(CUDA, `sha256:${'1'.repeat(64)}`)), 'f'.repeat(64));
    expect(identityKey(moved)).not.toBe(identityKey(identity));
    expect(identityDifferences(identity, { ...moved })).toEqual([`cudaBase ${moved.cudaBase} instead of ${identity.cudaBase}`]);
  });

  it('is unlocked without an entry, saying which entry is missing', () => {
    const cuda = lockedCudaBase({ version: 1, upstreams: {} });
    expect(cuda.locked).toBe(false);
    expect(cuda.locked ? '' : cuda.why).toContain('upstream-lock.json has no entry "gpu-upstream/nvidia-cuda"');
  });
});
