import { cacheExportFailureLine, cacheStateOf, isCacheExportFailure, layerCacheFor, layerCacheOptions, layerCacheRepository } from './layer-cache';

const REPOSITORY = 'myacr.azurecr.io/minimal-notebook-cpu';
const CACHE = 'myacr.azurecr.io/minimal-notebook-cpu-layer-cache';

describe('layerCacheFor', () => {
  const facts = { enabled: true, imageRepository: REPOSITORY, push: true, onCleanDefaultBranch: () => true };

  it('keeps one cache per image and stream, beside the image repository', () => {
    expect(layerCacheRepository(REPOSITORY)).toBe(CACHE);
    expect(layerCacheRepository('myacr.azurecr.io/minimal-notebook-gpu')).not.toBe(CACHE);
  });

  it('writes only from a build that pushes from a clean default branch; every build with a registry reads', () => {
    expect(layerCacheFor(facts)).toEqual({ repository: CACHE, read: true, write: true });
    expect(layerCacheFor({ ...facts, onCleanDefaultBranch: () => false })).toEqual({ repository: CACHE, read: true, write: false });
    expect(layerCacheFor({ ...facts, push: false })).toEqual({ repository: CACHE, read: true, write: false });
  });

  it('does not ask git when the build does not push', () => {
    const asked = jest.fn(() => true);
    layerCacheFor({ ...facts, push: false, onCleanDefaultBranch: asked });
    expect(asked).not.toHaveBeenCalled();
  });

  it('is off with IMAGE_LAYER_CACHE=false or without a registry', () => {
    expect(layerCacheFor({ ...facts, enabled: false })).toBeNull();
    expect(layerCacheFor({ ...facts, imageRepository: null })).toBeNull();
  });
});

describe('layerCacheOptions', () => {
  it('gives buildx a registry cache exporting every layer (mode=max) whose failed export does not fail the build', () => {
    expect(layerCacheOptions('docker', { repository: CACHE, read: true, write: true })).toEqual({
      'cache-from': [`type=registry,ref=${CACHE}:buildkit`],
      'cache-to': [`type=registry,ref=${CACHE}:buildkit,mode=max,ignore-error=true`],
    });
  });

  it('gives podman the bare cache repository', () => {
    expect(layerCacheOptions('podman', { repository: CACHE, read: true, write: true })).toEqual({ 'cache-from': [CACHE], 'cache-to': [CACHE] });
  });

  it('reads without writing, and neither when told so', () => {
    for (const engine of ['docker', 'podman'] as const) {
      expect(layerCacheOptions(engine, { repository: CACHE, read: true, write: false })['cache-to']).toEqual([]);
      expect(layerCacheOptions(engine, { repository: CACHE, read: false, write: false })).toEqual({ 'cache-from': [], 'cache-to': [] });
    }
  });
});

describe('cacheStateOf', () => {
  it('counts any step tag as a cache for buildah, only the cache tag for buildx', () => {
    expect(cacheStateOf('podman', ['1aae'])).toEqual({ state: 'present' });
    expect(cacheStateOf('podman', [])).toEqual({ state: 'absent' });
    expect(cacheStateOf('docker', ['1aae'])).toEqual({ state: 'absent' });
    expect(cacheStateOf('docker', ['buildkit'])).toEqual({ state: 'present' });
  });
});

describe('isCacheExportFailure', () => {
  it("recognises buildah's failed cache push, not a failed step", () => {
    expect(isCacheExportFailure('Error: failed pushing cache to {{{"localhost:5999" "x-layer-cache"} "ac65"}}: connection refused')).toBe(true);
    expect(isCacheExportFailure('Error: building at STEP "RUN false": while running runtime: exit status 1')).toBe(false);
  });

  it("recognises buildx's refusal to export from its plain docker driver", () => {
    const output = 'ERROR: failed to build: Cache export is not supported for the docker driver.\nSwitch to a different driver, or turn on the containerd image store, and try again.\n';
    expect(isCacheExportFailure(output)).toBe(true);
    expect(cacheExportFailureLine(output)).toBe('Cache export is not supported for the docker driver.');
  });
});
