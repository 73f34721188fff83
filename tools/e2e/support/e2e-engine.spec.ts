import { e2eEngine } from './e2e-engine';

describe('e2eEngine', () => {
  it('is podman unless E2E_ENGINE says docker', () => {
    expect(e2eEngine({})).toBe('podman');
    expect(e2eEngine({ E2E_ENGINE: '' })).toBe('podman');
    expect(e2eEngine({ E2E_ENGINE: 'docker' })).toBe('docker');
    expect(e2eEngine({ E2E_ENGINE: ' podman ' })).toBe('podman');
  });

  it('refuses anything else with the choices', () => {
    expect(() => e2eEngine({ E2E_ENGINE: 'buildah' })).toThrow('E2E_ENGINE=buildah: use podman (default) or docker (needs docker buildx)');
  });
});
