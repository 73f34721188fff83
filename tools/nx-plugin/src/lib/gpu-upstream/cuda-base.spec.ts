import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CUDA_UPSTREAM_KEY, type UpstreamLock } from '../upstream-lock/upstream-lock';
import { configurationErrorOf } from '../testing/configuration-error';
import { cudaBaseFlavour, generatorCudaReference, pinGeneratedBase } from './cuda-base';
import { createGpuJupyterFixture, FIXTURE_CUDA_BASE, HEADER, type GpuJupyterFixture } from './testing/fixture-repos';
import { gpuUpstreamIdentity, identityDifferences, identityKey, lockedCudaBase } from './upstream-identity';
import type { BuildSettings } from '../settings/build-settings';

/** What gpu-jupyter's generator starts from, and what gpu-upstream starts from instead. */
const GENERATOR_CUDA = 'nvidia/cuda:12.9.1-cudnn-runtime-ubuntu24.04';
const CUDA = 'nvidia/cuda:12.9.1-base-ubuntu24.04';
const DIGEST = `sha256:${'e'.repeat(64)}`;
const lock = (reference = CUDA, digest: string | null = DIGEST): UpstreamLock => ({
  version: 1,
  upstreams: { [CUDA_UPSTREAM_KEY]: { reference, digest, checkedAt: '2026-01-01T00:00:00.000Z' } },
});
const GENERATED = `# generated\nFROM ${GENERATOR_CUDA}\nLABEL a=b\nRUN echo ${GENERATOR_CUDA}\n`;

describe('cudaBaseFlavour', () => {
  it.each([
    [GENERATOR_CUDA, CUDA],
    ['nvidia/cuda:12.9.1-runtime-ubuntu24.04', CUDA],
    ['nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04', 'nvidia/cuda:12.4.1-base-ubuntu22.04'],
    [`nvidia/cuda:12.9.1-cudnn-runtime-ubuntu24.04@sha256:${'0'.repeat(64)}`, CUDA],
    ['nvcr.io/nvidia/cuda:12.8.0-cudnn-runtime-ubi9', 'nvcr.io/nvidia/cuda:12.8.0-base-ubi9'],
    [CUDA, CUDA],
  ])('keeps the CUDA version and the OS of %s, without its libraries', (generator, base) => {
    expect(cudaBaseFlavour(generator, 'gen')).toBe(base);
  });

  it('refuses a tag it cannot read, naming it and the fix', () => {
    expect(configurationErrorOf(() => cudaBaseFlavour('nvidia/cuda:latest', 'custom/header.Dockerfile')).message).toBe(
      'custom/header.Dockerfile: the generator starts from nvidia/cuda:latest, not an nvidia/cuda:<version>-<flavour>-<os> tag, so its base flavour cannot be chosen: adapt tools/nx-plugin/src/lib/gpu-upstream to the generator or pin another GPU_JUPYTER_HEAD_COMMIT in build_settings.env',
    );
  });
});

describe('pinGeneratedBase', () => {
  it("puts the base flavour of the generator's CUDA, with its locked digest, into the FROM line only", () => {
    const pinned = pinGeneratedBase(GENERATED, lock(), 'gen');
    expect(pinned.text).toBe(`# generated\nFROM ${CUDA}@${DIGEST}\nLABEL a=b\nRUN echo ${GENERATOR_CUDA}\n`);
    expect(pinned.base).toBe(`${CUDA}@${DIGEST}`);
    expect(pinned.cuda.locked).toBe(true);
  });

  it('replaces a digest the generator wrote with the locked one', () => {
    const pinned = pinGeneratedBase(`FROM ${GENERATOR_CUDA}@sha256:${'0'.repeat(64)}\n`, lock(), 'gen');
    expect(pinned.text).toBe(`FROM ${CUDA}@${DIGEST}\n`);
  });

  it.each([
    ['no digest', lock(CUDA, null), /has no digest/],
    ['another tag locked', lock('nvidia/cuda:12.8.0-runtime-ubuntu24.04'), /locks "gpu-upstream\/nvidia-cuda" as nvidia\/cuda:12\.8\.0-runtime-ubuntu24\.04, not nvidia\/cuda:12\.9\.1/],
  ])('starts from the base flavour by tag with %s, saying why', (_, given, why) => {
    const pinned = pinGeneratedBase(GENERATED, given, 'gen');
    expect(pinned.text).toBe(GENERATED.replace(`FROM ${GENERATOR_CUDA}`, `FROM ${CUDA}`));
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

describe('generatorCudaReference (what `npm run pins` locks)', () => {
  let root: string;
  let gpu: GpuJupyterFixture;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'kf-cuda-reference-'));
    gpu = createGpuJupyterFixture(join(root, 'gpu-jupyter'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const referenceAt = (commit: string) =>
    generatorCudaReference({ workspaceRoot: root, workDir: join(root, 'work'), settings: { file: 'build_settings.env', values: { GPU_JUPYTER_REPO: gpu.repo.path, GPU_JUPYTER_HEAD_COMMIT: commit } } });

  it("is the base flavour of the CUDA the generator's header names at the pinned commit", () => {
    expect(referenceAt(gpu.commits[0])).toBe(FIXTURE_CUDA_BASE);
  });

  it('follows a header that moves to another CUDA release', () => {
    gpu.repo.checkout(gpu.commits[1], 'cuda-12-8');
    const moved = gpu.repo.commit({ 'custom/header.Dockerfile': HEADER('moved', 'nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04') }, 'cuda 12.8');
    expect(referenceAt(moved)).toBe('nvidia/cuda:12.8.1-base-ubuntu24.04');
  });
});
