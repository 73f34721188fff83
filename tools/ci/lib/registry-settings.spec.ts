import type { BuildSettings } from '@kubeflow-images/plugin-lib/settings/build-settings';
import { ciRegistry } from './registry-settings';

const settings = (registry?: string): BuildSettings => ({
  file: 'build_settings.env',
  values: registry === undefined ? {} : { IMAGE_REGISTRY: registry },
});

describe('ciRegistry', () => {
  it('takes the registry from the settings and logs in to its host', () => {
    expect(ciRegistry(settings('myacr.azurecr.io'), { required: true })).toEqual({ registry: 'myacr.azurecr.io', host: 'myacr.azurecr.io' });
    expect(ciRegistry(settings('myacr.azurecr.io/team/'), { required: true })).toEqual({ registry: 'myacr.azurecr.io/team', host: 'myacr.azurecr.io' });
    expect(ciRegistry(settings('localhost:5000'), { required: true }).host).toBe('localhost:5000');
  });

  it('puts a workflow namespace under the registry prefix', () => {
    expect(ciRegistry(settings('myacr.azurecr.io/team'), { namespace: 'nightly/12345', required: true })).toEqual({
      registry: 'myacr.azurecr.io/team/nightly/12345',
      host: 'myacr.azurecr.io',
    });
    expect(() => ciRegistry(settings('myacr.azurecr.io'), { namespace: 'Nightly run', required: true })).toThrow(/not a valid repository namespace/);
  });

  it('is empty without a registry, unless one is required', () => {
    expect(ciRegistry(settings(''), { required: false })).toEqual({ registry: '', host: '' });
    expect(ciRegistry(settings(), { required: false })).toEqual({ registry: '', host: '' });
    expect(() => ciRegistry(settings(''), { required: true })).toThrow(
      /build_settings.env: IMAGE_REGISTRY is empty, but this workflow pushes images: set IMAGE_REGISTRY=/,
    );
  });
});
