import { assertRuntimeReady, notReadyMessage } from './engine-ready';
import { fakeCli } from './fake-cli.test-helper';

describe('notReadyMessage', () => {
  it('names the setting that picked the engine, and for builds that docker needs buildx', () => {
    expect(notReadyMessage('docker', 'Cannot connect to the Docker daemon', 'IMAGE_ENGINE')).toBe(
      'the docker daemon is not reachable (Cannot connect to the Docker daemon): start dockerd (or Docker Desktop), or set IMAGE_ENGINE=podman',
    );
    expect(notReadyMessage('docker', 'Cannot connect to the Docker daemon', 'IMAGE_RUNTIME')).toBe(
      'the docker daemon is not reachable (Cannot connect to the Docker daemon): start dockerd (or Docker Desktop), or set IMAGE_RUNTIME=podman',
    );
    expect(notReadyMessage('podman', 'spawn podman ENOENT', 'IMAGE_ENGINE')).toBe(
      'podman is not usable (spawn podman ENOENT): install podman, or set IMAGE_ENGINE=docker with docker buildx',
    );
    expect(notReadyMessage('podman', 'spawn podman ENOENT', 'IMAGE_RUNTIME')).toBe('podman is not usable (spawn podman ENOENT): install podman, or set IMAGE_RUNTIME=docker');
  });
});

describe('assertRuntimeReady', () => {
  it('asks docker for its daemon and podman only for itself', async () => {
    const docker = fakeCli('docker');
    const podman = fakeCli('podman');
    await assertRuntimeReady(docker);
    await assertRuntimeReady(podman);
    expect(docker.calls).toEqual([['info', '--format', '{{.ServerVersion}}']]);
    expect(podman.calls).toEqual([['version', '--format', '{{.Client.Version}}']]);
  });

  it("fails with the engine's own words and the IMAGE_RUNTIME fix", async () => {
    const down = fakeCli('docker', { info: { code: 1, stderr: 'Cannot connect to the Docker daemon\n' } });
    const missing = fakeCli('podman', { version: { code: null, spawnError: 'spawn podman ENOENT' } });
    await expect(assertRuntimeReady(down)).rejects.toMatchObject({
      name: 'BuildConfigurationError',
      message: 'the docker daemon is not reachable (Cannot connect to the Docker daemon): start dockerd (or Docker Desktop), or set IMAGE_RUNTIME=podman',
    });
    await expect(assertRuntimeReady(missing)).rejects.toMatchObject({
      name: 'BuildConfigurationError',
      message: 'podman is not usable (spawn podman ENOENT): install podman, or set IMAGE_RUNTIME=docker',
    });
  });
});
