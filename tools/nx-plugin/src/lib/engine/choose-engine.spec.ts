import { configurationErrorOf } from '../testing/configuration-error';
import { chooseEngine, chooseRuntime } from './choose-engine';

describe('chooseEngine', () => {
  it('takes the engine named, in any case', () => {
    expect(chooseEngine('Podman', () => true)).toBe('podman');
    expect(chooseEngine('docker', () => false)).toBe('docker');
  });

  it('picks docker for "auto" (or nothing) only when buildx is there', () => {
    expect(chooseEngine('', () => true)).toBe('docker');
    expect(chooseEngine('auto', () => false)).toBe('podman');
  });

  it('names the setting and the choices for a bad value', () => {
    expect(configurationErrorOf(() => chooseEngine('containerd', () => true)).message).toBe(
      'IMAGE_ENGINE="containerd" is not an engine: use docker, podman, auto',
    );
  });
});

describe('chooseRuntime', () => {
  it('takes the option, else IMAGE_RUNTIME, else docker', () => {
    expect(chooseRuntime('podman', 'docker')).toBe('podman');
    expect(chooseRuntime(undefined, 'Podman')).toBe('podman');
    expect(chooseRuntime(undefined, '')).toBe('docker');
  });

  it('names the setting that holds a bad value', () => {
    expect(configurationErrorOf(() => chooseRuntime(undefined, 'containerd')).message).toBe(
      'IMAGE_RUNTIME="containerd" is not a container runtime: use docker or podman',
    );
    expect(configurationErrorOf(() => chooseRuntime('auto', '')).message).toBe('runtime option "auto" is not a container runtime: use docker or podman');
  });
});
